import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import { ok, secondAccount, type Headers } from '../support/api';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from '../support/service';
import { runCli, tamper } from '../support/tamper';

/*
 * The audit bundle (`export`, `verify-export`) and `rebuild`, run as the operator would against the
 * DATA_DIR of a running service: real files, the CLI's real argument handling and exit codes.
 */

const EAST = 'aws-us-east-1';

interface Line {
  kind: string;
  stream?: string;
  revision?: number;
  data?: unknown;
  selection?: Record<string, string>;
  streams?: Record<string, { events: number; firstRevision: number; lastRevision: number; lastHash: string }>;
  events?: number;
  digest?: string;
}
const linesOf = (text: string): Line[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);

describe('multicloud-images export and verify-export: the audit bundle', () => {
  let service: TestService;
  let dir: string;
  let env: Record<string, string>;
  let mci: string;
  let foreignMci: string;
  let other: Headers;

  beforeAll(async () => {
    service = await startTestService();
    dir = mkdtempSync(join(tmpdir(), 'mci-bundles-'));
    env = { DATA_DIR: service.dataDir };
    mci = (
      await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation { createMultiCloudImage(input: { name: "Audited", description: "" }) { id } }`,
      )
    ).createMultiCloudImage.id;
    await ok(service.url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
      input: {
        multiCloudImageId: mci,
        cloudId: EAST,
        imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
        instanceTypeId: starterInstanceTypeId(EAST, 'small'),
      },
    });
    await ok(service.url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "first") { revision } }`, { id: mci });
    other = (await secondAccount(service.url, 'Elsewhere Ltd')).admin;
    foreignMci = (
      await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation { createMultiCloudImage(input: { name: "Not ours", description: "" }) { id } }`,
        {},
        other,
      )
    ).createMultiCloudImage.id;
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports an account’s own streams with their hashes, header first and trailer last, and verifies offline', async () => {
    const file = join(dir, 'default.jsonl');
    const exported = await runCli(['export', '--account', 'default', '--out', file], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe('');
    expect(exported.stderr).toMatch(new RegExp(`^wrote ${file} \\(\\d+ events, sha256:[0-9a-f]{64}\\)$`, 'mu'));

    const text = readFileSync(file, 'utf8');
    const lines = linesOf(text);
    expect(lines[0]).toMatchObject({
      kind: 'header',
      format: 'multicloud-images audit bundle',
      version: 1,
      selection: { account: 'default' },
      eventStore: 'sqlite',
    });
    const trailer = lines[lines.length - 1] as Line;
    expect(trailer).toMatchObject({ kind: 'trailer', events: lines.length - 2 });
    expect(Object.keys(trailer.streams ?? {}).sort()).toEqual(['account-default', `mci-${mci}`].sort());
    expect(trailer.streams?.[`mci-${mci}`]).toMatchObject({ events: 3, firstRevision: 0, lastRevision: 2 });
    expect(text).not.toContain(foreignMci);
    // Token hashes are there (the hash chain covers them); a token never is.
    expect(text).toContain('ApiTokenCreated');
    expect(text).not.toContain(TEST_ADMIN_TOKEN);
    const event = lines.find((line) => line.kind === 'event' && line.stream === `mci-${mci}` && line.revision === 1) as Line & {
      metadata: Record<string, unknown>;
      position: Record<string, string>;
    };
    expect(event).toMatchObject({
      type: 'ImageMapped',
      id: expect.any(String),
      cursor: expect.any(String),
      recordedAt: expect.any(String),
    });
    expect(event.metadata).toMatchObject({
      hash: expect.stringMatching(/^[0-9a-f]{64}$/u),
      prevHash: expect.stringMatching(/^[0-9a-f]{64}$/u),
    });
    expect(event.position).toEqual({ commit: expect.stringMatching(/^\d+$/u), prepare: expect.stringMatching(/^\d+$/u) });

    // Offline: no DATA_DIR at all.
    const verified = await runCli(['verify-export', file], {});
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`ok: ${file}: ${lines.length - 2} events in 2 streams verified\n`);
    expect(verified.stdout).toContain(`bundle of account default, created`);
    expect(verified.stdout).toContain(`  mci-${mci} revision 2 hash ${trailer.streams?.[`mci-${mci}`]?.lastHash}\n`);
  });

  it('catches a bundle whose event was edited, removed, moved, or whose end was cut', async () => {
    const file = join(dir, 'stream.jsonl');
    expect((await runCli(['export', '--stream', `mci-${mci}`, '--out', file], env)).code).toBe(0);
    const original = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(original).toHaveLength(5);
    const check = async (lines: string[]): Promise<{ code: number; stdout: string }> => {
      const path = join(dir, `tampered-${Math.random().toString(36).slice(2)}.jsonl`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return runCli(['verify-export', path], {});
    };

    const edited = [...original];
    edited[1] = (edited[1] as string).replace('"Audited"', '"Forged"');
    expect(edited[1]).not.toBe(original[1]);
    const afterEdit = await check(edited);
    expect(afterEdit.code).toBe(1);
    expect(afterEdit.stdout).toMatch(
      new RegExp(`^first problem: hash mismatch at line 2, stream mci-${mci}, revision 0, id [0-9a-f-]+: stored hash`, 'mu'),
    );
    expect(afterEdit.stdout).toContain('digest mismatch at line 5: the trailer');

    const removed = [original[0], original[1], original[3], original[4]] as string[];
    const afterRemoval = await check(removed);
    expect(afterRemoval.code).toBe(1);
    expect(afterRemoval.stdout).toContain(
      `first problem: missing event at line 3, stream mci-${mci}, revision 1: revision 1 is missing: revision 2 follows revision 0`,
    );

    const moved = [original[0], original[2], original[1], original[3], original[4]] as string[];
    const afterMove = await check(moved);
    expect(afterMove.code).toBe(1);
    expect(afterMove.stdout).toContain(
      `first problem: missing event at line 2, stream mci-${mci}, revision 0: revision 0 is missing: revision 1 follows nothing`,
    );
    expect(afterMove.stdout).toMatch(
      /out of order at line 3, stream mci-[^,]+, revision 0, id [0-9a-f-]+: position \d+ comes after position \d+: lines were moved/u,
    );

    const cut = original.slice(0, 4);
    const afterCut = await check(cut);
    expect(afterCut).toMatchObject({
      code: 1,
      stdout: expect.stringContaining('first problem: incomplete at the bundle: no trailer: the bundle was cut short'),
    });
  });

  it('exports a stream from a cursor, and the bundle verifies from its first event’s prevHash as given', async () => {
    const { history } = await ok<{ history: { nodes: Array<{ cursor: string; revision: number }> } }>(
      service.url,
      `query($id: ID!) { history(id: $id) { nodes { cursor revision } } }`,
      { id: mci },
    );
    const since = history.nodes[0]?.cursor as string;
    const run = await runCli(['export', '--stream', `mci-${mci}`, '--since', since], env);
    expect(run.code).toBe(0);
    const lines = linesOf(run.stdout);
    expect(lines[0]?.selection).toEqual({ stream: `mci-${mci}`, since });
    expect(lines.filter((line) => line.kind === 'event').map((line) => line.revision)).toEqual([1, 2]);
    const file = join(dir, 'since.jsonl');
    writeFileSync(file, run.stdout);
    const verified = await runCli(['verify-export', file], {});
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`bundle of stream mci-${mci}, since ${since}`);

    // Without --since in its header the same events miss their start.
    const header = JSON.parse(run.stdout.split('\n')[0] as string) as Record<string, unknown>;
    const claimed = run.stdout.replace(JSON.stringify(header), JSON.stringify({ ...header, selection: { stream: `mci-${mci}` } }));
    writeFileSync(file, claimed);
    const strict = await runCli(['verify-export', file], {});
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(
      `missing event at line 2, stream mci-${mci}, revision 0: revision 0 is missing: revision 1 follows nothing`,
    );
  });

  it('refuses what it can’t export or read with exit code 2, writing nothing', async () => {
    const usage = async (args: string[], message: string, runEnv = env): Promise<void> => {
      const run = await runCli(args, runEnv);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr.split('\n')[0] }).toEqual({
        code: 2,
        stdout: '',
        stderr: `multicloud-images ${args[0]}: ${message}`,
      });
    };
    await usage(['export'], 'give either --account <id> or --stream <name>');
    await usage(['export', '--account', 'default', '--stream', `mci-${mci}`], 'give either --account <id> or --stream <name>');
    await usage(['export', '--account', 'nope'], "no account 'nope' in the log (no stream 'account-nope')");
    await usage(['export', '--stream', 'mci-nope'], "no stream 'mci-nope' in the log");
    await usage(
      ['export', '--stream', `mci-${mci}`, '--since', 'garbage!'],
      "--since: cursor 'garbage!' is not valid here: expected a cursor returned by this service",
    );
    const existing = join(dir, 'existing.jsonl');
    writeFileSync(existing, 'keep me');
    await usage(['export', '--stream', `mci-${mci}`, '--out', existing], `--out: ${existing} already exists: choose a new file`);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    await usage(['export', '--stream'], '--stream needs a value');
    await usage(['verify-export'], 'expected one bundle file, got nothing');
    await usage(['verify-export', join(dir, 'absent.jsonl')], `can't read ${join(dir, 'absent.jsonl')}: no such file`);
    const empty = mkdtempSync(join(tmpdir(), 'mci-empty-'));
    try {
      await usage(
        ['export', '--account', 'default'],
        `no embedded event store at ${join(empty, 'events.sqlite')}: set DATA_DIR to the service's data directory`,
        {
          DATA_DIR: empty,
        },
      );
      await usage(['verify'], `no embedded event store at ${join(empty, 'events.sqlite')}: set DATA_DIR to the service's data directory`, {
        DATA_DIR: empty,
      });
      await usage(
        ['migrate', '--to', 'esdb://127.0.0.1:1?tls=false'],
        `no embedded event store at ${join(empty, 'events.sqlite')}: set DATA_DIR to the service's data directory`,
        {
          DATA_DIR: empty,
        },
      );
      expect(existsSync(join(empty, 'events.sqlite'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const bad = await runCli(['export', '--account', 'default'], { ...env, EVENT_STORE: 'mongodb' });
    expect(bad).toMatchObject({
      code: 2,
      stderr: "multicloud-images export: configuration error: EVENT_STORE: expected one of sqlite, eventstoredb, got 'mongodb'\n",
    });
  });
});

describe('multicloud-images rebuild: the read models replayed from scratch and compared', () => {
  let service: TestService;
  let dir: string;
  let mci: string;

  beforeAll(async () => {
    service = await startTestService();
    dir = mkdtempSync(join(tmpdir(), 'mci-rebuild-test-'));
    mci = (
      await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation { createMultiCloudImage(input: { name: "Rebuilt", description: "" }) { id } }`,
      )
    ).createMultiCloudImage.id;
    await ok(service.url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "first") { revision } }`, { id: mci });
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the live read models identical to a replay of the log', async () => {
    const run = await runCli(['rebuild'], { DATA_DIR: service.dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^identical: \d+ tables, [\d,]+ rows, rebuilt from [\d,]+ events\n$/u);
    expect(run.stderr).toMatch(/^rebuild: [\d,]+ events replayed through \d+ projections$/mu);
  });

  it('names the table and rows where a live read model was changed', async () => {
    const readModels = openReadModelDatabase(join(service.dataDir, 'read-models.sqlite'));
    try {
      readModels.prepare(`UPDATE rm_mcis SET name = 'Forged' WHERE id = ?`).run(mci);
      const run = await runCli(['rebuild'], { DATA_DIR: service.dataDir });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^DIFFERENT: 1 of \d+ tables differ$/mu);
      expect(run.stdout).toMatch(/^ {2}rm_mcis \(multiCloudImages\): (\d+) rows live, \1 rebuilt; 1 only live, 1 only rebuilt$/mu);
      expect(run.stdout).toContain(`    - live:    {"id":"${mci}",`);
      expect(run.stdout).toMatch(/"name":"Forged"/u);
      expect(run.stdout).toMatch(/ {4}\+ rebuilt: \{"id":"[^"]+",.*"name":"Rebuilt"/u);
    } finally {
      readModels.prepare(`UPDATE rm_mcis SET name = 'Rebuilt' WHERE id = ?`).run(mci);
      readModels.close();
    }
  });

  it('keeps the rebuilt file with --out, a read-model file the service can use', async () => {
    const out = join(dir, 'rebuilt.sqlite');
    const run = await runCli(['rebuild', '--out', out], { DATA_DIR: service.dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`rebuilt read models kept in ${out}`);
    const rebuilt = openReadModelDatabase(out);
    try {
      expect(rebuilt.prepare(`SELECT name FROM rm_mcis WHERE id = ?`).get(mci)).toEqual({ name: 'Rebuilt' });
      const checkpoints = rebuilt.prepare(`SELECT name, commit_position FROM projection_checkpoints`).all() as Array<{
        commit_position: number | null;
      }>;
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(checkpoints.every((c) => typeof c.commit_position === 'number')).toBe(true);
    } finally {
      rebuilt.close();
    }
    expect(await runCli(['rebuild', '--out', out], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`--out: ${out} already exists: choose a new file`),
    });
  });

  it('without live read models, only builds (with --out) or says there is nothing to compare with', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'mci-rebuild-copy-'));
    try {
      tamper(service.dataDir, (db) => db.prepare(`VACUUM INTO ?`).run(join(copy, 'events.sqlite')));
      expect(await runCli(['rebuild'], { DATA_DIR: copy })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          `no live read models at ${join(copy, 'read-models.sqlite')} to compare with (give --out <file> to only build new ones)`,
        ),
      });
      const out = join(copy, 'fresh.sqlite');
      const built = await runCli(['rebuild', '--out', out], { DATA_DIR: copy });
      expect(built.code).toBe(0);
      expect(built.stdout).toMatch(/^built .*fresh\.sqlite from [\d,]+ events; no live read models to compare with\n/u);
      expect(existsSync(join(copy, 'read-models.sqlite'))).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
