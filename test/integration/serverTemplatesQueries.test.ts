import { fails, ok, secondAccount } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import {
  ADD_MCI,
  BIND,
  COMMIT,
  DELETE,
  DFW,
  EAST,
  EU,
  GCE,
  LIST,
  REMOVE_MCI,
  commitMci,
  createMci,
  createScript,
  createTemplate,
  mapCloud,
} from './serverTemplatesFixtures';

/*
 * Reading ServerTemplates: the list filters (a cloud lists only templates whose pinned MCI revisions
 * can deploy there), which template revisions use an MCI or a RightScript, and the cost of a deep
 * page: a page of 50 templates with their MCIs, scripts, clouds and indicators costs the same few
 * read-model calls as a page of 5.
 */

type Page = {
  serverTemplates: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: Array<{ id: string; name: string }>;
  };
};

const USED_BY_MCI = `query($id: ID!) { multiCloudImage(id: $id) { usedBy { id revision } } }`;
const USED_BY_SCRIPT = `query($id: ID!) { rightScript(id: $id) { usedBy { id revision } } }`;

describe('ServerTemplate queries', () => {
  let service: TestService;
  let url: string;

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
  });
  afterAll(() => service.stop());

  it('filters by name and by the clouds the pinned MCI revisions cover, HEAD pins by HEAD settings', async () => {
    // Revision 1 of `aws` covers EAST and EU; its HEAD also GCE. `rack` exists only at HEAD, on DFW.
    const aws = await createMci(url, 'AWS CentOS', [EAST, EU], { commit: true });
    await mapCloud(url, aws, GCE);
    const rack = await createMci(url, 'Rackspace CentOS', [DFW]);
    const frozen = await createTemplate(url, 'PHP FrontEnd (revision 1)', aws, 1);
    const onRack = await createTemplate(url, 'Rails backend', rack);
    const moving = await createTemplate(url, 'php frontend (HEAD)', aws, 0);

    const list = async (filter: Record<string, unknown>): Promise<string[]> =>
      (await ok<Page>(url, LIST, { filter })).serverTemplates.nodes.map((node) => node.id);
    expect(await list({})).toEqual([frozen.id, onRack.id, moving.id]);
    expect(await list({ cloudId: EAST })).toEqual([frozen.id, moving.id]);
    expect(await list({ cloudId: GCE })).toEqual([moving.id]);
    expect(await list({ cloudId: DFW })).toEqual([onRack.id]);
    expect(await list({ cloudId: 'aws-us-west-1' })).toEqual([]);
    expect(await list({ cloudId: 'no-such-cloud' })).toEqual([]);
    expect(await list({ nameContains: 'PHP FRONTEND' })).toEqual([frozen.id, moving.id]);
    expect(await list({ nameContains: 'frontend', cloudId: GCE })).toEqual([moving.id]);

    // Committing `aws` HEAD as revision 2 and re-pinning moves the frozen template to GCE too.
    await commitMci(url, aws, 'GCE');
    await ok(url, `mutation($t: ID!, $m: ID!) { pinTemplateMultiCloudImage(templateId: $t, multiCloudImageId: $m, revision: 2) { id } }`, {
      t: frozen.id,
      m: aws,
    });
    expect(await list({ cloudId: GCE })).toEqual([frozen.id, moving.id]);

    // Pages: opaque cursors, the total of the whole filtered list.
    const first = await ok<Page>(url, LIST, { first: 1, filter: { cloudId: GCE } });
    expect(first.serverTemplates).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, nodes: [{ id: frozen.id }] });
    const second = await ok<Page>(url, LIST, { first: 1, after: first.serverTemplates.pageInfo.endCursor, filter: { cloudId: GCE } });
    expect(second.serverTemplates).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false }, nodes: [{ id: moving.id }] });
    const { multiCloudImages } = await ok<{ multiCloudImages: { pageInfo: { endCursor: string } } }>(
      url,
      `{ multiCloudImages(first: 1) { pageInfo { endCursor } } }`,
    );
    const wrongCursor = await fails(url, LIST, { after: multiCloudImages.pageInfo.endCursor });
    expect([wrongCursor.code, wrongCursor.message]).toEqual([
      'BAD_USER_INPUT',
      `after: expected a cursor returned by this list, got '${multiCloudImages.pageInfo.endCursor}'`,
    ]);

    // A deleted template leaves the lists.
    await ok(url, DELETE, { id: onRack.id });
    expect(await list({ cloudId: DFW })).toEqual([]);
  });

  it('lists the template revisions that use an MCI or a RightScript, HEAD as 0, without deleted templates', async () => {
    const mci = await createMci(url, 'Used', [EAST], { commit: true });
    const script = await createScript(url, 'used', { commit: true });
    const a = await createTemplate(url, 'User A', mci, 1);
    const b = await createTemplate(url, 'User B', mci);
    await ok(url, BIND, { templateId: a.id, script, sequence: 'BOOT', revision: 1 });
    await ok(url, COMMIT, { id: a.id, message: 'first' });
    const usedBy = async (query: string, id: string): Promise<Array<{ id: string; revision: number }>> =>
      Object.values(await ok<Record<string, { usedBy: Array<{ id: string; revision: number }> }>>(url, query, { id }))[0]?.usedBy ?? [];
    expect(await usedBy(USED_BY_MCI, mci)).toEqual([
      { id: a.id, revision: 0 },
      { id: a.id, revision: 1 },
      { id: b.id, revision: 0 },
    ]);
    expect(await usedBy(USED_BY_SCRIPT, script)).toEqual([
      { id: a.id, revision: 0 },
      { id: a.id, revision: 1 },
    ]);
    await ok(url, DELETE, { id: b.id });
    expect(await usedBy(USED_BY_MCI, mci)).toEqual([
      { id: a.id, revision: 0 },
      { id: a.id, revision: 1 },
    ]);
    expect(await usedBy(USED_BY_MCI, await createMci(url, 'Unused', []))).toEqual([]);
  });

  it('lists the MCIs a template pins (filter usedByTemplateId), at HEAD or in a revision, none for a deleted or foreign template', async () => {
    const first = await createMci(url, 'Pinned first', [EAST], { commit: true });
    const second = await createMci(url, 'Pinned later', [DFW], { commit: true });
    const unrelated = await createMci(url, 'Unrelated', [EAST]);
    const template = await createTemplate(url, 'Pinner', first, 1);
    await ok(url, COMMIT, { id: template.id, message: 'pins only the first' });
    await ok(url, ADD_MCI, { templateId: template.id, mci: second, revision: 1 });
    await ok(url, REMOVE_MCI, { templateId: template.id, mci: first, newDefault: second });
    const pinnedBy = async (templateId: string, headers = ADMIN): Promise<string[]> =>
      (
        await ok<{ multiCloudImages: { nodes: Array<{ id: string }> } }>(
          url,
          `query($t: ID!) { multiCloudImages(first: 500, filter: { usedByTemplateId: $t }) { nodes { id } } }`,
          { t: templateId },
          headers,
        )
      ).multiCloudImages.nodes.map((node) => node.id);
    // HEAD pins only the second now; revision 1 still pins the first.
    expect(await pinnedBy(template.id)).toEqual([first, second]);
    expect(await pinnedBy(template.id)).not.toContain(unrelated);
    const { admin: stranger } = await secondAccount(url, 'Filter stranger');
    expect(await pinnedBy(template.id, stranger)).toEqual([]);
    await ok(url, DELETE, { id: template.id });
    expect(await pinnedBy(template.id)).toEqual([]);
  });

  it('answers a page of 50 templates with every nested object in the same read-model calls as a page of 5', async () => {
    const fresh = await startTestService();
    try {
      const committed = await createMci(fresh.url, 'Committed', [EAST, EU], { commit: true });
      const drifted = await createMci(fresh.url, 'Drifted', [DFW], { commit: true });
      await mapCloud(fresh.url, drifted, GCE);
      const headOnly = await createMci(fresh.url, 'Head only', [EU]);
      const script = await createScript(fresh.url, 'script', { commit: true });
      const draft = await createScript(fresh.url, 'draft');
      // Every five templates repeat the same mix: committed and HEAD pins, floating or not.
      const mixes: Array<[string, number, string, number]> = [
        [committed, 1, script, 1],
        [drifted, 0, script, 0],
        [headOnly, 0, draft, 0],
        [committed, 0, draft, 0],
        [drifted, 1, script, 1],
      ];
      for (let i = 0; i < 50; i++) {
        const [mci, revision, rightScript, scriptRevision] = mixes[i % mixes.length] as [string, number, string, number];
        const template = await createTemplate(fresh.url, `Template ${i}`, mci, revision);
        await ok(fresh.url, BIND, { templateId: template.id, script: rightScript, revision: scriptRevision, sequence: 'BOOT' });
      }
      const DEEP = `query($first: Int) { serverTemplates(first: $first) { nodes {
        id name revision version behind floating
        revisions { revision }
        supportedClouds { id name }
        multiCloudImages { revision isDefault multiCloudImage { id name revision settings { cloud { id } image { id } } usedBy { id } } }
        rightScripts { revision sequence position rightScript { id name revision source } }
      } } }`;
      type Deep = { serverTemplates: { nodes: Array<{ floating: boolean; supportedClouds: Array<{ id: string }> }> } };
      const { recorder } = fresh.services.queries;
      const cost = async (first: number): Promise<{ calls: string[]; nodes: Deep['serverTemplates']['nodes'] }> => {
        recorder.start();
        try {
          const data = await ok<Deep>(fresh.url, DEEP, { first });
          return { calls: recorder.stop(), nodes: data.serverTemplates.nodes };
        } finally {
          recorder.stop();
        }
      };
      const five = await cost(5);
      const fifty = await cost(50);
      expect(fifty.nodes).toHaveLength(50);
      expect(five.nodes.map((n) => n.floating)).toEqual([false, true, true, true, false]);
      expect(five.nodes.map((n) => n.supportedClouds.map((c) => c.id))).toEqual([[EU, EAST], [GCE, DFW], [EU], [EU, EAST], [DFW]]);
      expect(fifty.nodes.map((n) => n.floating)).toEqual(Array.from({ length: 50 }, (_, i) => [false, true, true, true, false][i % 5]));
      expect([...fifty.calls].sort()).toEqual([...five.calls].sort());
      // What any request costs (authenticating its token), measured rather than named; then one read
      // per kind of nested object: the MCI views and `floating` share the MCI heads and snapshots.
      recorder.start();
      await ok(fresh.url, '{ serverInfo { version } }');
      const perRequest = recorder.stop();
      expect([...fifty.calls].sort()).toEqual(
        [
          ...perRequest,
          'serverTemplates.page',
          'serverTemplates.pins',
          'serverTemplates.revisionsByTemplateIds',
          'serverTemplates.supportedClouds',
          'serverTemplates.usedBy',
          'cloudsByIds',
          'imagesByIds',
          'headsByIds',
          'headContents',
          'snapshots',
          'settingsByMultiCloudImageIds',
          'rightScripts.headsByIds',
          'rightScripts.headContents',
          'rightScripts.snapshots',
          'rightScripts.sourcesByRightScriptIds',
        ].sort(),
      );
    } finally {
      await fresh.stop();
    }
  });
});
