import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStoreDbEventStore } from '../../src/eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore, RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { ESDB_MAX_APPEND_SIZE } from '../contract/eventStoreSetups';
import { ok } from '../support/api';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';
import { startTestService, type TestService } from '../support/service';
import { rowsOf, runCli, tamper } from '../support/tamper';

/*
 * `multicloud-images migrate`: the embedded log of a real service copied into EventStoreDB (the
 * in-process test gRPC server, over the real client), resumed after interrupted runs, refused into
 * a server that holds something else, stopped at a tampered event, and served by the service after.
 */

async function readWholeLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 1_000 });
    events.push(...page.events);
    if (page.isEnd || page.events.length === 0) return events;
    after = page.cursor;
  }
}

const identity = (event: RecordedEvent): string => `${event.stream}@${event.revision} ${event.id} ${event.metadata.hash}`;

describe('multicloud-images migrate: the embedded log into EventStoreDB', () => {
  let service: TestService;
  let source: RecordedEvent[];
  let server: EsdbTestServer;
  let mci: string;

  beforeAll(async () => {
    service = await startTestService();
    mci = (
      await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation { createMultiCloudImage(input: { name: "Migrated", description: "moves" }) { id } }`,
      )
    ).createMultiCloudImage.id;
    await ok(service.url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "before the move") { revision } }`, { id: mci });
    const embedded = openSqliteEventStore({ path: join(service.dataDir, 'events.sqlite') });
    source = await readWholeLog(embedded);
    await embedded.close();
  });
  afterAll(() => service.stop());
  beforeEach(async () => {
    server = await startEsdbTestServer({ maxAppendSize: ESDB_MAX_APPEND_SIZE });
  });
  afterEach(() => server.close());

  const migrate = (...args: string[]): ReturnType<typeof runCli> =>
    runCli(['migrate', '--to', server.url, ...args], { DATA_DIR: service.dataDir });
  const copied = async (): Promise<RecordedEvent[]> => {
    const store = openEventStoreDbEventStore({ url: server.url });
    try {
      return await readWholeLog(store);
    } finally {
      await store.close();
    }
  };

  it('copies every event in log order with its id, data, metadata and hash, verifies the copy, and the service runs on it', async () => {
    const run = await migrate();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `migrated: ${source.length} events copied; EventStoreDB holds the ${source.length} events of the embedded log, verified in order with their ids and hashes\n`,
    );
    expect(run.stdout).toContain(`EVENT_STORE=eventstoredb EVENTSTORE_URL='${server.url}'`);
    expect(run.stderr).toContain(`migrate: ${source.length} events copied\n`);
    const copy = await copied();
    expect(copy.map(identity)).toEqual(source.map(identity));
    expect(copy.map((e) => [e.type, e.data, e.metadata])).toEqual(source.map((e) => [e.type, e.data, e.metadata]));

    // Run again: nothing to copy, everything verified.
    const again = await migrate();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`migrated: 0 events copied, ${source.length} already there;`);
    expect((await copied()).length).toBe(source.length);

    // The service on EventStoreDB: read models rebuilt from the copy, the same MCI, the same admin token.
    const dataDir = mkdtempSync(join(tmpdir(), 'mci-after-migration-'));
    const moved = await startTestService({ DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: server.url });
    try {
      const { multiCloudImage } = await ok<{
        multiCloudImage: { name: string; description: string; revisions: Array<{ message: string }> };
      }>(moved.url, `query($id: ID!) { multiCloudImage(id: $id) { name description revisions { message } } }`, { id: mci });
      expect(multiCloudImage).toEqual({ name: 'Migrated', description: 'moves', revisions: [{ message: 'before the move' }] });
      const verified = await runCli(['verify'], { DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: server.url });
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(new RegExp(`^ok: ${source.length} events in \\d+ streams verified$`, 'mu'));
      const rebuilt = await runCli(['rebuild'], { DATA_DIR: dataDir, EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: server.url });
      expect(rebuilt).toMatchObject({ code: 0, stdout: expect.stringMatching(/^identical: /u) });
    } finally {
      await moved.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resumes interrupted runs where they stopped, never duplicating an event', async () => {
    const first = await migrate('--limit', '5');
    expect(first).toMatchObject({ code: 0, stdout: 'incomplete: 5 events copied; stopped at --limit 5: run migrate again to continue\n' });
    expect((await copied()).map(identity)).toEqual(source.slice(0, 5).map(identity));

    const second = await migrate('--limit', '3');
    expect(second.stdout).toBe('incomplete: 3 events copied, 5 already there; stopped at --limit 3: run migrate again to continue\n');
    expect((await copied()).map(identity)).toEqual(source.slice(0, 8).map(identity));

    // The server goes away: the run fails with exit code 3 and says how to go on.
    await server.stop();
    const down = await migrate();
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(
      /^multicloud-images migrate: .*EventStoreDB is unavailable.*What was copied stays copied: run migrate again to continue\.\n$/su,
    );
    await server.start();

    const last = await migrate();
    expect(last.code).toBe(0);
    expect(last.stdout).toContain(`migrated: ${source.length - 8} events copied, 8 already there;`);
    const copy = await copied();
    expect(copy.map(identity)).toEqual(source.map(identity));
    expect(new Set(copy.map((e) => e.id)).size).toBe(source.length);
  });

  it('refuses a server that holds other events, writing nothing', async () => {
    const store = openEventStoreDbEventStore({ url: server.url });
    try {
      await store.append('mci-elsewhere', [{ type: 'MultiCloudImageCreated', data: { id: 'elsewhere' } }], {
        expectedRevision: 'no_stream',
      });
    } finally {
      await store.close();
    }
    const run = await migrate();
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^multicloud-images migrate: EventStoreDB at .* already holds other events \(its first is MultiCloudImageCreated in 'mci-elsewhere', id [0-9a-f-]+\): migrate into an empty server\n/u,
    );
    expect((await copied()).map((e) => e.stream)).toEqual(['mci-elsewhere']);
  });

  it('stops at the first tampered event, copying nothing after it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mci-migrate-tampered-'));
    try {
      tamper(service.dataDir, (db) => db.prepare(`VACUUM INTO ?`).run(join(dataDir, 'events.sqlite')));
      const [, changed] = rowsOf(dataDir, `mci-${mci}`);
      tamper(dataDir, (db) =>
        db.prepare(`UPDATE events SET data = replace(data, 'before the move', 'after the fact') WHERE position = ?`).run(changed?.position),
      );
      const run = await runCli(['migrate', '--to', server.url], { DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `multicloud-images migrate: stopped: 'mci-${mci}' revision 1: its content does not hash to its stored hash: it was changed after it was written\n`,
      );
      // A prefix of the log, ending before the tampered event (its batch is refused whole).
      const copy = await copied();
      const tamperedAt = source.findIndex((e) => e.id === changed?.id);
      expect(copy.length).toBeGreaterThan(0);
      expect(copy.length).toBeLessThanOrEqual(tamperedAt);
      expect(copy.map(identity)).toEqual(source.slice(0, copy.length).map(identity));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with exit code 2', async () => {
    expect(await runCli(['migrate'], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('multicloud-images migrate: --to <esdb url> is required\n'),
    });
    expect(await runCli(['migrate', '--to', 'http://localhost:2113'], { DATA_DIR: service.dataDir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--to: expected an esdb:// or esdb+discover:// connection string, got 'http://localhost:2113'"),
    });
    expect(await migrate('--limit', '0')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--limit: expected a positive integer, got '0'"),
    });
  });
});
