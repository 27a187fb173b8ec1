import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok, secondAccount } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import {
  deleteRow,
  lastRowOfLog,
  rehash,
  restoreRow,
  rowsOf,
  runCli,
  swapPositions,
  tamper,
  type CliRun,
  type EventRow,
} from '../support/tamper';

/*
 * Tamper evidence on a real SQLite file: rows of the embedded log changed, removed and moved with a
 * plain SQLite connection while the service runs, and each caught and named both by `verifyHistory`
 * (GraphQL, one component) and by `multicloud-images verify` (the whole log). Every test undoes its
 * tampering, and the log verifies clean again.
 */

const EAST = 'aws-us-east-1';
const WEST = 'aws-us-west-1';
const image = (cloud: string): string => starterImageId(cloud, STARTER_IMAGE_NAMES.centosX64);
const small = (cloud: string): string => starterInstanceTypeId(cloud, 'small');

const VERIFY = `query($id: ID!) { verifyHistory(id: $id) {
  ok eventsChecked
  firstBrokenEvent { streamId revision eventId cursor problem detail }
  problems { problem revision }
} }`;

interface BrokenEventView {
  streamId: string;
  revision: number | null;
  eventId: string | null;
  cursor: string | null;
  problem: string;
  detail: string;
}
interface VerificationView {
  ok: boolean;
  eventsChecked: number;
  firstBrokenEvent: BrokenEventView | null;
  problems: Array<{ problem: string; revision: number | null }>;
}
interface CliVerification {
  ok: boolean;
  eventsChecked: number;
  problemCount: number;
  firstBrokenEvent: {
    stream: string | null;
    revision: number | null;
    id: string | null;
    position: string | null;
    problem: string;
    detail: string;
  } | null;
  anchor: string;
}

