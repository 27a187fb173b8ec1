import { cloudDecider, isCompatible, type CloudEvent, type Image } from '../../src/domain/catalog/cloud';
import { cloudBatchDecider } from '../../src/domain/catalog/cloudBatch';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(cloudDecider);
const batch = deciderSpecification(cloudBatchDecider);

const registered: CloudEvent = { type: 'CloudRegistered', data: { cloudId: 'aws-us-east-1', name: 'AWS US-East', provider: 'AWS' } };
const centos: Omit<Image, 'status'> = {
  id: 'aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7',
  cloudId: 'aws-us-east-1',
  name: 'RightImage_CentOS_5.6_x64_v5.7',
  os: 'CentOS',
  osVersion: '5.6',
  architecture: 'x86_64',
};
const imageRegistered: CloudEvent = { type: 'ImageRegistered', data: { ...centos, status: 'ACTIVE' } };
const small = { id: 'aws-us-east-1/small', cloudId: 'aws-us-east-1', name: 'm1.small', architectures: ['i386', 'x86_64'] } as const;
const deprecated = (status: 'DEPRECATED' | 'OBSOLETE'): CloudEvent => ({
  type: 'ImageDeprecated',
  data: { cloudId: 'aws-us-east-1', imageId: centos.id, status },
});

describe('cloud decider', () => {
  describe('RegisterCloud', () => {
    it('registers a new cloud', () =>
      spec
        .given([])
        .when({ type: 'RegisterCloud', data: { cloudId: 'aws-us-east-1', name: 'AWS US-East', provider: 'AWS' } })
        .then([registered]));
    it('refuses a cloud that is already registered', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterCloud', data: { cloudId: 'aws-us-east-1', name: 'Again', provider: 'AWS' } })
        .thenFails('BAD_USER_INPUT', /'aws-us-east-1' is already registered/));
    it.each([
      ['an empty id', '', 'BAD_USER_INPUT', /cloud id: expected .* got ''/],
      ['an id with a space', 'aws east', 'BAD_USER_INPUT', /cloud id/],
      ['an id with a slash (it names a stream)', 'aws/east', 'BAD_USER_INPUT', /cloud id/],
      ['an id of 129 characters', 'a'.repeat(129), 'BAD_USER_INPUT', /cloud id/],
    ] as const)('refuses %s', (_what, cloudId, code, message) =>
      spec
        .given([])
        .when({ type: 'RegisterCloud', data: { cloudId, name: 'x', provider: 'AWS' } })
        .thenFails(code, message),
    );
    it('refuses a blank name', () =>
      spec
        .given([])
        .when({ type: 'RegisterCloud', data: { cloudId: 'c1', name: '  ', provider: 'AWS' } })
        .thenFails('BAD_USER_INPUT', /cloud name: expected 1 to 255 characters/));
    it('refuses a name of 256 characters', () =>
      spec
        .given([])
        .when({ type: 'RegisterCloud', data: { cloudId: 'c1', name: 'n'.repeat(256), provider: 'AWS' } })
        .thenFails('BAD_USER_INPUT', /got 256/));
    it('refuses an empty provider', () =>
      spec
        .given([])
        .when({ type: 'RegisterCloud', data: { cloudId: 'c1', name: 'n', provider: '' } })
        .thenFails('BAD_USER_INPUT', /provider/));
  });

  describe('RegisterImage', () => {
    it('registers an ACTIVE image in the cloud', () =>
      spec.given([registered]).when({ type: 'RegisterImage', data: centos }).then([imageRegistered]));
    it('refuses an image for a cloud that is not registered', () =>
      spec
        .given([])
        .when({ type: 'RegisterImage', data: centos })
        .thenFails('NOT_FOUND', /cloud 'aws-us-east-1' is not registered/));
    it('refuses an image id already registered in the cloud', () =>
      spec
        .given([registered, imageRegistered])
        .when({ type: 'RegisterImage', data: { ...centos, name: 'other' } })
        .thenFails('BAD_USER_INPUT', /already registered in cloud 'aws-us-east-1'/));
    it('refuses an invalid image id', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterImage', data: { ...centos, id: 'has space' } })
        .thenFails('BAD_USER_INPUT', /image id/));
    it('refuses a blank name, os or os version', () => {
      spec
        .given([registered])
        .when({ type: 'RegisterImage', data: { ...centos, name: '' } })
        .thenFails('BAD_USER_INPUT', /image name/);
      spec
        .given([registered])
        .when({ type: 'RegisterImage', data: { ...centos, os: ' ' } })
        .thenFails('BAD_USER_INPUT', /^os:/);
      spec
        .given([registered])
        .when({ type: 'RegisterImage', data: { ...centos, osVersion: '' } })
        .thenFails('BAD_USER_INPUT', /os version/);
    });
    it('refuses an unknown architecture', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterImage', data: { ...centos, architecture: 'arm64' as never } })
        .thenFails('BAD_USER_INPUT', /image architecture: expected one of i386, x86_64, got 'arm64'/));
  });

  describe('RegisterInstanceType', () => {
    it('registers an instance type with its architectures deduplicated and sorted', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterInstanceType', data: { ...small, architectures: ['x86_64', 'i386', 'x86_64'] } })
        .then([{ type: 'InstanceTypeRegistered', data: { ...small, architectures: ['i386', 'x86_64'] } }]));
    it('refuses an instance type for a cloud that is not registered', () =>
      spec
        .given([])
        .when({ type: 'RegisterInstanceType', data: small })
        .thenFails('NOT_FOUND', /not registered/));
    it('refuses an instance type id already registered in the cloud', () =>
      spec
        .given([registered, { type: 'InstanceTypeRegistered', data: small }])
        .when({ type: 'RegisterInstanceType', data: small })
        .thenFails('BAD_USER_INPUT', /instance type 'aws-us-east-1\/small' is already registered/));
    it('refuses an instance type without architectures', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterInstanceType', data: { ...small, architectures: [] } })
        .thenFails('BAD_USER_INPUT', /expected at least one of i386, x86_64, got none/));
    it('refuses an unknown architecture', () =>
      spec
        .given([registered])
        .when({ type: 'RegisterInstanceType', data: { ...small, architectures: ['i386', 'sparc' as never] } })
        .thenFails('BAD_USER_INPUT', /got 'sparc'/));
    it('refuses a blank name and an invalid id', () => {
      spec
        .given([registered])
        .when({ type: 'RegisterInstanceType', data: { ...small, name: '' } })
        .thenFails('BAD_USER_INPUT', /instance type name/);
      spec
        .given([registered])
        .when({ type: 'RegisterInstanceType', data: { ...small, id: '-x' } })
        .thenFails('BAD_USER_INPUT', /instance type id/);
    });
  });

  describe('DeprecateImage', () => {
    const deprecate = (status: 'DEPRECATED' | 'OBSOLETE', imageId = centos.id) =>
      ({ type: 'DeprecateImage', data: { cloudId: 'aws-us-east-1', imageId, status } }) as const;

    it('deprecates an active image', () =>
      spec
        .given([registered, imageRegistered])
        .when(deprecate('DEPRECATED'))
        .then([deprecated('DEPRECATED')]));
    it('makes an active image obsolete', () =>
      spec
        .given([registered, imageRegistered])
        .when(deprecate('OBSOLETE'))
        .then([deprecated('OBSOLETE')]));
    it('makes a deprecated image obsolete', () =>
      spec
        .given([registered, imageRegistered, deprecated('DEPRECATED')])
        .when(deprecate('OBSOLETE'))
        .then([deprecated('OBSOLETE')]));
    it('decides nothing when the image already has that status', () =>
      spec
        .given([registered, imageRegistered, deprecated('DEPRECATED')])
        .when(deprecate('DEPRECATED'))
        .then([]));
    it('refuses to bring an obsolete image back to deprecated', () =>
      spec
        .given([registered, imageRegistered, deprecated('OBSOLETE')])
        .when(deprecate('DEPRECATED'))
        .thenFails('BAD_USER_INPUT', /already OBSOLETE/));
    it('refuses ACTIVE as a target status', () =>
      spec
        .given([registered, imageRegistered])
        .when({ type: 'DeprecateImage', data: { cloudId: 'aws-us-east-1', imageId: centos.id, status: 'ACTIVE' as never } })
        .thenFails('BAD_USER_INPUT', /expected DEPRECATED or OBSOLETE, got 'ACTIVE'/));
    it('refuses an image that is not in the cloud', () =>
      spec
        .given([registered])
        .when(deprecate('DEPRECATED', 'nope'))
        .thenFails('NOT_FOUND', /image 'nope' is not in cloud 'aws-us-east-1'/));
    it('refuses a cloud that is not registered', () =>
      spec
        .given([])
        .when(deprecate('DEPRECATED'))
        .thenFails('NOT_FOUND', /not registered/));
  });

  describe('a batch of commands (one atomic append)', () => {
    it('decides each command on the state the previous ones left', () =>
      batch
        .given([])
        .when([
          { type: 'RegisterCloud', data: { cloudId: 'aws-us-east-1', name: 'AWS US-East', provider: 'AWS' } },
          { type: 'RegisterImage', data: centos },
          { type: 'DeprecateImage', data: { cloudId: 'aws-us-east-1', imageId: centos.id, status: 'OBSOLETE' } },
        ])
        .then([registered, imageRegistered, deprecated('OBSOLETE')]));
    it('refuses the whole batch when one command is refused', () =>
      batch
        .given([])
        .when([
          { type: 'RegisterCloud', data: { cloudId: 'aws-us-east-1', name: 'AWS US-East', provider: 'AWS' } },
          { type: 'RegisterImage', data: centos },
          { type: 'RegisterImage', data: centos },
        ])
        .thenFails('BAD_USER_INPUT', /already registered/));
  });

  it('calls an image and an instance type compatible when the type lists the image architecture', () => {
    expect(isCompatible({ architecture: 'i386' }, { architectures: ['i386', 'x86_64'] })).toBe(true);
    expect(isCompatible({ architecture: 'i386' }, { architectures: ['x86_64'] })).toBe(false);
    expect(isCompatible({ architecture: 'x86_64' }, { architectures: ['x86_64'] })).toBe(true);
  });
});
