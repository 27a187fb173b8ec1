import { fails, ok, secondAccount, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { importAs, type ImportedView } from './importsFixtures';
import { createGroup, join, publishAs } from './marketplaceFixtures';
import { EAST, EU, PIN_MCI, commitMci, createMci, createTemplate, mapCloud } from './serverTemplatesFixtures';

/*
 * `behind` of an import (domain.md, "Indicators" and "MultiCloud Marketplace"): true when the
 * marketplace offers the importing account a newer non-deprecated revision of the lineage the import
 * was published from; deprecating that newer revision makes it false again. Imports of one published
 * lineage share it, so a template can be re-pinned from one to the next. A page of imports asks the
 * marketplace once.
 */

const GET_MCI = `query($id: ID!, $revision: Int) { multiCloudImage(id: $id, revision: $revision) { id revision lineage readOnly behind } }`;
const PAGE = `{ multiCloudImages(first: 50) { nodes { id behind readOnly importedFrom { publicationId revision publisherAccount { id name } } } } }`;

describe('behind, for imports', () => {
  let service: TestService;
  let url: string;
  let consumer: { accountId: string; admin: Headers };
  let mci: string;
  let publications: string[];
  let copies: ImportedView[];

  const behindOf = async (id: string, revision?: number): Promise<boolean> =>
    (await ok<{ multiCloudImage: { behind: boolean } }>(url, GET_MCI, { id, revision }, consumer.admin)).multiCloudImage.behind;

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    consumer = await secondAccount(url, 'Consumer Corp');
    mci = await createMci(url, 'Base image', [EAST], { commit: true });
    publications = [(await publishAs(url, { componentId: mci, revision: 1 })).id];
    copies = [await importAs(url, publications[0] as string, consumer.admin)];
  });
  afterAll(() => service.stop());

  it('is false while no newer revision of the lineage is published', async () => {
    expect(copies[0]).toMatchObject({ behind: false, readOnly: true, lineage: mci });
    expect(await behindOf(copies[0]?.id as string)).toBe(false);
  });

  it('turns true once a newer revision is published, for HEAD and revision 1 alike; a new import of it is not behind', async () => {
    await mapCloud(url, mci, EU);
    expect(await commitMci(url, mci, 'second')).toBe(2);
    publications.push((await publishAs(url, { componentId: mci, revision: 2 })).id);
    const first = copies[0]?.id as string;
    expect(await behindOf(first)).toBe(true);
    expect(await behindOf(first, 1)).toBe(true);

    const second = await importAs(url, publications[1] as string, consumer.admin);
    copies.push(second);
    expect(second).toMatchObject({ behind: false, lineage: mci, importedFrom: { revision: 2 } });
    expect(second.id).not.toBe(first);
    expect(await behindOf(first)).toBe(true);
  });

  it('keeps `behind` of components that are not imports as it was: a revision older than the latest one', async () => {
    const publisher = await ok<{ multiCloudImage: { behind: boolean } }>(url, GET_MCI, { id: mci, revision: 1 });
    expect(publisher.multiCloudImage.behind).toBe(true);
    expect((await ok<{ multiCloudImage: { behind: boolean } }>(url, GET_MCI, { id: mci })).multiCloudImage.behind).toBe(false);
  });

  it('lets a template of the account be re-pinned from one import of a lineage to the next, and not to another lineage', async () => {
    const [first, second] = copies as [ImportedView, ImportedView];
    const template = await createTemplate(url, 'Consumer template', first.id, 1, consumer.admin);
    const { pinTemplateMultiCloudImage } = await ok<{
      pinTemplateMultiCloudImage: { multiCloudImages: Array<{ multiCloudImage: { id: string }; revision: number }> };
    }>(url, PIN_MCI, { templateId: template.id, mci: first.id, to: second.id, revision: 1 }, consumer.admin);
    expect(pinTemplateMultiCloudImage.multiCloudImages.map((pinned) => [pinned.multiCloudImage.id, pinned.revision])).toEqual([
      [second.id, 1],
    ]);

    const unrelated = await createMci(url, 'Unrelated', [EAST], { commit: true });
    const other = await importAs(url, (await publishAs(url, { componentId: unrelated, revision: 1 })).id, consumer.admin);
    const before = await service.services.store.headPosition();
    const refused = await fails(url, PIN_MCI, { templateId: template.id, mci: second.id, to: other.id, revision: 1 }, consumer.admin);
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toMatch(/re-pinning stays within a lineage/);
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('turns false again when the newer publication is deprecated (the previous one is the newest again)', async () => {
    await ok(url, `mutation($id: ID!) { deprecatePublication(publicationId: $id) { deprecated } }`, { id: publications[1] });
    expect(await behindOf(copies[0]?.id as string)).toBe(false);
    expect(await behindOf(copies[1]?.id as string)).toBe(false);
  });

  it('counts only publications the account may see', async () => {
    await mapCloud(url, mci, 'rackspace-dfw');
    expect(await commitMci(url, mci, 'third')).toBe(3);
    const group = await createGroup(url, 'Insiders');
    await publishAs(url, { componentId: mci, revision: 3, visibility: 'GROUPS', accountGroupIds: [group.id] });
    expect(await behindOf(copies[0]?.id as string)).toBe(false);
    await join(url, group.id, consumer, ADMIN);
    expect(await behindOf(copies[0]?.id as string)).toBe(true);
    expect(await behindOf(copies[1]?.id as string)).toBe(true);
  });

  it('asks the marketplace and the accounts once for a whole page of imports', async () => {
    const { recorder } = service.services.queries;
    recorder.start();
    const page = await ok<{
      multiCloudImages: { nodes: Array<{ id: string; behind: boolean; importedFrom: { publisherAccount: { name: string } } | null }> };
    }>(url, PAGE, {}, consumer.admin);
    const reads = recorder.stop();
    expect(page.multiCloudImages.nodes.length).toBeGreaterThanOrEqual(3);
    expect(page.multiCloudImages.nodes.every((node) => node.importedFrom?.publisherAccount.name === 'Default')).toBe(true);
    expect(reads.filter((read) => read === 'newestVisibleRevisions')).toHaveLength(1);
    expect(reads.filter((read) => read === 'accountsByIds')).toHaveLength(1);
  });
});
