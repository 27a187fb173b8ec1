import { runCommand } from '../../src/application/components';
import { multiCloudImageKind } from '../../src/application/multiCloudImages';
import { assertNotInUse } from '../../src/application/usage';
import { fails, ok, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import {
  ADD_MCI,
  BIND,
  COMMIT,
  CREATE,
  DELETE,
  EAST,
  EU,
  PIN_MCI,
  REMOVE_MCI,
  SET_DEFAULT,
  UPDATE,
  createMci,
  createScript,
  createTemplate,
  written,
  type Template,
} from './serverTemplatesFixtures';

/*
 * Every refusal of the ServerTemplate API with its code and its message, over real HTTP, and proof
 * that nothing was written: the log's head and the streams involved are exactly what they were.
 */

const DELETE_MCI = `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`;
const DELETE_SCRIPT = `mutation($id: ID!) { deleteRightScript(id: $id) }`;
const GHOST = '00000000-0000-4000-8000-000000000000';

describe('ServerTemplate API refusals', () => {
  let service: TestService;
  let url: string;
  let web: string;
  let template: Template;
  let observer: Headers;

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    web = await createMci(url, 'Web', [EAST, EU], { commit: true });
    template = await createTemplate(url, 'Refusals', web, 1);
    await ok(url, COMMIT, { id: template.id, message: 'first' });
    observer = await tokenWithRoles(url, ['OBSERVER']);
  });
  afterAll(() => service.stop());

  /** Runs an operation that must be refused with this code and message, and checks that nothing was written. */
  async function refused(
    expected: { code: string; message: string | RegExp },
    query: string,
    variables: Record<string, unknown>,
    streams: readonly string[] = [`template-${template.id}`],
    headers: Headers = ADMIN,
  ): Promise<Record<string, unknown>> {
    const before = await written(service, streams);
    const error = await fails(url, query, variables, headers);
    expect(error.code).toBe(expected.code);
    if (typeof expected.message === 'string') expect(error.message).toBe(expected.message);
    else expect(error.message).toMatch(expected.message);
    expect(await written(service, streams)).toEqual(before);
    return error.extensions;
  }

  it('answers NOT_FOUND for a missing template, MCI, RightScript or revision, naming the revisions there are', async () => {
    await refused({ code: 'NOT_FOUND', message: 'no such MultiCloudImage' }, CREATE, { input: { name: 'x', multiCloudImageId: GHOST } });
    await refused(
      { code: 'NOT_FOUND', message: `MultiCloudImage '${web}' has no revision 9: its revisions are 1 to 1 (0 is HEAD)` },
      CREATE,
      {
        input: { name: 'x', multiCloudImageId: web, multiCloudImageRevision: 9 },
      },
    );
    await refused({ code: 'NOT_FOUND', message: 'no such ServerTemplate' }, ADD_MCI, { templateId: GHOST, mci: web });
    await refused({ code: 'NOT_FOUND', message: 'no such ServerTemplate' }, COMMIT, { id: GHOST, message: 'x' });
    const other = await createMci(url, 'Other', [EAST]);
    await refused(
      { code: 'NOT_FOUND', message: `MultiCloudImage '${other}' has no revision 2: nothing was committed yet (0 is HEAD)` },
      ADD_MCI,
      { templateId: template.id, mci: other, revision: 2 },
    );
    const script = await createScript(url, 'never committed');
    await refused(
      { code: 'NOT_FOUND', message: `RightScript '${script}' has no revision 1: nothing was committed yet (0 is HEAD)` },
      BIND,
      { templateId: template.id, script, revision: 1, sequence: 'BOOT' },
    );
    await refused({ code: 'NOT_FOUND', message: 'no such RightScript' }, BIND, {
      templateId: template.id,
      script: GHOST,
      sequence: 'BOOT',
    });
    await refused(
      { code: 'NOT_FOUND', message: `ServerTemplate '${template.id}' has no revision 3: its revisions are 1 to 1 (0 is HEAD)` },
      `query($id: ID!) { serverTemplate(id: $id, revision: 3) { id } }`,
      {
        id: template.id,
      },
    );
    await refused(
      { code: 'NOT_FOUND', message: `ServerTemplate '${template.id}' has no revision 3: its revisions are 1 to 1 (0 is HEAD)` },
      `mutation($id: ID!) { cloneServerTemplate(id: $id, revision: 3) { id } }`,
      { id: template.id },
    );
    // A deleted MCI can't be pinned any more.
    const doomed = await createMci(url, 'Doomed', [EAST]);
    await ok(url, DELETE_MCI, { id: doomed });
    await refused({ code: 'NOT_FOUND', message: 'no such MultiCloudImage' }, ADD_MCI, { templateId: template.id, mci: doomed });
  });

  it('refuses bad input: names, positions, revisions, sequences, the last MCI, a second binding', async () => {
    await refused({ code: 'BAD_USER_INPUT', message: 'name: expected 1 to 255 characters, got 256' }, UPDATE, {
      input: { id: template.id, name: 'x'.repeat(256) },
    });
    await refused({ code: 'BAD_USER_INPUT', message: 'name: expected 1 to 255 characters, got a blank name' }, CREATE, {
      input: { name: ' ', multiCloudImageId: web },
    });
    await refused(
      { code: 'BAD_USER_INPUT', message: 'revision: expected 0 (HEAD) or a committed revision number 1, 2, 3 …, got -1' },
      ADD_MCI,
      { templateId: template.id, mci: web, revision: -1 },
    );
    await refused(
      {
        code: 'BAD_USER_INPUT',
        message: `a ServerTemplate needs at least one MultiCloudImage: '${web}' is the only one attached; attach another before removing it`,
      },
      REMOVE_MCI,
      { templateId: template.id, mci: web },
    );
    await refused(
      {
        code: 'BAD_USER_INPUT',
        message: `MultiCloudImage '${web}' is already attached at revision 1: use pinTemplateMultiCloudImage to change its pin`,
      },
      ADD_MCI,
      { templateId: template.id, mci: web },
    );
    const detached = await createMci(url, 'Detached', [EU], { commit: true });
    await refused(
      {
        code: 'BAD_USER_INPUT',
        message: `multiCloudImageId: expected a MultiCloudImage attached to this ServerTemplate ('${web}'), got '${detached}'`,
      },
      SET_DEFAULT,
      { templateId: template.id, mci: detached },
    );
    await ok(url, ADD_MCI, { templateId: template.id, mci: detached, revision: 1 });
    await refused(
      { code: 'BAD_USER_INPUT', message: `newDefaultMultiCloudImageId: expected another attached MCI ('${web}'), got '${GHOST}'` },
      REMOVE_MCI,
      { templateId: template.id, mci: detached, newDefault: GHOST },
    );
    await ok(url, REMOVE_MCI, { templateId: template.id, mci: detached });
    const script = await createScript(url, 'boot', { commit: true });
    await refused({ code: 'BAD_USER_INPUT', message: 'position: expected 1 to 1, got 3' }, BIND, {
      templateId: template.id,
      script,
      sequence: 'BOOT',
      position: 3,
    });
    await ok(url, BIND, { templateId: template.id, script, revision: 1, sequence: 'BOOT' });
    await refused(
      {
        code: 'BAD_USER_INPUT',
        message: `RightScript '${script}' is already bound in BOOT at position 1 (revision 1): unbind it first to move it or change its pin`,
      },
      BIND,
      { templateId: template.id, script, sequence: 'BOOT' },
    );
    await refused(
      { code: 'BAD_USER_INPUT', message: `rightScriptId: expected a RightScript bound in OPERATIONAL (none is bound), got '${script}'` },
      `mutation($t: ID!, $s: ID!) { unbindRightScript(templateId: $t, rightScriptId: $s, sequence: OPERATIONAL) { id } }`,
      { t: template.id, s: script },
    );
    // An unknown sequence never reaches the service: GraphQL's enum refuses it.
    const { code } = await fails(url, BIND, { templateId: template.id, script, sequence: 'SHUTDOWN' });
    expect(code).toBe('BAD_USER_INPUT');
    await refused(
      { code: 'BAD_USER_INPUT', message: 'commit message: expected 1 to 4096 characters saying what changed, got a blank message' },
      COMMIT,
      { id: template.id, message: '  ', deps: true },
    );
    await refused(
      { code: 'BAD_USER_INPUT', message: 'filter.nameContains: expected at most 255 characters, got 256' },
      `query($f: ServerTemplateFilter) { serverTemplates(filter: $f) { totalCount } }`,
      {
        f: { nameContains: 'x'.repeat(256) },
      },
    );
    await refused(
      { code: 'BAD_USER_INPUT', message: 'filter.cloudId: expected an id of at most 128 characters, got 129' },
      `query($f: ServerTemplateFilter) { serverTemplates(filter: $f) { totalCount } }`,
      { f: { cloudId: 'c'.repeat(129) } },
    );
  });

  it('re-pins within its lineage only', async () => {
    const mci = await createMci(url, 'Lineage', [EAST], { commit: true });
    const own = await createTemplate(url, 'Re-pinned', mci, 1);
    const { pinTemplateMultiCloudImage } = await ok<{ pinTemplateMultiCloudImage: Template }>(url, PIN_MCI, {
      templateId: own.id,
      mci,
      revision: 0,
    });
    expect(pinTemplateMultiCloudImage.multiCloudImages.map((m) => [m.multiCloudImage.id, m.revision, m.isDefault])).toEqual([
      [mci, 0, true],
    ]);
    const { cloneMultiCloudImage: clone } = await ok<{ cloneMultiCloudImage: { id: string } }>(
      url,
      `mutation($id: ID!) { cloneMultiCloudImage(id: $id) { id } }`,
      { id: mci },
    );
    await refused(
      {
        code: 'BAD_USER_INPUT',
        message: `re-pinning stays within a lineage: '${clone.id}' is of lineage '${clone.id}', the attached MCI '${mci}' of lineage '${mci}'; attach it with addTemplateMultiCloudImage instead`,
      },
      PIN_MCI,
      { templateId: own.id, mci, to: clone.id, revision: 0 },
      [`template-${own.id}`],
    );
    await refused(
      { code: 'NOT_FOUND', message: `MultiCloudImage '${mci}' has no revision 4: its revisions are 1 to 1 (0 is HEAD)` },
      PIN_MCI,
      { templateId: own.id, mci, revision: 4 },
      [`template-${own.id}`],
    );
  });

  it('refuses edits of a committed revision (NOT_HEAD) and stale versions (VERSION_CONFLICT), even before committing dependencies', async () => {
    await refused(
      {
        code: 'NOT_HEAD',
        message: `only HEAD (revision 0) of '${template.id}' can change; revision 1 is committed and immutable: edit HEAD, or clone revision 1 to edit a copy of it`,
      },
      UPDATE,
      { input: { id: template.id, name: 'renamed', revision: 1 } },
    );
    const mci = await createMci(url, 'Stale', [EU]);
    const stale = await createTemplate(url, 'Stale', mci);
    await ok(url, UPDATE, { input: { id: stale.id, description: 'moved on' } });
    await refused(
      { code: 'VERSION_CONFLICT', message: 'expectedVersion 0 is out of date: it is at version 1 now; read it again and retry' },
      ADD_MCI,
      { templateId: stale.id, mci: web, v: 0 },
      [`template-${stale.id}`],
    );
    // The HEAD-pinned MCI stays uncommitted: a stale commit is refused before anything is written.
    await refused(
      { code: 'VERSION_CONFLICT', message: 'expectedVersion 0 is out of date: it is at version 1 now; read it again and retry' },
      COMMIT,
      { id: stale.id, message: 'stale', deps: true, v: 0 },
      [`template-${stale.id}`, `mci-${mci}`],
    );
  });

  it('refuses to commit with a HEAD dependency deleted in the race IN_USE cannot close, naming it, writing nothing', async () => {
    const mci = await createMci(url, 'Vanishing', [EAST]);
    const orphan = await createTemplate(url, 'Orphaned', mci);
    // Deleted straight through its decider, as a delete that read no pin just before this one was added would.
    const context = { accountId: 'default', actorId: 'race', correlationId: 'race' };
    await runCommand(
      service.services,
      multiCloudImageKind,
      mci,
      { type: 'DeleteMultiCloudImage', data: { accountId: 'default' } },
      context,
      {},
    );
    const extensions = await refused(
      {
        code: 'NOT_FOUND',
        message: `HEAD pins MultiCloudImage '${mci}', which no longer exists: remove or re-pin it, then commit again`,
      },
      COMMIT,
      { id: orphan.id, message: 'release', deps: true },
      [`template-${orphan.id}`, `mci-${mci}`],
    );
    expect(extensions).toMatchObject({ kind: 'MultiCloudImage', id: mci });
  });

  it('refuses designer operations to an observer', async () => {
    await refused(
      { code: 'FORBIDDEN', message: "Mutation.commitServerTemplate needs the 'designer' right; this token has 'observer'" },
      COMMIT,
      { id: template.id, message: 'x' },
      [`template-${template.id}`],
      observer,
    );
    await refused(
      { code: 'FORBIDDEN', message: "Mutation.createServerTemplate needs the 'designer' right; this token has 'observer'" },
      CREATE,
      { input: { name: 'x', multiCloudImageId: web } },
      [],
      observer,
    );
  });

  it('refuses to delete an MCI any template revision pins (IN_USE), naming them, until no template does', async () => {
    const mci = await createMci(url, 'Shared', [EAST], { commit: true });
    const spare = await createMci(url, 'Spare', [EU], { commit: true });
    // One template pins it in revision 1 only (HEAD moved on to another MCI) …
    const pinned = await createTemplate(url, 'Pins revision 1', mci, 1);
    await ok(url, COMMIT, { id: pinned.id, message: 'with Shared' });
    await ok(url, ADD_MCI, { templateId: pinned.id, mci: spare, revision: 1, isDefault: true });
    await ok(url, REMOVE_MCI, { templateId: pinned.id, mci });
    const inUse = {
      code: 'IN_USE',
      message: `MultiCloudImage '${mci}' is pinned by 1 ServerTemplate revision ('${pinned.id}' revision 1): it can't be deleted while any template revision pins it`,
    };
    const extensions = await refused(inUse, DELETE_MCI, { id: mci }, [`mci-${mci}`]);
    expect(extensions).toMatchObject({ usedBy: [{ id: pinned.id, revision: 1 }], totalCount: 1 });

    // … six more pin its HEAD: the message names five and counts the rest.
    const heads: string[] = [];
    for (let i = 0; i < 6; i++) heads.push((await createTemplate(url, `Pins HEAD ${i}`, mci)).id);
    const many = await refused(
      {
        code: 'IN_USE',
        message: `MultiCloudImage '${mci}' is pinned by 7 ServerTemplate revisions ('${pinned.id}' revision 1, ${heads
          .slice(0, 4)
          .map((id) => `'${id}' HEAD`)
          .join(', ')} and 2 more): it can't be deleted while any template revision pins it`,
      },
      DELETE_MCI,
      { id: mci },
      [`mci-${mci}`],
    );
    expect(many['totalCount']).toBe(7);

    // Deleted templates don't count: once none is left, the MCI goes.
    for (const id of [pinned.id, ...heads]) await ok(url, DELETE, { id });
    const { deleteMultiCloudImage } = await ok<{ deleteMultiCloudImage: string }>(url, DELETE_MCI, { id: mci });
    expect(deleteMultiCloudImage).toBe(mci);
  });

  it('refuses to delete a RightScript a template binds (IN_USE) over HTTP, until no template does', async () => {
    const script = await createScript(url, 'bound', { commit: true });
    const mci = await createMci(url, 'For scripts', [EAST], { commit: true });
    const bound = await createTemplate(url, 'Binds', mci, 1);
    await ok(url, BIND, { templateId: bound.id, script, revision: 1, sequence: 'DECOMMISSION' });
    const extensions = await refused(
      {
        code: 'IN_USE',
        message: `RightScript '${script}' is pinned by 1 ServerTemplate revision ('${bound.id}' HEAD): it can't be deleted while any template revision pins it`,
      },
      DELETE_SCRIPT,
      { id: script },
      [`rightscript-${script}`, `template-${bound.id}`],
    );
    expect(extensions).toMatchObject({ usedBy: [{ id: bound.id, revision: 0 }], totalCount: 1 });
    // The check is scoped to the viewer's account: another account's pins never count (nor show).
    await expect(assertNotInUse(service.services, 'another-account', 'RightScript', script)).resolves.toBeUndefined();
    await ok(url, DELETE, { id: bound.id });
    const { deleteRightScript } = await ok<{ deleteRightScript: string }>(url, DELETE_SCRIPT, { id: script });
    expect(deleteRightScript).toBe(script);
  });
});
