import { importedComponentId } from '../../src/application/imports';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import {
  IMPORT,
  MCI_FIELDS,
  SCRIPT_FIELDS,
  TEMPLATE_FIELDS,
  importAs,
  importFails,
  publishTemplate,
  type ImportedView,
  type PublishedTemplate,
} from './importsFixtures';
import { createGroup, join, publishAs } from './marketplaceFixtures';
import { EAST, createMci, streamOf } from './serverTemplatesFixtures';

/*
 * importPublication over HTTP (domain.md, "MultiCloud Marketplace and sharing"): a read-only copy of
 * a published revision in the importing account that keeps its origin; a template brings the MCI and
 * RightScript revisions it pins, reusing copies the account already has; importing again returns the
 * same copy; what the account may not see is NOT_FOUND, and nothing is written on any refusal.
 */

interface Mci extends ImportedView {
  settings: Array<{ cloud: { id: string }; image: { id: string }; instanceType: { id: string } }>;
  revisions: Array<{ revision: number; message: string; committedBy: string }>;
}
interface Script extends ImportedView {
  source: string;
  revisions: Array<{ revision: number; message: string }>;
}
interface Template extends ImportedView {
  multiCloudImages: Array<{
    multiCloudImage: { id: string; revision: number; name: string; readOnly: boolean };
    revision: number;
    isDefault: boolean;
  }>;
  rightScripts: Array<{
    rightScript: { id: string; revision: number; name: string; readOnly: boolean };
    revision: number;
    sequence: string;
    position: number;
  }>;
  supportedClouds: Array<{ id: string }>;
  revisions: Array<{ revision: number; message: string }>;
}

const GET_MCI = `query($id: ID!, $revision: Int) { multiCloudImage(id: $id, revision: $revision) { ${MCI_FIELDS} } }`;
const GET_SCRIPT = `query($id: ID!) { rightScript(id: $id) { ${SCRIPT_FIELDS} } }`;
const GET_TEMPLATE = `query($id: ID!) { serverTemplate(id: $id) { ${TEMPLATE_FIELDS} } }`;
const COUNTS = `{ multiCloudImages { totalCount } rightScripts { totalCount } serverTemplates { totalCount } }`;

