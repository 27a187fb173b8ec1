import type { GraphQLSchema } from 'graphql';
import { buildApiSchema } from '../../src/graphql/schema';
import { fails, ok, secondAccount, type Headers } from '../support/api';
import { buildCall, rootOperations } from '../support/operations';
import { startTestService, type TestService } from '../support/service';
import { IMPORTED_FIELDS, importAs, importFails, publishTemplate, type ImportedView, type PublishedTemplate } from './importsFixtures';
import { EAST, createMci, mapCloud, streamOf } from './serverTemplatesFixtures';

/*
 * An import is read-only (domain.md: "To edit an import, clone it"): every mutation that changes a
 * component says READ_ONLY for an import of its kind and writes nothing, whichever of its arguments
 * names the import. Generated from the schema, so a new editing mutation must be classified here. An
 * import can be cloned (the clone is the account's own, editable), pinned by the account's own
 * templates (a HEAD pin of it resolves to its revision 1 on commit), and deleted when nothing pins it.
 */

type Kind = 'MultiCloudImage' | 'RightScript' | 'ServerTemplate';

/** Mutations that change an existing component: each kind they apply to must refuse its imports. */
const EDITS: Readonly<Record<string, readonly Kind[]>> = {
  updateMultiCloudImage: ['MultiCloudImage'],
  mapImage: ['MultiCloudImage'],
  unmapImage: ['MultiCloudImage'],
  commitMultiCloudImage: ['MultiCloudImage'],
  updateRightScript: ['RightScript'],
  commitRightScript: ['RightScript'],
  updateServerTemplate: ['ServerTemplate'],
  addTemplateMultiCloudImage: ['ServerTemplate'],
  removeTemplateMultiCloudImage: ['ServerTemplate'],
  setDefaultTemplateMultiCloudImage: ['ServerTemplate'],
  pinTemplateMultiCloudImage: ['ServerTemplate'],
  bindRightScript: ['ServerTemplate'],
  unbindRightScript: ['ServerTemplate'],
  commitServerTemplate: ['ServerTemplate'],
  merge: ['MultiCloudImage', 'RightScript', 'ServerTemplate'],
};

/** Mutations that don't change an existing component (they make new ones, delete, or are about something else). */
const NOT_EDITS = new Set([
  'createAccount',
  'createUser',
  'createApiToken',
  'revokeApiToken',
  'registerCloud',
  'registerImage',
  'registerInstanceType',
  'deprecateImage',
  'createMultiCloudImage',
  'cloneMultiCloudImage',
  'deleteMultiCloudImage',
  'createRightScript',
  'cloneRightScript',
  'deleteRightScript',
  'createServerTemplate',
  'cloneServerTemplate',
  'deleteServerTemplate',
  'createDeployment',
  'addServer',
  'updateServer',
  'publish',
  'deprecatePublication',
  'createAccountGroup',
  'inviteToAccountGroup',
  'acceptInvitation',
  'importPublication',
]);

const CLONE_MCI = `mutation($id: ID!) { cloneMultiCloudImage(id: $id) { ${IMPORTED_FIELDS} } }`;
const CLONE_TEMPLATE = `mutation($id: ID!) { cloneServerTemplate(id: $id) { ${IMPORTED_FIELDS} multiCloudImages { multiCloudImage { id } revision } } }`;

