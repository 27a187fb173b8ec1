import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok } from '../support/api';
import { startTestService, type TestService } from '../support/service';

/*
 * The seed scenario, step by step over real HTTP: an MCI mapping AWS US-East, AWS US-West and
 * Rackspace; a ServerTemplate using it; a server in AWS EU refused because no MCI covers that cloud;
 * a server in US-West inheriting exactly US-West's image and instance type; a second, 32-bit MCI on
 * the same template, where a 32-bit image with a large instance type is refused; and later changes to
 * the MCI that leave the existing servers untouched, which only show that a newer revision exists.
 */

const EAST = 'aws-us-east-1';
const WEST = 'aws-us-west-1';
const DFW = 'rackspace-dfw';
const EU = 'aws-eu-west-1';
const centos64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64);
const centos32 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosI386);
const ubuntu64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.ubuntuX64);
const small = (cloudId: string): string => starterInstanceTypeId(cloudId, 'small');
const large = (cloudId: string): string => starterInstanceTypeId(cloudId, 'large');

const SERVER = `id name cloud { id } image { id name architecture } instanceType { id name architectures }
  multiCloudImage { id revision } serverTemplate { id revision } newerMultiCloudImageRevision`;

interface ServerOut {
  id: string;
  name: string;
  cloud: { id: string };
  image: { id: string; name: string; architecture: string };
  instanceType: { id: string; name: string; architectures: string[] };
  multiCloudImage: { id: string; revision: number };
  serverTemplate: { id: string; revision: number };
  newerMultiCloudImageRevision: number | null;
}

