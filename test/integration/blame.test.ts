import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { startTestService, type TestService } from '../support/service';

/*
 * Blame over real HTTP: two users of one account edit components, so each field names the right
 * actor; committed revisions, refusals (with nothing written), another account's ids, a deleted
 * component.
 */

const EAST = 'aws-us-east-1';
const WEST = 'aws-us-west-1';
const image = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64);
const small = (cloudId: string): string => starterInstanceTypeId(cloudId, 'small');

const BLAME = `query($id: ID!, $revision: Int) {
  blame(id: $id, revision: $revision) {
    id kind revision
    fields { path value committedIn event { id type revision occurredAt actor { id } hash } }
  }
}`;
const HISTORY = `query($id: ID!) { history(id: $id) { nodes { revision type hash actor { id } } } }`;

interface BlameEntry {
  path: string;
  value: unknown;
  committedIn: number | null;
  event: { id: string; type: string; revision: number; occurredAt: string; actor: { id: string } | null; hash: string };
}
interface Blame {
  id: string;
  kind: string;
  revision: number;
  fields: BlameEntry[];
}

describe('blame', () => {
  let service: TestService;
  let alice: Headers;
  let bob: Headers;
  let observer: Headers;
  const users: Record<string, string> = {};
  let mci: string;

  const viewerId = async (headers: Headers): Promise<string> =>
    (await ok<{ viewer: { user: { id: string } } }>(service.url, `{ viewer { user { id } } }`, {}, headers)).viewer.user.id;

  const blameOf = async (id: string, revision?: number, headers: Headers = observer): Promise<Blame> =>
    (await ok<{ blame: Blame }>(service.url, BLAME, { id, ...(revision === undefined ? {} : { revision }) }, headers)).blame;

  /** path → "<event type>@<stream revision> by <user>, in <commit>": who set what, as a reviewer reads it. */
  const listing = (blame: Blame): Record<string, string> => {
    const name = (id: string | undefined): string => Object.entries(users).find(([, user]) => user === id)?.[0] ?? `unknown ${id}`;
    return Object.fromEntries(
      blame.fields.map((field) => [
        field.path,
        `${field.event.type}@${field.event.revision} by ${name(field.event.actor?.id)}, in ${field.committedIn ?? 'HEAD'}`,
      ]),
    );
  };

  const map = (headers: Headers, cloudId: string): Promise<unknown> =>
    ok(
      service.url,
      `mutation($input: MapImageInput!) { mapImage(input: $input) { version } }`,
      { input: { multiCloudImageId: mci, cloudId, imageId: image(cloudId), instanceTypeId: small(cloudId) } },
      headers,
    );
  const commit = (headers: Headers, id: string, message: string): Promise<unknown> =>
    ok(
      service.url,
      `mutation($id: ID!, $m: String!) { commitMultiCloudImage(id: $id, message: $m) { revision } }`,
      { id, m: message },
      headers,
    );
  const update = (headers: Headers, input: Record<string, unknown>): Promise<unknown> =>
    ok(
      service.url,
      `mutation($input: UpdateMultiCloudImageInput!) { updateMultiCloudImage(input: $input) { version } }`,
      { input },
      headers,
    );

  beforeAll(async () => {
    service = await startTestService();
    alice = await tokenWithRoles(service.url, ['DESIGNER']);
    bob = await tokenWithRoles(service.url, ['DESIGNER']);
    observer = await tokenWithRoles(service.url, ['OBSERVER']);
    users['alice'] = await viewerId(alice);
    users['bob'] = await viewerId(bob);

    // alice: create (0), map east (1), commit 1 (2); bob: map west (3), describe (4), commit 2 (5); alice: rename (6), HEAD only.
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "Base", description: "first" }) { id } }`,
      {},
      alice,
    );
    mci = createMultiCloudImage.id;
    await map(alice, EAST);
    await commit(alice, mci, 'east');
    await map(bob, WEST);
    await update(bob, { id: mci, description: 'east and west' });
    await commit(bob, mci, 'west');
    await update(alice, { id: mci, name: 'Base v2' });
  });
  afterAll(() => service.stop());

  it('names, at HEAD, for every field the event, actor and commit that last set it', async () => {
    const blame = await blameOf(mci);
    expect({ id: blame.id, kind: blame.kind, revision: blame.revision }).toEqual({ id: mci, kind: 'MultiCloudImage', revision: 0 });
    expect(listing(blame)).toEqual({
      name: 'MultiCloudImageUpdated@6 by alice, in HEAD',
      description: 'MultiCloudImageUpdated@4 by bob, in 2',
      [`settings.${EAST}.image`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.instanceType`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.kernelImage`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.ramdiskImage`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.userData`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${WEST}.image`]: 'ImageMapped@3 by bob, in 2',
      [`settings.${WEST}.instanceType`]: 'ImageMapped@3 by bob, in 2',
      [`settings.${WEST}.kernelImage`]: 'ImageMapped@3 by bob, in 2',
      [`settings.${WEST}.ramdiskImage`]: 'ImageMapped@3 by bob, in 2',
      [`settings.${WEST}.userData`]: 'ImageMapped@3 by bob, in 2',
    });
    const values = Object.fromEntries(blame.fields.map((field) => [field.path, field.value]));
    expect(values).toMatchObject({ name: 'Base v2', [`settings.${WEST}.image`]: image(WEST), [`settings.${EAST}.kernelImage`]: null });
  });

  it('gives the very events the history lists, with their hashes and times', async () => {
    const { history } = await ok<{ history: { nodes: Array<{ revision: number; type: string; hash: string; actor: { id: string } }> } }>(
      service.url,
      HISTORY,
      { id: mci },
      observer,
    );
    const blame = await blameOf(mci);
    for (const field of blame.fields) {
      const recorded = history.nodes[field.event.revision];
      expect({ path: field.path, type: field.event.type, hash: field.event.hash, actor: field.event.actor }).toEqual({
        path: field.path,
        type: recorded?.type,
        hash: recorded?.hash,
        actor: recorded?.actor,
      });
      expect(Number.isNaN(Date.parse(field.event.occurredAt))).toBe(false);
    }
  });

  it('blames a committed revision as it was committed', async () => {
    const blame = await blameOf(mci, 1);
    expect(blame.revision).toBe(1);
    expect(listing(blame)).toEqual({
      name: 'MultiCloudImageCreated@0 by alice, in 1',
      description: 'MultiCloudImageCreated@0 by alice, in 1',
      [`settings.${EAST}.image`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.instanceType`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.kernelImage`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.ramdiskImage`]: 'ImageMapped@1 by alice, in 1',
      [`settings.${EAST}.userData`]: 'ImageMapped@1 by alice, in 1',
    });
    expect(blame.fields.find((field) => field.path === 'name')?.value).toBe('Base');
    // Revision 0 is HEAD, as everywhere in the API.
    expect(await blameOf(mci, 0)).toEqual(await blameOf(mci));
  });

  describe('refusals (nothing written)', () => {
    async function refused(variables: Record<string, unknown>, headers: Headers = observer) {
      const before = await service.services.store.headPosition();
      const error = await fails(service.url, BLAME, variables, headers);
      expect(await service.services.store.headPosition()).toEqual(before);
      return { code: error.code, message: error.message, extensions: error.extensions };
    }

    it('answers NOT_FOUND naming the revisions that exist for a revision never committed', async () => {
      expect(await refused({ id: mci, revision: 3 })).toMatchObject({
        code: 'NOT_FOUND',
        message: `MultiCloudImage '${mci}' has no revision 3: its revisions are 1 to 2 (0 is HEAD)`,
        extensions: { latestRevision: 2 },
      });
    });

    it('refuses a negative revision as BAD_USER_INPUT', async () => {
      expect(await refused({ id: mci, revision: -1 })).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: 'revision: expected 0 (HEAD) or a committed revision number 1, 2, 3 …, got -1',
      });
    });

    it('answers another account exactly as for an id nobody has', async () => {
      const intruder = (await secondAccount(service.url, 'Blame Intruder')).admin;
      const foreign = await refused({ id: mci }, intruder);
      const foreignRevision = await refused({ id: mci, revision: 1 }, intruder);
      const missing = await refused({ id: '00000000-0000-4000-8000-000000000000' });
      const malformed = await refused({ id: '../mci-x' });
      expect(foreign).toEqual({ code: 'NOT_FOUND', message: 'no such component', extensions: { code: 'NOT_FOUND' } });
      expect(foreignRevision).toEqual(foreign);
      expect(missing).toEqual(foreign);
      expect(malformed).toEqual(foreign);
    });
  });

  it('keeps a deleted component’s committed revisions blameable and refuses its HEAD', async () => {
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "Doomed" }) { id } }`,
      {},
      alice,
    );
    const doomed = createMultiCloudImage.id;
    await commit(alice, doomed, 'keep');
    await ok(service.url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: doomed }, bob);
    expect(listing(await blameOf(doomed, 1))).toEqual({
      name: 'MultiCloudImageCreated@0 by alice, in 1',
      description: 'MultiCloudImageCreated@0 by alice, in 1',
    });
    const before = await service.services.store.headPosition();
    const error = await fails(service.url, BLAME, { id: doomed }, observer);
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${doomed}' was deleted, so it has no HEAD to blame: blame one of its committed revisions 1 to 1`,
    });
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('blames each RightScript input on the update that changed it', async () => {
    const INPUTS = `inputs { name type default }`;
    const { createRightScript } = await ok<{ createRightScript: { id: string } }>(
      service.url,
      `mutation($input: CreateRightScriptInput!) { createRightScript(input: $input) { id ${INPUTS} } }`,
      {
        input: {
          name: 'install',
          source: 'echo hi',
          inputs: [
            { name: 'PORT', type: 'NUMBER', default: '80' },
            { name: 'ROOT', type: 'TEXT' },
          ],
        },
      },
      alice,
    );
    const script = createRightScript.id;
    await ok(service.url, `mutation($id: ID!) { commitRightScript(id: $id, message: "first") { revision } }`, { id: script }, alice);
    await ok(
      service.url,
      `mutation($input: UpdateRightScriptInput!) { updateRightScript(input: $input) { version } }`,
      {
        input: {
          id: script,
          inputs: [
            { name: 'PORT', type: 'NUMBER', default: '8080' },
            { name: 'ROOT', type: 'TEXT' },
          ],
        },
      },
      bob,
    );
    const blame = await blameOf(script);
    expect(blame.kind).toBe('RightScript');
    expect(listing(blame)).toEqual({
      name: 'RightScriptCreated@0 by alice, in 1',
      description: 'RightScriptCreated@0 by alice, in 1',
      source: 'RightScriptCreated@0 by alice, in 1',
      'inputs.PORT.type': 'RightScriptCreated@0 by alice, in 1',
      'inputs.PORT.default': 'RightScriptUpdated@2 by bob, in HEAD',
      'inputs.ROOT.type': 'RightScriptCreated@0 by alice, in 1',
      'inputs.ROOT.default': 'RightScriptCreated@0 by alice, in 1',
    });
    expect(blame.fields.find((field) => field.path === 'inputs.PORT.default')?.value).toBe('8080');
  });

  it('blames a ServerTemplate’s pins, default and binding positions, and HEAD pins resolved by its commit', async () => {
    const script = async (name: string): Promise<string> => {
      const { createRightScript } = await ok<{ createRightScript: { id: string } }>(
        service.url,
        `mutation($name: String!) { createRightScript(input: { name: $name, source: "true" }) { id } }`,
        { name },
        bob,
      );
      await ok(
        service.url,
        `mutation($id: ID!) { commitRightScript(id: $id, message: "r1") { revision } }`,
        { id: createRightScript.id },
        bob,
      );
      return createRightScript.id;
    };
    const bind = (headers: Headers, templateId: string, rightScriptId: string, position?: number): Promise<unknown> =>
      ok(
        service.url,
        `mutation($t: ID!, $s: ID!, $p: Int) { bindRightScript(templateId: $t, rightScriptId: $s, revision: 1, sequence: BOOT, position: $p) { version } }`,
        { t: templateId, s: rightScriptId, ...(position === undefined ? {} : { p: position }) },
        headers,
      );
    const install = await script('install');
    const configure = await script('configure');
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "Other" }) { id } }`,
      {},
      bob,
    );
    const other = createMultiCloudImage.id;

    // alice: create (0); bob: bind install (1); alice: bind configure before it (2); bob: attach `other` at HEAD as default (3);
    // alice: commit with HEAD dependencies: repin `other` (4), RevisionCommitted 1 (5).
    const { createServerTemplate } = await ok<{ createServerTemplate: { id: string } }>(
      service.url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "Web", multiCloudImageId: $m, multiCloudImageRevision: 2 }) { id } }`,
      { m: mci },
      alice,
    );
    const template = createServerTemplate.id;
    await bind(bob, template, install);
    await bind(alice, template, configure, 1);
    await ok(
      service.url,
      `mutation($t: ID!, $m: ID!) { addTemplateMultiCloudImage(templateId: $t, multiCloudImageId: $m, isDefault: true) { version } }`,
      { t: template, m: other },
      bob,
    );
    await ok(
      service.url,
      `mutation($id: ID!) { commitServerTemplate(id: $id, message: "pinned", commitHeadDependencies: true) { revision } }`,
      { id: template },
      alice,
    );

    const blame = await blameOf(template);
    expect(blame.kind).toBe('ServerTemplate');
    expect(listing(blame)).toEqual({
      name: 'ServerTemplateCreated@0 by alice, in 1',
      description: 'ServerTemplateCreated@0 by alice, in 1',
      [`multiCloudImages.${mci}.revision`]: 'ServerTemplateCreated@0 by alice, in 1',
      [`multiCloudImages.${other}.revision`]: 'TemplateMultiCloudImageRepinned@4 by alice, in 1',
      defaultMultiCloudImage: 'TemplateMultiCloudImageAdded@3 by bob, in 1',
      [`rightScripts.BOOT.${configure}.revision`]: 'RightScriptBound@2 by alice, in 1',
      [`rightScripts.BOOT.${configure}.position`]: 'RightScriptBound@2 by alice, in 1',
      [`rightScripts.BOOT.${install}.revision`]: 'RightScriptBound@1 by bob, in 1',
      [`rightScripts.BOOT.${install}.position`]: 'RightScriptBound@2 by alice, in 1',
    });
    const values = Object.fromEntries(blame.fields.map((field) => [field.path, field.value]));
    expect(values).toMatchObject({ [`multiCloudImages.${other}.revision`]: 1, [`rightScripts.BOOT.${install}.position`]: 2 });
    expect(await blameOf(template, 1)).toEqual({ ...blame, revision: 1 });
  });
});
