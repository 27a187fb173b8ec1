import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { ok } from '../support/api';
import { withTimeout } from '../support/async';
import { spawnService, startChildService, type ChildOptions, type ChildService } from '../support/childService';
import { ledgerProblems, readWholeLog, rebuildAndCompare, verifyDataDir } from '../support/dataDirChecks';
import { fillableDisk, type FillableDisk } from '../support/fullDisk';
import { ADMIN, graphql } from '../support/service';
import type { StormRequest } from '../support/writeStorm';

/*
 * Failing storage (issue 8, item 6, DATA_DIR) with the built service in a child process.
 * Read-only: the process refuses to start, exit code 1, one log line naming the directory (or file)
 * and what is wrong, and the files are untouched. Root ignores permission bits, so when the suite runs
 * as root the service runs as `nobody`: the permission check is the kernel's, not a simulation.
 * Full: see fullDisk.ts for how the disk is filled (a real tmpfs where mounting is allowed).
 */

function uidOf(user: string): number {
  const result = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : 65_534;
}

/** When the suite runs as root, the service runs as `nobody`, for whom file permissions apply. */
const AS_ROOT = process.getuid?.() === 0;
const UNPRIVILEGED: ChildOptions = AS_ROOT ? { uid: uidOf('nobody'), gid: uidOf('nobody') } : {};

/** Name → SHA-256 and mode of every file in a directory. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((file) => {
        const path = join(dir, file);
        return [file, `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${statSync(path).mode.toString(8)}`];
      }),
  );
}

/** The one line a failed start must log: fatal, naming what is wrong, no stack trace. */
async function expectStartupRefused(child: ChildService, message: RegExp): Promise<void> {
  expect(await withTimeout(child.exited, 15_000, 'the service to exit')).toEqual({ code: 1, signal: null });
  expect(child.lines).toHaveLength(1);
  const line = JSON.parse(child.lines[0] as string) as Record<string, unknown>;
  expect(line).toEqual(expect.objectContaining({ level: 60, msg: expect.stringMatching(message) }));
  expect(line).not.toHaveProperty('err');
  expect(child.lines[0]).not.toMatch(/\n|\\n\s+at /u);
}

/** Starts the service once as this user, so DATA_DIR holds a real store; stops it cleanly. */
async function initialiseStore(dataDir: string): Promise<void> {
  const { child } = await startChildService(dataDir);
  child.process.kill('SIGTERM');
  expect(await child.exited).toEqual({ code: 0, signal: null });
}

describe('a read-only DATA_DIR', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mci-readonly-'));
    chmodSync(root, 0o755);
  });
  afterEach(() => {
    chmodSync(root, 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it('stops the start with exit code 1 and one line naming the directory when it is new and empty', async () => {
    chmodSync(root, 0o555);
    const child = spawnService({ DATA_DIR: root }, UNPRIVILEGED);
    await expectStartupRefused(child, new RegExp(`^DATA_DIR ${root} is not a writable directory: EACCES: permission denied`, 'u'));
    expect(readdirSync(root)).toEqual([]);
  });

  it('stops the start and leaves an existing store untouched when the directory is read-only', async () => {
    const dataDir = join(root, 'data');
    await initialiseStore(dataDir);
    chmodSync(dataDir, 0o555);
    const before = snapshot(dataDir);
    const child = spawnService({ DATA_DIR: dataDir }, UNPRIVILEGED);
    await expectStartupRefused(child, new RegExp(`^DATA_DIR ${dataDir} is not a writable directory: EACCES`, 'u'));
    expect(snapshot(dataDir)).toEqual(before);
  });

  it('stops the start and names the file when the directory is writable but the store files are not', async () => {
    const dataDir = join(root, 'data');
    await initialiseStore(dataDir);
    // The files stay root's (or read-only); the directory is the service user's to write.
    for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o444);
    if (AS_ROOT) chownSync(dataDir, UNPRIVILEGED.uid as number, UNPRIVILEGED.gid as number);
    const before = snapshot(dataDir);
    const child = spawnService({ DATA_DIR: dataDir }, UNPRIVILEGED);
    await expectStartupRefused(child, new RegExp(`^DATA_DIR ${dataDir}: events\\.sqlite is not writable: EACCES`, 'u'));
    expect(snapshot(dataDir)).toEqual(before);
  });
});

