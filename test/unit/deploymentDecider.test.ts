import { cloudDecider, type CloudEvent, type RegisteredCloud } from '../../src/domain/catalog/cloud';
import { fold } from '../../src/domain/decider';
import {
  deploymentDecider,
  MAX_SERVERS_PER_DEPLOYMENT,
  type DeploymentCommand,
  type DeploymentEvent,
} from '../../src/domain/deployments/deployment';
import type { ServerTemplateFacts, TemplateMultiCloudImageFacts } from '../../src/domain/deployments/serverImage';
import type { MultiCloudImageSetting } from '../../src/domain/multiCloudImages/multiCloudImage';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(deploymentDecider);
const ACCOUNT = 'acme';
const OTHER_ACCOUNT = 'globex';
const DEPLOYMENT = 'dep-1';
const EAST = 'aws-us-east-1';
const WEST = 'aws-us-west-1';
const EU = 'aws-eu-west-1';

/** A cloud with 32- and 64-bit images, an OBSOLETE one, a small (both) and a large (64-bit) type: ids `<cloud>/<name>`. */
function cloudOf(cloudId: string): RegisteredCloud {
  const image = (name: string, architecture: 'i386' | 'x86_64'): CloudEvent => ({
    type: 'ImageRegistered',
    data: { id: `${cloudId}/${name}`, cloudId, name, os: 'CentOS', osVersion: '5.6', architecture },
  });
  return fold(cloudDecider, [
    { type: 'CloudRegistered', data: { cloudId, name: cloudId, provider: 'AWS' } },
    image('x64', 'x86_64'),
    image('x64-other', 'x86_64'),
    image('i386', 'i386'),
    image('old', 'x86_64'),
    { type: 'ImageDeprecated', data: { cloudId, imageId: `${cloudId}/old`, status: 'OBSOLETE' } },
    image('dated', 'x86_64'),
    { type: 'ImageDeprecated', data: { cloudId, imageId: `${cloudId}/dated`, status: 'DEPRECATED' } },
    { type: 'InstanceTypeRegistered', data: { id: `${cloudId}/small`, cloudId, name: 'm1.small', architectures: ['i386', 'x86_64'] } },
    { type: 'InstanceTypeRegistered', data: { id: `${cloudId}/large`, cloudId, name: 'm1.large', architectures: ['x86_64'] } },
  ]) as RegisteredCloud;
}
const clouds = { [EAST]: cloudOf(EAST), [WEST]: cloudOf(WEST), [EU]: cloudOf(EU) };

const setting = (cloudId: string, image = 'x64', size = 'small'): MultiCloudImageSetting => ({
  cloudId,
  imageId: `${cloudId}/${image}`,
  instanceTypeId: `${cloudId}/${size}`,
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
});

const mci = (
  multiCloudImageId: string,
  settings: MultiCloudImageSetting[],
  overrides: Partial<TemplateMultiCloudImageFacts> = {},
): TemplateMultiCloudImageFacts => ({
  multiCloudImageId,
  revision: 1,
  isDefault: false,
  settings: Object.fromEntries(settings.map((s) => [s.cloudId, s])),
  latestRevision: 1,
  ...overrides,
});

/** The default 64-bit MCI covers US-East and US-West; the 32-bit one US-East only; the third US-West only. */
const x64 = mci('mci-x64', [setting(EAST, 'x64', 'large'), setting(WEST, 'x64', 'small')], { isDefault: true, latestRevision: 3 });
const i386 = mci('mci-i386', [setting(EAST, 'i386', 'small')], { revision: 2, latestRevision: 2 });
const westOnly = mci('mci-west', [setting(WEST, 'x64-other', 'large')], { revision: 0, latestRevision: 4 });

const template = (overrides: Partial<ServerTemplateFacts> = {}): ServerTemplateFacts => ({
  id: 'st-1',
  accountId: ACCOUNT,
  latestRevision: 2,
  revision: 2,
  multiCloudImages: [x64, i386, westOnly],
  ...overrides,
});

