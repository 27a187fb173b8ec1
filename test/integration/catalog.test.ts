import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_CATALOG, STARTER_IMAGE_NAMES, STARTER_RETIRED_IMAGE_NAMES, starterImageId } from '../../src/application/starterCatalog';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import { cloudLoader, imageLoader, instanceTypeLoader } from '../../src/graphql/catalog/catalog.loaders';
import type { GraphQLContext } from '../../src/graphql/context';
import { CatalogQueries } from '../../src/readModels/catalogQueries';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { startTestService, type TestService } from '../support/service';

const CLOUDS = `{
  clouds {
    id name provider
    images { id name os osVersion architecture status cloud { id } }
    instanceTypes { id name architectures cloud { id } }
  }
}`;

const CLOUD = `query($id: ID!) {
  cloud(id: $id) {
    id name provider
    images { id name os osVersion architecture status cloud { id name } }
    instanceTypes { id name architectures cloud { id name } }
  }
}`;

const REGISTER_CLOUD = `mutation($input: RegisterCloudInput!) { registerCloud(input: $input) { id name provider images { id } instanceTypes { id } } }`;
const REGISTER_IMAGE = `mutation($input: RegisterImageInput!) {
  registerImage(input: $input) { id name os osVersion architecture status cloud { id name } }
}`;
const REGISTER_INSTANCE_TYPE = `mutation($input: RegisterInstanceTypeInput!) {
  registerInstanceType(input: $input) { id name architectures cloud { id } }
}`;
const DEPRECATE_IMAGE = `mutation($cloudId: ID!, $imageId: ID!, $status: ImageStatus!) {
  deprecateImage(cloudId: $cloudId, imageId: $imageId, status: $status) { id status cloud { id } }
}`;

interface CloudOut {
  id: string;
  name: string;
  provider: string;
  images: Array<{ id: string; name: string; os: string; osVersion: string; architecture: string; status: string; cloud: { id: string } }>;
  instanceTypes: Array<{ id: string; name: string; architectures: string[]; cloud: { id: string } }>;
}

