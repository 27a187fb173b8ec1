import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import { createGroup, DEPRECATE, join, PUBLISH, publishAs, publishInput } from './marketplaceFixtures';
import { COMMIT, EAST, createMci, createTemplate } from './serverTemplatesFixtures';

/*
 * The marketplace rules that meet imports (importPublication is the imports room's): an import can't
 * be published again (READ_ONLY), and deprecating a publication leaves its imports as they are.
 */

describe('publishing and deprecating around imports', () => {
  let service: TestService;
  let consumer: { accountId: string; admin: Headers };
  beforeAll(async () => {
    service = await startTestService();
    consumer = await secondAccount(service.url, 'Importer');
  });
  afterAll(() => service.stop());

  it('refuses to publish an import (READ_ONLY, nothing written) and leaves imports untouched by deprecation', async () => {
    const url = service.url;
    const mci = await createMci(url, 'Shared base', [EAST], { commit: true });
    const published = await publishAs(url, { componentId: mci });
    const library = await tokenWithRoles(url, ['LIBRARY', 'PUBLISHER'], consumer.admin);
    const { importPublication } = await ok<{ importPublication: { id: string; readOnly: boolean; version: number } }>(
      url,
      `mutation($id: ID!) { importPublication(publicationId: $id) { id readOnly version } }`,
      { id: published.id },
      library,
    );
    expect(importPublication.readOnly).toBe(true);
    const stream = `mci-${importPublication.id}`;
    const importEvents = (await service.services.store.readStream(stream)).map((event) => event.id);

    const before = await service.services.store.headPosition();
    for (const revision of [0, 1]) {
      const refused = await fails(url, PUBLISH, { input: publishInput({ componentId: importPublication.id, revision }) }, library);
      expect({ code: refused.code, message: refused.message }).toEqual({
        code: 'READ_ONLY',
        message: `MultiCloudImage '${importPublication.id}' is an import of publication '${published.id}' and can't be published again: clone it and publish the clone`,
      });
    }
    expect(await service.services.store.headPosition()).toEqual(before);

    await ok(url, DEPRECATE, { id: published.id });
    expect((await service.services.store.readStream(stream)).map((event) => event.id)).toEqual(importEvents);
    const { multiCloudImage } = await ok<{ multiCloudImage: { id: string; readOnly: boolean; version: number } }>(
      url,
      `query($id: ID!) { multiCloudImage(id: $id) { id readOnly version } }`,
      { id: importPublication.id },
      consumer.admin,
    );
    expect(multiCloudImage).toEqual(importPublication);
  });

  it('publishes a clone of an imported template, listing the imported pins’ own publications instead of publishing them again', async () => {
    const url = service.url;
    const mci = await createMci(url, 'Template base', [EAST], { commit: true });
    const template = await createTemplate(url, 'Shared template', mci, 1);
    await ok(url, COMMIT, { id: template.id, message: 'release 1' });
    const templatePublication = await publishAs(url, { componentId: template.id });
    const [mciDependency] = templatePublication.dependencies;
    const library = await tokenWithRoles(url, ['LIBRARY', 'PUBLISHER', 'DESIGNER'], consumer.admin);
    const { importPublication } = await ok<{ importPublication: { id: string } }>(
      url,
      `mutation($id: ID!) { importPublication(publicationId: $id) { id } }`,
      { id: templatePublication.id },
      library,
    );
    const { cloneServerTemplate } = await ok<{
      cloneServerTemplate: { id: string; multiCloudImages: Array<{ multiCloudImage: { id: string }; revision: number }> };
    }>(
      url,
      `mutation($id: ID!) { cloneServerTemplate(id: $id, revision: 1) { id multiCloudImages { multiCloudImage { id } revision } } }`,
      { id: importPublication.id },
      library,
    );
    await ok(url, COMMIT, { id: cloneServerTemplate.id, message: 'our own' }, library);
    const importedMci = cloneServerTemplate.multiCloudImages[0]?.multiCloudImage.id as string;
    const before = (await service.services.store.readAll({ filter: { streamPrefixes: ['publication-'] }, maxCount: 1000 })).events.length;
    const published = await publishAs(url, { componentId: cloneServerTemplate.id }, library);
    expect(published.dependencies).toEqual([
      {
        kind: 'MULTI_CLOUD_IMAGE',
        componentId: importedMci,
        revision: cloneServerTemplate.multiCloudImages[0]?.revision,
        publicationId: mciDependency?.publicationId,
      },
    ]);
    // Only the template's own publication was written.
    expect((await service.services.store.readAll({ filter: { streamPrefixes: ['publication-'] }, maxCount: 1000 })).events.length).toBe(
      before + 1,
    );
  });

  it('refuses to pass on, inside a template, an import its publisher shared only with groups (nothing written)', async () => {
    const url = service.url;
    const group = await createGroup(url, 'Inner circle');
    await join(url, group.id, consumer);
    const mci = await createMci(url, 'Group-only base', [EAST], { commit: true });
    const groupOnly = await publishAs(url, { componentId: mci, visibility: 'GROUPS', accountGroupIds: [group.id] });
    const designer = await tokenWithRoles(url, ['LIBRARY', 'PUBLISHER', 'DESIGNER'], consumer.admin);
    const { importPublication } = await ok<{ importPublication: { id: string } }>(
      url,
      `mutation($id: ID!) { importPublication(publicationId: $id) { id } }`,
      { id: groupOnly.id },
      designer,
    );
    const template = await createTemplate(url, 'Passes it on', importPublication.id, 1, designer);
    await ok(url, COMMIT, { id: template.id, message: 'release 1' }, designer);

    const before = await service.services.store.headPosition();
    const refused = await fails(url, PUBLISH, { input: publishInput({ componentId: template.id }) }, designer);
    expect({ code: refused.code, message: refused.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: `ServerTemplate '${template.id}' revision 1 pins MultiCloudImage '${importPublication.id}', an import of a publication its publisher shared only with account groups: it can't be passed on inside your template; clone it and pin your own copy`,
    });
    expect(await service.services.store.headPosition()).toEqual(before);
  });
});
