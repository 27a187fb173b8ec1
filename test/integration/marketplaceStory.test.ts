import { fails, ok, secondAccount, type Headers } from '../support/api';
import { ADMIN, type TestService } from '../support/service';
import { SERVICE_STORES } from '../support/serviceStores';
import { IMPORT, importAs, publishTemplate, TEMPLATE_FIELDS as IMPORTED_TEMPLATE_FIELDS } from './importsFixtures';
import { createGroup, join, PUBLICATION, PUBLICATIONS, publicationsAs, publishAs } from './marketplaceFixtures';
import { clone, commit, MERGE, merge, PREVIEW, refusedMerge, setDescription } from './mergeFixtures';
import { BIND, createScript } from './serverTemplatesFixtures';

/*
 * The marketplace story of issue 5, end to end over real HTTP, with three accounts: a publisher, a
 * consumer in its account group, and an outsider. The publisher shares a template with the group; the
 * consumer imports it, clones and edits the clone, and follows the publisher's newer revisions by
 * importing them and merging them into the clone — cleanly, then through a conflict it settles. The
 * outsider never learns that any of it exists. Run on both event stores.
 */

interface TemplateView {
  id: string;
  name: string;
  description: string;
  readOnly: boolean;
  behind: boolean;
  multiCloudImages: Array<{ multiCloudImage: { id: string; readOnly: boolean }; revision: number; isDefault: boolean }>;
  rightScripts: Array<{ rightScript: { id: string; name: string }; sequence: string; position: number }>;
}

const TEMPLATE = `query($id: ID!) { serverTemplate(id: $id) { ${IMPORTED_TEMPLATE_FIELDS} } }`;