describe('seed scenario: templates and servers', () => {
  let service: TestService;
  let url: string;

  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
  });
  afterAll(() => service.stop());

  const map = (multiCloudImageId: string, cloudId: string, imageId: string, instanceTypeId: string) =>
    ok(url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
      input: { multiCloudImageId, cloudId, imageId, instanceTypeId },
    });
  const commitMci = async (id: string): Promise<number> =>
    (
      await ok<{ commitMultiCloudImage: { revision: number } }>(
        url,
        `mutation($id: ID!, $message: String!) { commitMultiCloudImage(id: $id, message: $message) { revision } }`,
        { id, message: 'seed' },
      )
    ).commitMultiCloudImage.revision;
  const commitTemplate = async (id: string): Promise<number> =>
    (
      await ok<{ commitServerTemplate: { revision: number } }>(
        url,
        `mutation($id: ID!) { commitServerTemplate(id: $id, message: "seed") { revision } }`,
        { id },
      )
    ).commitServerTemplate.revision;
  const createMci = async (name: string): Promise<string> =>
    (
      await ok<{ createMultiCloudImage: { id: string } }>(
        url,
        `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }`,
        { name },
      )
    ).createMultiCloudImage.id;
  const ADD = `mutation($input: AddServerInput!) { addServer(input: $input) { ${SERVER} } }`;

  it('runs from the first MCI to servers that keep what they were built with', async () => {
    // 1. A 64-bit MCI mapping AWS US-East, AWS US-West and Rackspace, committed.
    const mci64 = await createMci('RightImage_CentOS_5.6_x64_v5.7');
    await map(mci64, EAST, centos64(EAST), small(EAST));
    await map(mci64, WEST, centos64(WEST), large(WEST));
    await map(mci64, DFW, centos64(DFW), small(DFW));
    expect(await commitMci(mci64)).toBe(1);

    // 2. A ServerTemplate using it, committed.
    const { createServerTemplate } = await ok<{ createServerTemplate: { id: string } }>(
      url,
      `mutation($m: ID!) { createServerTemplate(input: { name: "PHP FrontEnd v1", multiCloudImageId: $m, multiCloudImageRevision: 1 }) { id } }`,
      { m: mci64 },
    );
    const template = createServerTemplate.id;
    expect(await commitTemplate(template)).toBe(1);
    const { serverTemplate } = await ok<{ serverTemplate: { supportedClouds: Array<{ id: string }> } }>(
      url,
      `query($id: ID!) { serverTemplate(id: $id, revision: 1) { supportedClouds { id } } }`,
      { id: template },
    );
    expect(serverTemplate.supportedClouds.map((cloud) => cloud.id).sort()).toEqual([EAST, WEST, DFW]);

    const { createDeployment } = await ok<{ createDeployment: { id: string } }>(
      url,
      `mutation { createDeployment(name: "PHP production") { id } }`,
    );
    const deployment = createDeployment.id;
    const serverInput = (name: string, cloudId: string, extra: Record<string, unknown> = {}) => ({
      input: { deploymentId: deployment, name, serverTemplateId: template, serverTemplateRevision: 1, cloudId, ...extra },
    });

    // 3. AWS EU is not among the template's clouds: refused, listing the ones it supports, nothing written.
    let before = await service.services.store.headPosition();
    const inEurope = await fails(url, ADD, serverInput('php eu', EU));
    expect(inEurope.code).toBe('NO_MCI_FOR_CLOUD');
    expect(inEurope.message).toBe(
      `ServerTemplate '${template}' revision 1 has no MultiCloudImage for cloud '${EU}': its supported clouds are '${EAST}', '${WEST}', '${DFW}'`,
    );
    expect(inEurope.extensions['supportedClouds']).toEqual([EAST, WEST, DFW]);
    expect(await service.services.store.headPosition()).toEqual(before);

    // 4. A server in US-West inherits exactly US-West's image and instance type.
    const { addServer: west } = await ok<{ addServer: ServerOut }>(url, ADD, serverInput('php west', WEST));
    expect(west).toEqual({
      id: expect.any(String),
      name: 'php west',
      cloud: { id: WEST },
      image: { id: centos64(WEST), name: STARTER_IMAGE_NAMES.centosX64, architecture: 'x86_64' },
      instanceType: { id: large(WEST), name: 'm1.large', architectures: ['x86_64'] },
      multiCloudImage: { id: mci64, revision: 1 },
      serverTemplate: { id: template, revision: 1 },
      newerMultiCloudImageRevision: null,
    });

    // 5. A second, 32-bit MCI on the same template.
    const mci32 = await createMci('RightImage_CentOS_5.6_i386_v5.7');
    before = await service.services.store.headPosition();
    const largeFor32 = await fails(url, `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`, {
      input: { multiCloudImageId: mci32, cloudId: EAST, imageId: centos32(EAST), instanceTypeId: large(EAST) },
    });
    expect({ code: largeFor32.code, message: largeFor32.message }).toEqual({
      code: 'ARCHITECTURE_MISMATCH',
      message: `instance type '${large(EAST)}' runs x86_64, but image '${centos32(EAST)}' is i386`,
    });
    expect(await service.services.store.headPosition()).toEqual(before);
    await map(mci32, EAST, centos32(EAST), small(EAST));
    await map(mci32, WEST, centos32(WEST), small(WEST));
    expect(await commitMci(mci32)).toBe(1);
    await ok(url, `mutation($t: ID!, $m: ID!) { addTemplateMultiCloudImage(templateId: $t, multiCloudImageId: $m, revision: 1) { id } }`, {
      t: template,
      m: mci32,
    });
    expect(await commitTemplate(template)).toBe(2);
    const at2 = (name: string, cloudId: string, extra: Record<string, unknown> = {}) =>
      serverInput(name, cloudId, { serverTemplateRevision: 2, ...extra });

    // 6. A 32-bit server: its image on a large instance type is refused, on the MCI's small type it runs.
    before = await service.services.store.headPosition();
    const large32 = await fails(url, ADD, at2('php 32-bit', EAST, { multiCloudImageId: mci32, instanceTypeId: large(EAST) }));
    expect({ code: large32.code, message: large32.message }).toEqual({
      code: 'ARCHITECTURE_MISMATCH',
      message: `instance type '${large(EAST)}' runs x86_64, but image '${centos32(EAST)}' is i386`,
    });
    expect(await service.services.store.headPosition()).toEqual(before);
    const { addServer: east32 } = await ok<{ addServer: ServerOut }>(url, ADD, at2('php 32-bit', EAST, { multiCloudImageId: mci32 }));
    expect(east32).toMatchObject({
      image: { id: centos32(EAST), architecture: 'i386' },
      instanceType: { id: small(EAST) },
      multiCloudImage: { id: mci32, revision: 1 },
      serverTemplate: { id: template, revision: 2 },
    });
    // The default (64-bit) MCI still comes first where it covers the cloud.
    const { addServer: east64 } = await ok<{ addServer: ServerOut }>(url, ADD, at2('php east', EAST));
    expect(east64).toMatchObject({ image: { id: centos64(EAST) }, instanceType: { id: small(EAST) }, multiCloudImage: { id: mci64 } });

    // 7. Later the 64-bit MCI maps another image in US-West and is committed: existing servers keep theirs.
    await map(mci64, WEST, ubuntu64(WEST), small(WEST));
    expect(await commitMci(mci64)).toBe(2);
    const { deployment: after } = await ok<{ deployment: { servers: ServerOut[] } }>(
      url,
      `query($id: ID!) { deployment(id: $id) { servers { ${SERVER} } } }`,
      { id: deployment },
    );
    expect(after.servers.map((server) => server.name)).toEqual(['php west', 'php 32-bit', 'php east']);
    const [westAfter, east32After, east64After] = after.servers;
    expect(westAfter).toEqual({ ...west, newerMultiCloudImageRevision: 2 });
    expect(east64After).toEqual({ ...east64, newerMultiCloudImageRevision: 2 });
    expect(east32After).toEqual({ ...east32, newerMultiCloudImageRevision: null });
  });
});
