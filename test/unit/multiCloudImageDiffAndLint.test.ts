import type { Image } from '../../src/domain/catalog/cloud';
import { diffMultiCloudImages } from '../../src/domain/multiCloudImages/diff';
import { lintMultiCloudImage } from '../../src/domain/multiCloudImages/lint';
import type { MultiCloudImageContent, MultiCloudImageSetting } from '../../src/domain/multiCloudImages/multiCloudImage';

const setting = (cloudId: string, imageId: string, overrides: Partial<MultiCloudImageSetting> = {}): MultiCloudImageSetting => ({
  cloudId,
  imageId,
  instanceTypeId: `${cloudId}/small`,
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
  ...overrides,
});

const content = (
  settings: MultiCloudImageSetting[],
  name = 'RightImage_CentOS_5.6_x64_v5.7',
  description = '',
): MultiCloudImageContent => ({
  name,
  description,
  settings: Object.fromEntries(settings.map((s) => [s.cloudId, s])),
});

describe('MultiCloudImage diff', () => {
  const base = content([setting('aws-us-east-1', 'a1'), setting('aws-eu-west-1', 'e1'), setting('rackspace-dfw', 'r1')]);

  it('gives no changes for identical content', () => {
    expect(diffMultiCloudImages(base, JSON.parse(JSON.stringify(base)) as MultiCloudImageContent)).toEqual([]);
  });

  it('lists name, description, whole settings added and removed, and changed setting fields', () => {
    const after = content(
      [
        setting('aws-us-east-1', 'a2', { instanceTypeId: 'aws-us-east-1/large', kernelImageId: 'aki', userData: '#!/bin/sh' }),
        setting('rackspace-dfw', 'r1'),
        setting('google-us-central1', 'g1'),
      ],
      'Renamed',
      'now with Google',
    );
    expect(diffMultiCloudImages(base, after)).toEqual([
      { path: 'name', kind: 'CHANGED', before: 'RightImage_CentOS_5.6_x64_v5.7', after: 'Renamed' },
      { path: 'description', kind: 'CHANGED', before: '', after: 'now with Google' },
      { path: 'settings.aws-eu-west-1', kind: 'REMOVED', before: setting('aws-eu-west-1', 'e1'), after: null },
      { path: 'settings.aws-us-east-1.image', kind: 'CHANGED', before: 'a1', after: 'a2' },
      { path: 'settings.aws-us-east-1.instanceType', kind: 'CHANGED', before: 'aws-us-east-1/small', after: 'aws-us-east-1/large' },
      { path: 'settings.aws-us-east-1.kernelImage', kind: 'CHANGED', before: null, after: 'aki' },
      { path: 'settings.aws-us-east-1.userData', kind: 'CHANGED', before: null, after: '#!/bin/sh' },
      { path: 'settings.google-us-central1', kind: 'ADDED', before: null, after: setting('google-us-central1', 'g1') },
    ]);
  });

  it('is the mirror image when swapped', () => {
    const after = content([setting('aws-us-east-1', 'a1', { ramdiskImageId: 'ari' })]);
    expect(diffMultiCloudImages(after, base).map((c) => [c.path, c.kind])).toEqual([
      ['settings.aws-eu-west-1', 'ADDED'],
      ['settings.aws-us-east-1.ramdiskImage', 'CHANGED'],
      ['settings.rackspace-dfw', 'ADDED'],
    ]);
  });
});

describe('MultiCloudImage best-practice lint', () => {
  const image = (id: string, overrides: Partial<Image> = {}): Image => ({
    id,
    cloudId: 'c',
    name: 'RightImage_CentOS_5.6_x64_v5.7',
    os: 'CentOS',
    osVersion: '5.6',
    architecture: 'x86_64',
    status: 'ACTIVE',
    ...overrides,
  });
  const lint = (mci: MultiCloudImageContent, images: Image[]) => {
    const byId = new Map(images.map((i) => [i.id, i]));
    return lintMultiCloudImage(mci, (_cloudId, imageId) => byId.get(imageId));
  };

  it('has nothing to say about a uniform MCI named after its image', () => {
    expect(lint(content([setting('a', 'x1'), setting('b', 'x2')]), [image('x1'), image('x2')])).toEqual([]);
  });

  it('has nothing to say about an MCI without settings', () => {
    expect(lint(content([], 'anything'), [])).toEqual([]);
  });

  it('warns about mixed OS, OS version and architecture, naming the clouds', () => {
    const warnings = lint(content([setting('a', 'x1'), setting('b', 'u1'), setting('c', 'i1')], 'Mixed'), [
      image('x1'),
      image('u1', { name: 'RightImage_Ubuntu_10.04_x64_v5.7', os: 'Ubuntu', osVersion: '10.04' }),
      image('i1', { name: 'RightImage_CentOS_5.6_i386_v5.7', architecture: 'i386' }),
    ]);
    expect(warnings.map((w) => w.code)).toEqual(['MIXED_OS', 'MIXED_OS_VERSION', 'MIXED_ARCHITECTURE', 'NAME_MISMATCH']);
    expect(warnings[0]?.message).toMatch(/CentOS \(a, c\); Ubuntu \(b\)/);
    expect(warnings[2]?.message).toMatch(/i386 \(c\); x86_64 \(a, b\)/);
  });

  it("warns when the name doesn't match the image, case-insensitively and allowing a suffix", () => {
    expect(lint(content([setting('a', 'x1')], 'rightimage_centos_5.6_x64_v5.7 (web)'), [image('x1')])).toEqual([]);
    expect(lint(content([setting('a', 'x1')], 'My web image'), [image('x1')])).toEqual([
      {
        code: 'NAME_MISMATCH',
        message: expect.stringMatching(/name 'My web image' doesn't match its image 'RightImage_CentOS_5.6_x64_v5.7'/) as unknown as string,
      },
    ]);
  });

  it('warns about DEPRECATED and OBSOLETE images, kernels and ramdisks included', () => {
    const warnings = lint(content([setting('a', 'x1', { kernelImageId: 'k1' }), setting('b', 'x2')]), [
      image('x1', { status: 'DEPRECATED' }),
      image('k1', { name: 'kernel', status: 'OBSOLETE' }),
      image('x2'),
    ]);
    expect(warnings.map((w) => w.code)).toEqual(['DEPRECATED_IMAGE', 'OBSOLETE_IMAGE']);
    expect(warnings[0]?.message).toMatch(/^image 'RightImage_CentOS_5.6_x64_v5.7' \(x1\) of cloud 'a' is DEPRECATED/);
    expect(warnings[1]?.message).toMatch(/^kernel image 'kernel' \(k1\) of cloud 'a' is OBSOLETE/);
  });
});