describe.each(SERVICE_STORES)('the marketplace story on $name', (store) => {
  let service: TestService;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ service, stop } = await store.start());
  });
  afterAll(() => stop());

  const template = async (id: string, headers: Headers): Promise<TemplateView> =>
    (await ok<{ serverTemplate: TemplateView }>(service.url, TEMPLATE, { id }, headers)).serverTemplate;

  it('shares with a group, imports, clones, follows newer revisions by merging, and hides everything from outsiders', async () => {
    const url = service.url;
    const publisher = ADMIN;
    const consumer = await secondAccount(url, 'Consumer Corp');
    const outsider = await secondAccount(url, 'Outsider Ltd');

    // The publisher shares revision 1 of its template with a group; the consumer joins the group.
    const group = await createGroup(url, 'Partners', publisher);
    const first = await publishTemplate(url, 'PHP FrontEnd v1', { headers: publisher, visibility: 'GROUPS', accountGroupIds: [group.id] });
    expect(first.publication).toMatchObject({ kind: 'SERVER_TEMPLATE', revision: 1, visibility: 'GROUPS', newest: true });
    expect(await publicationsAs(url, consumer.admin, { kind: 'SERVER_TEMPLATE' })).toEqual([]);
    await join(url, group.id, consumer, publisher);
    expect((await publicationsAs(url, consumer.admin, { kind: 'SERVER_TEMPLATE' })).map((p) => p.id)).toEqual([first.publication.id]);

    // The consumer imports it (a read-only copy with its MCI and RightScript), clones the import and edits the clone.
    const firstImport = await importAs(url, first.publication.id, consumer.admin);
    expect(firstImport).toMatchObject({ __typename: 'ServerTemplate', readOnly: true, behind: false });
    expect(firstImport.importedFrom).toMatchObject({ publicationId: first.publication.id, componentId: first.template, revision: 1 });
    const importedMci = (await template(firstImport.id, consumer.admin)).multiCloudImages[0]?.multiCloudImage;
    expect(importedMci).toMatchObject({ readOnly: true });
    const ours = await clone(url, 'ServerTemplate', firstImport.id, 1, consumer.admin);
    expect(await template(ours, consumer.admin)).toMatchObject({ name: 'PHP FrontEnd v2', readOnly: false });
    await setDescription(url, 'ServerTemplate', ours, 'consumer: tuned for production', consumer.admin);

    // The publisher binds an operational script (another field), commits revision 2 and publishes it.
    const monitoring = await createScript(url, 'Monitoring', { commit: true, headers: publisher });
    await ok(url, BIND, { templateId: first.template, script: monitoring, revision: 1, sequence: 'OPERATIONAL' }, publisher);
    expect(await commit(url, 'ServerTemplate', first.template, 'adds monitoring', publisher)).toBe(2);
    const second = await publishAs(
      url,
      { componentId: first.template, revision: 2, visibility: 'GROUPS', accountGroupIds: [group.id] },
      publisher,
    );

    // The consumer's first import is now behind; it imports revision 2 (reusing the MCI it already has) and merges it cleanly.
    expect((await template(firstImport.id, consumer.admin)).behind).toBe(true);
    const secondImport = await importAs(url, second.id, consumer.admin);
    const secondView = await template(secondImport.id, consumer.admin);
    expect(secondView.multiCloudImages.map((pin) => pin.multiCloudImage.id)).toEqual([importedMci?.id]);
    const clean = await merge(url, ours, { id: secondImport.id, revision: 1 }, { headers: consumer.admin });
    expect(clean.conflicts).toEqual([]);
    const afterClean = await template(ours, consumer.admin);
    expect(afterClean.description).toBe('consumer: tuned for production');
    expect(afterClean.rightScripts.map((b) => [b.sequence, b.rightScript.name])).toEqual([
      ['BOOT', 'PHP FrontEnd v1 script'],
      ['OPERATIONAL', 'Monitoring'],
    ]);

    // Revision 3 changes the description the consumer changed too: MERGE_CONFLICT and nothing written, then settled with THEIRS.
    await setDescription(url, 'ServerTemplate', first.template, 'publisher: hardened', publisher);
    expect(await commit(url, 'ServerTemplate', first.template, 'hardens', publisher)).toBe(3);
    const third = await publishAs(
      url,
      { componentId: first.template, revision: 3, visibility: 'GROUPS', accountGroupIds: [group.id] },
      publisher,
    );
    const thirdImport = await importAs(url, third.id, consumer.admin);
    const before = await service.services.store.headPosition();
    const conflict = await refusedMerge(service, ours, { id: thirdImport.id, revision: 1 }, { headers: consumer.admin });
    expect(conflict.code).toBe('MERGE_CONFLICT');
    expect(conflict.extensions['conflicts']).toEqual([
      { path: 'description', base: expect.any(String), ours: 'consumer: tuned for production', theirs: 'publisher: hardened' },
    ]);
    expect(await service.services.store.headPosition()).toEqual(before);
    const settled = await merge(
      url,
      ours,
      { id: thirdImport.id, revision: 1 },
      {
        headers: consumer.admin,
        resolutions: [{ path: 'description', choice: 'THEIRS' }],
      },
    );
    expect(settled.conflicts).toEqual([expect.objectContaining({ path: 'description', resolution: 'THEIRS' })]);
    expect(await template(ours, consumer.admin)).toMatchObject({ description: 'publisher: hardened', name: 'PHP FrontEnd v2' });

    // The outsider, outside the group, sees none of it: every id answers NOT_FOUND, every list is empty, nothing is written.
    const outsiderStart = await service.services.store.headPosition();
    expect(
      (await ok<{ publications: { totalCount: number } }>(url, PUBLICATIONS, { first: 50 }, outsider.admin)).publications.totalCount,
    ).toBe(0);
    for (const publication of [first.publication.id, second.id, third.id, first.mciPublication, first.scriptPublication]) {
      expect((await fails(url, PUBLICATION, { id: publication }, outsider.admin)).code).toBe('NOT_FOUND');
      expect((await fails(url, IMPORT, { id: publication }, outsider.admin)).code).toBe('NOT_FOUND');
    }
    for (const id of [first.template, firstImport.id, secondImport.id, thirdImport.id, ours]) {
      expect((await fails(url, TEMPLATE, { id }, outsider.admin)).code).toBe('NOT_FOUND');
      expect((await fails(url, PREVIEW, { t: ours, s: { id, revision: 1 } }, outsider.admin)).code).toBe('NOT_FOUND');
      expect((await fails(url, MERGE, { t: id, s: { id: ours, revision: 0 } }, outsider.admin)).code).toBe('NOT_FOUND');
    }
    expect(await service.services.store.headPosition()).toEqual(outsiderStart);
  });
});
