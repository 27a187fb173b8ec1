import { cloudDecider, type CloudEvent, type RegisteredCloud } from '../../src/domain/catalog/cloud';
import { fold } from '../../src/domain/decider';
import {
  multiCloudImageDecider,
  stateAtRevision,
  type MultiCloudImageCommand,
  type MultiCloudImageEvent,
  type MultiCloudImageSetting,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(multiCloudImageDecider);
const ACCOUNT = 'acme';
const OTHER_ACCOUNT = 'globex';
const ID = 'mci-1';

const cloudEvents: CloudEvent[] = [
  { type: 'CloudRegistered', data: { cloudId: 'aws-us-east-1', name: 'AWS US East', provider: 'AWS' } },
  {
    type: 'ImageRegistered',
    data: {
      id: 'centos-x64',
      cloudId: 'aws-us-east-1',
      name: 'RightImage_CentOS_5.6_x64_v5.7',
      os: 'CentOS',
      osVersion: '5.6',
      architecture: 'x86_64',
    },
  },
  {
    type: 'ImageRegistered',
    data: {
      id: 'centos-i386',
      cloudId: 'aws-us-east-1',
      name: 'RightImage_CentOS_5.6_i386_v5.7',
      os: 'CentOS',
      osVersion: '5.6',
      architecture: 'i386',
    },
  },
  {
    type: 'ImageRegistered',
    data: { id: 'old', cloudId: 'aws-us-east-1', name: 'Old', os: 'CentOS', osVersion: '5.2', architecture: 'x86_64' },
  },
  { type: 'ImageDeprecated', data: { cloudId: 'aws-us-east-1', imageId: 'old', status: 'OBSOLETE' } },
  {
    type: 'ImageRegistered',
    data: { id: 'aki-x64', cloudId: 'aws-us-east-1', name: 'kernel', os: 'CentOS', osVersion: '5.6', architecture: 'x86_64' },
  },
  {
    type: 'ImageRegistered',
    data: { id: 'ari-i386', cloudId: 'aws-us-east-1', name: 'ramdisk', os: 'CentOS', osVersion: '5.6', architecture: 'i386' },
  },
  { type: 'InstanceTypeRegistered', data: { id: 'small', cloudId: 'aws-us-east-1', name: 'm1.small', architectures: ['i386', 'x86_64'] } },
  { type: 'InstanceTypeRegistered', data: { id: 'large', cloudId: 'aws-us-east-1', name: 'm1.large', architectures: ['x86_64'] } },
];
const cloud = fold(cloudDecider, cloudEvents) as RegisteredCloud;

const created: MultiCloudImageEvent = {
  type: 'MultiCloudImageCreated',
  data: { multiCloudImageId: ID, accountId: ACCOUNT, lineage: ID, name: 'RightImage_CentOS_5.6_x64_v5.7', description: 'base' },
};
const setting: MultiCloudImageSetting = {
  cloudId: 'aws-us-east-1',
  imageId: 'centos-x64',
  instanceTypeId: 'large',
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
};
const mapped: MultiCloudImageEvent = { type: 'ImageMapped', data: { ...setting, replaced: null } };
const committed = (revision: number): MultiCloudImageEvent => ({
  type: 'RevisionCommitted',
  data: { revision, message: `r${revision}`, contentHash: `h${revision}`, committedAt: '2024-01-01T00:00:00.000Z', committedBy: 'alice' },
});
const deleted: MultiCloudImageEvent = { type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: ID } };

const mapCommand = (overrides: Partial<Extract<MultiCloudImageCommand, { type: 'MapImage' }>['data']> = {}): MultiCloudImageCommand => ({
  type: 'MapImage',
  data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1', cloud, imageId: 'centos-x64', instanceTypeId: 'large', ...overrides },
});
const commitCommand = (
  overrides: Partial<Extract<MultiCloudImageCommand, { type: 'CommitRevision' }>['data']> = {},
): MultiCloudImageCommand => ({
  type: 'CommitRevision',
  data: {
    accountId: ACCOUNT,
    message: 'first',
    contentHash: 'abc',
    committedAt: '2024-01-02T00:00:00.000Z',
    committedBy: 'bob',
    ...overrides,
  },
});

