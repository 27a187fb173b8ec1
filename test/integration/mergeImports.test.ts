import { ok, secondAccount, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { importAs } from './importsFixtures';
import { publishAs } from './marketplaceFixtures';
import { clone, commit, head, merge, paths, preview, refusedMerge, refusedPreview, setDescription } from './mergeFixtures';
import { EAST, EU, createMci, mapCloud } from './serverTemplatesFixtures';

/*
 * Merging across imports over real HTTP, with two accounts: the publisher's revisions reach the
 * consumer only as imports; the consumer clones its first import, and each newer import merges into
 * the clone against the import of the previous published revision (imports of one published lineage
 * are linear). An import itself is read-only; the publisher's own components are never an ancestor
 * the consumer can reach, nor can the publisher reach the consumer's. A deleted import keeps its place
 * in the lineage: its revision 1 stays readable, as a deleted clone source's revisions do.
 */

describe('merging across imports of one published lineage', () => {
  let service: TestService;
  let consumer: Headers;
  beforeAll(async () => {
    service = await startTestService();
    consumer = (await secondAccount(service.url, 'Consumer Corp')).admin;
  });
  afterAll(() => service.stop());

  it('merges newer published revisions into a clone of an import, and never into the import itself', async () => {
    const url = service.url;
    // The publisher (the default account) publishes revision 1; the consumer imports it and clones the import.
    const published = await createMci(url, 'Published image', [EAST], { commit: true });
    const first = await importAs(url, (await publishAs(url, { componentId: published, revision: 1, visibility: 'PUBLIC' })).id, consumer);
    expect(first.readOnly).toBe(true);
    const ours = await clone(url, 'MultiCloudImage', first.id, 1, consumer);
    await setDescription(url, 'MultiCloudImage', ours, 'ours: tuned', consumer);

    // Revision 2 maps another cloud; imported, it merges cleanly against the first import.
    await mapCloud(url, published, EU);
    expect(await commit(url, 'MultiCloudImage', published)).toBe(2);
    const second = await importAs(url, (await publishAs(url, { componentId: published, revision: 2, visibility: 'PUBLIC' })).id, consumer);
    const previewed = await preview(url, ours, { id: second.id, revision: 1 }, consumer);
    expect(previewed).toMatchObject({ alreadyMerged: false, base: { id: first.id, revision: 1, version: null }, conflicts: [] });
    expect(paths(previewed)).toEqual([`settings.${EU}`]);
    const merged = await merge(url, ours, { id: second.id, revision: 1 }, { headers: consumer });
    expect(merged).toMatchObject({ alreadyMerged: false, base: { id: first.id, revision: 1 } });
    expect(merged.component).toMatchObject({ __typename: 'MultiCloudImage', id: ours, description: 'ours: tuned' });
    expect(await merge(url, ours, { id: second.id, revision: 1 }, { headers: consumer })).toMatchObject({ alreadyMerged: true });

    // An import is read-only: merging into it is refused, in a preview too, and writes nothing.
    const readOnly = await refusedMerge(service, first.id, { id: second.id, revision: 1 }, { headers: consumer });
    expect(readOnly.code).toBe('READ_ONLY');
    expect(readOnly.message).toContain(`MultiCloudImage '${first.id}' is an import of revision 1 of '${published}'`);
    expect((await refusedPreview(service, first.id, { id: second.id }, consumer)).code).toBe('READ_ONLY');

    // Revision 3 changes the description the consumer changed too: a conflict against the second import, settled with THEIRS.
    await setDescription(url, 'MultiCloudImage', published, 'theirs: published');
    expect(await commit(url, 'MultiCloudImage', published)).toBe(3);
    const third = await importAs(url, (await publishAs(url, { componentId: published, revision: 3, visibility: 'PUBLIC' })).id, consumer);
    const conflict = await refusedMerge(service, ours, { id: third.id, revision: 1 }, { headers: consumer });
    expect(conflict.code).toBe('MERGE_CONFLICT');
    expect(conflict.extensions['conflicts']).toEqual([{ path: 'description', base: '', ours: 'ours: tuned', theirs: 'theirs: published' }]);
    const resolved = await merge(
      url,
      ours,
      { id: third.id, revision: 1 },
      {
        headers: consumer,
        resolutions: [{ path: 'description', choice: 'THEIRS' }],
      },
    );
    expect(resolved).toMatchObject({ base: { id: second.id, revision: 1 }, component: { description: 'theirs: published' } });
    expect((await head(url, 'MultiCloudImage', ours, 'settings { cloud { id } }', consumer))['settings']).toEqual([
      { cloud: { id: EU } },
      { cloud: { id: EAST } },
    ]);

    // Neither account reaches the other's components: the publisher's MCI as a source, or the consumer's clone as a target.
    expect(await refusedMerge(service, ours, { id: published, revision: 3 }, { headers: consumer })).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no such component',
    });
    expect(await refusedMerge(service, ours, { id: published, revision: 3 }, { headers: ADMIN })).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no such component',
    });
  });

  it('still merges against an import the consumer deleted: its revision 1 stays the base, as a deleted clone source would', async () => {
    const url = service.url;
    const published = await createMci(url, 'Deleted-import image', [EAST], { commit: true });
    const first = await importAs(url, (await publishAs(url, { componentId: published, revision: 1 })).id, consumer);
    const ours = await clone(url, 'MultiCloudImage', first.id, 1, consumer);
    await setDescription(url, 'MultiCloudImage', ours, 'ours: tuned', consumer);
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: first.id }, consumer);

    await mapCloud(url, published, EU);
    expect(await commit(url, 'MultiCloudImage', published)).toBe(2);
    const second = await importAs(url, (await publishAs(url, { componentId: published, revision: 2 })).id, consumer);
    const previewed = await preview(url, ours, { id: second.id, revision: 1 }, consumer);
    expect(previewed).toMatchObject({ alreadyMerged: false, base: { id: first.id, revision: 1, version: null }, conflicts: [] });
    expect(paths(previewed)).toEqual([`settings.${EU}`]);
    const merged = await merge(url, ours, { id: second.id, revision: 1 }, { headers: consumer });
    expect(merged).toMatchObject({ base: { id: first.id, revision: 1 }, component: { description: 'ours: tuned' } });
    expect(paths(merged)).toEqual([`settings.${EU}`]);
  });
});
