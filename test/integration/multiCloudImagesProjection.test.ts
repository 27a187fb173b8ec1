import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MULTI_CLOUD_IMAGE_TABLES, multiCloudImagesProjection } from '../../projections/multiCloudImages';
import type { ReadModelWriter, SqlValue } from '../../projections/projection';
import type { CommandContext } from '../../src/application/commandHandler';
import {
  cloneMultiCloudImage,
  commitMultiCloudImage,
  createMultiCloudImage,
  deleteMultiCloudImage,
  loadMultiCloudImage,
  mapImage,
  unmapImage,
  updateMultiCloudImage,
} from '../../src/application/multiCloudImages';
import { contentHash } from '../../src/application/components';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import type { MultiCloudImageContent } from '../../src/domain/multiCloudImages/multiCloudImage';
import { ProjectionRunner } from '../../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { startTestService, type TestService } from '../support/service';

/*
 * The MultiCloud Image read models are a pure function of the log: replaying it into a fresh database
 * gives the same rows, and applying every event a second time changes nothing.
 */

const ORDER: Record<(typeof MULTI_CLOUD_IMAGE_TABLES)[number], string> = {
  rm_mcis: 'id',
  rm_mci_settings: 'mci_id, cloud_id',
  rm_mci_revisions: 'mci_id, revision',
};

function dump(db: SqliteDatabase): Record<string, unknown[]> {
  return Object.fromEntries(
    MULTI_CLOUD_IMAGE_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`).all()]),
  );
}

const context: CommandContext = { accountId: 'default', actorId: 'projection-test', correlationId: 'projection-test' };
const mapping = (id: string, cloudId: string, size: 'small' | 'large' = 'large') => ({
  id,
  cloudId,
  imageId: starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64),
  instanceTypeId: starterInstanceTypeId(cloudId, size),
});

describe('multiCloudImages projection', () => {
  let service: TestService;
  let dir: string;
  let ids: { original: string; clone: string; removed: string };

  beforeAll(async () => {
    service = await startTestService();
    dir = mkdtempSync(join(tmpdir(), 'mci-projection-'));
    const services = service.services;
    const { id } = await createMultiCloudImage(services, context, { name: 'PHP FrontEnd v7', description: 'web' });
    await mapImage(services, context, mapping(id, 'aws-us-east-1'));
    await mapImage(services, context, mapping(id, 'aws-eu-west-1'));
    await commitMultiCloudImage(services, context, { id, message: 'two clouds' });
    await mapImage(services, context, mapping(id, 'aws-us-east-1', 'small'));
    await unmapImage(services, context, { id, cloudId: 'aws-eu-west-1' });
    await updateMultiCloudImage(services, context, { id, description: 'web, smaller' });
    await commitMultiCloudImage(services, context, { id, message: 'one small cloud' });
    const clone = await cloneMultiCloudImage(services, context, { id, revision: 1 });
    const removed = await createMultiCloudImage(services, context, { name: 'short-lived' });
    await mapImage(services, context, mapping(removed.id, 'rackspace-dfw'));
    await deleteMultiCloudImage(services, context, { id: removed.id });
    ids = { original: id, clone: clone.id, removed: removed.id };
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes head rows, HEAD settings and a snapshot per committed revision', () => {
    const rows = dump(service.services.readModels);
    expect(rows['rm_mcis']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: ids.original,
          name: 'PHP FrontEnd v7',
          description: 'web, smaller',
          version: 7,
          latest_revision: 2,
          deleted: 0,
        }),
        expect.objectContaining({
          id: ids.clone,
          name: 'PHP FrontEnd v8',
          description: 'web',
          version: 0,
          lineage: ids.clone,
          cloned_from_id: ids.original,
          cloned_from_revision: 1,
          latest_revision: 0,
          deleted: 0,
        }),
        expect.objectContaining({ id: ids.removed, name: 'short-lived', deleted: 1 }),
      ]),
    );
    const settings = rows['rm_mci_settings'] as Array<{ mci_id: string; cloud_id: string; instance_type_id: string }>;
    expect(settings.filter((s) => s.mci_id === ids.original).map((s) => [s.cloud_id, s.instance_type_id])).toEqual([
      ['aws-us-east-1', 'aws-us-east-1/small'],
    ]);
    expect(settings.filter((s) => s.mci_id === ids.clone).map((s) => s.cloud_id)).toEqual(['aws-eu-west-1', 'aws-us-east-1']);
    expect(settings.filter((s) => s.mci_id === ids.removed)).toEqual([]);

    const revisions = rows['rm_mci_revisions'] as Array<{
      mci_id: string;
      revision: number;
      message: string;
      content: string;
      content_hash: string;
      committed_by: string;
    }>;
    expect(revisions.map((r) => [r.mci_id, r.revision, r.message, r.committed_by])).toEqual([
      [ids.original, 1, 'two clouds', 'projection-test'],
      [ids.original, 2, 'one small cloud', 'projection-test'],
    ]);
    // Each snapshot holds exactly the content its commit hashed.
    for (const revision of revisions)
      expect(contentHash(JSON.parse(revision.content) as MultiCloudImageContent)).toBe(revision.content_hash);
    expect(JSON.parse((revisions[0] as { content: string }).content)).toMatchObject({
      description: 'web',
      settings: { 'aws-eu-west-1': {}, 'aws-us-east-1': {} },
    });
  });

  it("keeps the domain's folded state on the head row", async () => {
    const { state } = await loadMultiCloudImage(service.services, ids.original);
    const row = service.services.readModels.prepare('SELECT state FROM rm_mcis WHERE id = ?').get(ids.original) as { state: string };
    expect(JSON.parse(row.state)).toEqual(state);
  });

  it('gives the same rows when the log is replayed into a fresh database, and again when every event is applied twice', async () => {
    const live = dump(service.services.readModels);
    const db = openReadModelDatabase(join(dir, 'replayed.sqlite'));
    try {
      const runner = new ProjectionRunner({ store: service.services.store, db, projections: [multiCloudImagesProjection], batchSize: 3 });
      await runner.start();
      await runner.waitForPosition(await service.services.store.headPosition());
      await runner.stop();
      expect(dump(db)).toEqual(live);

      // Every event once more, straight through the projection: its revision guard makes each a no-op.
      const writer: ReadModelWriter = {
        run: (sql: string, ...params: SqlValue[]) => {
          db.prepare(sql).run(...params);
        },
        get: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).get(...params) as Row | undefined,
        all: <Row>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params) as Row[],
      };
      const { events } = await service.services.store.readAll({ filter: { streamPrefixes: ['mci-'] } });
      expect(events.length).toBeGreaterThan(10);
      db.transaction(() => {
        for (const event of events) multiCloudImagesProjection.apply(event, writer);
      })();
      expect(dump(db)).toEqual(live);
    } finally {
      db.close();
    }
  });
});