describe('MultiCloudImage decider: create', () => {
  it('creates an MCI in its own lineage', () =>
    spec
      .given([])
      .when({
        type: 'CreateMultiCloudImage',
        data: { multiCloudImageId: ID, accountId: ACCOUNT, name: 'RightImage_CentOS_5.6_x64_v5.7', description: 'base' },
      })
      .then([created]));
  it('defaults the description to empty', () =>
    spec
      .given([])
      .when({ type: 'CreateMultiCloudImage', data: { multiCloudImageId: ID, accountId: ACCOUNT, name: 'n' } })
      .then([
        { type: 'MultiCloudImageCreated', data: { multiCloudImageId: ID, accountId: ACCOUNT, lineage: ID, name: 'n', description: '' } },
      ]));
  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
    ['a 256-character name', 'x'.repeat(256)],
  ])('refuses %s', (_what, name) =>
    spec
      .given([])
      .when({ type: 'CreateMultiCloudImage', data: { multiCloudImageId: ID, accountId: ACCOUNT, name } })
      .thenFails('BAD_USER_INPUT', /name: expected 1 to 255 characters/),
  );
  it('accepts a 255-character name', () =>
    expect(
      multiCloudImageDecider.decide(
        { type: 'CreateMultiCloudImage', data: { multiCloudImageId: ID, accountId: ACCOUNT, name: 'x'.repeat(255) } },
        multiCloudImageDecider.initialState(),
      ),
    ).toHaveLength(1));
  it('refuses a description over 4096 characters', () =>
    spec
      .given([])
      .when({
        type: 'CreateMultiCloudImage',
        data: { multiCloudImageId: ID, accountId: ACCOUNT, name: 'n', description: 'd'.repeat(4097) },
      })
      .thenFails('BAD_USER_INPUT', /description: expected at most 4096/));
  it('refuses to create over an existing MCI', () =>
    spec
      .given([created])
      .when({ type: 'CreateMultiCloudImage', data: { multiCloudImageId: ID, accountId: ACCOUNT, name: 'n' } })
      .thenFails('BAD_USER_INPUT', /already exists/));
});

describe('MultiCloudImage decider: update', () => {
  it('records only the fields that changed', () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'renamed', description: 'base' } })
      .then([{ type: 'MultiCloudImageUpdated', data: { name: 'renamed' } }]));
  it('updates the description alone', () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, description: 'new' } })
      .then([{ type: 'MultiCloudImageUpdated', data: { description: 'new' } }]));
  it('decides nothing when nothing changes', () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'RightImage_CentOS_5.6_x64_v5.7', description: null } })
      .then([]));
  it('refuses a blank name', () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: ' ' } })
      .thenFails('BAD_USER_INPUT'));
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, committed(1)])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, revision: 1, name: 'x' } })
      .thenFails('NOT_HEAD', /only HEAD/));
  it('accepts revision 0 as HEAD', () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, revision: 0, name: 'x' } })
      .then([{ type: 'MultiCloudImageUpdated', data: { name: 'x' } }]));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: OTHER_ACCOUNT, name: 'x' } })
      .thenFails('NOT_FOUND'));
  it('refuses a missing MCI as NOT_FOUND', () =>
    spec
      .given([])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'x' } })
      .thenFails('NOT_FOUND'));
  it('refuses a deleted MCI as NOT_FOUND', () =>
    spec
      .given([created, deleted])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'x' } })
      .thenFails('NOT_FOUND', /deleted/));
});