describe('tamper evidence: verifyHistory and `multicloud-images verify` over a tampered SQLite file', () => {
  let service: TestService;
  let a: string;
  let b: string;

  const verifyHistory = async (id: string): Promise<VerificationView> =>
    (await ok<{ verifyHistory: VerificationView }>(service.url, VERIFY, { id })).verifyHistory;
  const verifyLog = async (...args: string[]): Promise<CliRun & { result: CliVerification }> => {
    const run = await runCli(['verify', '--json', ...args], { DATA_DIR: service.dataDir });
    return { ...run, result: JSON.parse(run.stdout) as CliVerification };
  };
  const create = async (name: string): Promise<string> =>
    (
      await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation($n: String!) { createMultiCloudImage(input: { name: $n, description: "" }) { id } }`,
        { n: name },
      )
    ).createMultiCloudImage.id;
  const map = (id: string, cloud: string): Promise<unknown> =>
    ok(service.url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
      input: { multiCloudImageId: id, cloudId: cloud, imageId: image(cloud), instanceTypeId: small(cloud) },
    });

  beforeAll(async () => {
    service = await startTestService();
    // Two MCIs whose events interleave in the log; A's newest event is the newest of the whole log.
    a = await create('Alpha');
    b = await create('Beta');
    await map(a, EAST); // a 1
    await map(b, EAST); // b 1
    await map(a, WEST); // a 2
    await ok(service.url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "two clouds") { revision } }`, { id: a }); // a 3
    await map(b, WEST); // b 2
    await ok(service.url, `mutation($id: ID!) { updateMultiCloudImage(input: { id: $id, description: "final" }) { id } }`, { id: a }); // a 4
  });
  afterAll(() => service.stop());

  afterEach(async () => {
    // Whatever a test did to the file, it put back: the log verifies clean again.
    const { code, result } = await verifyLog();
    expect({ code, ok: result.ok, first: result.firstBrokenEvent }).toEqual({ code: 0, ok: true, first: null });
  });

  it('finds an untouched history intact, and prints the anchor of the whole log', async () => {
    expect(await verifyHistory(a)).toEqual({ ok: true, eventsChecked: 5, firstBrokenEvent: null, problems: [] });
    const text = await runCli(['verify'], { DATA_DIR: service.dataDir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok: \d+ events in \d+ streams verified$/mu);
    expect(text.stdout).toContain(
      "checked: hashes, chains, revisions, order within streams, positions without gaps, the store's position counter",
    );
    expect(text.stdout).toContain('read-model stream counts');
    expect(text.stdout).toMatch(/^anchor: \d+:[0-9a-f]{64}$/mu);
    expect(text.stderr).toMatch(/^verify: [\d,]+ events in [\d,]+ streams checked$/mu);
    // On a terminal, a bar redrawn in place, ended by the summary line.
    const tty = await runCli(['verify'], { DATA_DIR: service.dataDir }, { tty: true });
    expect(tty.stdout).toBe(text.stdout);
    expect(tty.stderr).toMatch(/^\rverify \[[#-]{30}\] +\d+% [\d,]+\/[\d,]+ positions read\x1b\[K/u);
    expect(tty.stderr).toMatch(/\rverify: [\d,]+ events in [\d,]+ streams checked\x1b\[K\n$/u);
  });

  it('names an event whose data was changed: hash mismatch', async () => {
    const row = rowsOf(service.dataDir, `mci-${a}`)[2] as EventRow;
    tamper(service.dataDir, (db) =>
      db.prepare(`UPDATE events SET data = replace(data, 'aws-us-west-1', 'aws-us-east-1') WHERE position = ?`).run(row.position),
    );
    try {
      const history = await verifyHistory(a);
      expect(history).toMatchObject({ ok: false, eventsChecked: 5 });
      expect(history.firstBrokenEvent).toMatchObject({ streamId: `mci-${a}`, revision: 2, eventId: row.id, problem: 'HASH_MISMATCH' });
      expect(history.firstBrokenEvent?.detail).toMatch(
        /^stored hash [0-9a-f]{16}… but its content hashes to [0-9a-f]{16}…: the event was changed after it was written$/u,
      );
      expect(history.firstBrokenEvent?.cursor).toEqual(expect.any(String));

      const { code, result } = await verifyLog();
      expect(code).toBe(1);
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${a}`,
        revision: 2,
        id: row.id,
        position: String(row.position),
        problem: 'hash mismatch',
      });
      const text = await runCli(['verify'], { DATA_DIR: service.dataDir });
      expect(text.stdout).toContain(`TAMPERED: 1 problem in`);
      expect(text.stdout).toContain(
        `first broken event: hash mismatch at stream mci-${a}, revision 2, id ${row.id}, position ${row.position}: stored hash`,
      );
    } finally {
      restoreRow(service.dataDir, row);
    }
  });

  it('names the next event when a changed event was re-hashed: chain broken', async () => {
    const [, , changed, next] = rowsOf(service.dataDir, `mci-${a}`) as EventRow[];
    const edited = { ...(changed as EventRow), data: (changed as EventRow).data.replace('aws-us-west-1', 'aws-us-east-1') };
    tamper(service.dataDir, (db) =>
      db.prepare(`UPDATE events SET data = ?, hash = ? WHERE position = ?`).run(edited.data, rehash(edited), edited.position),
    );
    try {
      const history = await verifyHistory(a);
      expect(history.firstBrokenEvent).toMatchObject({ revision: 3, eventId: next?.id, problem: 'CHAIN_BROKEN' });
      expect(history.firstBrokenEvent?.detail).toMatch(
        /^its prevHash is [0-9a-f]{16}…, but revision 2 has hash [0-9a-f]{16}…: one of the two was changed$/u,
      );
      const { code, result } = await verifyLog();
      expect(code).toBe(1);
      expect(result.firstBrokenEvent).toMatchObject({ stream: `mci-${a}`, revision: 3, id: next?.id, problem: 'chain broken' });
    } finally {
      restoreRow(service.dataDir, changed as EventRow);
    }
  });

  it('names a removed event in the middle of a stream, with the position it held: missing event', async () => {
    const removed = rowsOf(service.dataDir, `mci-${a}`)[2] as EventRow;
    deleteRow(service.dataDir, removed.position);
    try {
      const history = await verifyHistory(a);
      expect(history).toMatchObject({ ok: false, eventsChecked: 4 });
      expect(history.firstBrokenEvent).toMatchObject({ streamId: `mci-${a}`, revision: 2, eventId: null, problem: 'MISSING_EVENT' });
      expect(history.firstBrokenEvent?.detail).toBe('revision 2 is missing: revision 3 follows revision 1');

      const { code, result } = await verifyLog();
      expect(code).toBe(1);
      expect(result.problemCount).toBe(1);
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${a}`,
        revision: 2,
        id: null,
        position: String(removed.position),
        problem: 'missing event',
      });
    } finally {
      restoreRow(service.dataDir, removed);
    }
  });

  it('names a removed newest event of a stream from the read models’ count: missing event', async () => {
    const rows = rowsOf(service.dataDir, `mci-${b}`);
    const removed = rows[rows.length - 1] as EventRow;
    expect(lastRowOfLog(service.dataDir).position).toBeGreaterThan(removed.position);
    deleteRow(service.dataDir, removed.position);
    try {
      const history = await verifyHistory(b);
      expect(history.firstBrokenEvent).toMatchObject({ streamId: `mci-${b}`, revision: 2, eventId: null, problem: 'MISSING_EVENT' });
      expect(history.firstBrokenEvent?.detail).toBe(
        'the read models recorded revision 2 (3 events), but the log ends at revision 1: its newest event was removed',
      );
      const one = await runCli(['verify', '--stream', `mci-${b}`, '--json'], { DATA_DIR: service.dataDir });
      expect(one.code).toBe(1);
      expect((JSON.parse(one.stdout) as CliVerification).firstBrokenEvent).toMatchObject({
        stream: `mci-${b}`,
        revision: 2,
        problem: 'missing event',
      });

      const { result } = await verifyLog();
      expect(result.problemCount).toBe(1);
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${b}`,
        revision: 2,
        position: String(removed.position),
        problem: 'missing event',
      });
    } finally {
      restoreRow(service.dataDir, removed);
    }
  });

  it('names the removed newest event of the whole log: missing event', async () => {
    const removed = lastRowOfLog(service.dataDir);
    expect(removed.stream).toBe(`mci-${a}`);
    deleteRow(service.dataDir, removed.position);
    try {
      expect((await verifyHistory(a)).firstBrokenEvent).toMatchObject({ revision: 4, problem: 'MISSING_EVENT' });
      const { code, result } = await verifyLog();
      expect(code).toBe(1);
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${a}`,
        revision: 4,
        position: String(removed.position),
        problem: 'missing event',
      });
    } finally {
      restoreRow(service.dataDir, removed);
    }
  });

  it('names both streams when rows of two streams were removed side by side', async () => {
    const [aRows, bRows] = [rowsOf(service.dataDir, `mci-${a}`), rowsOf(service.dataDir, `mci-${b}`)];
    const removed = [aRows[3] as EventRow, bRows[2] as EventRow];
    expect(removed[1]?.position).toBe((removed[0]?.position as number) + 1);
    for (const row of removed) deleteRow(service.dataDir, row.position);
    try {
      const { code, stdout } = await runCli(['verify', '--json'], { DATA_DIR: service.dataDir });
      expect(code).toBe(1);
      const problems = (JSON.parse(stdout) as { problems: Array<{ stream: string | null; revision: number | null; problem: string }> })
        .problems;
      expect(problems.filter((p) => p.stream !== null)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ stream: `mci-${a}`, revision: 3, problem: 'missing event' }),
          expect.objectContaining({ stream: `mci-${b}`, revision: 2, problem: 'missing event' }),
        ]),
      );
      expect((await verifyHistory(b)).firstBrokenEvent).toMatchObject({ revision: 2, problem: 'MISSING_EVENT' });
    } finally {
      for (const row of removed) restoreRow(service.dataDir, row);
    }
  });

  it('names events moved within their stream’s order: out of order', async () => {
    const rows = rowsOf(service.dataDir, `mci-${a}`);
    const [early, late] = [rows[1] as EventRow, rows[3] as EventRow];
    swapPositions(service.dataDir, early.position, late.position);
    try {
      const history = await verifyHistory(a);
      expect(history.firstBrokenEvent).toMatchObject({ revision: 3, eventId: late.id, problem: 'OUT_OF_ORDER' });
      expect(history.firstBrokenEvent?.detail).toBe(
        `revision 3 is at position ${early.position}, before revision 1 at position ${late.position}: rows were moved`,
      );
      const { code, result } = await verifyLog();
      expect(code).toBe(1);
      // Revision 3 now sits where revision 1 was: the first misplaced event in log order.
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${a}`,
        revision: 3,
        id: late.id,
        position: String(early.position),
        problem: 'out of order',
      });
    } finally {
      swapPositions(service.dataDir, early.position, late.position);
    }
  });

  it('still answers for a component whose first event was removed (which says who owns it), instead of NOT_FOUND', async () => {
    const removed = rowsOf(service.dataDir, `mci-${a}`)[0] as EventRow;
    deleteRow(service.dataDir, removed.position);
    try {
      const history = await verifyHistory(a);
      expect(history.firstBrokenEvent).toMatchObject({
        revision: 0,
        problem: 'MISSING_EVENT',
        detail: 'revision 0 is missing: revision 1 follows nothing',
      });
      const { result } = await verifyLog();
      expect(result.firstBrokenEvent).toMatchObject({
        stream: `mci-${a}`,
        revision: 0,
        position: String(removed.position),
        problem: 'missing event',
      });
      // Another account still gets NOT_FOUND, as for an id nobody has.
      const intruder = (await secondAccount(service.url, 'Curious Corp')).admin;
      const foreign = await fails(service.url, VERIFY, { id: a }, intruder);
      const nobody = await fails(service.url, VERIFY, { id: '00000000-0000-4000-8000-000000000000' }, intruder);
      expect([foreign.code, foreign.message]).toEqual(['NOT_FOUND', nobody.message]);
    } finally {
      restoreRow(service.dataDir, removed);
    }
  });

  it('verifies a log that grows while it is read (what is appended meanwhile is left for the next run)', async () => {
    // After the tests that expect the log as beforeAll left it: this one appends to it.
    const busy = await create('Busy');
    const writes = Promise.all([EAST, WEST, 'aws-eu-west-1', 'rackspace-dfw'].map((cloud) => map(busy, cloud)));
    const runs = await Promise.all([verifyLog(), verifyLog(), verifyHistory(busy)]);
    await writes;
    for (const run of runs.slice(0, 2) as Array<CliRun & { result: CliVerification }>)
      expect([run.code, run.result.firstBrokenEvent]).toEqual([0, null]);
    expect((runs[2] as VerificationView).ok).toBe(true);
  });

  it('verifies one stream with --stream, and refuses bad arguments with exit code 2', async () => {
    const one = await runCli(['verify', '--stream', `mci-${b}`], { DATA_DIR: service.dataDir });
    expect(one).toMatchObject({ code: 0, stdout: `ok: 3 events of stream mci-${b} verified\n` });
    expect(await runCli(['verify', '--stream', 'mci-nope'], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("multicloud-images verify: no stream 'mci-nope' in the log\n"),
    });
    expect(await runCli(['verify', '--anchor', '12:abc'], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--anchor: expected <count>:<sha256 in hex> as printed by verify, got '12:abc'"),
    });
    expect(await runCli(['verify', '--strem', 'x'], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown option '--strem' (expected --stream, --anchor, --no-read-models, --json)"),
    });
  });
});

describe('tamper evidence without the read models, and what only an anchor catches', () => {
  let service: TestService;
  let copyDir: string;
  let anchor: string;
  let mci: string;

  beforeAll(async () => {
    service = await startTestService();
    const created = await ok<{ createMultiCloudImage: { id: string } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "Gamma", description: "" }) { id } }`,
    );
    mci = created.createMultiCloudImage.id;
    await ok(service.url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
      input: { multiCloudImageId: mci, cloudId: EAST, imageId: image(EAST), instanceTypeId: small(EAST) },
    });
    await ok(service.url, `mutation { createMultiCloudImage(input: { name: "Delta", description: "" }) { id } }`);
  });
  afterAll(() => service.stop());

  beforeEach(async () => {
    // A copy of the log alone, as an attacker holding only events.sqlite would have it.
    copyDir = mkdtempSync(join(tmpdir(), 'mci-verify-copy-'));
    tamper(service.dataDir, (db) => db.prepare(`VACUUM INTO ?`).run(join(copyDir, 'events.sqlite')));
    const clean = await runCli(['verify', '--json'], { DATA_DIR: copyDir });
    expect(clean.code).toBe(0);
    anchor = (JSON.parse(clean.stdout) as CliVerification).anchor;
  });
  afterEach(() => rmSync(copyDir, { recursive: true, force: true }));

  it('names the position of a removed newest event of a stream, though not its stream', async () => {
    const rows = rowsOf(copyDir, `mci-${mci}`);
    const removed = rows[rows.length - 1] as EventRow;
    deleteRow(copyDir, removed.position);
    const run = await runCli(['verify', '--json'], { DATA_DIR: copyDir });
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as CliVerification).firstBrokenEvent).toEqual({
      stream: null,
      revision: null,
      id: null,
      position: String(removed.position),
      problem: 'missing event',
      cursor: expect.any(String),
      detail: `position ${removed.position} holds no event (between rows): rows were removed from the log (with the read models in place, their streams could be named)`,
    });
  });

  it('catches the newest event of the log removed, from the store’s position counter', async () => {
    const removed = lastRowOfLog(copyDir);
    deleteRow(copyDir, removed.position);
    const run = await runCli(['verify'], { DATA_DIR: copyDir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `first broken event: missing event at stream unknown, position ${removed.position}: position ${removed.position} holds no event (after the last row, though the store assigned positions up to ${removed.position})`,
    );
  });

  it('lets only the anchor catch a consistent truncation (counter lowered) and a re-hashed stream tail', async () => {
    const removed = lastRowOfLog(copyDir);
    tamper(copyDir, (db) => {
      db.prepare(`DELETE FROM events WHERE position = ?`).run(removed.position);
      db.prepare(`UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'events'`).run();
    });
    expect((await runCli(['verify'], { DATA_DIR: copyDir })).code).toBe(0);
    const anchored = await runCli(['verify', '--anchor', anchor], { DATA_DIR: copyDir });
    expect(anchored.code).toBe(1);
    const count = Number(anchor.split(':')[0]);
    expect(anchored.stdout).toContain(
      `the anchor covers the first ${count} events, but the log holds only ${count - 1}: events were removed`,
    );

    // Put it back, then rewrite the MCI's newest event with a recomputed hash: every chain still holds.
    restoreRow(copyDir, removed);
    tamper(copyDir, (db) => db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'`).run(removed.position));
    const rows = rowsOf(copyDir, `mci-${mci}`);
    const last = rows[rows.length - 1] as EventRow;
    const forged = { ...last, data: last.data.replace('small', 'large') };
    expect(forged.data).not.toBe(last.data);
    tamper(copyDir, (db) =>
      db.prepare(`UPDATE events SET data = ?, hash = ? WHERE position = ?`).run(forged.data, rehash(forged), last.position),
    );
    expect((await runCli(['verify'], { DATA_DIR: copyDir })).code).toBe(0);
    const caught = await runCli(['verify', '--anchor', anchor], { DATA_DIR: copyDir });
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(
      /hash mismatch at stream unknown: the first \d+ events fingerprint to [0-9a-f]{16}…, the anchor says [0-9a-f]{16}…/u,
    );
  });
});