describe('importPublication', () => {
  let service: TestService;
  let url: string;
  let published: PublishedTemplate;
  let consumer: { accountId: string; admin: Headers };
  let outsider: { accountId: string; admin: Headers };

  const counts = async (headers: Headers): Promise<[number, number, number]> => {
    const data = await ok<Record<string, { totalCount: number }>>(url, COUNTS, {}, headers);
    return [data['multiCloudImages']?.totalCount ?? -1, data['rightScripts']?.totalCount ?? -1, data['serverTemplates']?.totalCount ?? -1];
  };

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    published = await publishTemplate(url, 'PHP FrontEnd v7');
    consumer = await secondAccount(url, 'Consumer Corp');
    outsider = await secondAccount(url, 'Outsider Ltd');
  });
  afterAll(() => service.stop());

  it('imports an MCI revision as a read-only copy with its origin, its settings and a revision 1', async () => {
    const imported = await importAs(url, published.mciPublication, consumer.admin);
    expect(imported).toMatchObject({
      __typename: 'MultiCloudImage',
      name: 'PHP FrontEnd v7 image',
      revision: 0,
      // The publisher's lineage: imports of one published lineage share it.
      lineage: published.mci,
      readOnly: true,
      behind: false,
      clonedFrom: null,
      importedFrom: {
        publicationId: published.mciPublication,
        publisherAccount: { id: 'default', name: 'Default' },
        componentId: published.mci,
        revision: 1,
      },
    });
    expect(imported.id).toBe(importedComponentId(consumer.accountId, published.mci, 1, 0));
    const { multiCloudImage: copy } = await ok<{ multiCloudImage: Mci }>(url, GET_MCI, { id: imported.id }, consumer.admin);
    const { multiCloudImage: original } = await ok<{ multiCloudImage: Mci }>(url, GET_MCI, { id: published.mci, revision: 1 });
    expect(copy.settings).toEqual(original.settings);
    expect(copy.revisions).toEqual([
      {
        revision: 1,
        message: `Imported from publication '${published.mciPublication}': revision 1 of MultiCloudImage '${published.mci}'`,
        committedBy: expect.any(String),
      },
    ]);
    // Revision 1 is a snapshot like any other, with the same origin.
    const { multiCloudImage: atOne } = await ok<{ multiCloudImage: Mci }>(url, GET_MCI, { id: imported.id, revision: 1 }, consumer.admin);
    expect(atOne).toMatchObject({
      revision: 1,
      readOnly: true,
      behind: false,
      importedFrom: imported.importedFrom,
      settings: original.settings,
    });
    // The publisher's own component is no import, and the importer still can't read it.
    expect(original).toMatchObject({ readOnly: false, importedFrom: null });
    expect(await fails(url, GET_MCI, { id: published.mci }, consumer.admin)).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no such MultiCloudImage',
    });
  });

  it('returns the same copy when the same publication is imported again, writing nothing', async () => {
    const first = await importAs(url, published.mciPublication, consumer.admin);
    const before = await service.services.store.headPosition();
    const again = await importAs(url, published.mciPublication, consumer.admin);
    expect(again).toEqual(first);
    expect(await service.services.store.headPosition()).toEqual(before);
    expect(await counts(consumer.admin)).toEqual([1, 0, 0]);
  });

  it('imports a template with the revisions it pins, reusing the MCI already imported, and pins the local copies at revision 1', async () => {
    const mciCopy = importedComponentId(consumer.accountId, published.mci, 1, 0);
    const imported = await importAs(url, published.publication.id, consumer.admin);
    expect(imported).toMatchObject({ __typename: 'ServerTemplate', readOnly: true, lineage: published.template, revision: 0 });
    const { serverTemplate } = await ok<{ serverTemplate: Template }>(url, GET_TEMPLATE, { id: imported.id }, consumer.admin);
    const scriptCopy = importedComponentId(consumer.accountId, published.script, 1, 0);
    expect(serverTemplate.multiCloudImages).toEqual([
      { multiCloudImage: { id: mciCopy, revision: 1, name: 'PHP FrontEnd v7 image', readOnly: true }, revision: 1, isDefault: true },
    ]);
    expect(serverTemplate.rightScripts).toEqual([
      {
        rightScript: { id: scriptCopy, revision: 1, name: 'PHP FrontEnd v7 script', readOnly: true },
        revision: 1,
        sequence: 'BOOT',
        position: 1,
      },
    ]);
    expect(serverTemplate.supportedClouds).toEqual([{ id: EAST }]);
    expect(serverTemplate.revisions).toEqual([
      {
        revision: 1,
        message: `Imported from publication '${published.publication.id}': revision 1 of ServerTemplate '${published.template}'`,
      },
    ]);
    // One copy each: the MCI imported before was reused, not copied again.
    expect(await counts(consumer.admin)).toEqual([1, 1, 1]);
    const { rightScript } = await ok<{ rightScript: Script }>(url, GET_SCRIPT, { id: scriptCopy }, consumer.admin);
    expect(rightScript).toMatchObject({
      readOnly: true,
      source: '#!/bin/sh\necho PHP FrontEnd v7 script\n',
      importedFrom: { publicationId: published.scriptPublication, componentId: published.script, revision: 1 },
    });
    // The stream holds the import and its revision 1, appended together.
    expect(await streamOf(service, `template-${imported.id}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
  });

  it('deploys a server from an imported template, with the imported MCI’s setting', async () => {
    const templateCopy = importedComponentId(consumer.accountId, published.template, 1, 0);
    const { createDeployment } = await ok<{ createDeployment: { id: string } }>(
      url,
      `mutation { createDeployment(name: "Imported web") { id } }`,
      {},
      consumer.admin,
    );
    const { addServer } = await ok<{
      addServer: {
        multiCloudImage: { id: string; revision: number };
        serverTemplate: { id: string; revision: number };
        cloud: { id: string };
      };
    }>(
      url,
      `mutation($d: ID!, $t: ID!, $c: ID!) { addServer(input: { deploymentId: $d, name: "web", serverTemplateId: $t, serverTemplateRevision: 1, cloudId: $c }) {
         multiCloudImage { id revision } serverTemplate { id revision } cloud { id } } }`,
      { d: createDeployment.id, t: templateCopy, c: EAST },
      consumer.admin,
    );
    expect(addServer).toEqual({
      multiCloudImage: { id: importedComponentId(consumer.accountId, published.mci, 1, 0), revision: 1 },
      serverTemplate: { id: templateCopy, revision: 1 },
      cloud: { id: EAST },
    });
  });

  it('reuses the copies a second template import pins, and makes no second copy of anything', async () => {
    // Another template of the publisher pinning the same MCI and RightScript revisions.
    const other = await ok<{ createServerTemplate: { id: string } }>(
      url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "PHP BackEnd v1", multiCloudImageId: $m, multiCloudImageRevision: 1 }) { id } }`,
      { m: published.mci },
    );
    const templateId = other.createServerTemplate.id;
    await ok(
      url,
      `mutation($t: ID!, $s: ID!) { bindRightScript(templateId: $t, rightScriptId: $s, revision: 1, sequence: OPERATIONAL) { id } }`,
      {
        t: templateId,
        s: published.script,
      },
    );
    await ok(url, `mutation($t: ID!) { commitServerTemplate(id: $t, message: "backend") { revision } }`, { t: templateId });
    const publication = await publishAs(url, { componentId: templateId, revision: 1 });
    const imported = await importAs(url, publication.id, consumer.admin);
    const { serverTemplate } = await ok<{ serverTemplate: Template }>(url, GET_TEMPLATE, { id: imported.id }, consumer.admin);
    expect(serverTemplate.multiCloudImages.map((mci) => mci.multiCloudImage.id)).toEqual([
      importedComponentId(consumer.accountId, published.mci, 1, 0),
    ]);
    expect(serverTemplate.rightScripts.map((binding) => [binding.sequence, binding.rightScript.id])).toEqual([
      ['OPERATIONAL', importedComponentId(consumer.accountId, published.script, 1, 0)],
    ]);
    expect(await counts(consumer.admin)).toEqual([1, 1, 2]);
  });

  it('answers a second import of the template with the copy it has, writing nothing', async () => {
    const before = await service.services.store.headPosition();
    const again = await importAs(url, published.publication.id, consumer.admin);
    expect(again.id).toBe(importedComponentId(consumer.accountId, published.template, 1, 0));
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('imports a template whose publisher pinned an import through that import’s own origin, reusing a copy of it', async () => {
    const upstream = await secondAccount(url, 'Upstream Inc');
    const upstreamMci = await createMci(url, 'Upstream image', [EAST], { commit: true, headers: upstream.admin });
    const upstreamPublication = await publishAs(url, { componentId: upstreamMci, revision: 1 }, upstream.admin);
    // The publisher imports it and builds a template on it; the consumer imported it already.
    const publisherCopy = await importAs(url, upstreamPublication.id, ADMIN);
    const consumerCopy = await importAs(url, upstreamPublication.id, consumer.admin);
    const { createServerTemplate } = await ok<{ createServerTemplate: { id: string } }>(
      url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "On upstream", multiCloudImageId: $m, multiCloudImageRevision: 1 }) { id } }`,
      { m: publisherCopy.id },
    );
    await ok(url, `mutation($t: ID!) { commitServerTemplate(id: $t, message: "on upstream") { revision } }`, {
      t: createServerTemplate.id,
    });
    const publication = await publishAs(url, { componentId: createServerTemplate.id, revision: 1 });
    expect(publication.dependencies).toEqual([
      { kind: 'MULTI_CLOUD_IMAGE', componentId: publisherCopy.id, revision: 1, publicationId: upstreamPublication.id },
    ]);

    const imported = await importAs(url, publication.id, consumer.admin);
    const { serverTemplate } = await ok<{ serverTemplate: Template }>(url, GET_TEMPLATE, { id: imported.id }, consumer.admin);
    expect(serverTemplate.multiCloudImages.map((mci) => mci.multiCloudImage.id)).toEqual([consumerCopy.id]);
    expect(consumerCopy.importedFrom).toMatchObject({
      publisherAccount: { id: upstream.accountId, name: 'Upstream Inc' },
      componentId: upstreamMci,
    });
  });

  it('is NOT_FOUND for a publication the account may not see, exactly as for one that never existed, and writes nothing', async () => {
    const group = await createGroup(url, 'Partners');
    await join(url, group.id, consumer);
    const mci = await createMci(url, 'Partners only', [EAST], { commit: true });
    const partnersOnly = await publishAs(url, { componentId: mci, revision: 1, visibility: 'GROUPS', accountGroupIds: [group.id] });
    const before = await service.services.store.headPosition();
    const hidden = await importFails(url, partnersOnly.id, outsider.admin);
    const missing = await importFails(url, '00000000-0000-4000-8000-000000000000', outsider.admin);
    const malformed = await importFails(url, 'not a publication id!', outsider.admin);
    expect(hidden).toMatchObject({ code: 'NOT_FOUND', message: 'no such publication' });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: hidden.message });
    expect(malformed).toMatchObject({ code: 'NOT_FOUND', message: hidden.message });
    expect(await service.services.store.headPosition()).toEqual(before);
    expect(await counts(outsider.admin)).toEqual([0, 0, 0]);
    // A member of the group may import it.
    expect(await importAs(url, partnersOnly.id, consumer.admin)).toMatchObject({
      readOnly: true,
      importedFrom: { publicationId: partnersOnly.id },
    });
  });

  it('refuses the account’s own publication with BAD_USER_INPUT, writing nothing', async () => {
    const before = await service.services.store.headPosition();
    const own = await importFails(url, published.mciPublication, ADMIN);
    expect(own.code).toBe('BAD_USER_INPUT');
    expect(own.message).toBe(
      `publicationId: publication '${published.mciPublication}' is your own account's revision 1 of MultiCloudImage '${published.mci}': pin or clone it instead; imports are of other accounts' publications`,
    );
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('imports a deprecated publication when asked by its id', async () => {
    const mci = await createMci(url, 'Soon deprecated', [EAST], { commit: true });
    const publication = await publishAs(url, { componentId: mci, revision: 1 });
    await ok(url, `mutation($id: ID!) { deprecatePublication(publicationId: $id) { deprecated } }`, { id: publication.id });
    const imported = await importAs(url, publication.id, outsider.admin);
    expect(imported).toMatchObject({ readOnly: true, behind: false, importedFrom: { publicationId: publication.id } });
  });

  it('needs the library role: FORBIDDEN for a designer, writing nothing; allowed with library alone', async () => {
    const designer = await tokenWithRoles(url, ['DESIGNER'], outsider.admin);
    const library = await tokenWithRoles(url, ['LIBRARY'], outsider.admin);
    const before = await service.services.store.headPosition();
    const refused = await importFails(url, published.scriptPublication, designer);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/needs the 'library' right/);
    expect(await service.services.store.headPosition()).toEqual(before);
    const imported = await ok<{ importPublication: ImportedView }>(url, IMPORT, { id: published.scriptPublication }, library);
    expect(imported.importPublication).toMatchObject({ __typename: 'RightScript', readOnly: true });
  });

  it('shows importedFrom null and readOnly false for components that are not imports', async () => {
    const { serverTemplate } = await ok<{ serverTemplate: Template }>(url, GET_TEMPLATE, { id: published.template });
    expect(serverTemplate).toMatchObject({ readOnly: false, importedFrom: null });
    expect(serverTemplate.multiCloudImages[0]?.multiCloudImage.readOnly).toBe(false);
  });
});