describe('MultiCloudImage decider: mapImage', () => {
  it('maps a cloud', () => spec.given([created]).when(mapCommand()).then([mapped]));
  it('replaces the setting of a mapped cloud and records the one it replaced', () =>
    spec
      .given([created, mapped])
      .when(mapCommand({ imageId: 'centos-i386', instanceTypeId: 'small', userData: 'echo hi' }))
      .then([
        {
          type: 'ImageMapped',
          data: { ...setting, imageId: 'centos-i386', instanceTypeId: 'small', userData: 'echo hi', replaced: setting },
        },
      ]));
  it('decides nothing when the identical setting is mapped again', () => spec.given([created, mapped]).when(mapCommand()).then([]));
  it('maps kernel and ramdisk images of the same architecture', () =>
    spec
      .given([created])
      .when(mapCommand({ kernelImageId: 'aki-x64' }))
      .then([{ type: 'ImageMapped', data: { ...setting, kernelImageId: 'aki-x64', replaced: null } }]));
  it('refuses an unknown cloud (BAD_USER_INPUT)', () =>
    spec
      .given([created])
      .when(mapCommand({ cloudId: 'nowhere', cloud: undefined }))
      .thenFails('BAD_USER_INPUT', /expected a registered cloud, got 'nowhere'/));
  it('refuses an image that is not in the cloud', () =>
    spec
      .given([created])
      .when(mapCommand({ imageId: 'ami-elsewhere' }))
      .thenFails('IMAGE_NOT_IN_CLOUD', /'ami-elsewhere' is not an image of cloud/));
  it('refuses a kernel image that is not in the cloud', () =>
    spec
      .given([created])
      .when(mapCommand({ kernelImageId: 'aki-elsewhere' }))
      .thenFails('IMAGE_NOT_IN_CLOUD', /kernel image/));
  it('refuses a ramdisk image that is not in the cloud', () =>
    spec
      .given([created])
      .when(mapCommand({ ramdiskImageId: 'ari-elsewhere' }))
      .thenFails('IMAGE_NOT_IN_CLOUD', /ramdisk image/));
  it('refuses an OBSOLETE image', () =>
    spec
      .given([created])
      .when(mapCommand({ imageId: 'old' }))
      .thenFails('IMAGE_OBSOLETE', /OBSOLETE/));
  it('refuses an instance type the cloud does not offer (BAD_USER_INPUT)', () =>
    spec
      .given([created])
      .when(mapCommand({ instanceTypeId: 'huge' }))
      .thenFails('BAD_USER_INPUT', /instanceTypeId: expected an instance type/));
  it('refuses a 32-bit image on a large (64-bit only) instance type', () =>
    spec
      .given([created])
      .when(mapCommand({ imageId: 'centos-i386', instanceTypeId: 'large' }))
      .thenFails('ARCHITECTURE_MISMATCH', /runs x86_64, but image 'centos-i386' is i386/));
  it('refuses a ramdisk of another architecture than the image', () =>
    spec
      .given([created])
      .when(mapCommand({ ramdiskImageId: 'ari-i386' }))
      .thenFails('ARCHITECTURE_MISMATCH', /ramdisk image/));
  it('accepts user data of exactly 16 KiB and refuses one byte more, counted in UTF-8', () => {
    spec
      .given([created])
      .when(mapCommand({ userData: 'a'.repeat(16 * 1024) }))
      .then([{ type: 'ImageMapped', data: { ...setting, userData: 'a'.repeat(16 * 1024), replaced: null } }]);
    spec
      .given([created])
      .when(mapCommand({ userData: 'a'.repeat(16 * 1024 - 1) + 'é' }))
      .thenFails('BAD_USER_INPUT', /at most 16384 bytes .* got 16385/);
  });
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, committed(1)])
      .when(mapCommand({ revision: 1 }))
      .thenFails('NOT_HEAD'));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created])
      .when(mapCommand({ accountId: OTHER_ACCOUNT }))
      .thenFails('NOT_FOUND'));
  it('checks NOT_FOUND before the catalog', () =>
    spec
      .given([created, deleted])
      .when(mapCommand({ cloud: undefined }))
      .thenFails('NOT_FOUND'));
});

