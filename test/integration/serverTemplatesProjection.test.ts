import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadModelWriter, SqlValue } from '../../projections/projection';
import { SERVER_TEMPLATE_TABLES, serverTemplatesProjection } from '../../projections/serverTemplates';
import type { CommandContext } from '../../src/application/commandHandler';
import { createMultiCloudImage, mapImage } from '../../src/application/multiCloudImages';
import { createRightScript } from '../../src/application/rightScripts';
import {
  addTemplateMultiCloudImage,
  bindRightScript,
  cloneServerTemplate,
  commitServerTemplate,
  createServerTemplate,
  deleteServerTemplate,
  loadServerTemplate,
  setDefaultTemplateMultiCloudImage,
  unbindRightScript,
  updateServerTemplate,
} from '../../src/application/serverTemplates';
import { contentHash } from '../../src/application/components';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import type { ServerTemplateContent } from '../../src/domain/serverTemplates/serverTemplate.types';
import { ProjectionRunner } from '../../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { startTestService, type TestService } from '../support/service';

/*
 * The ServerTemplate read models are a pure function of the log: replaying it into a fresh database
 * gives the same rows, and applying every event a second time changes nothing. The pins table holds
 * HEAD's pins as they are now and each committed revision's pins as they were frozen.
 */

const ORDER: Record<(typeof SERVER_TEMPLATE_TABLES)[number], string> = {
  rm_templates: 'id',
  rm_template_revisions: 'template_id, revision',
  rm_template_pins: 'template_id, template_revision, kind, sequence, position',
};

