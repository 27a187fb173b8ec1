import {
  STARTER_IMAGE_NAMES,
  STARTER_RETIRED_IMAGE_NAMES,
  starterImageId,
  starterInstanceTypeId,
} from '../../src/application/starterCatalog';
import { join } from 'node:path';
import { deploymentsProjection } from '../../projections/deployments';
import type { ReadModelWriter, SqlValue } from '../../projections/projection';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import type { RecordedEvent } from '../../src/eventStore/port';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { dumpTables } from '../support/projections';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';

/*
 * Deployments and servers over real HTTP against a real SQLite file: creating a deployment, adding
 * servers (which MCI, which image and instance type), changing them, reading them back, the events
 * written, and every refusal with its code, its message and proof that nothing was written.
 */

const EAST = 'aws-us-east-1';
const WEST = 'aws-us-west-1';
const EU = 'aws-eu-west-1';
const x64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64);
const i386 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosI386);
const ubuntu64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.ubuntuX64);
const small = (cloudId: string): string => starterInstanceTypeId(cloudId, 'small');
const large = (cloudId: string): string => starterInstanceTypeId(cloudId, 'large');

const SERVER_FIELDS = `id name cloud { id } image { id architecture } instanceType { id }
  multiCloudImage { id revision } serverTemplate { id revision } newerMultiCloudImageRevision deployment { id version }`;