describe('MultiCloudImage decider: unmapImage', () => {
  it('unmaps a mapped cloud and records its setting', () =>
    spec
      .given([created, mapped])
      .when({ type: 'UnmapImage', data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1' } })
      .then([{ type: 'ImageUnmapped', data: { cloudId: 'aws-us-east-1', removed: setting } }]));
  it('refuses a cloud that is not mapped', () =>
    spec
      .given([created])
      .when({ type: 'UnmapImage', data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1' } })
      .thenFails('BAD_USER_INPUT', /none is mapped/));
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, mapped, committed(1)])
      .when({ type: 'UnmapImage', data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1', revision: 1 } })
      .thenFails('NOT_HEAD'));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created, mapped])
      .when({ type: 'UnmapImage', data: { accountId: OTHER_ACCOUNT, cloudId: 'aws-us-east-1' } })
      .thenFails('NOT_FOUND'));
});

describe('MultiCloudImage decider: commit', () => {
  it('commits HEAD as revision 1', () =>
    spec
      .given([created])
      .when(commitCommand())
      .then([
        {
          type: 'RevisionCommitted',
          data: { revision: 1, message: 'first', contentHash: 'abc', committedAt: '2024-01-02T00:00:00.000Z', committedBy: 'bob' },
        },
      ]));
  it('numbers revisions densely', () => {
    const events = multiCloudImageDecider.decide(
      commitCommand(),
      fold(multiCloudImageDecider, [created, committed(1), mapped, committed(2), { type: 'MultiCloudImageUpdated', data: { name: 'x' } }]),
    );
    expect(events).toMatchObject([{ type: 'RevisionCommitted', data: { revision: 3 } }]);
  });
  it('refuses to commit with no change since the last revision (NO_CHANGES)', () =>
    spec
      .given([created, mapped, committed(1)])
      .when(commitCommand())
      .thenFails('NO_CHANGES', /since revision 1/));
  it('refuses NO_CHANGES when HEAD went away and came back to the committed content', () =>
    spec
      .given([created, mapped, committed(1), { type: 'ImageUnmapped', data: { cloudId: 'aws-us-east-1', removed: setting } }, mapped])
      .when(commitCommand())
      .thenFails('NO_CHANGES'));
  it.each([
    ['an empty message', ''],
    ['a blank message', ' \n'],
    ['a message over 4096 characters', 'm'.repeat(4097)],
  ])('refuses %s', (_what, message) =>
    spec
      .given([created])
      .when(commitCommand({ message }))
      .thenFails('BAD_USER_INPUT', /commit message/),
  );
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, mapped, committed(1)])
      .when(commitCommand({ revision: 1 }))
      .thenFails('NOT_HEAD'));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created])
      .when(commitCommand({ accountId: OTHER_ACCOUNT }))
      .thenFails('NOT_FOUND'));
  it('refuses a deleted MCI as NOT_FOUND', () => spec.given([created, deleted]).when(commitCommand()).thenFails('NOT_FOUND'));
});