function dump(db: SqliteDatabase): Record<string, unknown[]> {
  return Object.fromEntries(
    SERVER_TEMPLATE_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`).all()]),
  );
}

const context: CommandContext = { accountId: 'default', actorId: 'projection-test', correlationId: 'projection-test' };
const EAST = 'aws-us-east-1';

describe('serverTemplates projection', () => {
  let service: TestService;
  let dir: string;
  let ids: { template: string; clone: string; removed: string; web: string; rack: string; boot: string; stop: string };

  beforeAll(async () => {
    service = await startTestService();
    dir = mkdtempSync(join(tmpdir(), 'template-projection-'));
    const services = service.services;
    const mci = async (name: string): Promise<string> => {
      const { id } = await createMultiCloudImage(services, context, { name });
      await mapImage(services, context, {
        id,
        cloudId: EAST,
        imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
        instanceTypeId: starterInstanceTypeId(EAST, 'small'),
      });
      return id;
    };
    const web = await mci('web');
    const rack = await mci('rack');
    const boot = (await createRightScript(services, context, { name: 'boot', source: 'echo boot' })).id;
    const stop = (await createRightScript(services, context, { name: 'stop', source: 'echo stop' })).id;
    const { id } = await createServerTemplate(services, context, { name: 'PHP FrontEnd v7', multiCloudImageId: web });
    await addTemplateMultiCloudImage(services, context, { id, multiCloudImageId: rack });
    await bindRightScript(services, context, { id, rightScriptId: boot, sequence: 'BOOT' });
    await bindRightScript(services, context, { id, rightScriptId: stop, sequence: 'DECOMMISSION' });
    await commitServerTemplate(services, context, { id, message: 'first', commitHeadDependencies: true });
    await setDefaultTemplateMultiCloudImage(services, context, { id, multiCloudImageId: rack });
    await unbindRightScript(services, context, { id, rightScriptId: stop, sequence: 'DECOMMISSION' });
    await updateServerTemplate(services, context, { id, description: 'no decommission' });
    await commitServerTemplate(services, context, { id, message: 'second' });
    const clone = await cloneServerTemplate(services, context, { id, revision: 1 });
    const removed = await createServerTemplate(services, context, {
      name: 'short-lived',
      multiCloudImageId: web,
      multiCloudImageRevision: 1,
    });
    await deleteServerTemplate(services, context, { id: removed.id });
    ids = { template: id, clone: clone.id, removed: removed.id, web, rack, boot, stop };
  });
  afterAll(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes head rows, a snapshot per revision, and the pins of HEAD and of every revision', async () => {
    const rows = dump(service.services.readModels);
    expect(rows['rm_templates']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: ids.template,
          name: 'PHP FrontEnd v7',
          description: 'no decommission',
          latest_revision: 2,
          deleted: 0,
        }),
        expect.objectContaining({ id: ids.clone, name: 'PHP FrontEnd v8', cloned_from_id: ids.template, cloned_from_revision: 1 }),
        expect.objectContaining({ id: ids.removed, name: 'short-lived', deleted: 1 }),
      ]),
    );
    const pins = (rows['rm_template_pins'] as Array<Record<string, unknown>>).map((p) => [
      p['template_id'],
      p['template_revision'],
      p['kind'],
      p['component_id'],
      p['component_revision'],
      p['sequence'],
      p['position'],
      p['is_default'],
    ]);
    const expected = (template: string, revision: number, decommission: boolean, rackDefault: boolean): unknown[][] => [
      [template, revision, 'MultiCloudImage', ids.web, 1, null, 1, rackDefault ? 0 : 1],
      [template, revision, 'MultiCloudImage', ids.rack, 1, null, 2, rackDefault ? 1 : 0],
      [template, revision, 'RightScript', ids.boot, 1, 'BOOT', 1, 0],
      ...(decommission ? [[template, revision, 'RightScript', ids.stop, 1, 'DECOMMISSION', 1, 0]] : []),
    ];
    expect(pins.filter(([t]) => t === ids.template)).toEqual([
      ...expected(ids.template, 0, false, true),
      ...expected(ids.template, 1, true, false),
      ...expected(ids.template, 2, false, true),
    ]);
    expect(pins.filter(([t]) => t === ids.clone)).toEqual(expected(ids.clone, 0, true, false));
    // A deleted template pins nothing at HEAD; its committed pins (none here) would stay, unread.
    expect(pins.filter(([t]) => t === ids.removed)).toEqual([]);

    // Each snapshot holds exactly the content its commit hashed, and the dependencies it resolved.
    const revisions = rows['rm_template_revisions'] as Array<{
      template_id: string;
      revision: number;
      content: string;
      content_hash: string;
      dependencies: string;
    }>;
    expect(revisions.map((r) => [r.template_id, r.revision])).toEqual([
      [ids.template, 1],
      [ids.template, 2],
    ]);
    for (const revision of revisions) {
      expect(contentHash(JSON.parse(revision.content) as ServerTemplateContent)).toBe(revision.content_hash);
    }
    expect(JSON.parse(revisions[0]?.dependencies ?? '[]')).toEqual([
      { kind: 'MultiCloudImage', id: ids.web, revision: 1 },
      { kind: 'MultiCloudImage', id: ids.rack, revision: 1 },
      { kind: 'RightScript', id: ids.boot, revision: 1 },
      { kind: 'RightScript', id: ids.stop, revision: 1 },
    ]);
  });

  it("keeps the domain's folded state on the head row", async () => {
    const { state } = await loadServerTemplate(service.services, ids.template);
    const row = service.services.readModels.prepare('SELECT state FROM rm_templates WHERE id = ?').get(ids.template) as { state: string };
    expect(JSON.parse(row.state)).toEqual(state);
  });

  it('gives the same rows when the log is replayed into a fresh database, and again when every event is applied twice', async () => {
    const live = dump(service.services.readModels);
    const db = openReadModelDatabase(join(dir, 'replayed.sqlite'));
    try {
      const runner = new ProjectionRunner({ store: service.services.store, db, projections: [serverTemplatesProjection], batchSize: 3 });
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
      const { events } = await service.services.store.readAll({ filter: { streamPrefixes: ['template-'] } });
      expect(events.length).toBeGreaterThan(10);
      db.transaction(() => {
        for (const event of events) serverTemplatesProjection.apply(event, writer);
      })();
      expect(dump(db)).toEqual(live);
    } finally {
      db.close();
    }
  });
});
