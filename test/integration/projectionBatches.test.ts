import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiCloudImagesProjection, MULTI_CLOUD_IMAGE_TABLES } from '../../projections/multiCloudImages';
import { deferWrite, type Projection } from '../../projections/projection';
import { serverTemplatesProjection } from '../../projections/serverTemplates';
import { streamCatalog } from '../../projections/streamCatalog';
import type { MultiCloudImageEvent } from '../../src/domain/multiCloudImages/multiCloudImage';
import type { EventStore, NewEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { ProjectionRunner } from '../../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { eventually } from '../support/async';
import { replayProjection } from '../support/projectionReplay';
import { dumpTables } from '../support/projections';

/*
 * Batch memory (projections/projection.ts `BatchMemory`): within one batch the runner lets a projection
 * fold a row in memory and write it once. What it leaves must be exactly what writing event by event
 * leaves (the replay below has no batch memory), whatever the batch size, and a batch that fails must
 * leave none of its deferred rows.
 */

const setting = (cloudId: string, size: string) => ({
  cloudId,
  imageId: `${cloudId}/img`,
  instanceTypeId: `${cloudId}/${size}`,
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
});

const event = (e: MultiCloudImageEvent, at: number): NewEvent => ({
  type: e.type,
  data: e.data as never,
  metadata: { accountId: 'acct', actorId: 'tester', occurredAt: new Date(Date.UTC(2024, 0, 1, 0, 0, at)).toISOString() },
});

/** Three MCIs edited in turns (so a batch holds several events of each), one renamed then deleted. */
function mciLogs(): Array<[string, NewEvent[]]> {
  const logs: Array<[string, NewEvent[]]> = [];
  for (const id of ['a', 'b', 'c']) {
    const events: NewEvent[] = [
      event(
        {
          type: 'MultiCloudImageCreated',
          data: { multiCloudImageId: id, accountId: 'acct', lineage: id, name: `mci ${id}`, description: '' },
        },
        0,
      ),
      event({ type: 'ImageMapped', data: { ...setting('east', 'small'), replaced: null } }, 1),
      event({ type: 'ImageMapped', data: { ...setting('west', 'small'), replaced: null } }, 2),
      event({ type: 'MultiCloudImageUpdated', data: { name: `mci ${id} v2` } }, 3),
      event(
        {
          type: 'RevisionCommitted',
          data: { revision: 1, message: 'one', contentHash: 'h1', committedAt: '2024-01-01T00:00:04.000Z', committedBy: 'tester' },
        },
        4,
      ),
      event({ type: 'ImageMapped', data: { ...setting('east', 'large'), replaced: setting('east', 'small') } }, 5),
      event({ type: 'ImageUnmapped', data: { cloudId: 'west', removed: setting('west', 'small') } }, 6),
      event({ type: 'MultiCloudImageUpdated', data: { description: 'changed' } }, 7),
    ];
    if (id === 'b') events.push(event({ type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: id } }, 8));
    logs.push([`mci-${id}`, events]);
  }
  return logs;
}

async function appendInTurns(store: EventStore, logs: Array<[string, NewEvent[]]>): Promise<void> {
  const written = new Map<string, number>();
  for (let turn = 0; turn < 10; turn++) {
    for (const [stream, events] of logs) {
      const from = written.get(stream) ?? 0;
      const slice = events.slice(from, from + 3);
      if (slice.length === 0) continue;
      await store.append(stream, slice, { expectedRevision: from === 0 ? 'no_stream' : BigInt(from - 1) });
      written.set(stream, from + slice.length);
    }
  }
}

const TABLES = ['rm_streams', ...MULTI_CLOUD_IMAGE_TABLES, 'rm_templates'];
const PROJECTIONS: readonly Projection[] = [streamCatalog, multiCloudImagesProjection, serverTemplatesProjection];