describe('a disk that fills up while the service writes', () => {
  let disk: FillableDisk;
  let child: ChildService | undefined;
  beforeEach(() => {
    disk = fillableDisk();
  });
  afterEach(async () => {
    await child?.kill();
    disk.dispose();
  });

  it("refuses mutations with UNAVAILABLE saying the disk can't write, keeps serving reads, corrupts nothing and writes again once space is back", async () => {
    const started = await startChildService(disk.dataDir);
    child = started.child;
    const { url } = started;
    const { createMultiCloudImage: mci } = await ok<{ createMultiCloudImage: { id: string; version: number } }>(
      url,
      `mutation { createMultiCloudImage(input: { name: "on a small disk" }) { id version } }`,
    );
    const requests: StormRequest[] = [];
    const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { id version settings { userData } } }`;
    const cloudId = 'aws-us-east-1';
    const mapImage = async (requestId: string) => {
      const request: StormRequest = { requestId, operation: 'mapImage', targetId: mci.id, outcome: { kind: 'in-flight' } };
      requests.push(request);
      const input = {
        multiCloudImageId: mci.id,
        cloudId,
        imageId: starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64),
        instanceTypeId: starterInstanceTypeId(cloudId, 'small'),
        // 16,000 characters a write: the files must grow at every write, whatever room SQLite has left in them.
        userData: `${requestId}\n${'#'.repeat(16_000 - requestId.length - 1)}`,
      };
      const response = await graphql<{ mapImage: { id: string; version: number } }>(
        url,
        MAP,
        { input },
        { ...ADMIN, 'x-request-id': requestId },
      );
      const error = response.body.errors?.[0];
      request.outcome = error
        ? { kind: 'refused', code: String(error.extensions?.['code']), message: error.message }
        : { kind: 'acknowledged', componentId: mci.id, version: response.body.data?.mapImage.version as number };
      return { response, request };
    };

    const first = await mapImage('full-before');
    expect(first.request.outcome.kind).toBe('acknowledged');
    disk.fill(child.pid);

    // Write until the disk says no (bounded: the files can't absorb many 16 kB writes).
    let refusal: { code: string; message: string; status: number } | undefined;
    for (let n = 0; n < 200 && !refusal; n++) {
      const { request, response } = await mapImage(`full-${n}`);
      if (request.outcome.kind === 'refused')
        refusal = { code: request.outcome.code, message: request.outcome.message, status: response.status };
    }
    const expectedMessage =
      disk.technique === 'tmpfs'
        ? "the event store can't write: its disk is full; nothing was saved; try again once space has been freed"
        : "the event store can't write: its disk failed the write; nothing was saved; try again shortly";
    expect(refusal).toEqual({ code: 'UNAVAILABLE', message: expectedMessage, status: 200 });
    // The operator's side: the details (which stream, SQLite's own words) are in the log, with the request id.
    const logged = await child.waitForLine(
      (line) => (line.includes('"msg":"the event store failed the request"') ? (JSON.parse(line) as Record<string, unknown>) : undefined),
      'the store failure in the log',
    );
    expect(logged).toEqual(expect.objectContaining({ level: 50, requestId: expect.stringMatching(/^full-\d+$/u) }));

    // Reads go on while the disk is full: the MCI as its last acknowledged write left it.
    const lastAcknowledged = requests.filter((r) => r.outcome.kind === 'acknowledged').at(-1)?.outcome as { version: number };
    const read = await ok<{ multiCloudImage: { version: number } }>(url, `query($id: ID!) { multiCloudImage(id: $id) { version } }`, {
      id: mci.id,
    });
    expect(read.multiCloudImage.version).toBe(lastAcknowledged.version);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    disk.free(child.pid);
    const after = await mapImage('full-after');
    expect(after.request.outcome).toEqual({ kind: 'acknowledged', componentId: mci.id, version: lastAcknowledged.version + 1 });

    child.process.kill('SIGTERM');
    expect(await withTimeout(child.exited, 10_000, 'the process to exit')).toEqual({ code: 0, signal: null });
    // Every refused write left nothing, every acknowledged one is whole, the chains and read models hold.
    expect(ledgerProblems(requests, await readWholeLog(disk.dataDir), 'full-')).toEqual([]);
    expect((await verifyDataDir(disk.dataDir)).problems).toEqual([]);
    expect((await rebuildAndCompare(disk.dataDir)).identical).toBe(true);
  }, 90_000);
});