describe('cloud catalog over GraphQL', () => {
  let service: TestService;
  let designer: Headers;

  /** The whole log's length and one stream's: "nothing was written" means neither moved. */
  async function written(stream: string): Promise<{ head: unknown; streamLength: number }> {
    let streamLength = 0;
    try {
      streamLength = (await service.services.store.readStream(stream)).length;
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return { head: await service.services.store.headPosition(), streamLength };
  }

  beforeAll(async () => {
    // No response cache: the read-count tests measure what executing a query costs, and repeat queries.
    service = await startTestService({ RESPONSE_CACHE_BYTES: '0' });
    // The starter catalog was appended at start-up; reads are served from the read models.
    await service.services.projections.waitForPosition(await service.services.store.headPosition());
    designer = await tokenWithRoles(service.url, ['DESIGNER']);
  });
  afterAll(() => service.stop());

  describe('queries', () => {
    it('lists the starter clouds with their images and instance types', async () => {
      const { clouds } = await ok<{ clouds: CloudOut[] }>(service.url, CLOUDS, {}, designer);
      expect(clouds.map((c) => c.id)).toEqual(expect.arrayContaining(STARTER_CATALOG.map((c) => c.id)));
      expect(new Set(clouds.map((c) => c.provider)).size).toBeGreaterThanOrEqual(3);
      const east = clouds.find((c) => c.id === 'aws-us-east-1') as CloudOut;
      expect(east).toMatchObject({ name: 'AWS US-East (N. Virginia)', provider: 'AWS' });
      expect(east.images).toContainEqual({
        id: 'aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7',
        name: 'RightImage_CentOS_5.6_x64_v5.7',
        os: 'CentOS',
        osVersion: '5.6',
        architecture: 'x86_64',
        status: 'ACTIVE',
        cloud: { id: 'aws-us-east-1' },
      });
      expect(east.images.find((i) => i.name === STARTER_RETIRED_IMAGE_NAMES.obsolete)?.status).toBe('OBSOLETE');
      expect(east.instanceTypes).toEqual([
        { id: 'aws-us-east-1/large', name: 'm1.large', architectures: ['x86_64'], cloud: { id: 'aws-us-east-1' } },
        { id: 'aws-us-east-1/small', name: 'm1.small', architectures: ['i386', 'x86_64'], cloud: { id: 'aws-us-east-1' } },
      ]);
      for (const cloud of clouds) {
        expect(cloud.images.every((i) => i.cloud.id === cloud.id)).toBe(true);
        expect(cloud.instanceTypes.every((t) => t.cloud.id === cloud.id)).toBe(true);
      }
    });

    it('reads a page of clouds with all nested objects in a bounded number of read-model calls', async () => {
      const recorder = service.services.queries.recorder;
      recorder.start();
      await ok(service.url, CLOUDS, {}, designer);
      // Authentication reads the accounts read model too: count the catalog's reads only.
      const catalogReads = new Set(Object.getOwnPropertyNames(CatalogQueries.prototype));
      const calls = recorder.stop().filter((name) => catalogReads.has(name));
      expect(calls.sort()).toEqual(['allClouds', 'imagesByCloudIds', 'instanceTypesByCloudIds']);
    });

    it('loads clouds, images and instance types per request in key order, one per key, in one read each', async () => {
      const ctx: GraphQLContext = {
        requestId: 'loader-test',
        logger: service.services.logger,
        services: service.services,
        viewer: { accountId: 'default', userId: 'u', tokenId: 't', roles: ['observer'], systemOperator: false },
        loaders: new Map(),
      };
      const recorder = service.services.queries.recorder;
      recorder.start();
      const [clouds, images, types] = await Promise.all([
        cloudLoader(ctx).loadMany(['rackspace-ord', 'nope', 'aws-us-east-1']),
        imageLoader(ctx).loadMany([starterImageId('gce-us-central1', STARTER_IMAGE_NAMES.ubuntuX64), 'nope']),
        instanceTypeLoader(ctx).loadMany(['nope', 'gce-us-central1/large']),
      ]);
      expect(recorder.stop().sort()).toEqual(['cloudsByIds', 'imagesByIds', 'instanceTypesByIds']);
      expect(clouds).toEqual([
        { id: 'rackspace-ord', name: 'Rackspace Chicago (ORD)', provider: 'Rackspace' },
        null,
        { id: 'aws-us-east-1', name: 'AWS US-East (N. Virginia)', provider: 'AWS' },
      ]);
      expect(images).toEqual([
        {
          id: 'gce-us-central1/RightImage_Ubuntu_10.04_x64_v5.7',
          cloudId: 'gce-us-central1',
          name: 'RightImage_Ubuntu_10.04_x64_v5.7',
          os: 'Ubuntu',
          osVersion: '10.04',
          architecture: 'x86_64',
          status: 'ACTIVE',
        },
        null,
      ]);
      expect(types).toEqual([
        null,
        { id: 'gce-us-central1/large', cloudId: 'gce-us-central1', name: 'n1-standard-4', architectures: ['x86_64'] },
      ]);
      // The same request asks again: served from the loader, no further read.
      recorder.start();
      await cloudLoader(ctx).load('rackspace-ord');
      expect(recorder.stop()).toEqual([]);
    });

    it('reads one cloud by id', async () => {
      const { cloud } = await ok<{ cloud: CloudOut }>(service.url, CLOUD, { id: 'rackspace-dfw' }, designer);
      expect(cloud).toMatchObject({ id: 'rackspace-dfw', provider: 'Rackspace' });
      expect(cloud.images.map((i) => i.name).sort()).toEqual(Object.values(STARTER_IMAGE_NAMES).sort());
      expect(cloud.images[0]?.cloud).toEqual({ id: 'rackspace-dfw', name: 'Rackspace Dallas (DFW)' });
      expect(Object.fromEntries(cloud.instanceTypes.map((t) => [t.id, t.architectures]))).toEqual({
        'rackspace-dfw/small': ['i386', 'x86_64'],
        'rackspace-dfw/large': ['x86_64'],
      });
    });

    it('answers NOT_FOUND for an unknown cloud', async () => {
      const error = await fails(service.url, CLOUD, { id: 'aws-mars-1' }, designer);
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toMatch(/expected the id of a registered cloud, got 'aws-mars-1'/);
    });
  });

  describe('operator mutations', () => {
    it('registers a cloud, an image and an instance type, and deprecates the image', async () => {
      const { registerCloud } = await ok<{ registerCloud: unknown }>(service.url, REGISTER_CLOUD, {
        input: { id: 'openstack-lab', name: 'OpenStack Lab', provider: 'OpenStack' },
      });
      expect(registerCloud).toEqual({ id: 'openstack-lab', name: 'OpenStack Lab', provider: 'OpenStack', images: [], instanceTypes: [] });

      const image = {
        cloudId: 'openstack-lab',
        id: 'openstack-lab/RightImage_CentOS_5.6_x64_v5.7',
        name: 'RightImage_CentOS_5.6_x64_v5.7',
        os: 'CentOS',
      };
      const { registerImage } = await ok<{ registerImage: unknown }>(service.url, REGISTER_IMAGE, {
        input: { ...image, osVersion: '5.6', architecture: 'x86_64' },
      });
      expect(registerImage).toEqual({
        id: image.id,
        name: image.name,
        os: 'CentOS',
        osVersion: '5.6',
        architecture: 'x86_64',
        status: 'ACTIVE',
        cloud: { id: 'openstack-lab', name: 'OpenStack Lab' },
      });

      const { registerInstanceType } = await ok<{ registerInstanceType: unknown }>(service.url, REGISTER_INSTANCE_TYPE, {
        input: { cloudId: 'openstack-lab', id: 'openstack-lab/m1.tiny', name: 'm1.tiny', architectures: ['x86_64', 'i386'] },
      });
      expect(registerInstanceType).toEqual({
        id: 'openstack-lab/m1.tiny',
        name: 'm1.tiny',
        architectures: ['i386', 'x86_64'],
        cloud: { id: 'openstack-lab' },
      });

      const { deprecateImage } = await ok<{ deprecateImage: unknown }>(service.url, DEPRECATE_IMAGE, {
        cloudId: 'openstack-lab',
        imageId: image.id,
        status: 'DEPRECATED',
      });
      expect(deprecateImage).toEqual({ id: image.id, status: 'DEPRECATED', cloud: { id: 'openstack-lab' } });

      const { cloud } = await ok<{ cloud: CloudOut }>(service.url, CLOUD, { id: 'openstack-lab' }, designer);
      expect(cloud.images.map((i) => [i.id, i.status])).toEqual([[image.id, 'DEPRECATED']]);
      expect(cloud.instanceTypes.map((t) => t.id)).toEqual(['openstack-lab/m1.tiny']);
      const events = await service.services.store.readStream('cloud-openstack-lab');
      expect(events.map((e) => e.type)).toEqual(['CloudRegistered', 'ImageRegistered', 'InstanceTypeRegistered', 'ImageDeprecated']);
    });

    it('makes a deprecated image obsolete, and refuses to bring it back (BAD_USER_INPUT, nothing written)', async () => {
      const imageId = starterImageId('aws-eu-west-1', STARTER_IMAGE_NAMES.ubuntuI386);
      await ok(service.url, DEPRECATE_IMAGE, { cloudId: 'aws-eu-west-1', imageId, status: 'DEPRECATED' });
      const { deprecateImage } = await ok<{ deprecateImage: { status: string } }>(service.url, DEPRECATE_IMAGE, {
        cloudId: 'aws-eu-west-1',
        imageId,
        status: 'OBSOLETE',
      });
      expect(deprecateImage.status).toBe('OBSOLETE');
      const before = await written('cloud-aws-eu-west-1');
      for (const status of ['DEPRECATED', 'ACTIVE']) {
        const error = await fails(service.url, DEPRECATE_IMAGE, { cloudId: 'aws-eu-west-1', imageId, status });
        expect(error.code).toBe('BAD_USER_INPUT');
      }
      expect(await written('cloud-aws-eu-west-1')).toEqual(before);
    });
  });

  describe('refusals write nothing', () => {
    const mutations: Array<[string, string, Record<string, unknown>, string]> = [
      ['registerCloud', REGISTER_CLOUD, { input: { id: 'forbidden-cloud', name: 'x', provider: 'x' } }, 'cloud-forbidden-cloud'],
      [
        'registerImage',
        REGISTER_IMAGE,
        {
          input: {
            cloudId: 'gce-us-central1',
            id: 'gce-us-central1/forbidden',
            name: 'x',
            os: 'CentOS',
            osVersion: '5.6',
            architecture: 'i386',
          },
        },
        'cloud-gce-us-central1',
      ],
      [
        'registerInstanceType',
        REGISTER_INSTANCE_TYPE,
        { input: { cloudId: 'gce-us-central1', id: 'gce-us-central1/forbidden', name: 'x', architectures: ['i386'] } },
        'cloud-gce-us-central1',
      ],
      [
        'deprecateImage',
        DEPRECATE_IMAGE,
        { cloudId: 'gce-us-central1', imageId: starterImageId('gce-us-central1', STARTER_IMAGE_NAMES.centosX64), status: 'OBSOLETE' },
        'cloud-gce-us-central1',
      ],
    ];

    it.each(mutations)('%s: FORBIDDEN for a token without the system operator right', async (_name, mutation, variables, stream) => {
      const { admin: otherAdmin } = await secondAccount(service.url, `Tenant for ${_name}`);
      const everyRole = await tokenWithRoles(service.url, ['OBSERVER', 'DESIGNER', 'LIBRARY', 'PUBLISHER', 'ACTOR', 'ADMIN']);
      for (const headers of [designer, otherAdmin, everyRole]) {
        const before = await written(stream);
        const error = await fails(service.url, mutation, variables, headers);
        expect(error.code).toBe('FORBIDDEN');
        expect(error.message).toMatch(/'systemOperator'/);
        expect(await written(stream)).toEqual(before);
      }
    });

    it('refuses a cloud id that is already registered (BAD_USER_INPUT)', async () => {
      const before = await written('cloud-aws-us-east-1');
      const error = await fails(service.url, REGISTER_CLOUD, { input: { id: 'aws-us-east-1', name: 'Again', provider: 'AWS' } });
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/'aws-us-east-1' is already registered/);
      expect(await written('cloud-aws-us-east-1')).toEqual(before);
    });

    it('refuses an image id already registered in the same cloud (BAD_USER_INPUT)', async () => {
      const id = starterImageId('aws-us-east-1', STARTER_IMAGE_NAMES.centosX64);
      const before = await written('cloud-aws-us-east-1');
      const error = await fails(service.url, REGISTER_IMAGE, {
        input: { cloudId: 'aws-us-east-1', id, name: 'dup', os: 'CentOS', osVersion: '5.6', architecture: 'x86_64' },
      });
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(await written('cloud-aws-us-east-1')).toEqual(before);
    });

    it('refuses an image id already registered in another cloud (BAD_USER_INPUT)', async () => {
      const id = starterImageId('aws-us-east-1', STARTER_IMAGE_NAMES.centosX64);
      const before = await written('cloud-aws-us-west-1');
      const error = await fails(service.url, REGISTER_IMAGE, {
        input: { cloudId: 'aws-us-west-1', id, name: 'dup', os: 'CentOS', osVersion: '5.6', architecture: 'x86_64' },
      });
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/already registered in cloud 'aws-us-east-1'/);
      expect(error.extensions['existingCloudId']).toBe('aws-us-east-1');
      expect(await written('cloud-aws-us-west-1')).toEqual(before);
    });

    it('refuses an instance type id already registered in this or another cloud (BAD_USER_INPUT)', async () => {
      for (const cloudId of ['rackspace-ord', 'rackspace-dfw']) {
        const before = await written(`cloud-${cloudId}`);
        const error = await fails(service.url, REGISTER_INSTANCE_TYPE, {
          input: { cloudId, id: 'rackspace-ord/small', name: 'dup', architectures: ['i386'] },
        });
        expect(error.code).toBe('BAD_USER_INPUT');
        expect(await written(`cloud-${cloudId}`)).toEqual(before);
      }
    });

    it('refuses an image or instance type for an unknown cloud, and an unknown image (NOT_FOUND)', async () => {
      const before = await written('cloud-aws-mars-1');
      const image = await fails(service.url, REGISTER_IMAGE, {
        input: { cloudId: 'aws-mars-1', id: 'aws-mars-1/img', name: 'x', os: 'CentOS', osVersion: '5.6', architecture: 'i386' },
      });
      const type = await fails(service.url, REGISTER_INSTANCE_TYPE, {
        input: { cloudId: 'aws-mars-1', id: 'aws-mars-1/small', name: 'x', architectures: ['i386'] },
      });
      const deprecate = await fails(service.url, DEPRECATE_IMAGE, { cloudId: 'aws-mars-1', imageId: 'x', status: 'DEPRECATED' });
      expect([image.code, type.code, deprecate.code]).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      expect(await written('cloud-aws-mars-1')).toEqual(before);

      const beforeEast = await written('cloud-aws-us-east-1');
      const unknownImage = await fails(service.url, DEPRECATE_IMAGE, {
        cloudId: 'aws-us-east-1',
        imageId: 'aws-us-east-1/none',
        status: 'DEPRECATED',
      });
      expect(unknownImage.code).toBe('NOT_FOUND');
      expect(await written('cloud-aws-us-east-1')).toEqual(beforeEast);
    });

    it('refuses invalid input (BAD_USER_INPUT)', async () => {
      const before = await written('cloud-bad id');
      const badId = await fails(service.url, REGISTER_CLOUD, { input: { id: 'bad id', name: 'x', provider: 'x' } });
      expect(badId.code).toBe('BAD_USER_INPUT');
      const badArchitecture = await fails(service.url, REGISTER_INSTANCE_TYPE, {
        input: { cloudId: 'aws-us-east-1', id: 'aws-us-east-1/arm', name: 'arm', architectures: ['arm64'] },
      });
      expect(badArchitecture.code).toBe('BAD_USER_INPUT');
      const noArchitecture = await fails(service.url, REGISTER_INSTANCE_TYPE, {
        input: { cloudId: 'aws-us-east-1', id: 'aws-us-east-1/none', name: 'none', architectures: [] },
      });
      expect(noArchitecture.code).toBe('BAD_USER_INPUT');
      expect(await written('cloud-bad id')).toEqual(before);
    });
  });

  it('registers the starter catalog once: a restart on the same data writes nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mci-catalog-restart-'));
    try {
      const first = await startTestService({ DATA_DIR: dataDir });
      const head = await first.services.store.headPosition();
      await first.services.projections.waitForPosition(head);
      const { clouds } = await ok<{ clouds: CloudOut[] }>(first.url, CLOUDS);
      await first.stop();
      const second = await startTestService({ DATA_DIR: dataDir });
      try {
        expect(await second.services.store.headPosition()).toEqual(head);
        await second.services.projections.waitForPosition(head);
        expect((await ok<{ clouds: CloudOut[] }>(second.url, CLOUDS)).clouds).toEqual(clouds);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