const CREATE_DEPLOYMENT = `mutation($name: String!) { createDeployment(name: $name) { id name version servers { id } } }`;
const ADD = `mutation($input: AddServerInput!) { addServer(input: $input) { ${SERVER_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateServerInput!) { updateServer(input: $input) { ${SERVER_FIELDS} } }`;
const GET = `query($id: ID!) { deployment(id: $id) { id name version servers { ${SERVER_FIELDS} } } }`;
const LIST = `query($first: Int, $after: String) { deployments(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { id name servers { name } } } }`;
const CREATE_MCI = `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }`;
const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`;
const COMMIT_MCI = `mutation($id: ID!) { commitMultiCloudImage(id: $id, message: "commit") { revision } }`;
const CREATE_TEMPLATE = `mutation($name: String!, $m: ID!, $r: Int) { createServerTemplate(input: { name: $name, multiCloudImageId: $m, multiCloudImageRevision: $r }) { id } }`;
const ATTACH = `mutation($t: ID!, $m: ID!, $r: Int) { addTemplateMultiCloudImage(templateId: $t, multiCloudImageId: $m, revision: $r) { id } }`;
const COMMIT_TEMPLATE = `mutation($id: ID!) { commitServerTemplate(id: $id, message: "commit") { revision } }`;

interface ServerOut {
  id: string;
  name: string;
  cloud: { id: string };
  image: { id: string; architecture: string };
  instanceType: { id: string };
  multiCloudImage: { id: string; revision: number };
  serverTemplate: { id: string; revision: number };
  newerMultiCloudImageRevision: number | null;
  deployment: { id: string; version: number };
}

/** What each code's message says: what was expected, and what arrived. */
const MESSAGES = {
  BAD_USER_INPUT:
    /^(name|cloudId|instanceTypeId|multiCloudImageId|imageId|serverId|serverTemplateRevision|first|after): expected .+, got .+|^Deployment '.+' already holds/,
  NO_MCI_FOR_CLOUD:
    /^(ServerTemplate '.+' revision 1 has no MultiCloudImage for cloud '.+': its supported clouds are .+|MultiCloudImage '.+' \(revision 1\) has no setting for cloud '.+': it covers .+)$/,
  IMAGE_NOT_IN_CLOUD: /^image '.+' is not an image of cloud 'aws-us-east-1' \(its images include 'aws-us-east-1\/.+\)$/,
  IMAGE_OBSOLETE: /^image '.+' of cloud 'aws-us-east-1' is OBSOLETE: it can't be newly launched; choose an ACTIVE image$/,
  ARCHITECTURE_MISMATCH: /^instance type '.+' runs x86_64, but image '.+' is i386$/,
  VERSION_CONFLICT: /^expectedVersion \d+ is out of date: it is at version \d+ now; read it again and retry$/,
  NOT_FOUND:
    /^(no such (Deployment|ServerTemplate)|Deployment '.+' has no server '.+'|ServerTemplate '.+' has no revision 9: its revisions are 1 to 1 \(0 is HEAD\))$/,
  FORBIDDEN: /^Mutation\.\w+ needs the 'actor' right; this token has 'designer'$/,
} as const;

describe('deployments and servers over HTTP', () => {
  let service: TestService;
  let url: string;
  let mci64: string;
  let mci32: string;
  let template: string;
  let deployment: string;
  let designer: Headers;
  let observer: Headers;
  let intruder: Headers;
  let intruderDeployment: string;
  let intruderTemplate: string;

  async function written(deploymentId: string = deployment): Promise<{ head: unknown; stream: string[] }> {
    let stream: string[] = [];
    try {
      stream = (await service.services.store.readStream(`deployment-${deploymentId}`)).map((e) => `${e.revision}:${e.type}`);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return { head: await service.services.store.headPosition(), stream };
  }

  /** Runs an operation that must be refused with `code` and a message of that code's form; checks that nothing was written. */
  async function refused(
    code: keyof typeof MESSAGES,
    query: string,
    variables: Record<string, unknown>,
    headers: Headers = ADMIN,
  ): Promise<{ message: string; extensions: Record<string, unknown> }> {
    const before = await written();
    const error = await fails(url, query, variables, headers);
    expect({ code: error.code, message: error.message }).toEqual({ code, message: expect.stringMatching(MESSAGES[code]) });
    expect(await written()).toEqual(before);
    return error;
  }

  async function mciWith(name: string, settings: Array<[string, string, string]>, headers: Headers = ADMIN): Promise<string> {
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(url, CREATE_MCI, { name }, headers);
    for (const [cloudId, imageId, instanceTypeId] of settings) {
      await ok(url, MAP, { input: { multiCloudImageId: createMultiCloudImage.id, cloudId, imageId, instanceTypeId } }, headers);
    }
    await ok(url, COMMIT_MCI, { id: createMultiCloudImage.id }, headers);
    return createMultiCloudImage.id;
  }

  const addInput = (overrides: Record<string, unknown> = {}) => ({
    deploymentId: deployment,
    name: 'web',
    serverTemplateId: template,
    serverTemplateRevision: 1,
    cloudId: EAST,
    ...overrides,
  });

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    mci64 = await mciWith('RightImage_CentOS_5.6_x64_v5.7', [
      [EAST, x64(EAST), large(EAST)],
      [WEST, x64(WEST), small(WEST)],
    ]);
    mci32 = await mciWith('RightImage_CentOS_5.6_i386_v5.7', [[EAST, i386(EAST), small(EAST)]]);
    template = (await ok<{ createServerTemplate: { id: string } }>(url, CREATE_TEMPLATE, { name: 'PHP FrontEnd v1', m: mci64, r: 1 }))
      .createServerTemplate.id;
    await ok(url, ATTACH, { t: template, m: mci32, r: 1 });
    await ok(url, COMMIT_TEMPLATE, { id: template });
    deployment = (await ok<{ createDeployment: { id: string } }>(url, CREATE_DEPLOYMENT, { name: 'production' })).createDeployment.id;
    designer = await tokenWithRoles(url, ['DESIGNER']);
    observer = await tokenWithRoles(url, ['OBSERVER']);
    const other = await secondAccount(url, 'Intruder Inc');
    intruder = other.admin;
    const theirMci = await mciWith('theirs', [[EAST, x64(EAST), small(EAST)]], intruder);
    intruderTemplate = (
      await ok<{ createServerTemplate: { id: string } }>(url, CREATE_TEMPLATE, { name: 'theirs', m: theirMci, r: 1 }, intruder)
    ).createServerTemplate.id;
    await ok(url, COMMIT_TEMPLATE, { id: intruderTemplate }, intruder);
    intruderDeployment = (await ok<{ createDeployment: { id: string } }>(url, CREATE_DEPLOYMENT, { name: 'theirs' }, intruder))
      .createDeployment.id;
  });
  afterAll(() => service.stop());

  it('creates an empty deployment and lists it', async () => {
    const { createDeployment } = await ok<{ createDeployment: unknown }>(url, CREATE_DEPLOYMENT, { name: 'staging' });
    expect(createDeployment).toEqual({ id: expect.any(String), name: 'staging', version: 0, servers: [] });
    const first = await ok<{
      deployments: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: unknown[] };
    }>(url, LIST, { first: 1 });
    expect(first.deployments).toMatchObject({
      totalCount: 2,
      pageInfo: { hasNextPage: true },
      nodes: [{ id: deployment, name: 'production' }],
    });
    const second = await ok<{ deployments: { pageInfo: { hasNextPage: boolean }; nodes: unknown[] } }>(url, LIST, {
      first: 1,
      after: first.deployments.pageInfo.endCursor,
    });
    expect(second.deployments).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: [{ name: 'staging', servers: [] }] });
  });

  describe('adding servers', () => {
    it('takes the default MCI when it covers the cloud, with exactly its image and instance type there', async () => {
      const { addServer } = await ok<{ addServer: ServerOut }>(url, ADD, { input: addInput({ name: 'east default' }) });
      expect(addServer).toEqual({
        id: expect.any(String),
        name: 'east default',
        cloud: { id: EAST },
        image: { id: x64(EAST), architecture: 'x86_64' },
        instanceType: { id: large(EAST) },
        multiCloudImage: { id: mci64, revision: 1 },
        serverTemplate: { id: template, revision: 1 },
        newerMultiCloudImageRevision: null,
        deployment: { id: deployment, version: expect.any(Number) },
      });
      const events = await service.services.store.readStream(`deployment-${deployment}`);
      const added = events.find((event) => event.type === 'ServerAdded' && (event.data as { name: string }).name === 'east default');
      expect(added?.data).toEqual({
        serverId: addServer.id,
        name: 'east default',
        cloudId: EAST,
        serverTemplate: { id: template, revision: 1 },
        multiCloudImage: { id: mci64, revision: 1 },
        multiCloudImageLatestRevision: 1,
        imageId: x64(EAST),
        instanceTypeId: large(EAST),
      });
      expect(added?.metadata.accountId).toBe('default');
    });

    it('takes the MCI asked for, and any image or instance type of the cloud given alongside', async () => {
      const { addServer } = await ok<{ addServer: ServerOut }>(url, ADD, {
        input: addInput({ name: 'east 32-bit', multiCloudImageId: mci32 }),
      });
      expect(addServer).toMatchObject({
        multiCloudImage: { id: mci32, revision: 1 },
        image: { id: i386(EAST) },
        instanceType: { id: small(EAST) },
      });
      const overridden = await ok<{ addServer: ServerOut }>(url, ADD, {
        input: addInput({ name: 'east ubuntu', imageId: ubuntu64(EAST), instanceTypeId: small(EAST) }),
      });
      expect(overridden.addServer).toMatchObject({
        multiCloudImage: { id: mci64, revision: 1 },
        image: { id: ubuntu64(EAST) },
        instanceType: { id: small(EAST) },
      });
    });

    it('reads back every server of the deployment in the order they were added', async () => {
      const { deployment: read } = await ok<{ deployment: { version: number; servers: ServerOut[] } }>(url, GET, { id: deployment });
      expect(read.servers.map((server) => server.name)).toEqual(['east default', 'east 32-bit', 'east ubuntu']);
      expect(read.version).toBe(3);
    });

    it('builds from the template’s HEAD, pinning the MCI’s HEAD, and shows a newer MCI revision once one is committed', async () => {
      const floating = await mciWith('floating', [[WEST, x64(WEST), large(WEST)]]);
      const headTemplate = (await ok<{ createServerTemplate: { id: string } }>(url, CREATE_TEMPLATE, { name: 'head', m: floating, r: 0 }))
        .createServerTemplate.id;
      const { addServer } = await ok<{ addServer: ServerOut }>(url, ADD, {
        input: addInput({ name: 'west head', serverTemplateId: headTemplate, serverTemplateRevision: null, cloudId: WEST }),
      });
      expect(addServer).toMatchObject({
        multiCloudImage: { id: floating, revision: 0 },
        serverTemplate: { id: headTemplate, revision: 0 },
        image: { id: x64(WEST) },
        instanceType: { id: large(WEST) },
        newerMultiCloudImageRevision: null,
      });
      await ok(url, MAP, { input: { multiCloudImageId: floating, cloudId: WEST, imageId: ubuntu64(WEST), instanceTypeId: small(WEST) } });
      await ok(url, COMMIT_MCI, { id: floating });
      const { deployment: read } = await ok<{ deployment: { servers: ServerOut[] } }>(url, GET, { id: deployment });
      expect(read.servers.find((server) => server.name === 'west head')).toMatchObject({
        image: { id: x64(WEST) },
        instanceType: { id: large(WEST) },
        newerMultiCloudImageRevision: 2,
      });
    });
  });

  describe('changing a server', () => {
    let server: string;
    let version: number;
    beforeAll(async () => {
      const { addServer } = await ok<{ addServer: ServerOut }>(url, ADD, { input: addInput({ name: 'changing' }) });
      server = addServer.id;
      version = addServer.deployment.version;
    });

    it('gives it another MCI of its template revision, with that setting’s image and instance type', async () => {
      const { updateServer } = await ok<{ updateServer: ServerOut }>(url, UPDATE, {
        input: { deploymentId: deployment, serverId: server, multiCloudImageId: mci32, expectedVersion: version },
      });
      expect(updateServer).toMatchObject({
        multiCloudImage: { id: mci32, revision: 1 },
        image: { id: i386(EAST) },
        instanceType: { id: small(EAST) },
        deployment: { version: version + 1 },
      });
      const [last] = await service.services.store.readStream(`deployment-${deployment}`, { direction: 'backwards', maxCount: 1 });
      expect(last).toMatchObject({
        type: 'ServerUpdated',
        data: {
          serverId: server,
          multiCloudImage: { id: mci32, revision: 1 },
          multiCloudImageLatestRevision: 1,
          imageId: i386(EAST),
          instanceTypeId: small(EAST),
        },
      });
      version += 1;
    });

    it('gives it any image of its cloud, even one in no MCI, or another instance type; records only what changed', async () => {
      const { updateServer } = await ok<{ updateServer: ServerOut }>(url, UPDATE, {
        input: { deploymentId: deployment, serverId: server, imageId: ubuntu64(EAST), instanceTypeId: small(EAST) },
      });
      expect(updateServer).toMatchObject({
        multiCloudImage: { id: mci32 },
        image: { id: ubuntu64(EAST) },
        instanceType: { id: small(EAST) },
      });
      const [last] = await service.services.store.readStream(`deployment-${deployment}`, { direction: 'backwards', maxCount: 1 });
      expect(last?.data).toEqual({ serverId: server, imageId: ubuntu64(EAST) });
      version += 1;
    });

    it('writes nothing when nothing changes', async () => {
      const before = await written();
      const { updateServer } = await ok<{ updateServer: ServerOut }>(url, UPDATE, {
        input: { deploymentId: deployment, serverId: server, imageId: ubuntu64(EAST), expectedVersion: version },
      });
      expect(updateServer.deployment.version).toBe(version);
      expect(await written()).toEqual(before);
    });

    it('refuses a 32-bit image on a large type, a stale version, an OBSOLETE image, another cloud’s image or type, an MCI not of its template', async () => {
      await refused('ARCHITECTURE_MISMATCH', UPDATE, {
        input: { deploymentId: deployment, serverId: server, imageId: i386(EAST), instanceTypeId: large(EAST) },
      });
      await refused('VERSION_CONFLICT', UPDATE, {
        input: { deploymentId: deployment, serverId: server, instanceTypeId: large(EAST), expectedVersion: version - 1 },
      });
      await refused('IMAGE_OBSOLETE', UPDATE, {
        input: { deploymentId: deployment, serverId: server, imageId: starterImageId(EAST, STARTER_RETIRED_IMAGE_NAMES.obsolete) },
      });
      await refused('IMAGE_NOT_IN_CLOUD', UPDATE, { input: { deploymentId: deployment, serverId: server, imageId: x64(WEST) } });
      await refused('BAD_USER_INPUT', UPDATE, { input: { deploymentId: deployment, serverId: server, instanceTypeId: large(WEST) } });
      await refused('BAD_USER_INPUT', UPDATE, { input: { deploymentId: deployment, serverId: server, multiCloudImageId: 'not-attached' } });
    });

    it('BAD_USER_INPUT for a serverId too long to name any server, without echoing it back', async () => {
      const error = await refused('BAD_USER_INPUT', UPDATE, {
        input: { deploymentId: deployment, serverId: 's'.repeat(10_000), imageId: x64(EAST) },
      });
      expect(error.message).toBe('serverId: expected an id of at most 128 characters, got 10000');
    });

    it('NOT_FOUND for a server it does not have, and for another account’s deployment, even with an expectedVersion', async () => {
      await refused('NOT_FOUND', UPDATE, { input: { deploymentId: deployment, serverId: 'nope', imageId: x64(EAST) } });
      const foreign = await refused(
        'NOT_FOUND',
        UPDATE,
        { input: { deploymentId: deployment, serverId: server, imageId: x64(EAST) } },
        intruder,
      );
      const missing = await refused('NOT_FOUND', UPDATE, {
        input: { deploymentId: '00000000-0000-4000-8000-000000000000', serverId: server, imageId: x64(EAST) },
      });
      expect(foreign.message).toBe('no such Deployment');
      expect(missing.message).toBe(foreign.message);
      const stale = await refused(
        'NOT_FOUND',
        UPDATE,
        { input: { deploymentId: deployment, serverId: server, imageId: x64(EAST), expectedVersion: 0 } },
        intruder,
      );
      expect(stale.message).toBe('no such Deployment');
    });
  });

  describe('refusals of addServer', () => {
    it('NO_MCI_FOR_CLOUD for a cloud no MCI of the template covers, listing its supported clouds', async () => {
      const error = await refused('NO_MCI_FOR_CLOUD', ADD, { input: addInput({ cloudId: EU }) });
      expect(error.message).toBe(
        `ServerTemplate '${template}' revision 1 has no MultiCloudImage for cloud '${EU}': its supported clouds are '${EAST}', '${WEST}'`,
      );
      expect(error.extensions['supportedClouds']).toEqual([EAST, WEST]);
    });
    it('NO_MCI_FOR_CLOUD for an MCI asked for that does not cover the cloud', async () => {
      const error = await refused('NO_MCI_FOR_CLOUD', ADD, { input: addInput({ cloudId: WEST, multiCloudImageId: mci32 }) });
      expect(error.message).toBe(`MultiCloudImage '${mci32}' (revision 1) has no setting for cloud '${WEST}': it covers '${EAST}'`);
    });
    it('ARCHITECTURE_MISMATCH for a 32-bit image on the inherited large type, or a large type on the 32-bit MCI', async () => {
      await refused('ARCHITECTURE_MISMATCH', ADD, { input: addInput({ name: 'x', imageId: i386(EAST) }) });
      await refused('ARCHITECTURE_MISMATCH', ADD, {
        input: addInput({ name: 'x', multiCloudImageId: mci32, instanceTypeId: large(EAST) }),
      });
    });
    it('IMAGE_NOT_IN_CLOUD and IMAGE_OBSOLETE for images it can’t launch there', async () => {
      await refused('IMAGE_NOT_IN_CLOUD', ADD, { input: addInput({ name: 'x', imageId: x64(WEST) }) });
      await refused('IMAGE_OBSOLETE', ADD, {
        input: addInput({ name: 'x', imageId: starterImageId(EAST, STARTER_RETIRED_IMAGE_NAMES.obsolete) }),
      });
    });
    it('BAD_USER_INPUT for a bad name, a taken name, an unknown cloud or instance type, an MCI not of the template, a bad revision', async () => {
      expect((await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: '' }) })).message).toMatch(/^name: expected 1 to 255/);
      await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'n'.repeat(256) }) });
      expect((await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'east default' }) })).message).toMatch(
        /^name: expected a name no other server of Deployment '.+' has, got 'east default' \(server '.+' has it\)$/,
      );
      expect((await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'x', cloudId: 'aws-nowhere-1' }) })).message).toBe(
        "cloudId: expected a registered cloud, got 'aws-nowhere-1'",
      );
      await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'x', instanceTypeId: small(WEST) }) });
      expect((await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'x', multiCloudImageId: 'other' }) })).message).toBe(
        `multiCloudImageId: expected one of the MultiCloudImages of ServerTemplate '${template}' revision 1 ('${mci64}', '${mci32}'), got 'other'`,
      );
      await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'x', serverTemplateRevision: -1 }) });
      await refused('BAD_USER_INPUT', ADD, { input: addInput({ name: 'x', imageId: 'i'.repeat(129) }) });
    });
    it('NOT_FOUND for a template revision that was never committed, naming the ones that exist', async () => {
      await refused('NOT_FOUND', ADD, { input: addInput({ name: 'x', serverTemplateRevision: 9 }) });
    });
    it('NOT_FOUND, worded as for a missing one, for another account’s template or deployment', async () => {
      const missingTemplate = await refused('NOT_FOUND', ADD, { input: addInput({ name: 'x', serverTemplateId: 'no-such-template' }) });
      const foreignTemplate = await refused('NOT_FOUND', ADD, { input: addInput({ name: 'x', serverTemplateId: intruderTemplate }) });
      expect(foreignTemplate.message).toBe('no such ServerTemplate');
      expect(missingTemplate.message).toBe(foreignTemplate.message);
      const intoTheirs = await refused('NOT_FOUND', ADD, { input: addInput({ name: 'x', deploymentId: intruderDeployment }) });
      const intoNobodys = await refused('NOT_FOUND', ADD, { input: addInput({ name: 'x', deploymentId: 'no-such-deployment' }) });
      expect(intoTheirs.message).toBe('no such Deployment');
      expect(intoNobodys.message).toBe(intoTheirs.message);
      // The other way round: their token, our template, their deployment.
      const ours = await refused(
        'NOT_FOUND',
        ADD,
        { input: addInput({ name: 'x', deploymentId: intruderDeployment, serverTemplateId: template }) },
        intruder,
      );
      expect(ours.message).toBe('no such ServerTemplate');
    });
    it('FORBIDDEN without the actor right', async () => {
      await refused('FORBIDDEN', ADD, { input: addInput({ name: 'x' }) }, designer);
      await refused('FORBIDDEN', CREATE_DEPLOYMENT, { name: 'x' }, designer);
    });
  });

  describe('reads', () => {
    it('NOT_FOUND for another account’s deployment, worded as for a missing one', async () => {
      expect((await refused('NOT_FOUND', GET, { id: deployment }, intruder)).message).toBe('no such Deployment');
      expect((await refused('NOT_FOUND', GET, { id: 'no-such-deployment' })).message).toBe('no such Deployment');
      const { deployments } = await ok<{ deployments: { totalCount: number; nodes: Array<{ id: string }> } }>(url, LIST, {}, intruder);
      expect(deployments.nodes.map((d) => d.id)).toEqual([intruderDeployment]);
    });
    it('refuses a page size over 500 and a cursor of another list', async () => {
      expect((await refused('BAD_USER_INPUT', LIST, { first: 501 })).message).toBe('first: expected 0 to 500, got 501');
      await refused('BAD_USER_INPUT', LIST, { after: Buffer.from('mci:00000000000000000001.00000000000000000001').toString('base64url') });
    });
    it('reads a page of deployments with every server and its catalog objects in a fixed number of batched reads', async () => {
      const recorder = service.services.queries.recorder;
      recorder.start();
      const { deployments } = await ok<{ deployments: { nodes: Array<{ servers: unknown[] }> } }>(
        url,
        `{ deployments { nodes { servers { cloud { id } image { id } instanceType { id } deployment { id } } } } }`,
      );
      const calls = recorder.stop();
      expect(deployments.nodes.flatMap((node) => node.servers).length).toBeGreaterThanOrEqual(5);
      expect(calls.filter((call) => !/token/i.test(call)).sort()).toEqual(
        ['cloudsByIds', 'deploymentsByIds', 'deploymentsPage', 'imagesByIds', 'instanceTypesByIds', 'serversByDeploymentIds'].sort(),
      );
    });
    it('lets an observer read', async () => {
      const { deployment: read } = await ok<{ deployment: { id: string } }>(url, GET, { id: deployment }, observer);
      expect(read.id).toBe(deployment);
    });
  });

  it('builds the same read model when the whole log is replayed, even twice', async () => {
    await service.services.projections.waitForPosition(await service.services.store.headPosition());
    const events: RecordedEvent[] = [];
    for (let after: string | undefined; ;) {
      const page = await service.services.store.readAll({ ...(after ? { after } : {}), filter: { streamPrefixes: ['deployment-'] } });
      events.push(...page.events);
      if (page.cursor === undefined || page.cursor === after) break;
      after = page.cursor;
    }
    const replayed: SqliteDatabase = openReadModelDatabase(join(service.dataDir, 'replayed.sqlite'));
    try {
      for (const sql of deploymentsProjection.schema) replayed.exec(sql);
      const writer: ReadModelWriter = {
        run: (sql, ...params: SqlValue[]) => void replayed.prepare(sql).run(...params),
        get: <Row>(sql: string, ...params: SqlValue[]) => replayed.prepare(sql).get(...params) as Row | undefined,
        all: <Row>(sql: string, ...params: SqlValue[]) => replayed.prepare(sql).all(...params) as Row[],
      };
      const handles = deploymentsProjection.handles as readonly string[];
      for (let pass = 0; pass < 2; pass++) {
        replayed.transaction(() => {
          for (const event of events) if (handles.includes(event.type)) deploymentsProjection.apply(event, writer);
        })();
      }
      const live = dumpTables(service.services.readModels, deploymentsProjection.tables);
      expect(live['rm_servers']?.length).toBeGreaterThanOrEqual(5);
      expect(dumpTables(replayed, deploymentsProjection.tables)).toEqual(live);
    } finally {
      replayed.close();
    }
  });
});
