import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok } from '../support/api';
import { startTestService, type TestService } from '../support/service';

/*
 * Listing MultiCloud Images: pages, cursors and filters, and the cost of a page. A page of 50 MCIs
 * with every setting's nested cloud, image and instance type and every revision must cost the same
 * few read-model calls as a page of 5: each nested kind is loaded in one batch per request.
 */

const EU = 'aws-eu-west-1';
const EAST = 'aws-us-east-1';
const DFW = 'rackspace-dfw';
const GCE = 'gce-us-central1';
const COUNT = 50;

const nameOf = (i: number): string => (i % 2 === 0 ? `RightImage_CentOS_5.6_x64_v5.7 #${i}` : `ubuntu Web ${i}`);
const cloudsOf = (i: number): string[] => [EU, i % 2 === 0 ? EAST : DFW, ...(i % 5 === 0 ? [GCE] : [])];

const PAGE = `query($first: Int, $after: String, $filter: MultiCloudImageFilter) {
  multiCloudImages(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } }
    nodes { id name }
  }
}`;

interface Page {
  multiCloudImages: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; name: string } }>;
    nodes: Array<{ id: string; name: string }>;
  };
}

const DEEP = `query($first: Int) {
  multiCloudImages(first: $first) {
    nodes {
      id name version lineage behind warnings { code }
      settings {
        cloud { id name provider }
        image { id name os architecture status cloud { id } }
        instanceType { id name architectures }
        kernelImage { id } ramdiskImage { id } userData
      }
      revisions { revision message committedAt committedBy }
    }
  }
}`;

describe('MultiCloud Image queries', () => {
  let service: TestService;
  const ids: string[] = [];

  beforeAll(async () => {
    service = await startTestService();
    const url = service.url;
    for (let i = 0; i < COUNT; i++) {
      const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
        url,
        `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }`,
        { name: nameOf(i) },
      );
      const id = createMultiCloudImage.id;
      ids.push(id);
      for (const cloudId of cloudsOf(i)) {
        await ok(url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
          input: {
            multiCloudImageId: id,
            cloudId,
            imageId: starterImageId(cloudId, i % 2 === 0 ? STARTER_IMAGE_NAMES.centosX64 : STARTER_IMAGE_NAMES.ubuntuX64),
            instanceTypeId: starterInstanceTypeId(cloudId, 'large'),
          },
        });
      }
      if (i % 3 === 0) await ok(url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "first") { revision } }`, { id });
    }
  });
  afterAll(() => service.stop());

  it('pages through every MCI in creation order with cursors, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      const { multiCloudImages: page }: Page = await ok<Page>(service.url, PAGE, { first: 7, after });
      expect(page.totalCount).toBe(COUNT);
      expect(page.nodes).toEqual(page.edges.map((edge) => edge.node));
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
      expect(pages).toBeLessThan(COUNT);
    }
    expect(seen).toEqual(ids);
  });

  it('returns 50 by default and an empty last page', async () => {
    const { multiCloudImages: all } = await ok<Page>(service.url, PAGE, {});
    expect(all.nodes).toHaveLength(50);
    expect(all.pageInfo.hasNextPage).toBe(false);
    const { multiCloudImages: empty } = await ok<Page>(service.url, PAGE, { after: all.pageInfo.endCursor });
    expect(empty).toMatchObject({ totalCount: COUNT, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('filters by a case-insensitive part of the name', async () => {
    const { multiCloudImages: page } = await ok<Page>(service.url, PAGE, { filter: { nameContains: 'UBUNTU web' } });
    expect(page.nodes.map((n) => n.id)).toEqual(ids.filter((_, i) => i % 2 === 1));
    expect(page.totalCount).toBe(COUNT / 2);
  });

  it('filters by a mapped cloud, and by cloud and name together, with pages', async () => {
    const { multiCloudImages: google } = await ok<Page>(service.url, PAGE, { filter: { cloudId: GCE } });
    expect(google.nodes.map((n) => n.id)).toEqual(ids.filter((_, i) => i % 5 === 0));
    const expected = ids.filter((_, i) => i % 5 === 0 && i % 2 === 1);
    const { multiCloudImages: first } = await ok<Page>(service.url, PAGE, { first: 2, filter: { cloudId: GCE, nameContains: 'ubuntu' } });
    expect(first).toMatchObject({ totalCount: expected.length, pageInfo: { hasNextPage: true } });
    const { multiCloudImages: rest } = await ok<Page>(service.url, PAGE, {
      first: 10,
      after: first.pageInfo.endCursor,
      filter: { cloudId: GCE, nameContains: 'ubuntu' },
    });
    expect([...first.nodes, ...rest.nodes].map((n) => n.id)).toEqual(expected);
    const { multiCloudImages: none } = await ok<Page>(service.url, PAGE, { filter: { cloudId: 'no-such-cloud' } });
    expect(none.totalCount).toBe(0);
  });

  it('refuses a name filter longer than any name can be', async () => {
    const refused = await fails(service.url, PAGE, { filter: { nameContains: 'x'.repeat(256) } });
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', message: 'filter.nameContains: expected at most 255 characters, got 256' });
  });

  it('answers a page of 50 with all nested objects in the same few read-model calls as a page of 5', async () => {
    const { recorder } = service.services.queries;
    const cost = async (first: number): Promise<{ calls: string[]; nodes: Array<{ settings: unknown[]; revisions: unknown[] }> }> => {
      recorder.start();
      try {
        const data = await ok<{ multiCloudImages: { nodes: Array<{ settings: unknown[]; revisions: unknown[] }> } }>(service.url, DEEP, {
          first,
        });
        return { calls: recorder.stop(), nodes: data.multiCloudImages.nodes };
      } finally {
        // A failed request must not leave the recorder on for the other tests (stopping twice is harmless).
        recorder.stop();
      }
    };

    const five = await cost(5);
    const fifty = await cost(50);
    expect(five.nodes).toHaveLength(5);
    expect(fifty.nodes).toHaveLength(50);
    // The page really holds what the batches loaded: 3 or 4 settings each, revisions for every third.
    expect(fifty.nodes.map((n) => n.settings.length)).toEqual(ids.map((_, i) => cloudsOf(i).length));
    expect(fifty.nodes.map((n) => n.revisions.length)).toEqual(ids.map((_, i) => (i % 3 === 0 ? 1 : 0)));

    expect([...fifty.calls].sort()).toEqual([...five.calls].sort());
    // What any request costs (authenticating its token), measured rather than named.
    recorder.start();
    await ok(service.url, '{ serverInfo { version } }');
    const perRequest = recorder.stop();
    // Then one page read and one batch per nested kind: the images of the settings and those the
    // `warnings` lint needs land in the same batch.
    expect([...fifty.calls].sort()).toEqual(
      [
        ...perRequest,
        'page',
        'settingsByMultiCloudImageIds',
        'revisionsByMultiCloudImageIds',
        'cloudsByIds',
        'imagesByIds',
        'instanceTypesByIds',
      ].sort(),
    );
  });

  it('reads a deleted MCI out of the list and the filters', async () => {
    const victim = ids[COUNT - 1] as string;
    await ok(service.url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: victim });
    const { multiCloudImages: page } = await ok<Page>(service.url, PAGE, { filter: { cloudId: EU } });
    expect(page.totalCount).toBe(COUNT - 1);
    expect(page.nodes.map((n) => n.id)).not.toContain(victim);
    expect((await fails(service.url, `query($id: ID!) { multiCloudImage(id: $id) { id } }`, { id: victim })).code).toBe('NOT_FOUND');
  });
});