describe('batch memory in the projection runner', () => {
  let dir: string;
  let store: EventStore;
  const opened: SqliteDatabase[] = [];
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mci-batches-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
    await appendInTurns(store, mciLogs());
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    for (const db of opened.splice(0)) db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const database = (name: string): SqliteDatabase => {
    const db = openReadModelDatabase(join(dir, name));
    opened.push(db);
    return db;
  };

  /** The tables as writing event by event leaves them (no batch memory), replayed twice. */
  async function eventByEvent(): Promise<Record<string, unknown[]>> {
    const db = database('replayed.sqlite');
    for (const projection of PROJECTIONS) for (const ddl of projection.schema) db.exec(ddl);
    const log = (await store.readAll({ maxCount: 1_000 })).events;
    for (const projection of PROJECTIONS) {
      replayProjection(db, projection, log);
      replayProjection(db, projection, log);
    }
    return dumpTables(db, TABLES);
  }

  it.each([1, 4, 500])('leaves exactly the rows writing event by event leaves, in batches of %i', async (batchSize) => {
    const db = database(`batched-${batchSize}.sqlite`);
    const runner = new ProjectionRunner({ store, db, projections: PROJECTIONS, batchSize });
    runners.push(runner);
    await runner.start();
    await runner.waitForPosition(await store.headPosition());
    const batched = dumpTables(db, TABLES);
    expect(batched).toEqual(await eventByEvent());
    // What the batches wrote, spelled out: b deleted (keeping its last name), a and c mapped to east only.
    expect(db.prepare(`SELECT id, name, description, version, latest_revision, deleted FROM rm_mcis ORDER BY id`).all()).toEqual([
      { id: 'a', name: 'mci a v2', description: 'changed', version: 7, latest_revision: 1, deleted: 0 },
      { id: 'b', name: 'mci b v2', description: 'changed', version: 8, latest_revision: 1, deleted: 1 },
      { id: 'c', name: 'mci c v2', description: 'changed', version: 7, latest_revision: 1, deleted: 0 },
    ]);
    expect(db.prepare(`SELECT mci_id, cloud_id, instance_type_id FROM rm_mci_settings ORDER BY mci_id`).all()).toEqual([
      { mci_id: 'a', cloud_id: 'east', instance_type_id: 'east/large' },
      { mci_id: 'c', cloud_id: 'east', instance_type_id: 'east/large' },
    ]);
    expect(db.prepare(`SELECT stream, revision, event_count FROM rm_streams ORDER BY stream`).all()).toEqual([
      { stream: 'mci-a', revision: 7, event_count: 8 },
      { stream: 'mci-b', revision: 8, event_count: 9 },
      { stream: 'mci-c', revision: 7, event_count: 8 },
    ]);
  });

  it('writes none of the deferred rows of a batch that fails, and applies them when it is retried', async () => {
    let failing = true;
    const counting: Projection = {
      name: 'counting',
      version: 1,
      handles: 'all',
      tables: ['counts'],
      schema: ['CREATE TABLE IF NOT EXISTS counts (stream TEXT PRIMARY KEY, n INTEGER NOT NULL)'],
      apply(recorded, db) {
        const key = `counts:${recorded.stream}`;
        const before =
          db.batch?.get<number>(key) ?? db.get<{ n: number }>('SELECT n FROM counts WHERE stream = ?', recorded.stream)?.n ?? 0;
        deferWrite(db, key, before + 1, (n) =>
          db.run('INSERT INTO counts (stream, n) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET n = excluded.n', recorded.stream, n),
        );
        if (failing && recorded.stream === 'mci-c' && recorded.revision === 2n) {
          throw new Error('refusing mci-c at revision 2');
        }
      },
    };
    const db = database('failing.sqlite');
    const runner = new ProjectionRunner({ store, db, projections: [counting], batchSize: 500, retryBackoffMs: { initial: 10, max: 10 } });
    runners.push(runner);
    await runner.start();
    // The batch (the whole log) fails while the projection refuses: none of its deferred rows may be written.
    await eventually(() => runner.status().projections[0]?.state === 'failed', 'the projection to fail');
    expect(runner.status().projections[0]?.checkpoint).toBeUndefined();
    expect(db.prepare('SELECT count(*) AS c FROM counts').get()).toEqual({ c: 0 });
    failing = false;
    await eventually(() => runner.status().projections[0]?.state === 'live', 'the retried projection to catch up');
    await runner.waitForPosition(await store.headPosition());
    expect(db.prepare('SELECT stream, n FROM counts ORDER BY stream').all()).toEqual([
      { stream: 'mci-a', n: 8 },
      { stream: 'mci-b', n: 9 },
      { stream: 'mci-c', n: 8 },
    ]);
  });
});