describe('MultiCloudImage decider: clone', () => {
  const content = { name: 'PHP FrontEnd v7', description: 'web', settings: { 'aws-us-east-1': setting } };
  const source = { id: ID, accountId: ACCOUNT, revision: 2, content };
  it('starts the new stream with ComponentCloned: bumped name, copied content, new lineage, clonedFrom', () =>
    spec
      .given([])
      .when({ type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: ACCOUNT, source } })
      .then([
        {
          type: 'ComponentCloned',
          data: {
            kind: 'MultiCloudImage',
            componentId: 'mci-2',
            accountId: ACCOUNT,
            lineage: 'mci-2',
            clonedFrom: { id: ID, revision: 2 },
            name: 'PHP FrontEnd v8',
            description: 'web',
            settings: content.settings,
          },
        },
      ]));
  it('takes an explicit name', () => {
    const [event] = multiCloudImageDecider.decide(
      { type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: ACCOUNT, source, name: 'Mine' } },
      multiCloudImageDecider.initialState(),
    );
    expect(event).toMatchObject({ type: 'ComponentCloned', data: { name: 'Mine' } });
  });
  it('refuses a missing source as NOT_FOUND', () =>
    spec
      .given([])
      .when({ type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: ACCOUNT, source: undefined } })
      .thenFails('NOT_FOUND'));
  it("refuses another account's source as NOT_FOUND", () =>
    spec
      .given([])
      .when({ type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: OTHER_ACCOUNT, source } })
      .thenFails('NOT_FOUND'));
  it('refuses a bad explicit name', () =>
    spec
      .given([])
      .when({ type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: ACCOUNT, source, name: '' } })
      .thenFails('BAD_USER_INPUT'));
  it('a clone has no revisions and can commit its first one', () => {
    const [cloned] = multiCloudImageDecider.decide(
      { type: 'CloneMultiCloudImage', data: { multiCloudImageId: 'mci-2', accountId: ACCOUNT, source } },
      multiCloudImageDecider.initialState(),
    );
    const state = fold(multiCloudImageDecider, [cloned as MultiCloudImageEvent]);
    expect(state).toMatchObject({
      status: 'active',
      latestRevision: 0,
      lineage: 'mci-2',
      clonedFrom: { id: ID, revision: 2 },
      head: { ...content, name: 'PHP FrontEnd v8' },
    });
    expect(multiCloudImageDecider.decide(commitCommand(), state)).toMatchObject([{ data: { revision: 1 } }]);
  });
});

describe('MultiCloudImage decider: delete', () => {
  it('deletes', () =>
    spec
      .given([created, mapped])
      .when({ type: 'DeleteMultiCloudImage', data: { accountId: ACCOUNT } })
      .then([deleted]));
  it('refuses to delete twice (NOT_FOUND)', () =>
    spec
      .given([created, deleted])
      .when({ type: 'DeleteMultiCloudImage', data: { accountId: ACCOUNT } })
      .thenFails('NOT_FOUND'));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created])
      .when({ type: 'DeleteMultiCloudImage', data: { accountId: OTHER_ACCOUNT } })
      .thenFails('NOT_FOUND'));
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, committed(1)])
      .when({ type: 'DeleteMultiCloudImage', data: { accountId: ACCOUNT, revision: 1 } })
      .thenFails('NOT_HEAD'));
});

describe('MultiCloudImage state', () => {
  it('folds HEAD, the latest revision and the last committed content', () => {
    const state = fold(multiCloudImageDecider, [
      created,
      mapped,
      committed(1),
      { type: 'MultiCloudImageUpdated', data: { description: 'v2' } },
    ]);
    expect(state).toEqual({
      status: 'active',
      id: ID,
      accountId: ACCOUNT,
      lineage: ID,
      clonedFrom: null,
      origin: null,
      latestRevision: 1,
      head: { name: 'RightImage_CentOS_5.6_x64_v5.7', description: 'v2', settings: { 'aws-us-east-1': setting } },
      lastCommitted: { name: 'RightImage_CentOS_5.6_x64_v5.7', description: 'base', settings: { 'aws-us-east-1': setting } },
    });
  });
  it('folds a committed revision without the events after it', () => {
    const events = [created, committed(1), mapped, committed(2), { type: 'MultiCloudImageUpdated', data: { name: 'later' } } as const];
    expect(stateAtRevision(events, 1)).toMatchObject({ head: { settings: {} }, latestRevision: 1 });
    expect(stateAtRevision(events, 2)).toMatchObject({
      head: { name: 'RightImage_CentOS_5.6_x64_v5.7', settings: { 'aws-us-east-1': setting } },
    });
    expect(stateAtRevision(events, 0)).toMatchObject({ head: { name: 'later' } });
    expect(stateAtRevision(events, 3)).toBeUndefined();
  });
  it('keeps identity but no content once deleted', () => {
    expect(fold(multiCloudImageDecider, [created, committed(1), deleted])).toEqual({
      status: 'deleted',
      id: ID,
      accountId: ACCOUNT,
      lineage: ID,
      clonedFrom: null,
      origin: null,
      latestRevision: 1,
    });
  });
});
