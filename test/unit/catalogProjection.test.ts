import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogProjection } from '../../projections/catalog';
import type { ReadModelWriter, SqlValue } from '../../projections/projection';
import { CommandHandler } from '../../src/application/commandHandler';
import { registerStarterCatalog, STARTER_CATALOG, starterImageId } from '../../src/application/starterCatalog';
import type { EventStore, RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { CatalogQueries } from '../../src/readModels/catalogQueries';
import { QueryRecorder } from '../../src/readModels/queryRecorder';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { dumpTables } from '../support/projections';

const operator = { accountId: 'account-default', actorId: 'user-admin', correlationId: 'test' };
const deprecatedId = starterImageId('aws-us-east-1', 'RightImage_CentOS_5.6_i386_v5.7');

describe('catalog projection', () => {
  let dir: string;
  let store: EventStore;
  let events: RecordedEvent[];
  const dbs: SqliteDatabase[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mci-catalog-projection-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    await registerStarterCatalog(store, new CommandHandler(store), operator);
    await store.append(
      'cloud-aws-us-east-1',
      [{ type: 'ImageDeprecated', data: { cloudId: 'aws-us-east-1', imageId: deprecatedId, status: 'DEPRECATED' } }],
      {
        expectedRevision: 'stream_exists',
      },
    );
    // A log that breaks the cross-cloud uniqueness of image ids (two racing operators): the first cloud keeps the id.
    await store.append(
      'cloud-custom',
      [
        { type: 'CloudRegistered', data: { cloudId: 'custom', name: 'Custom', provider: 'Other' } },
        {
          type: 'ImageRegistered',
          data: {
            id: deprecatedId,
            cloudId: 'custom',
            name: 'clash',
            os: 'CentOS',
            osVersion: '5.6',
            architecture: 'i386',
            status: 'ACTIVE',
          },
        },
        { type: 'ImageDeprecated', data: { cloudId: 'custom', imageId: deprecatedId, status: 'OBSOLETE' } },
        { type: 'InstanceTypeRegistered', data: { id: 'custom/tiny', cloudId: 'custom', name: 'tiny', architectures: ['i386'] } },
      ],
      { expectedRevision: 'no_stream' },
    );
    events = (await store.readAll()).events;
  });
  afterAll(async () => {
    for (const db of dbs) db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function freshReadModel(): SqliteDatabase {
    const db = openReadModelDatabase(join(dir, `read-models-${dbs.length}.sqlite`));
    dbs.push(db);
    for (const sql of catalogProjection.schema) db.exec(sql);
    return db;
  }

  function replay(db: SqliteDatabase, log: readonly RecordedEvent[]): void {
    const writer: ReadModelWriter = {
      run: (sql, ...params: SqlValue[]) => void db.prepare(sql).run(...params),
      get: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).get(...params) as Row | undefined,
      all: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params) as Row[],
    };
    const handles = catalogProjection.handles;
    db.transaction(() => {
      for (const event of log) if (handles === 'all' || handles.includes(event.type)) catalogProjection.apply(event, writer);
    })();
  }

  it('gives the same rows when the log is replayed twice', () => {
    const once = freshReadModel();
    replay(once, events);
    const twice = freshReadModel();
    replay(twice, events);
    replay(twice, events);
    expect(dumpTables(twice, catalogProjection.tables)).toEqual(dumpTables(once, catalogProjection.tables));
  });

  it('gives the same rows when a stretch of the log is applied again after later events', () => {
    const db = freshReadModel();
    replay(db, events);
    const expected = dumpTables(db, catalogProjection.tables);
    replay(db, events.slice(0, events.length / 2));
    expect(dumpTables(db, catalogProjection.tables)).toEqual(expected);
  });

  it('holds one row per cloud, image and instance type, with deprecations applied', () => {
    const db = freshReadModel();
    replay(db, events);
    const recorder = new QueryRecorder();
    const queries = new CatalogQueries(db, recorder);
    recorder.start();
    expect(queries.allClouds()).toHaveLength(STARTER_CATALOG.length + 1);
    const expectedImages = STARTER_CATALOG.reduce((n, c) => n + c.images.length, 0);
    expect(queries.imagesByCloudIds([...STARTER_CATALOG.map((c) => c.id), 'custom'])).toHaveLength(expectedImages);
    expect(queries.imagesByIds([deprecatedId, 'nope'])).toEqual([
      {
        id: deprecatedId,
        cloudId: 'aws-us-east-1',
        name: 'RightImage_CentOS_5.6_i386_v5.7',
        os: 'CentOS',
        osVersion: '5.6',
        architecture: 'i386',
        status: 'DEPRECATED',
      },
    ]);
    expect(queries.instanceTypesByIds(['custom/tiny', 'aws-us-east-1/small'])).toEqual(
      expect.arrayContaining([
        { id: 'custom/tiny', cloudId: 'custom', name: 'tiny', architectures: ['i386'] },
        { id: 'aws-us-east-1/small', cloudId: 'aws-us-east-1', name: 'm1.small', architectures: ['i386', 'x86_64'] },
      ]),
    );
    expect(queries.instanceTypesByCloudIds(['aws-us-east-1']).map((t) => t.id)).toEqual(['aws-us-east-1/large', 'aws-us-east-1/small']);
    expect(queries.cloudsByIds(['custom', 'missing'])).toEqual([{ id: 'custom', name: 'Custom', provider: 'Other' }]);
    expect(recorder.stop()).toEqual([
      'allClouds',
      'imagesByCloudIds',
      'imagesByIds',
      'instanceTypesByIds',
      'instanceTypesByCloudIds',
      'cloudsByIds',
    ]);
  });

  it('keeps an image id with the first cloud that registered it', () => {
    const db = freshReadModel();
    replay(db, events);
    const queries = new CatalogQueries(db, new QueryRecorder());
    expect(queries.imagesByIds([deprecatedId])).toMatchObject([{ cloudId: 'aws-us-east-1', status: 'DEPRECATED' }]);
    expect(queries.imagesByCloudIds(['custom'])).toEqual([]);
  });
});
