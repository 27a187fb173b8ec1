import type { GraphQLSchema } from 'graphql';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { buildApiSchema } from '../../src/graphql/schema';
import { ok, secondAccount, type Headers } from '../support/api';
import { buildCall, idPaths, rootOperations, type IdChooser } from '../support/operations';
import { startTestService, type TestService } from '../support/service';
import { execute } from '../support/ws';

/**
 * A second account's token gets NOT_FOUND for every id of the first account, in every query and
 * mutation that takes an id: generated from the schema, so a new operation is covered (or must be
 * listed below as taking only global catalog ids). The answer is the same as for an id that never
 * existed, and nothing is written.
 */
const GLOBAL_IDS_ONLY = new Set([
  'cloud',
  'registerCloud',
  'registerImage',
  'registerInstanceType',
  'deprecateImage',
  'multiCloudImages',
  'serverTemplates',
  // Marketplace: a list filtered by another account's component or lineage shows what the viewer may see of it (its public publications).
  'publications',
]);

const RIGHT_SCRIPT_OPERATIONS = new Set(['rightScript', 'updateRightScript', 'commitRightScript', 'cloneRightScript', 'deleteRightScript']);
/** ServerTemplate operations whose `id` is a template's (the others name it `templateId`). */
const TEMPLATE_OPERATIONS = new Set([
  'serverTemplate',
  'updateServerTemplate',
  'commitServerTemplate',
  'cloneServerTemplate',
  'deleteServerTemplate',
]);
/**
 * Operations that take no id at all: creations, the viewer, and lists of the viewer's own account (checked in
 * 'lists none of them either'). Nothing of another account can be named through them. Every operation of the
 * schema is either here, in GLOBAL_IDS_ONLY, or called below with another account's ids: a new operation that
 * is in none of them fails 'classifies every operation of the schema'.
 */
const TAKES_NO_ID = new Set([
  'viewer',
  'users',
  'apiTokens',
  'clouds',
  'deployments',
  'rightScripts',
  'serverInfo',
  'createAccount',
  'createUser',
  'createDeployment',
  'createMultiCloudImage',
  'createRightScript',
  // Marketplace: the caller's own groups; creating one; accepting an invitation by its single-use code.
  'accountGroups',
  'createAccountGroup',
  'acceptInvitation',
]);

/** Id arguments that name an MCI by their very name. */
const MCI_ID_LEAVES = new Set(['multiCloudImageId', 'toMultiCloudImageId', 'newDefaultMultiCloudImageId']);
/**
 * Operations whose generic id arguments (`id`, `targetId`, `source.id`, `from.id`, `filter.componentIds`…) name
 * a component of any kind, or an MCI: the first account's MCI stands for them. Any other id argument that
 * `chooseOwn` doesn't place fails the test, naming it, so a new operation is called with an id of the object
 * it really names (its own entry in `chooseOwn`), never with an MCI's by accident: that would answer NOT_FOUND
 * and prove nothing.
 */
const ANY_COMPONENT_OPERATIONS = new Set([
  'history',
  'componentAt',
  'diff',
  'blame',
  'verifyHistory',
  'events',
  'multiCloudImage',
  'updateMultiCloudImage',
  'commitMultiCloudImage',
  'cloneMultiCloudImage',
  'deleteMultiCloudImage',
  // Marketplace and merge: components to merge, compare or publish.
  'mergePreview',
  'merge',
  'publish',
]);

/** The first account's MCI for an id argument classified as naming one; a failure naming the argument otherwise. */
function mciOrUnclassified(path: string, operation: string, mci: string): string {
  const leaf = path.split('.').pop() as string;
  if (MCI_ID_LEAVES.has(leaf) || ANY_COMPONENT_OPERATIONS.has(operation)) return mci;
  throw new Error(
    `tenant isolation: no id chosen for argument '${path}' of '${operation}': say in chooseOwn which of the first account's objects it names (or add the operation to ANY_COMPONENT_OPERATIONS if any component will do)`,
  );
}

const CLOUD = 'aws-us-east-1';
const IMAGE = starterImageId(CLOUD, STARTER_IMAGE_NAMES.centosX64);
const SMALL = starterInstanceTypeId(CLOUD, 'small');