const created: DeploymentEvent = { type: 'DeploymentCreated', data: { deploymentId: DEPLOYMENT, accountId: ACCOUNT, name: 'production' } };

type AddData = Extract<DeploymentCommand, { type: 'AddServer' }>['data'];
const add = (overrides: Partial<AddData> = {}): DeploymentCommand => {
  const cloudId = overrides.cloudId ?? EAST;
  return {
    type: 'AddServer',
    data: {
      accountId: ACCOUNT,
      serverId: 'srv-1',
      name: 'web 1',
      cloudId,
      cloud: clouds[cloudId as keyof typeof clouds],
      serverTemplate: template(),
      ...overrides,
    },
  };
};

const serverAdded = (overrides: Partial<Extract<DeploymentEvent, { type: 'ServerAdded' }>['data']> = {}): DeploymentEvent => ({
  type: 'ServerAdded',
  data: {
    serverId: 'srv-1',
    name: 'web 1',
    cloudId: EAST,
    serverTemplate: { id: 'st-1', revision: 2 },
    multiCloudImage: { id: 'mci-x64', revision: 1 },
    multiCloudImageLatestRevision: 3,
    imageId: `${EAST}/x64`,
    instanceTypeId: `${EAST}/large`,
    ...overrides,
  },
});

type UpdateData = Extract<DeploymentCommand, { type: 'UpdateServer' }>['data'];
const update = (overrides: Partial<UpdateData> = {}): DeploymentCommand => ({
  type: 'UpdateServer',
  data: { accountId: ACCOUNT, serverId: 'srv-1', cloud: clouds[EAST], serverTemplate: template(), ...overrides },
});

