import { join } from 'node:path';
import { importsProjection } from '../../projections/imports';
import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import { importedComponentId, importPublication } from '../../src/application/imports';
import { EventStoreUnavailableError } from '../../src/eventStore/errors';
import type { RecordedEvent } from '../../src/eventStore/port';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import type { Services } from '../../src/services';
import { ok, secondAccount, type Headers } from '../support/api';
import { dumpTables } from '../support/projections';
import { storeFailingOn } from '../support/failingStore';
import { replayProjection } from '../support/projectionReplay';
import { startTestService, type TestService } from '../support/service';
import { importAs, publishTemplate, type PublishedTemplate } from './importsFixtures';
import { EAST, createMci, streamOf } from './serverTemplatesFixtures';

/*
 * A template import is several appends (each dependency copy, then the template), each valid on its
 * own, on streams whose ids are derived from (account, origin, revision). When the store fails midway
 * the copies made are whole and a retry reuses them; two imports racing end with one copy; and the
 * imports read model finds the account's copies, the same after replaying the log twice.
 */

const COUNTS = `{ multiCloudImages { totalCount } rightScripts { totalCount } serverTemplates { totalCount } }`;

describe('importing a template across several appends', () => {
  let service: TestService;
  let url: string;
  let consumer: { accountId: string; admin: Headers };
  let context: CommandContext;

  const counts = async (headers: Headers): Promise<number[]> => {
    const data = await ok<Record<string, { totalCount: number }>>(url, COUNTS, {}, headers);
    return ['multiCloudImages', 'rightScripts', 'serverTemplates'].map((field) => data[field]?.totalCount ?? -1);
  };

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    consumer = await secondAccount(url, 'Consumer Corp');
    context = { accountId: consumer.accountId, actorId: 'recovery-test', correlationId: 'recovery-test' };
  });
  afterAll(() => service.stop());

  it('leaves only whole copies when the store fails before the template, and a retry reuses them', async () => {
    const published = await publishTemplate(url, 'Half imported');
    const services = service.services;
    const templateCopy = importedComponentId(consumer.accountId, published.template, 1, 0);
    const failing = storeFailingOn(services.store, new Set([`template-${templateCopy}`]));
    const broken: Services = { ...services, store: failing, commands: new CommandHandler(failing) };

    await expect(importPublication(broken, context, published.publication.id)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    const mciCopy = importedComponentId(consumer.accountId, published.mci, 1, 0);
    const scriptCopy = importedComponentId(consumer.accountId, published.script, 1, 0);
    expect(await streamOf(service, `mci-${mciCopy}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
    expect(await streamOf(service, `rightscript-${scriptCopy}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
    expect(await streamOf(service, `template-${templateCopy}`)).toEqual([]);

    const retried = await importPublication(services, context, published.publication.id);
    expect(retried).toEqual({ kind: 'ServerTemplate', id: templateCopy, version: 1, reused: false });
    expect(await streamOf(service, `mci-${mciCopy}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
    expect(await counts(consumer.admin)).toEqual([1, 1, 1]);
    const { serverTemplate } = await ok<{ serverTemplate: { multiCloudImages: Array<{ multiCloudImage: { id: string } }> } }>(
      url,
      `query($id: ID!) { serverTemplate(id: $id) { multiCloudImages { multiCloudImage { id } } } }`,
      { id: templateCopy },
      consumer.admin,
    );
    expect(serverTemplate.multiCloudImages).toEqual([{ multiCloudImage: { id: mciCopy } }]);
  });

  it('makes one copy when two imports of the same template race', async () => {
    const published = await publishTemplate(url, 'Raced');
    const before = await counts(consumer.admin);
    const [a, b] = await Promise.all([
      importPublication(service.services, context, published.publication.id),
      importPublication(service.services, context, published.publication.id),
    ]);
    expect(a.id).toBe(b.id);
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(await counts(consumer.admin)).toEqual(before.map((count) => count + 1));
    expect(await streamOf(service, `template-${a.id}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
  });

  describe('the imports read model', () => {
    let published: PublishedTemplate;
    const dbs: SqliteDatabase[] = [];
    afterAll(() => {
      for (const db of dbs) db.close();
    });

    function freshReadModel(): SqliteDatabase {
      const db = openReadModelDatabase(join(service.dataDir, `imports-replay-${dbs.length}.sqlite`));
      dbs.push(db);
      for (const sql of importsProjection.schema) db.exec(sql);
      return db;
    }

    const replay = (db: SqliteDatabase, log: readonly RecordedEvent[]): void => replayProjection(db, importsProjection, log);

    beforeAll(async () => {
      published = await publishTemplate(url, 'Read model');
      await importAs(url, published.publication.id, consumer.admin);
    });

    it('finds the account’s copies of published lineages, in one read, and nothing for another account', () => {
      const queries = service.services.queries.imports;
      const lineages = [published.mci, published.script, published.template, 'no-such-lineage'];
      const copies = queries.localCopiesOfLineages(consumer.accountId, lineages);
      expect(copies.map((copy) => [copy.kind, copy.id, copy.origin.componentId, copy.origin.revision, copy.deleted]).sort()).toEqual(
        [
          ['MultiCloudImage', importedComponentId(consumer.accountId, published.mci, 1, 0), published.mci, 1, false],
          ['RightScript', importedComponentId(consumer.accountId, published.script, 1, 0), published.script, 1, false],
          ['ServerTemplate', importedComponentId(consumer.accountId, published.template, 1, 0), published.template, 1, false],
        ].sort(),
      );
      expect(copies.find((copy) => copy.kind === 'MultiCloudImage')?.origin).toEqual({
        publicationId: published.mciPublication,
        publisherAccountId: 'default',
        componentId: published.mci,
        revision: 1,
        lineage: published.mci,
      });
      expect(queries.localCopiesOfLineages('default', lineages)).toEqual([]);
    });

    it('writes the import’s head row and revision 1 snapshot in the kind’s own tables, origin included', () => {
      const mciCopy = importedComponentId(consumer.accountId, published.mci, 1, 0);
      const [head] = service.services.queries.multiCloudImages.headsByIds(consumer.accountId, [mciCopy]);
      expect(head).toMatchObject({ id: mciCopy, lineage: published.mci, latestRevision: 1, clonedFrom: null, origin: { revision: 1 } });
      expect(service.services.queries.multiCloudImages.snapshots([{ id: mciCopy, revision: 1 }])).toHaveLength(1);
    });

    it('gives the same rows when the log is replayed twice, and keeps a deleted copy, flagged', async () => {
      const lone = await ok<{ publish: { id: string } }>(
        url,
        `mutation($id: ID!) { publish(input: { componentId: $id, revision: 1, visibility: PUBLIC }) { id } }`,
        { id: await createMci(url, 'Deleted copy', [EAST], { commit: true }) },
      );
      const copy = await importAs(url, lone.publish.id, consumer.admin);
      await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: copy.id }, consumer.admin);
      // Still an ancestor for merge (its revision 1 is in its stream), so the read model keeps it.
      expect(service.services.queries.imports.localCopiesOfLineages(consumer.accountId, [copy.lineage])).toMatchObject([
        { id: copy.id, deleted: true },
      ]);

      const log = (await service.services.store.readAll({ maxCount: 100_000 })).events;
      const once = freshReadModel();
      replay(once, log);
      const twice = freshReadModel();
      replay(twice, log);
      replay(twice, log);
      expect(dumpTables(twice, importsProjection.tables)).toEqual(dumpTables(once, importsProjection.tables));
      expect(dumpTables(once, importsProjection.tables)).toEqual(dumpTables(service.services.readModels, importsProjection.tables));
    });
  });
});