describe('tenant isolation: another account sees none of this account’s objects', () => {
  let service: TestService;
  let schema: GraphQLSchema;
  let intruder: Headers;
  const own: Record<string, string> = {};

  beforeAll(async () => {
    service = await startTestService();
    schema = await buildApiSchema();
    intruder = (await secondAccount(service.url, 'Intruder Inc')).admin;
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
      service.url,
      `mutation { createMultiCloudImage(input: { name: "Private MCI", description: "ours" }) { id } }`,
    );
    own['mci'] = createMultiCloudImage.id;
    await ok(
      service.url,
      `mutation($id: ID!, $c: ID!, $i: ID!, $t: ID!) { mapImage(input: { multiCloudImageId: $id, cloudId: $c, imageId: $i, instanceTypeId: $t }) { id } }`,
      {
        id: own['mci'],
        c: CLOUD,
        i: IMAGE,
        t: SMALL,
      },
    );
    await ok(service.url, `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "first") { revision } }`, { id: own['mci'] });
    const { createUser } = await ok<{ createUser: { id: string } }>(service.url, `mutation { createUser(name: "Private user") { id } }`);
    own['user'] = createUser.id;
    const { apiTokens } = await ok<{ apiTokens: Array<{ id: string }> }>(service.url, `{ apiTokens { id } }`);
    own['token'] = (apiTokens[0] as { id: string }).id;
    // RightScripts: one with a committed revision
    const { createRightScript } = await ok<{ createRightScript: { id: string } }>(
      service.url,
      `mutation { createRightScript(input: { name: "Private script", source: "echo ours", inputs: [{ name: "SECRET_PORT", type: NUMBER }] }) { id } }`,
    );
    own['rightScript'] = createRightScript.id;
    await ok(service.url, `mutation($id: ID!) { commitRightScript(id: $id, message: "first") { revision } }`, { id: own['rightScript'] });
    // deployments: a deployment with one server, built from a template of the MCI
    const { createServerTemplate: template } = await ok<{ createServerTemplate: { id: string } }>(
      service.url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "Private template", multiCloudImageId: $m, multiCloudImageRevision: 1 }) { id } }`,
      { m: own['mci'] },
    );
    own['template'] = template.id;
    const { createDeployment } = await ok<{ createDeployment: { id: string } }>(
      service.url,
      `mutation { createDeployment(name: "Private") { id } }`,
    );
    own['deployment'] = createDeployment.id;
    const { addServer } = await ok<{ addServer: { id: string } }>(
      service.url,
      `mutation($d: ID!, $t: ID!, $c: ID!) { addServer(input: { deploymentId: $d, name: "web", serverTemplateId: $t, cloudId: $c }) { id } }`,
      { d: own['deployment'], t: template.id, c: CLOUD },
    );
    own['server'] = addServer.id;
    // marketplace: a group with no other member, and the MCI's revision 1 published to it only
    const { createAccountGroup } = await ok<{ createAccountGroup: { id: string } }>(
      service.url,
      `mutation { createAccountGroup(name: "Private group") { id } }`,
    );
    own['group'] = createAccountGroup.id;
    const { publish } = await ok<{ publish: { id: string } }>(
      service.url,
      `mutation($m: ID!, $g: ID!) { publish(input: { componentId: $m, revision: 1, visibility: GROUPS, accountGroupIds: [$g] }) { id } }`,
      { m: own['mci'], g: own['group'] },
    );
    own['publication'] = publish.id;
  });
  afterAll(() => service.stop());

  /** The first account's id for each id-taking argument; catalog ids are real (they are shared by everyone). */
  const chooseOwn: IdChooser = (path, operation) => {
    const leaf = path.split('.').pop() as string;
    if (operation === 'revokeApiToken') return own['token'];
    if (leaf === 'userId') return own['user'];
    if (leaf === 'cloudId') return CLOUD;
    if (leaf === 'imageId') return IMAGE;
    if (leaf === 'instanceTypeId') return SMALL;
    if (leaf === 'kernelImageId' || leaf === 'ramdiskImageId') return undefined;
    if (leaf === 'rightScriptId' || RIGHT_SCRIPT_OPERATIONS.has(operation)) return own['rightScript'];
    if (leaf === 'deploymentId' || operation === 'deployment') return own['deployment'];
    if (leaf === 'serverId') return own['server'];
    if (leaf === 'groupId' || leaf === 'accountGroupIds') return own['group'];
    // The account invited (the first account itself): what is foreign to the intruder is the group.
    if (operation === 'inviteToAccountGroup' && leaf === 'accountId') return 'default';
    if (leaf === 'publicationId' || operation === 'publication') return own['publication'];
    if (leaf === 'templateId' || leaf === 'serverTemplateId' || (leaf === 'id' && TEMPLATE_OPERATIONS.has(operation)))
      return own['template'];
    return mciOrUnclassified(path, operation, own['mci'] as string);
  };

  it('answers NOT_FOUND, as for an id that never existed, to every operation given another account’s id, and writes nothing', async () => {
    const covered: string[] = [];
    for (const operation of rootOperations(schema)) {
      if (idPaths(operation).length === 0 || GLOBAL_IDS_ONLY.has(operation.name)) continue;
      covered.push(operation.name);
      const theirs = buildCall(operation, chooseOwn);
      const before = await service.services.store.headPosition();
      // Subscriptions run over a WebSocket, answered by their first message.
      const response = await execute(service.url, theirs.query, theirs.variables, { ...intruder });
      const error = response.body.errors?.[0];
      expect({ operation: operation.name, code: error?.extensions?.['code'] }).toEqual({ operation: operation.name, code: 'NOT_FOUND' });
      expect(await service.services.store.headPosition()).toEqual(before);

      // The message for a foreign id reads exactly like the one for an id nobody has.
      const ghost = '00000000-0000-4000-8000-000000000000';
      const nobodys = buildCall(operation, (path, op) => {
        const chosen = chooseOwn(path, op);
        return chosen !== undefined && Object.values(own).includes(chosen) ? ghost : chosen;
      });
      const missing = await execute(service.url, nobodys.query, nobodys.variables, { ...intruder });
      const mask = (message: string | undefined): string | undefined =>
        [...Object.values(own), ghost].reduce((masked, id) => masked?.replaceAll(id, '<id>'), message);
      expect({ operation: operation.name, message: mask(error?.message) }).toEqual({
        operation: operation.name,
        message: mask(missing.body.errors?.[0]?.message),
      });
    }
    expect(covered).toEqual(
      expect.arrayContaining(['multiCloudImage', 'history', 'diff', 'componentAt', 'mapImage', 'commitMultiCloudImage', 'revokeApiToken']),
    );
    expect(covered).toEqual(expect.arrayContaining(['deployment', 'addServer', 'updateServer']));
    expect(covered).toEqual(expect.arrayContaining(['blame']));
    expect(covered).toEqual(expect.arrayContaining(['mergePreview', 'merge'])); // target and source both the first account's MCI
    expect(covered).toEqual(expect.arrayContaining(['publish', 'publication', 'deprecatePublication', 'inviteToAccountGroup']));
    expect(covered).toEqual(expect.arrayContaining(['importPublication'])); // the GROUPS-only publication: not visible to the intruder
    expect(covered.filter((name) => name === 'events')).toHaveLength(2); // the change feed's query and subscription
    expect(covered).toEqual(expect.arrayContaining([...RIGHT_SCRIPT_OPERATIONS]));
    expect(covered).toEqual(
      expect.arrayContaining([
        ...TEMPLATE_OPERATIONS,
        'addTemplateMultiCloudImage',
        'pinTemplateMultiCloudImage',
        'bindRightScript',
        'unbindRightScript',
      ]),
    );
  });

  it('classifies every operation of the schema: called with foreign ids, global ids only, or taking no id', () => {
    const unclassified = rootOperations(schema)
      .filter((operation) => idPaths(operation).length === 0 && !TAKES_NO_ID.has(operation.name))
      .map((operation) => `${operation.kind} ${operation.name}`);
    expect({ 'operations taking no id, missing from TAKES_NO_ID': unclassified }).toEqual({
      'operations taking no id, missing from TAKES_NO_ID': [],
    });
    const names = new Set(rootOperations(schema).map((operation) => operation.name));
    const stale = [...TAKES_NO_ID, ...ANY_COMPONENT_OPERATIONS].filter((name) => !names.has(name));
    expect({ 'listed but not in the schema': stale }).toEqual({ 'listed but not in the schema': [] });
    // Subscriptions go through the same matrix as queries and mutations (over a WebSocket).
    const subscriptions = rootOperations(schema).filter((operation) => operation.kind === 'subscription');
    expect(subscriptions.filter((operation) => idPaths(operation).length === 0).map((operation) => operation.name)).toEqual([]);
  });

  it('lists none of them either', async () => {
    const { multiCloudImages } = await ok<{ multiCloudImages: { totalCount: number; nodes: Array<{ id: string }> } }>(
      service.url,
      `{ multiCloudImages(first: 500) { totalCount nodes { id } } }`,
      {},
      intruder,
    );
    expect(multiCloudImages).toEqual({ totalCount: 0, nodes: [] });
    const { users } = await ok<{ users: Array<{ id: string }> }>(service.url, `{ users { id } }`, {}, intruder);
    expect(users.map((u) => u.id)).not.toContain(own['user']);
    const { rightScripts } = await ok<{ rightScripts: { totalCount: number } }>(
      service.url,
      `{ rightScripts { totalCount } }`,
      {},
      intruder,
    );
    expect(rightScripts.totalCount).toBe(0);
    const { deployments } = await ok<{ deployments: { totalCount: number } }>(service.url, `{ deployments { totalCount } }`, {}, intruder);
    expect(deployments.totalCount).toBe(0);
    const { serverTemplates } = await ok<{ serverTemplates: { totalCount: number } }>(
      service.url,
      `{ serverTemplates { totalCount } }`,
      {},
      intruder,
    );
    expect(serverTemplates.totalCount).toBe(0);
    const { publications, accountGroups } = await ok<{ publications: { totalCount: number }; accountGroups: { totalCount: number } }>(
      service.url,
      `{ publications(filter: { includeDeprecated: true }) { totalCount } accountGroups { totalCount } }`,
      {},
      intruder,
    );
    expect({ publications: publications.totalCount, accountGroups: accountGroups.totalCount }).toEqual({
      publications: 0,
      accountGroups: 0,
    });
  });
});