describe('deployment decider', () => {
  describe('CreateDeployment', () => {
    it('creates a deployment owned by the account', () =>
      spec
        .given([])
        .when({ type: 'CreateDeployment', data: { deploymentId: DEPLOYMENT, accountId: ACCOUNT, name: 'production' } })
        .then([created]));
    it.each([
      ['blank', ' '],
      ['256 characters', 'd'.repeat(256)],
    ])('refuses a %s name', (_what, name) =>
      spec
        .given([])
        .when({ type: 'CreateDeployment', data: { deploymentId: DEPLOYMENT, accountId: ACCOUNT, name } })
        .thenFails('BAD_USER_INPUT', /^name: expected 1 to 255 characters/),
    );
    it('refuses an id that already exists', () =>
      spec
        .given([created])
        .when({ type: 'CreateDeployment', data: { deploymentId: DEPLOYMENT, accountId: ACCOUNT, name: 'again' } })
        .thenFails('BAD_USER_INPUT', /already exists/));
  });

  describe('AddServer: which MCI', () => {
    it('takes the default MCI when it covers the cloud, with its setting’s image and instance type', () =>
      spec.given([created]).when(add()).then([serverAdded()]));

    it('takes the first attached MCI covering the cloud when the default does not', () => {
      const noDefaultInEu = template({
        multiCloudImages: [
          mci('mci-x64', [setting(EAST)], { isDefault: true }),
          mci('mci-a', [setting(EU, 'i386', 'small')], { revision: 5, latestRevision: 6 }),
          mci('mci-b', [setting(EU, 'x64', 'large')]),
        ],
      });
      spec
        .given([created])
        .when(add({ cloudId: EU, serverTemplate: noDefaultInEu }))
        .then([
          serverAdded({
            cloudId: EU,
            multiCloudImage: { id: 'mci-a', revision: 5 },
            multiCloudImageLatestRevision: 6,
            imageId: `${EU}/i386`,
            instanceTypeId: `${EU}/small`,
          }),
        ]);
    });

    it('prefers the default over an earlier attached MCI that also covers the cloud', () => {
      const defaultLast = template({
        multiCloudImages: [
          { ...i386, isDefault: false },
          { ...x64, isDefault: true },
        ],
      });
      spec
        .given([created])
        .when(add({ serverTemplate: defaultLast }))
        .then([serverAdded()]);
    });

    it('takes the MCI asked for when it is the template’s and covers the cloud', () =>
      spec
        .given([created])
        .when(add({ multiCloudImageId: 'mci-i386' }))
        .then([
          serverAdded({
            multiCloudImage: { id: 'mci-i386', revision: 2 },
            multiCloudImageLatestRevision: 2,
            imageId: `${EAST}/i386`,
            instanceTypeId: `${EAST}/small`,
          }),
        ]));

    it('keeps a HEAD pin as revision 0 and remembers the MCI’s newest revision then', () =>
      spec
        .given([created])
        .when(add({ cloudId: WEST, multiCloudImageId: 'mci-west' }))
        .then([
          serverAdded({
            cloudId: WEST,
            multiCloudImage: { id: 'mci-west', revision: 0 },
            multiCloudImageLatestRevision: 4,
            imageId: `${WEST}/x64-other`,
            instanceTypeId: `${WEST}/large`,
          }),
        ]));

    it('records HEAD of the template as revision 0', () =>
      spec
        .given([created])
        .when(add({ serverTemplate: template({ revision: 0 }) }))
        .then([serverAdded({ serverTemplate: { id: 'st-1', revision: 0 } })]));

    it('NO_MCI_FOR_CLOUD when no MCI covers the cloud, listing the supported clouds', () => {
      let thrown: unknown;
      try {
        deploymentDecider.decide(add({ cloudId: EU }), fold(deploymentDecider, [created]));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        code: 'NO_MCI_FOR_CLOUD',
        message: `ServerTemplate 'st-1' revision 2 has no MultiCloudImage for cloud '${EU}': its supported clouds are '${EAST}', '${WEST}'`,
        details: { cloudId: EU, supportedClouds: [EAST, WEST] },
      });
    });

    it('NO_MCI_FOR_CLOUD when the MCI asked for does not cover the cloud', () =>
      spec
        .given([created])
        .when(add({ cloudId: WEST, multiCloudImageId: 'mci-i386' }))
        .thenFails(
          'NO_MCI_FOR_CLOUD',
          /^MultiCloudImage 'mci-i386' \(revision 2\) has no setting for cloud 'aws-us-west-1': it covers 'aws-us-east-1'$/,
        ));

    it('BAD_USER_INPUT for an MCI that is not the template’s, listing the template’s', () =>
      spec
        .given([created])
        .when(add({ multiCloudImageId: 'mci-elsewhere' }))
        .thenFails(
          'BAD_USER_INPUT',
          /^multiCloudImageId: expected one of the MultiCloudImages of ServerTemplate 'st-1' revision 2 \('mci-x64', 'mci-i386', 'mci-west'\), got 'mci-elsewhere'$/,
        ));

    it('BAD_USER_INPUT for a cloud that is not registered', () =>
      spec
        .given([created])
        .when(add({ cloudId: 'aws-nowhere-1', cloud: undefined }))
        .thenFails('BAD_USER_INPUT', /^cloudId: expected a registered cloud, got 'aws-nowhere-1'$/));
  });

  describe('AddServer: overrides', () => {
    it('takes any image of the cloud, even one in no MCI, keeping the inherited instance type', () =>
      spec
        .given([created])
        .when(add({ imageId: `${EAST}/x64-other` }))
        .then([serverAdded({ imageId: `${EAST}/x64-other` })]));
    it('takes another instance type of the cloud', () =>
      spec
        .given([created])
        .when(add({ instanceTypeId: `${EAST}/small` }))
        .then([serverAdded({ instanceTypeId: `${EAST}/small` })]));
    it('takes a DEPRECATED image (it still works)', () =>
      spec
        .given([created])
        .when(add({ imageId: `${EAST}/dated` }))
        .then([serverAdded({ imageId: `${EAST}/dated` })]));
    it('IMAGE_NOT_IN_CLOUD for an image of another cloud', () =>
      spec
        .given([created])
        .when(add({ imageId: `${WEST}/x64` }))
        .thenFails('IMAGE_NOT_IN_CLOUD', /^image 'aws-us-west-1\/x64' is not an image of cloud 'aws-us-east-1' \(its images include /));
    it('IMAGE_OBSOLETE for an OBSOLETE image', () =>
      spec
        .given([created])
        .when(add({ imageId: `${EAST}/old` }))
        .thenFails('IMAGE_OBSOLETE', /^image 'aws-us-east-1\/old' of cloud 'aws-us-east-1' is OBSOLETE: it can't be newly launched/));
    it('IMAGE_OBSOLETE when the MCI’s image became OBSOLETE since it was mapped, naming where it came from', () => {
      const stale = template({ multiCloudImages: [mci('mci-x64', [setting(EAST, 'old', 'large')], { isDefault: true })] });
      spec
        .given([created])
        .when(add({ serverTemplate: stale }))
        .thenFails('IMAGE_OBSOLETE', /^image 'aws-us-east-1\/old' \(MultiCloudImage 'mci-x64' setting for 'aws-us-east-1'\) of cloud/);
    });
    it('BAD_USER_INPUT for an instance type the cloud does not offer', () =>
      spec
        .given([created])
        .when(add({ instanceTypeId: `${WEST}/small` }))
        .thenFails(
          'BAD_USER_INPUT',
          /^instanceTypeId: expected an instance type of cloud 'aws-us-east-1' \('aws-us-east-1\/small', 'aws-us-east-1\/large'\), got 'aws-us-west-1\/small'$/,
        ));
    it('ARCHITECTURE_MISMATCH for a 32-bit image on the inherited large type', () =>
      spec
        .given([created])
        .when(add({ imageId: `${EAST}/i386` }))
        .thenFails('ARCHITECTURE_MISMATCH', /^instance type 'aws-us-east-1\/large' runs x86_64, but image 'aws-us-east-1\/i386' is i386$/));
    it('ARCHITECTURE_MISMATCH for a large type under the 32-bit MCI', () =>
      spec
        .given([created])
        .when(add({ multiCloudImageId: 'mci-i386', instanceTypeId: `${EAST}/large` }))
        .thenFails('ARCHITECTURE_MISMATCH', /runs x86_64, but image 'aws-us-east-1\/i386' is i386/));
  });

  describe('AddServer: the deployment, the name and the template', () => {
    it('NOT_FOUND for a deployment that does not exist', () =>
      spec
        .given([])
        .when(add())
        .thenFails('NOT_FOUND', /^no such Deployment$/));
    it('NOT_FOUND, worded the same, for another account’s deployment', () =>
      spec
        .given([created])
        .when(add({ accountId: OTHER_ACCOUNT, serverTemplate: template({ accountId: OTHER_ACCOUNT }) }))
        .thenFails('NOT_FOUND', /^no such Deployment$/));
    it('NOT_FOUND for a template that does not exist or was deleted', () =>
      spec
        .given([created])
        .when(add({ serverTemplate: undefined }))
        .thenFails('NOT_FOUND', /^no such ServerTemplate$/));
    it('NOT_FOUND, worded the same, for another account’s template', () =>
      spec
        .given([created])
        .when(add({ serverTemplate: template({ accountId: OTHER_ACCOUNT }) }))
        .thenFails('NOT_FOUND', /^no such ServerTemplate$/));
    it('NOT_FOUND for a template revision that was never committed, naming the ones that exist', () => {
      spec
        .given([created])
        .when(add({ serverTemplate: template({ revision: 7, multiCloudImages: undefined }) }))
        .thenFails('NOT_FOUND', /^ServerTemplate 'st-1' has no revision 7: its revisions are 1 to 2 \(0 is HEAD\)$/);
      spec
        .given([created])
        .when(add({ serverTemplate: template({ revision: 1, latestRevision: 0, multiCloudImages: undefined }) }))
        .thenFails('NOT_FOUND', /^ServerTemplate 'st-1' has no revision 1: nothing was committed yet \(0 is HEAD\)$/);
    });
    it.each([
      ['blank', ''],
      ['256 characters', 's'.repeat(256)],
    ])('refuses a %s server name', (_what, name) =>
      spec
        .given([created])
        .when(add({ name }))
        .thenFails('BAD_USER_INPUT', /^name: expected 1 to 255 characters/),
    );
    it('refuses a name another server of the deployment has', () =>
      spec
        .given([created, serverAdded()])
        .when(add({ serverId: 'srv-2' }))
        .thenFails(
          'BAD_USER_INPUT',
          /^name: expected a name no other server of Deployment 'dep-1' has, got 'web 1' \(server 'srv-1' has it\)$/,
        ));
    it(`holds at most ${MAX_SERVERS_PER_DEPLOYMENT} servers`, () => {
      const full = Array.from({ length: MAX_SERVERS_PER_DEPLOYMENT }, (_, i) => serverAdded({ serverId: `s${i}`, name: `server ${i}` }));
      spec
        .given([created, ...full.slice(1)])
        .when(add({ serverId: 'one-more', name: 'one more' }))
        .then([serverAdded({ serverId: 'one-more', name: 'one more' })]);
      spec
        .given([created, ...full])
        .when(add({ serverId: 'too-many', name: 'too many' }))
        .thenFails('BAD_USER_INPUT', /^Deployment 'dep-1' already holds 1000 servers, the most a deployment can hold \(1000\)/);
    });
  });

  describe('UpdateServer', () => {
    const given = [created, serverAdded()];

    it('gives the server another MCI of its template revision, with that setting’s image and instance type', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-i386' }))
        .then([
          {
            type: 'ServerUpdated',
            data: {
              serverId: 'srv-1',
              multiCloudImage: { id: 'mci-i386', revision: 2 },
              multiCloudImageLatestRevision: 2,
              imageId: `${EAST}/i386`,
              instanceTypeId: `${EAST}/small`,
            },
          },
        ]));
    it('takes another MCI with an image and instance type given alongside it', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-i386', imageId: `${EAST}/x64-other` }))
        .then([
          {
            type: 'ServerUpdated',
            data: {
              serverId: 'srv-1',
              multiCloudImage: { id: 'mci-i386', revision: 2 },
              multiCloudImageLatestRevision: 2,
              imageId: `${EAST}/x64-other`,
              instanceTypeId: `${EAST}/small`,
            },
          },
        ]));
    it('records only the fields that changed', () =>
      spec
        .given(given)
        .when(update({ imageId: `${EAST}/x64`, instanceTypeId: `${EAST}/small` }))
        .then([{ type: 'ServerUpdated', data: { serverId: 'srv-1', instanceTypeId: `${EAST}/small` } }]));
    it('takes any image of its cloud, even one in no MCI', () =>
      spec
        .given(given)
        .when(update({ imageId: `${EAST}/x64-other` }))
        .then([{ type: 'ServerUpdated', data: { serverId: 'srv-1', imageId: `${EAST}/x64-other` } }]));
    it('writes nothing when nothing changes or nothing is asked', () => {
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-x64', imageId: `${EAST}/x64` }))
        .then([]);
      spec.given(given).when(update()).then([]);
    });
    it('keeps an image that became OBSOLETE while the server runs it, when only the instance type changes', () =>
      spec
        .given([created, serverAdded({ imageId: `${EAST}/old` })])
        .when(update({ instanceTypeId: `${EAST}/small` }))
        .then([{ type: 'ServerUpdated', data: { serverId: 'srv-1', instanceTypeId: `${EAST}/small` } }]));
    it('ARCHITECTURE_MISMATCH for a 32-bit image on the large type the server has', () =>
      spec
        .given(given)
        .when(update({ imageId: `${EAST}/i386` }))
        .thenFails('ARCHITECTURE_MISMATCH', /^instance type 'aws-us-east-1\/large' runs x86_64, but image 'aws-us-east-1\/i386' is i386$/));
    it('ARCHITECTURE_MISMATCH for a large type on the 32-bit MCI', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-i386', instanceTypeId: `${EAST}/large` }))
        .thenFails('ARCHITECTURE_MISMATCH', /is i386$/));
    it('IMAGE_NOT_IN_CLOUD for an image of another cloud', () =>
      spec
        .given(given)
        .when(update({ imageId: `${WEST}/x64` }))
        .thenFails('IMAGE_NOT_IN_CLOUD', /is not an image of cloud 'aws-us-east-1'/));
    it('IMAGE_OBSOLETE for a new OBSOLETE image', () =>
      spec
        .given(given)
        .when(update({ imageId: `${EAST}/old` }))
        .thenFails('IMAGE_OBSOLETE', /is OBSOLETE/));
    it('BAD_USER_INPUT for an instance type of another cloud', () =>
      spec
        .given(given)
        .when(update({ instanceTypeId: `${WEST}/large` }))
        .thenFails('BAD_USER_INPUT', /^instanceTypeId: expected an instance type of cloud 'aws-us-east-1'/));
    it('NO_MCI_FOR_CLOUD for an MCI of the template that does not cover the server’s cloud', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-west' }))
        .thenFails(
          'NO_MCI_FOR_CLOUD',
          /^MultiCloudImage 'mci-west' \(HEAD\) has no setting for cloud 'aws-us-east-1': it covers 'aws-us-west-1'$/,
        ));
    it('BAD_USER_INPUT for an MCI that is not its template’s', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-nope' }))
        .thenFails('BAD_USER_INPUT', /^multiCloudImageId: expected one of the MultiCloudImages of ServerTemplate 'st-1' revision 2/));
    it('NOT_FOUND for another MCI when the server’s template revision can no longer be read', () =>
      spec
        .given(given)
        .when(update({ multiCloudImageId: 'mci-i386', serverTemplate: undefined }))
        .thenFails('NOT_FOUND', /^ServerTemplate 'st-1' revision 2 of server 'srv-1' no longer exists/));
    it('NOT_FOUND for a server the deployment does not have', () =>
      spec
        .given(given)
        .when(update({ serverId: 'srv-9', imageId: `${EAST}/x64-other` }))
        .thenFails('NOT_FOUND', /^Deployment 'dep-1' has no server 'srv-9'$/));
    it('NOT_FOUND, worded as for a missing one, for another account’s deployment', () => {
      spec
        .given(given)
        .when(update({ accountId: OTHER_ACCOUNT, imageId: `${EAST}/x64-other` }))
        .thenFails('NOT_FOUND', /^no such Deployment$/);
      spec
        .given([])
        .when(update({ imageId: `${EAST}/x64-other` }))
        .thenFails('NOT_FOUND', /^no such Deployment$/);
    });
  });

  it('evolves servers in the order they were added, applying only what changed', () => {
    const state = fold(deploymentDecider, [
      created,
      serverAdded(),
      serverAdded({ serverId: 'srv-2', name: 'web 2' }),
      { type: 'ServerUpdated', data: { serverId: 'srv-2', imageId: `${EAST}/x64-other` } },
    ]);
    expect(state).toMatchObject({
      status: 'active',
      name: 'production',
      servers: [
        { id: 'srv-1', imageId: `${EAST}/x64`, instanceTypeId: `${EAST}/large` },
        { id: 'srv-2', imageId: `${EAST}/x64-other`, instanceTypeId: `${EAST}/large`, multiCloudImage: { id: 'mci-x64', revision: 1 } },
      ],
    });
  });
});