describe('imports are read-only', () => {
  let service: TestService;
  let url: string;
  let schema: GraphQLSchema;
  let published: PublishedTemplate;
  let consumer: { accountId: string; admin: Headers };
  const imported: Partial<Record<Kind, ImportedView>> = {};
  const importOf = (kind: Kind): ImportedView => {
    const found = imported[kind];
    if (!found) throw new Error(`no ${kind} was imported`);
    return found;
  };

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    schema = await buildApiSchema();
    published = await publishTemplate(url, 'Read only v1');
    consumer = await secondAccount(url, 'Consumer Corp');
    imported.ServerTemplate = await importAs(url, published.publication.id, consumer.admin);
    imported.MultiCloudImage = await importAs(url, published.mciPublication, consumer.admin);
    imported.RightScript = await importAs(url, published.scriptPublication, consumer.admin);
  });
  afterAll(() => service.stop());

  it('classifies every mutation of the schema as an edit or not', () => {
    const mutations = rootOperations(schema).filter((operation) => operation.kind === 'mutation');
    const unclassified = mutations.map((operation) => operation.name).filter((name) => !(name in EDITS) && !NOT_EDITS.has(name));
    expect(unclassified).toEqual([]);
  });

  it('answers READ_ONLY to every editing mutation aimed at an import, and writes nothing', async () => {
    const verdicts: string[] = [];
    for (const operation of rootOperations(schema).filter((candidate) => candidate.kind === 'mutation' && candidate.name in EDITS)) {
      for (const kind of EDITS[operation.name] ?? []) {
        // Every id names an import: the one of the kind edited, or of the kind the argument is about.
        const call = buildCall(operation, (path) => {
          const leaf = (path.split('.').pop() as string).toLowerCase();
          if (leaf.includes('cloud') && !leaf.includes('multicloudimage')) return EAST;
          if (leaf.startsWith('image') || leaf.startsWith('instancetype')) return undefined;
          if (leaf.includes('multicloudimage') && kind === 'ServerTemplate') return importOf('MultiCloudImage').id;
          if (leaf.includes('rightscript') && kind === 'ServerTemplate') return importOf('RightScript').id;
          return importOf(kind).id;
        });
        const before = await service.services.store.headPosition();
        const refused = await fails(url, call.query, call.variables, consumer.admin);
        verdicts.push(`${operation.name} × ${kind}: ${String(refused.code)}`);
        if (refused.code === 'READ_ONLY') {
          expect(refused.message).toBe(
            `${kind} '${importOf(kind).id}' is an import of revision 1 of '${importOf(kind).importedFrom?.componentId}' (publication '${importOf(kind).importedFrom?.publicationId}'): clone it to edit`,
          );
        }
        expect(await service.services.store.headPosition()).toEqual(before);
      }
    }
    expect(verdicts).toEqual(verdicts.map((verdict) => verdict.replace(/: .*$/, ': READ_ONLY')));
    expect(verdicts.length).toBeGreaterThanOrEqual(14);
  });

  it('says READ_ONLY rather than NOT_HEAD for an edit aimed at a committed revision, and for a commit with HEAD dependencies', async () => {
    const template = importOf('ServerTemplate').id;
    const before = await service.services.store.headPosition();
    const atRevision = await fails(
      url,
      `mutation($id: ID!) { updateServerTemplate(input: { id: $id, name: "mine", revision: 1 }) { id } }`,
      {
        id: template,
      },
      consumer.admin,
    );
    expect(atRevision.code).toBe('READ_ONLY');
    const commit = await fails(
      url,
      `mutation($id: ID!) { commitServerTemplate(id: $id, message: "mine", commitHeadDependencies: true) { id } }`,
      {
        id: template,
      },
      consumer.admin,
    );
    expect(commit.code).toBe('READ_ONLY');
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('clones an import into an editable component of the account, clonedFrom the import', async () => {
    const source = importOf('MultiCloudImage');
    const { cloneMultiCloudImage: clone } = await ok<{ cloneMultiCloudImage: ImportedView }>(
      url,
      CLONE_MCI,
      { id: source.id },
      consumer.admin,
    );
    expect(clone).toMatchObject({
      name: 'Read only v1 image',
      readOnly: false,
      importedFrom: null,
      clonedFrom: { id: source.id, revision: 0 },
      behind: false,
    });
    expect(clone.lineage).toBe(clone.id);
    await mapCloud(url, clone.id, 'aws-eu-west-1', consumer.admin);
    const { commitMultiCloudImage } = await ok<{ commitMultiCloudImage: { revision: number } }>(
      url,
      `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "mine now") { revision } }`,
      { id: clone.id },
      consumer.admin,
    );
    expect(commitMultiCloudImage.revision).toBe(1);
    // The import itself is untouched.
    expect(await streamOf(service, `mci-${source.id}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
  });

  it('clones an imported template pinning the same imported revisions, and the clone is editable', async () => {
    const source = importOf('ServerTemplate');
    const { cloneServerTemplate: clone } = await ok<{
      cloneServerTemplate: ImportedView & { multiCloudImages: Array<{ multiCloudImage: { id: string }; revision: number }> };
    }>(url, CLONE_TEMPLATE, { id: source.id }, consumer.admin);
    expect(clone).toMatchObject({ readOnly: false, importedFrom: null, clonedFrom: { id: source.id, revision: 0 } });
    expect(clone.multiCloudImages).toEqual([{ multiCloudImage: { id: importOf('MultiCloudImage').id }, revision: 1 }]);
    const { updateServerTemplate } = await ok<{ updateServerTemplate: { name: string } }>(
      url,
      `mutation($id: ID!) { updateServerTemplate(input: { id: $id, name: "Mine v1" }) { name } }`,
      { id: clone.id },
      consumer.admin,
    );
    expect(updateServerTemplate.name).toBe('Mine v1');
  });

  it('lets the account’s own template pin an import at HEAD and commit it with its HEAD dependencies: the pin resolves to revision 1', async () => {
    const mci = importOf('MultiCloudImage').id;
    const { createServerTemplate } = await ok<{ createServerTemplate: { id: string } }>(
      url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "Pins an import at HEAD", multiCloudImageId: $m }) { id } }`,
      { m: mci },
      consumer.admin,
    );
    const { commitServerTemplate } = await ok<{
      commitServerTemplate: { revision: number; multiCloudImages: Array<{ multiCloudImage: { id: string }; revision: number }> };
    }>(
      url,
      `mutation($id: ID!) { commitServerTemplate(id: $id, message: "first", commitHeadDependencies: true) { revision multiCloudImages { multiCloudImage { id } revision } } }`,
      { id: createServerTemplate.id },
      consumer.admin,
    );
    expect(commitServerTemplate).toEqual({ revision: 1, multiCloudImages: [{ multiCloudImage: { id: mci }, revision: 1 }] });
    expect(await streamOf(service, `mci-${mci}`)).toEqual(['0:ComponentImported', '1:RevisionCommitted']);
  });

  it('refuses to delete an import a template pins (IN_USE), and deletes one nothing pins; a new import then makes a fresh copy', async () => {
    const before = await service.services.store.headPosition();
    const pinned = await fails(
      url,
      `mutation($id: ID!) { deleteRightScript(id: $id) }`,
      { id: importOf('RightScript').id },
      consumer.admin,
    );
    expect(pinned.code).toBe('IN_USE');
    expect(await service.services.store.headPosition()).toEqual(before);

    const lone = await createMci(url, 'Lone image', [EAST], { commit: true });
    const { publish } = await ok<{ publish: { id: string } }>(
      url,
      `mutation($id: ID!) { publish(input: { componentId: $id, revision: 1, visibility: PUBLIC }) { id } }`,
      { id: lone },
    );
    const first = await importAs(url, publish.id, consumer.admin);
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: first.id }, consumer.admin);
    const gone = await fails(url, `query($id: ID!) { multiCloudImage(id: $id) { id } }`, { id: first.id }, consumer.admin);
    expect(gone.code).toBe('NOT_FOUND');
    const second = await importAs(url, publish.id, consumer.admin);
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ readOnly: true, importedFrom: { publicationId: publish.id } });
    // And that one is reused from then on.
    expect((await importAs(url, publish.id, consumer.admin)).id).toBe(second.id);
  });

  it('keeps the origin through a deletion: a deleted import still refuses edits as deleted, not as read-only', async () => {
    const lone = await createMci(url, 'Deleted import', [EAST], { commit: true });
    const { publish } = await ok<{ publish: { id: string } }>(
      url,
      `mutation($id: ID!) { publish(input: { componentId: $id, revision: 1, visibility: PUBLIC }) { id } }`,
      { id: lone },
    );
    const copy = await importAs(url, publish.id, consumer.admin);
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: copy.id }, consumer.admin);
    const refused = await fails(
      url,
      `mutation($id: ID!) { updateMultiCloudImage(input: { id: $id, name: "x" }) { id } }`,
      { id: copy.id },
      consumer.admin,
    );
    expect(refused).toMatchObject({ code: 'NOT_FOUND', message: `MultiCloudImage '${copy.id}' was deleted` });
    expect((await importFails(url, 'no-such-publication', consumer.admin)).code).toBe('NOT_FOUND');
  });
});
