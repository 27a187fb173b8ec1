import { join } from 'node:path';
import { marketplaceProjection } from '../../projections/marketplace';
import { publicationIdOf } from '../../src/application/marketplace';
import type { RecordedEvent } from '../../src/eventStore/port';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { replayProjection } from '../support/projectionReplay';
import { dumpTables } from '../support/projections';
import { ADMIN, startTestService, type TestService } from '../support/service';
import {
  DEPRECATE,
  PUBLICATION,
  PUBLICATIONS,
  PUBLISH,
  createGroup,
  join as joinGroup,
  publicationsAs,
  publishAs,
  publishInput,
  type PublicationView,
} from './marketplaceFixtures';
import { BIND, COMMIT, EAST, EU, commitMci, createMci, createScript, createTemplate, mapCloud, written } from './serverTemplatesFixtures';

/*
 * Publishing and deprecating over real HTTP against a real SQLite file: what a publication records,
 * each rule of domain.md's marketplace list with its code, its message and proof that nothing was
 * written, a template publishing its pinned revisions first, deprecation moving "newest", the
 * publications list and its filters, and the read model rebuilt from the log.
 */

const GHOST = '00000000-0000-4000-8000-000000000000';

describe('publishing over GraphQL', () => {
  let service: TestService;
  let url: string;
  let consumer: { accountId: string; admin: Headers };
  beforeAll(async () => {
    // No response cache: the read-count tests measure what executing a query costs, and repeat queries.
    service = await startTestService({ RESPONSE_CACHE_BYTES: '0' });
    url = service.url;
    consumer = await secondAccount(url, 'Consumer Corp');
  });
  afterAll(() => service.stop());

  /** The log's head and the publication streams the refused publish would have written. */
  const nothingWritten = async (componentId: string, revision: number): Promise<unknown> =>
    written(service, [`publication-${publicationIdOf(componentId, revision)}`]);

  it('publishes a committed MCI revision with its descriptions and categories (ComponentPublished), seen by every account', async () => {
    const mci = await createMci(url, 'RightImage_CentOS_5.6_x64_v5.7', [EAST], { commit: true });
    const publisher = await tokenWithRoles(url, ['PUBLISHER']);
    const published = await publishAs(
      url,
      {
        componentId: mci,
        revision: 1,
        shortDescription: 'CentOS 5.6',
        longDescription: 'The base image.\n',
        categories: ['linux', 'base', 'linux'],
      },
      publisher,
    );
    expect(published).toMatchObject({
      id: publicationIdOf(mci, 1),
      componentId: mci,
      kind: 'MULTI_CLOUD_IMAGE',
      revision: 1,
      lineage: mci,
      visibility: 'PUBLIC',
      deprecated: false,
      newest: true,
      shortDescription: 'CentOS 5.6',
      longDescription: 'The base image.\n',
      categories: ['linux', 'base'],
      publisherAccount: { id: 'default', name: 'Default' },
      accountGroups: [],
      dependencies: [],
    });
    const [event] = await service.services.store.readStream(`publication-${published.id}`);
    expect(event).toMatchObject({
      type: 'ComponentPublished',
      data: {
        publicationId: published.id,
        kind: 'MultiCloudImage',
        componentId: mci,
        revision: 1,
        lineage: mci,
        publisherAccountId: 'default',
        visibility: 'PUBLIC',
        accountGroupIds: [],
        publishedAt: published.publishedAt,
        publishedWith: null,
      },
      metadata: { accountId: 'default' },
    });
    // Another account sees it, without the publisher-only group list.
    const { publication } = await ok<{ publication: PublicationView }>(url, PUBLICATION, { id: published.id }, consumer.admin);
    expect(publication).toEqual({ ...published, accountGroups: null });
  });

  it('publishes a RightScript revision the same way', async () => {
    const script = await createScript(url, 'install php', { commit: true });
    const published = await publishAs(url, { componentId: script, revision: 1 });
    expect(published).toMatchObject({
      kind: 'RIGHT_SCRIPT',
      componentId: script,
      revision: 1,
      lineage: script,
      shortDescription: '',
      categories: [],
    });
    expect((await service.services.store.readStream(`publication-${published.id}`)).map((e) => e.type)).toEqual(['ComponentPublished']);
  });

  it('publishes each revision once: ALREADY_PUBLISHED naming the publication, nothing written, even when two race', async () => {
    const mci = await createMci(url, 'Once', [EAST], { commit: true });
    const first = await publishAs(url, { componentId: mci, revision: 1 });
    const before = await nothingWritten(mci, 1);
    const again = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: 1, visibility: 'PUBLIC' }) });
    expect(again.code).toBe('ALREADY_PUBLISHED');
    expect(again.message).toBe(
      `revision 1 of MultiCloudImage '${mci}' is already published as '${first.id}': each revision is published once; commit and publish a new revision`,
    );
    expect(again.extensions['publicationId']).toBe(first.id);
    expect(await nothingWritten(mci, 1)).toEqual(before);

    // Two publishes of one revision at once: the store lets exactly one append to the publication's stream.
    await mapCloud(url, mci, EU);
    await commitMci(url, mci, 'second');
    const raced = await Promise.all(
      [1, 2, 3].map(() => fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: 2 }) }).catch(() => 'published')),
    );
    const refusals = raced.filter((r) => r !== 'published') as Array<{ code: unknown }>;
    expect(refusals.map((r) => r.code)).toEqual(['ALREADY_PUBLISHED', 'ALREADY_PUBLISHED']);
    expect((await service.services.store.readStream(`publication-${publicationIdOf(mci, 2)}`)).length).toBe(1);
  });

  it('publishes committed revisions only: HEAD is BAD_USER_INPUT, a revision never committed NOT_FOUND naming the ones there are', async () => {
    const mci = await createMci(url, 'Uncommitted', [EAST]);
    const uncommitted = await service.services.store.headPosition();
    const head = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: 0 }) });
    expect({ code: head.code, message: head.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: `revision: expected a committed revision of MultiCloudImage '${mci}' (1, 2, 3 …), got 0 (HEAD): HEAD changes, so commit it first and publish the revision`,
    });
    const none = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: 1 }) });
    expect({ code: none.code, message: none.message }).toEqual({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${mci}' has no revision 1: nothing was committed yet (0 is HEAD)`,
    });
    expect(await service.services.store.headPosition()).toEqual(uncommitted);
    await commitMci(url, mci, 'first');
    const committed = await service.services.store.headPosition();
    const beyond = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: 4 }) });
    expect({ code: beyond.code, message: beyond.message }).toEqual({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${mci}' has no revision 4: its revisions are 1 to 1 (0 is HEAD)`,
    });
    const negative = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, revision: -2 }) });
    expect({ code: negative.code, message: negative.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'revision: expected 0 (HEAD) or a committed revision number 1, 2, 3 …, got -2',
    });
    expect(await service.services.store.headPosition()).toEqual(committed);
  });

  it('answers another account’s component exactly like one that never existed, and a deleted one as deleted', async () => {
    const theirs = await createMci(url, 'Theirs', [EAST], { commit: true, headers: consumer.admin });
    const before = await service.services.store.headPosition();
    const foreign = await fails(url, PUBLISH, { input: publishInput({ componentId: theirs }) });
    const ghost = await fails(url, PUBLISH, { input: publishInput({ componentId: GHOST }) });
    const malformed = await fails(url, PUBLISH, { input: publishInput({ componentId: 'x'.repeat(300) }) });
    for (const refusal of [foreign, ghost, malformed])
      expect({ code: refusal.code, message: refusal.message }).toEqual({ code: 'NOT_FOUND', message: 'no such component' });
    const mine = await createMci(url, 'Short lived', [EAST], { commit: true });
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: mine });
    const deleted = await fails(url, PUBLISH, { input: publishInput({ componentId: mine }) });
    expect({ code: deleted.code, message: deleted.message }).toEqual({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${mine}' was deleted`,
    });
    expect(await service.services.store.headPosition()).not.toEqual(before); // the delete itself
    const afterDelete = await service.services.store.headPosition();
    await fails(url, PUBLISH, { input: publishInput({ componentId: mine }) });
    expect(await service.services.store.headPosition()).toEqual(afterDelete);
  });

  it('checks the audience: GROUPS needs groups the account owns, PUBLIC names none; nothing written on refusal', async () => {
    const mci = await createMci(url, 'Audience', [EAST], { commit: true });
    const theirGroup = await createGroup(url, 'Their group', consumer.admin);
    // A group the account only belongs to is not one it may publish to: the same answer as any other.
    const joinedGroup = await createGroup(url, 'Joined group', consumer.admin);
    await joinGroup(url, joinedGroup.id, { accountId: 'default', admin: ADMIN }, consumer.admin);
    const before = await nothingWritten(mci, 1);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ visibility: 'GROUPS' }, 'BAD_USER_INPUT', 'accountGroupIds: visibility GROUPS needs at least one account group you own, got none'],
      [
        { visibility: 'GROUPS', accountGroupIds: [] },
        'BAD_USER_INPUT',
        'accountGroupIds: visibility GROUPS needs at least one account group you own, got none',
      ],
      [
        { visibility: 'GROUPS', accountGroupIds: [theirGroup.id] },
        'NOT_FOUND',
        `no account group '${theirGroup.id}' owned by your account`,
      ],
      [{ visibility: 'GROUPS', accountGroupIds: [GHOST] }, 'NOT_FOUND', `no account group '${GHOST}' owned by your account`],
      [
        { visibility: 'GROUPS', accountGroupIds: [joinedGroup.id] },
        'NOT_FOUND',
        `no account group '${joinedGroup.id}' owned by your account`,
      ],
      [
        { visibility: 'GROUPS', accountGroupIds: ['g'.repeat(129)] },
        'BAD_USER_INPUT',
        'accountGroupIds: expected ids of at most 128 characters, got one of 129',
      ],
      [
        { visibility: 'PUBLIC', accountGroupIds: [GHOST] },
        'BAD_USER_INPUT',
        'accountGroupIds: a PUBLIC publication is for everyone and names no groups, got 1; use visibility GROUPS to share with groups',
      ],
      [
        { visibility: 'GROUPS', accountGroupIds: Array.from({ length: 51 }, (_, i) => `g${i}`) },
        'BAD_USER_INPUT',
        'accountGroupIds: expected at most 50, got 51',
      ],
    ];
    for (const [input, code, message] of cases) {
      const refused = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, ...input }) });
      expect({ input, code: refused.code, message: refused.message }).toEqual({ input, code, message });
    }
    expect(await nothingWritten(mci, 1)).toEqual(before);
    // With an own group it goes; the group list is the publisher's to see.
    const group = await createGroup(url, 'Partners');
    const published = await publishAs(url, { componentId: mci, visibility: 'GROUPS', accountGroupIds: [group.id, group.id] });
    expect(published).toMatchObject({ visibility: 'GROUPS', accountGroups: [{ id: group.id, name: 'Partners' }] });
  });

  it('bounds the descriptions and categories, and writes nothing past them', async () => {
    const mci = await createMci(url, 'Bounded', [EAST], { commit: true });
    const before = await nothingWritten(mci, 1);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ shortDescription: 's'.repeat(256) }, 'shortDescription: expected at most 255 characters, got 256'],
      [{ longDescription: 'l'.repeat(16 * 1024 + 1) }, 'longDescription: expected at most 16384 bytes of UTF-8, got 16385'],
      [{ categories: Array.from({ length: 21 }, (_, i) => `c${i}`) }, 'categories: expected at most 20, got 21'],
      [{ categories: ['ok', 'c'.repeat(65)] }, 'categories[1]: expected 1 to 64 characters (not only spaces), got 65 characters'],
      [{ categories: [' '] }, 'categories[0]: expected 1 to 64 characters (not only spaces), got a blank category'],
    ];
    for (const [input, message] of cases) {
      const refused = await fails(url, PUBLISH, { input: publishInput({ componentId: mci, ...input }) });
      expect({ code: refused.code, message: refused.message }).toEqual({ code: 'BAD_USER_INPUT', message });
    }
    expect(await nothingWritten(mci, 1)).toEqual(before);
    const atBounds = await publishAs(url, {
      componentId: mci,
      shortDescription: 's'.repeat(255),
      longDescription: 'l'.repeat(16 * 1024),
      categories: Array.from({ length: 20 }, (_, i) => `${i}`.padStart(64, 'c')),
    });
    expect(atBounds.categories).toHaveLength(20);
  });

  it('publishes a template with the unpublished revisions it pins first (same audience), reusing those already published', async () => {
    const group = await createGroup(url, 'Template partners');
    await joinGroup(url, group.id, consumer);
    const web = await createMci(url, 'Web', [EAST], { commit: true });
    const db = await createMci(url, 'DB', [EU], { commit: true });
    const boot = await createScript(url, 'boot', { commit: true });
    const template = await createTemplate(url, 'PHP FrontEnd v7', web, 1);
    await ok(url, `mutation($t: ID!, $m: ID!) { addTemplateMultiCloudImage(templateId: $t, multiCloudImageId: $m, revision: 1) { id } }`, {
      t: template.id,
      m: db,
    });
    await ok(url, BIND, { templateId: template.id, script: boot, revision: 1, sequence: 'BOOT' });
    await ok(url, BIND, { templateId: template.id, script: boot, revision: 1, sequence: 'OPERATIONAL' });
    await ok(url, COMMIT, { id: template.id, message: 'release 1' });
    // The DB MCI's revision is public already: it is reused, not published again.
    const dbPublication = await publishAs(url, { componentId: db, revision: 1 });

    const published = await publishAs(url, {
      componentId: template.id,
      revision: 1,
      visibility: 'GROUPS',
      accountGroupIds: [group.id],
      categories: ['php'],
    });
    expect(published).toMatchObject({ kind: 'SERVER_TEMPLATE', revision: 1, visibility: 'GROUPS' });
    expect(published.dependencies).toEqual([
      { kind: 'MULTI_CLOUD_IMAGE', componentId: web, revision: 1, publicationId: publicationIdOf(web, 1) },
      { kind: 'MULTI_CLOUD_IMAGE', componentId: db, revision: 1, publicationId: dbPublication.id },
      { kind: 'RIGHT_SCRIPT', componentId: boot, revision: 1, publicationId: publicationIdOf(boot, 1) },
    ]);
    // Dependencies were appended before the template, each once, with the template's audience.
    const log = (await service.services.store.readAll({ filter: { streamPrefixes: ['publication-'] }, maxCount: 1000 })).events;
    const order = log.map((e) => (e.data as { componentId: string }).componentId);
    expect(order.indexOf(web)).toBeLessThan(order.indexOf(template.id));
    expect(order.indexOf(boot)).toBeLessThan(order.indexOf(template.id));
    expect(order.filter((id) => id === db)).toHaveLength(1);
    expect(order.filter((id) => id === boot)).toHaveLength(1);
    const { publication: webPublication } = await ok<{ publication: PublicationView }>(url, PUBLICATION, { id: publicationIdOf(web, 1) });
    expect(webPublication).toMatchObject({
      visibility: 'GROUPS',
      accountGroups: [{ id: group.id }],
      categories: ['php'],
      shortDescription: `Published with ServerTemplate '${template.id}' revision 1`,
    });
    expect(log.find((e) => e.stream === `publication-${publicationIdOf(web, 1)}`)?.data).toMatchObject({ publishedWith: published.id });
    // The group's member sees the template and what it pins.
    const seen = await publicationsAs(url, consumer.admin, { kind: 'SERVER_TEMPLATE' });
    expect(seen.map((p) => p.id)).toEqual([published.id]);
    for (const dependency of published.dependencies) await ok(url, PUBLICATION, { id: dependency.publicationId }, consumer.admin);
  });

  it('refuses a template publication that is already there before publishing any of its pins', async () => {
    const web = await createMci(url, 'Web again', [EAST], { commit: true });
    const template = await createTemplate(url, 'Pinned', web, 1);
    await ok(url, COMMIT, { id: template.id, message: 'release 1' });
    await publishAs(url, { componentId: template.id, revision: 1 });
    // The pin got published along; a refused second publish of the template writes nothing at all.
    const before = await service.services.store.headPosition();
    const again = await fails(url, PUBLISH, { input: publishInput({ componentId: template.id, revision: 1, visibility: 'PUBLIC' }) });
    expect(again.code).toBe('ALREADY_PUBLISHED');
    expect(await service.services.store.headPosition()).toEqual(before);
    // A rule the template breaks (a foreign group) is found before its pins are published.
    const web2 = await createMci(url, 'Web 3', [EAST], { commit: true });
    const template2 = await createTemplate(url, 'Pinned 2', web2, 1);
    await ok(url, COMMIT, { id: template2.id, message: 'release 1' });
    const mid = await service.services.store.headPosition();
    const foreign = await fails(url, PUBLISH, {
      input: publishInput({ componentId: template2.id, visibility: 'GROUPS', accountGroupIds: [GHOST] }),
    });
    expect(foreign.code).toBe('NOT_FOUND');
    expect(await service.services.store.headPosition()).toEqual(mid);
  });

  it('deprecates: the previous non-deprecated revision is the newest again; twice changes nothing; never deleted', async () => {
    const mci = await createMci(url, 'Evolving', [EAST], { commit: true });
    await mapCloud(url, mci, EU);
    await commitMci(url, mci, 'second');
    const first = await publishAs(url, { componentId: mci, revision: 1, categories: ['evolving'] });
    const second = await publishAs(url, { componentId: mci, revision: 2, categories: ['evolving'] });
    const newest = async (): Promise<Array<[number, boolean, boolean]>> =>
      (await publicationsAs(url, consumer.admin, { lineage: mci, includeDeprecated: true })).map((p) => [
        p.revision,
        p.newest,
        p.deprecated,
      ]);
    expect(await newest()).toEqual([
      [1, false, false],
      [2, true, false],
    ]);
    const { deprecatePublication } = await ok<{ deprecatePublication: PublicationView }>(url, DEPRECATE, { id: second.id });
    expect(deprecatePublication).toMatchObject({ id: second.id, deprecated: true, newest: false });
    expect(await newest()).toEqual([
      [1, true, false],
      [2, false, true],
    ]);
    expect((await publicationsAs(url, consumer.admin, { lineage: mci })).map((p) => p.revision)).toEqual([1]);
    expect((await publicationsAs(url, consumer.admin, { lineage: mci, newestOnly: true })).map((p) => p.revision)).toEqual([1]);
    expect(service.services.queries.marketplace.newestVisibleRevisions(consumer.accountId, [mci]).get(mci)).toEqual({
      lineage: mci,
      revision: 1,
      publicationId: first.id,
    });
    // Still readable by id.
    expect((await ok<{ publication: PublicationView }>(url, PUBLICATION, { id: second.id }, consumer.admin)).publication.deprecated).toBe(
      true,
    );
    // Twice: the same answer, nothing written.
    const before = await service.services.store.headPosition();
    const twice = await ok<{ deprecatePublication: PublicationView }>(url, DEPRECATE, { id: second.id });
    expect(twice.deprecatePublication.deprecated).toBe(true);
    expect(await service.services.store.headPosition()).toEqual(before);
    // Deprecating both: the lineage has no newest.
    await ok(url, DEPRECATE, { id: first.id });
    expect(await newest()).toEqual([
      [1, false, true],
      [2, false, true],
    ]);
    expect(service.services.queries.marketplace.newestVisibleRevisions(consumer.accountId, [mci]).size).toBe(0);
    expect((await service.services.store.readStream(`publication-${second.id}`)).map((e) => e.type)).toEqual([
      'ComponentPublished',
      'PublicationDeprecated',
    ]);
  });

  it('deprecates only the account’s own publications: another account’s (even public) is NOT_FOUND like a missing one', async () => {
    const mci = await createMci(url, 'Public one', [EAST], { commit: true });
    const published = await publishAs(url, { componentId: mci });
    const consumerPublisher = await tokenWithRoles(url, ['PUBLISHER'], consumer.admin);
    const before = await service.services.store.headPosition();
    for (const id of [published.id, GHOST, 'x'.repeat(300)]) {
      const refused = await fails(url, DEPRECATE, { id }, consumerPublisher);
      expect({ code: refused.code, message: refused.message }).toEqual({ code: 'NOT_FOUND', message: 'no such publication' });
    }
    expect(await service.services.store.headPosition()).toEqual(before);
    const designer = await tokenWithRoles(url, ['DESIGNER']);
    const beforeForbidden = await service.services.store.headPosition();
    const forbidden = await fails(url, DEPRECATE, { id: published.id }, designer);
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(await service.services.store.headPosition()).toEqual(beforeForbidden);
  });

  it('lists with filters and pages', async () => {
    const other = await secondAccount(url, 'Lister Ltd');
    const script = await createScript(url, 'listed', { commit: true });
    const mci = await createMci(url, 'Listed', [EAST], { commit: true });
    await publishAs(url, { componentId: script, categories: ['tools'] });
    await publishAs(url, { componentId: mci, categories: ['images', 'tools'] });
    const all = await publicationsAs(url, other.admin);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect((await publicationsAs(url, other.admin, { kind: 'RIGHT_SCRIPT', componentId: script })).map((p) => p.componentId)).toEqual([
      script,
    ]);
    expect((await publicationsAs(url, other.admin, { category: 'tools' })).map((p) => p.componentId).slice(-2)).toEqual([script, mci]);
    expect((await publicationsAs(url, other.admin, { category: 'images', componentId: mci })).map((p) => p.componentId)).toEqual([mci]);
    expect(await publicationsAs(url, other.admin, { componentId: GHOST })).toEqual([]);
    // Pages of one, in publication order, with a total.
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        publications: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: PublicationView[] };
      } = await ok(url, PUBLICATIONS, { first: 1, after, filter: { category: 'tools' } }, other.admin);
      expect(page.publications.totalCount).toBe(2);
      ids.push(...page.publications.nodes.map((p) => p.componentId));
      if (!page.publications.pageInfo.hasNextPage) break;
      after = page.publications.pageInfo.endCursor;
    }
    expect(ids).toEqual([script, mci]);
    const badCursor = await fails(url, PUBLICATIONS, { after: 'bm9wZQ' }, other.admin);
    expect({ code: badCursor.code, message: badCursor.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: "after: expected a cursor returned by this list, got 'bm9wZQ'",
    });
    const longCategory = await fails(url, PUBLICATIONS, { filter: { category: 'c'.repeat(65) } }, other.admin);
    expect({ code: longCategory.code, message: longCategory.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'filter.category: expected at most 64 characters, got 65',
    });
    const longId = await fails(url, PUBLICATIONS, { filter: { componentId: 'c'.repeat(129) } }, other.admin);
    expect(longId.code).toBe('BAD_USER_INPUT');
    const tooMany = await fails(url, PUBLICATIONS, { first: 501 }, other.admin);
    expect(tooMany.code).toBe('BAD_USER_INPUT');
  });

  it('costs the same read-model calls for a page of 2 and of 15 publications with every nested field', async () => {
    for (let i = 0; i < 15; i++) {
      const script = await createScript(url, `batched ${i}`, { commit: true });
      await publishAs(url, { componentId: script, categories: ['batched'] });
    }
    const recorder = service.services.queries.recorder;
    const callsFor = async (first: number): Promise<string[]> => {
      recorder.start();
      const { publications } = await ok<{ publications: { nodes: unknown[] } }>(url, PUBLICATIONS, {
        first,
        filter: { category: 'batched' },
      });
      const calls = recorder.stop().filter((name) => name !== 'viewerByTokenHash');
      expect(publications.nodes).toHaveLength(first);
      return calls.sort();
    };
    expect(await callsFor(15)).toEqual(await callsFor(2));
    expect(await callsFor(2)).toEqual(['accountsByIds', 'newestVisibleRevisions', 'publicationsPage']);
  });

  it('builds the same read model when the whole log is replayed, even twice', async () => {
    await service.services.projections.waitForPosition(await service.services.store.headPosition());
    const events: RecordedEvent[] = [];
    for (let after: string | undefined; ;) {
      const page = await service.services.store.readAll({
        ...(after ? { after } : {}),
        filter: { eventTypes: [...(marketplaceProjection.handles as string[])] },
      });
      events.push(...page.events);
      if (page.isEnd || page.cursor === undefined) break;
      after = page.cursor;
    }
    const replayed: SqliteDatabase = openReadModelDatabase(join(service.dataDir, 'marketplace-replayed.sqlite'));
    try {
      for (const sql of marketplaceProjection.schema) replayed.exec(sql);
      replayProjection(replayed, marketplaceProjection, events);
      replayProjection(replayed, marketplaceProjection, events);
      const live = dumpTables(service.services.readModels, marketplaceProjection.tables);
      expect(live['rm_publications']?.length).toBeGreaterThanOrEqual(10);
      expect(live['rm_account_group_members']?.length).toBeGreaterThanOrEqual(1);
      expect(dumpTables(replayed, marketplaceProjection.tables)).toEqual(live);
    } finally {
      replayed.close();
    }
  });
});
