import type { GraphQLSchema } from 'graphql';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { buildApiSchema } from '../../src/graphql/schema';
import { ok, secondAccount, type Headers } from '../support/api';
import { buildCall, idPaths, rootOperations, type IdChooser } from '../support/operations';
import { graphql, startTestService, type TestService } from '../support/service';

/**
 * A second account's token gets NOT_FOUND for every id of the first account, in every query and
 * mutation that takes an id: generated from the schema, so a new operation is covered (or must be
 * listed below as taking only global catalog ids). The answer is the same as for an id that never
 * existed, and nothing is written.
 */
const GLOBAL_IDS_ONLY = new Set(['cloud', 'registerCloud', 'registerImage', 'registerInstanceType', 'deprecateImage', 'multiCloudImages']);

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
    return own['mci'];
  };

  it('answers NOT_FOUND, as for an id that never existed, to every operation given another account’s id, and writes nothing', async () => {
    const covered: string[] = [];
    for (const operation of rootOperations(schema)) {
      if (idPaths(operation).length === 0 || GLOBAL_IDS_ONLY.has(operation.name)) continue;
      covered.push(operation.name);
      const theirs = buildCall(operation, chooseOwn);
      const before = await service.services.store.headPosition();
      const response = await graphql(service.url, theirs.query, theirs.variables, { ...intruder });
      const error = response.body.errors?.[0];
      expect({ operation: operation.name, code: error?.extensions?.['code'] }).toEqual({ operation: operation.name, code: 'NOT_FOUND' });
      expect(await service.services.store.headPosition()).toEqual(before);

      // The message for a foreign id reads exactly like the one for an id nobody has.
      const ghost = '00000000-0000-4000-8000-000000000000';
      const nobodys = buildCall(operation, (path, op) => {
        const chosen = chooseOwn(path, op);
        return chosen === own['mci'] || chosen === own['user'] || chosen === own['token'] ? ghost : chosen;
      });
      const missing = await graphql(service.url, nobodys.query, nobodys.variables, { ...intruder });
      const mask = (message: string | undefined): string | undefined =>
        message
          ?.replaceAll(own['mci'] as string, '<id>')
          .replaceAll(own['user'] as string, '<id>')
          .replaceAll(own['token'] as string, '<id>')
          .replaceAll(ghost, '<id>');
      expect({ operation: operation.name, message: mask(error?.message) }).toEqual({
        operation: operation.name,
        message: mask(missing.body.errors?.[0]?.message),
      });
    }
    expect(covered).toEqual(
      expect.arrayContaining(['multiCloudImage', 'history', 'diff', 'componentAt', 'mapImage', 'commitMultiCloudImage', 'revokeApiToken']),
    );
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
  });
});
