import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Projection } from '../../projections/projection';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import type { EventStore, NewEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { toClientError } from '../../src/graphql/errors';
import { ProjectionFailedError, ProjectionRunner } from '../../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { ok } from '../support/api';
import { eventually } from '../support/async';
import { ledgerProjection } from '../support/projections';
import { ADMIN, graphql, startTestService, type TestService } from '../support/service';

/*
 * The append succeeded, but the read models' disk refuses the write (issue 8, item 6). Real SQLite
 * throughout: `PRAGMA max_page_count` caps the read-model file at its current size, so the next write
 * that needs a new page fails with the driver's own SQLITE_FULL, exactly as a full disk does. A waiter
 * must learn at once (not at its timeout) that the change is saved and why reads lag; the runner keeps
 * retrying the batch and recovers, applying every event exactly once, once the disk has room again.
 */

/** Pages SQLite may use by default: what lifts the cap again. */
const NO_CAP = 1_073_741_823;

/** Caps the read-model file at the pages it has now, with no free pages left inside it. */
function fillReadModelDisk(db: SqliteDatabase): void {
  db.exec('VACUUM');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
}

const freeReadModelDisk = (db: SqliteDatabase): void => void db.pragma(`max_page_count = ${NO_CAP}`);

/** Every row takes whole new pages (8 kB of text on 4 kB pages), so each event needs room. */
function bulkyProjection(): Projection {
  return {
    name: 'bulky',
    version: 1,
    handles: ['Noted'],
    tables: ['bulky_test'],
    schema: ['CREATE TABLE IF NOT EXISTS bulky_test (event_id TEXT PRIMARY KEY, payload TEXT NOT NULL)'],
    apply(event, db) {
      db.run('INSERT INTO bulky_test (event_id, payload) VALUES (?, ?)', event.id, 'x'.repeat(8_192));
    },
  };
}

const noted = (n: number): NewEvent => ({ type: 'Noted', data: { n } });

/** A waiter's timeout far beyond the test's own: a rejection that arrives at all arrived promptly. */
const NEVER_MS = 10 * 60_000;

describe('the projection runner when the read models cannot be written', () => {
  let dir: string;
  let store: EventStore;
  let db: SqliteDatabase;
  let runner: ProjectionRunner;
  let logged: Array<{ msg: string; detail: unknown }>;

  const start = async (backoff: { initial: number; max: number }): Promise<void> => {
    const record = (msg?: unknown, ...rest: unknown[]): void =>
      void logged.push(typeof msg === 'string' ? { msg, detail: undefined } : { msg: String(rest[0]), detail: msg });
    runner = new ProjectionRunner({
      store,
      db,
      projections: [ledgerProjection(), bulkyProjection()],
      retryBackoffMs: backoff,
      logger: { info: record, warn: record, error: record },
    });
    await runner.start();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-rm-full-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    logged = [];
  });
  afterEach(async () => {
    await runner.stop();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails waiters at once with a coded storage error, keeps retrying, and recovers applying each event once', async () => {
    await start({ initial: 5, max: 20 });
    const first = await store.append('note-a', [noted(1)], { expectedRevision: 'no_stream' });
    await runner.waitForPosition(first.position, NEVER_MS);

    fillReadModelDisk(db);
    const second = await store.append('note-a', [noted(2)], { expectedRevision: 0n });
    const failure = await runner.waitForPosition(second.position, NEVER_MS).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProjectionFailedError);
    expect(failure).toMatchObject({ projection: undefined, why: 'storage_full' });
    expect((failure as Error).message).toMatch(
      /^the read models are not up to date: writing a batch of the log .*SQLITE_FULL|disk is full/u,
    );
    expect(toClientError(failure)).toEqual({
      code: 'UNAVAILABLE',
      message:
        'the change was saved, but the read models could not be updated: their disk is full; reads will show the change once space has been freed',
    });
    // The change is saved: the store has it, only the read models lag.
    expect((await store.readStream('note-a')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    // A writer arriving while the disk is still full is told at once as well, and readiness says why.
    await expect(runner.waitForPosition(second.position, NEVER_MS)).rejects.toMatchObject({ why: 'storage_full' });
    const status = runner.status();
    expect(status.caughtUp).toBe(false);
    expect(status.error?.message).toMatch(/disk is full/u);
    // The operator's side: the log has the driver's own words.
    const logLine = logged.find(({ msg }) => msg === 'read models could not be written; retrying');
    expect(String((logLine?.detail as { err?: Error } | undefined)?.err?.message)).toMatch(/database or disk is full/u);

    freeReadModelDisk(db);
    await eventually(() => runner.status().caughtUp, 'the read models to be written again');
    await runner.waitForPosition(second.position, NEVER_MS);
    const third = await store.append('note-a', [noted(3)], { expectedRevision: 1n });
    await runner.waitForPosition(third.position, NEVER_MS);
    // Each event exactly once in both read models (the ledger's key would refuse a second apply; its
    // attempts inside the batches that were rolled back left nothing).
    expect(db.prepare('SELECT n FROM ledger_test ORDER BY revision').all()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(db.prepare('SELECT count(*) AS c FROM bulky_test').get()).toEqual({ c: 3 });
    expect(runner.status().projections.map((p) => [p.name, p.state])).toEqual([
      ['ledger', 'live'],
      ['bulky', 'live'],
    ]);
    expect(runner.status().error).toBeUndefined();
    expect(logged.some(({ msg }) => msg === 'read models are being written again')).toBe(true);
  });

  it('fails waiters at once, too, when a batch fails outside any projection (its checkpoint refused), and recovers', async () => {
    await start({ initial: 5, max: 20 });
    // Not a projection's fault and not the disk's: the database itself refuses to move the checkpoints.
    db.exec(
      `CREATE TRIGGER refuse_checkpoints BEFORE UPDATE ON projection_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END`,
    );
    const appended = await store.append('note-c', [noted(1)], { expectedRevision: 'no_stream' });
    const failure = await runner.waitForPosition(appended.position, NEVER_MS).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProjectionFailedError);
    expect(failure).toMatchObject({ projection: undefined, why: undefined, message: expect.stringMatching(/checkpoint refused/u) });
    expect(toClientError(failure)?.message).toBe(
      'the change was saved, but the read models could not be updated: a read model failed (the details are in the service log); it is retried and reads will show the change once it recovers',
    );

    db.exec('DROP TRIGGER refuse_checkpoints');
    await eventually(() => runner.status().caughtUp, 'the read models to be written again');
    await runner.waitForPosition(appended.position, NEVER_MS);
    expect(db.prepare('SELECT n FROM ledger_test').all()).toEqual([{ n: 1 }]);
  });

  it('stops without waiting out a long retry backoff', async () => {
    await start({ initial: NEVER_MS, max: NEVER_MS });
    fillReadModelDisk(db);
    const appended = await store.append('note-b', [noted(1)], { expectedRevision: 'no_stream' });
    await expect(runner.waitForPosition(appended.position, NEVER_MS)).rejects.toMatchObject({ why: 'storage_full' });
    // Without the early wake-up, this waits ten minutes (past the test's own timeout).
    await runner.stop();
    expect(runner.status().error?.message).toMatch(/disk is full/u);
  });
});

describe('a mutation whose read models cannot be written', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('answers UNAVAILABLE saying the change was saved, /readyz reports it, and reads show the change once the disk has room', async () => {
    const { createMultiCloudImage: mci } = await ok<{ createMultiCloudImage: { id: string; version: number } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "saved, not yet readable" }) { id version } }`,
    );
    const { readModels } = service.services;
    fillReadModelDisk(readModels);
    const east = 'aws-us-east-1';
    const mapped = await graphql(
      service.url,
      `
        mutation ($input: MapImageInput!) {
          mapImage(input: $input) {
            id
            version
          }
        }
      `,
      {
        input: {
          multiCloudImageId: mci.id,
          cloudId: east,
          imageId: starterImageId(east, STARTER_IMAGE_NAMES.centosX64),
          instanceTypeId: starterInstanceTypeId(east, 'small'),
          userData: 'u'.repeat(16_000),
        },
      },
      ADMIN,
    );
    expect({ status: mapped.status, errors: mapped.body.errors }).toEqual({
      status: 200,
      errors: [
        expect.objectContaining({
          message:
            'the change was saved, but the read models could not be updated: their disk is full; reads will show the change once space has been freed',
          extensions: { code: 'UNAVAILABLE' },
        }),
      ],
    });
    const stored = await service.services.store.readStream(`mci-${mci.id}`);
    expect(stored.map((e) => e.type)).toEqual(['MultiCloudImageCreated', 'ImageMapped']);
    const notReady = await fetch(`${service.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { projections: { error?: { message: string } } }).projections.error?.message).toMatch(
      /disk is full/u,
    );

    freeReadModelDisk(readModels);
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, '/readyz to report ready again', 15_000);
    const read = await ok<{ multiCloudImage: { version: number; settings: Array<{ userData: string }> } }>(
      service.url,
      `query($id: ID!) { multiCloudImage(id: $id) { version settings { userData } } }`,
      { id: mci.id },
    );
    expect(read.multiCloudImage).toEqual({ version: 1, settings: [{ userData: 'u'.repeat(16_000) }] });
  });
});
