import {
  STARTER_IMAGE_NAMES,
  STARTER_RETIRED_IMAGE_NAMES,
  starterImageId,
  starterInstanceTypeId,
} from '../../src/application/starterCatalog';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';

/*
 * Every refusal of the MultiCloud Image API with its code, over real HTTP, and proof that nothing was
 * written: the log's head position and the MCI's stream are exactly what they were before.
 */

const EAST = 'aws-us-east-1';
const DFW = 'rackspace-dfw';
const image = (cloudId: string, name: string = STARTER_IMAGE_NAMES.centosX64): string => starterImageId(cloudId, name);
const small = starterInstanceTypeId(EAST, 'small');
const large = starterInstanceTypeId(EAST, 'large');

const CREATE = `mutation($name: String!, $description: String) { createMultiCloudImage(input: { name: $name, description: $description }) { id version } }`;
const UPDATE = `mutation($input: UpdateMultiCloudImageInput!) { updateMultiCloudImage(input: $input) { id version } }`;
const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { id version } }`;
const UNMAP = `mutation($id: ID!, $cloudId: ID!, $v: Int, $revision: Int) { unmapImage(multiCloudImageId: $id, cloudId: $cloudId, expectedVersion: $v, revision: $revision) { id version } }`;
const COMMIT = `mutation($id: ID!, $message: String!, $v: Int, $revision: Int) { commitMultiCloudImage(id: $id, message: $message, expectedVersion: $v, revision: $revision) { revision version } }`;
const CLONE = `mutation($id: ID!, $revision: Int, $name: String) { cloneMultiCloudImage(id: $id, revision: $revision, name: $name) { id } }`;
const DELETE = `mutation($id: ID!, $v: Int, $revision: Int) { deleteMultiCloudImage(id: $id, expectedVersion: $v, revision: $revision) }`;
const GET = `query($id: ID!, $revision: Int) { multiCloudImage(id: $id, revision: $revision) { id } }`;
const LIST = `query($first: Int, $after: String) { multiCloudImages(first: $first, after: $after) { totalCount } }`;
const DIFF = `query($from: RevisionRef!, $to: RevisionRef!) { diff(from: $from, to: $to) { changes { path } } }`;
const HISTORY = `query($id: ID!, $first: Int, $after: String) { history(id: $id, first: $first, after: $after) { totalCount } }`;

/** What each code's message says: what was expected, and what arrived. */
const MESSAGES = {
  BAD_USER_INPUT:
    /^(name|description|cloudId|instanceTypeId|userData|commit message|revision|first|after|filter\.\w+): expected .+, got .+/,
  IMAGE_NOT_IN_CLOUD: /^(kernel |ramdisk )?image '.+' is not an image of cloud 'aws-us-east-1' \(its images include 'aws-us-east-1\/.+\)$/,
  IMAGE_OBSOLETE: /^image '.+' of cloud 'aws-us-east-1' is OBSOLETE: it can't be newly mapped; choose an ACTIVE image$/,
  ARCHITECTURE_MISMATCH: /^instance type '.+' runs x86_64, but image '.+' is i386$/,
  NOT_HEAD: /^only HEAD \(revision 0\) of '.+' can change; revision 1 is committed and immutable: edit HEAD, or clone revision 1/,
  NO_CHANGES: /^HEAD has not changed since revision \d+: nothing to commit$/,
  VERSION_CONFLICT: /^expectedVersion \d+ is out of date: it is at version \d+ now; read it again and retry$/,
  NOT_FOUND:
    /^(no such (MultiCloudImage( to clone)?|component)|MultiCloudImage '.+' has no revision 9: its revisions are 1 to 1 \(0 is HEAD\))$/,
  FORBIDDEN: /^Mutation\.\w+ needs the 'designer' right; this token has 'observer'$/,
} as const;

describe('MultiCloud Image API refusals', () => {
  let service: TestService;
  let id: string;
  /** The MCI's version (stream revision) once set up: one mapping committed as revision 1. */
  let version: number;
  let observer: Headers;
  let intruder: Headers;

  const mapInput = (overrides: Record<string, unknown> = {}) => ({
    multiCloudImageId: id,
    cloudId: EAST,
    imageId: image(EAST),
    instanceTypeId: large,
    ...overrides,
  });

  async function written(): Promise<{ head: unknown; stream: string[] }> {
    let stream: string[] = [];
    try {
      stream = (await service.services.store.readStream(`mci-${id}`)).map((event) => `${event.revision}:${event.type}`);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return { head: await service.services.store.headPosition(), stream };
  }

  /** Runs an operation that must be refused with `code` and a message of that code's form, and checks that nothing was written. */
  async function refused(
    code: keyof typeof MESSAGES,
    query: string,
    variables: Record<string, unknown>,
    headers: Headers = ADMIN,
  ): Promise<string> {
    const before = await written();
    const error = await fails(service.url, query, variables, headers);
    expect({ code: error.code, message: error.message }).toEqual({ code, message: expect.stringMatching(MESSAGES[code]) });
    expect(await written()).toEqual(before);
    return error.message;
  }

  beforeAll(async () => {
    service = await startTestService();
    const url = service.url;
    const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(url, CREATE, {
      name: 'RightImage_CentOS_5.6_x64_v5.7',
    });
    id = createMultiCloudImage.id;
    await ok(url, MAP, { input: mapInput() });
    const { commitMultiCloudImage } = await ok<{ commitMultiCloudImage: { version: number } }>(url, COMMIT, { id, message: 'first' });
    version = commitMultiCloudImage.version;
    observer = await tokenWithRoles(url, ['OBSERVER']);
    intruder = (await secondAccount(url, 'Intruder Inc')).admin;
  });
  afterAll(() => service.stop());

  describe('BAD_USER_INPUT', () => {
    it.each([
      ['an empty name', ''],
      ['a blank name', '  '],
      ['a 256-character name', 'n'.repeat(256)],
    ])('create refuses %s', async (_what, name) => {
      expect(await refused('BAD_USER_INPUT', CREATE, { name })).toMatch(/name: expected 1 to 255 characters/);
    });
    it('create refuses a description over 4096 characters', () =>
      refused('BAD_USER_INPUT', CREATE, { name: 'n', description: 'd'.repeat(4097) }));
    it('update refuses a 256-character name', () => refused('BAD_USER_INPUT', UPDATE, { input: { id, name: 'n'.repeat(256) } }));
    it('mapImage refuses an unknown cloud', async () => {
      expect(await refused('BAD_USER_INPUT', MAP, { input: mapInput({ cloudId: 'aws-nowhere-1' }) })).toMatch(
        /registered cloud, got 'aws-nowhere-1'/,
      );
    });
    it('mapImage refuses an instance type the cloud does not offer', () =>
      refused('BAD_USER_INPUT', MAP, { input: mapInput({ instanceTypeId: starterInstanceTypeId(DFW, 'small') }) }));
    it('mapImage refuses user data over 16 KiB (UTF-8 bytes)', async () => {
      expect(await refused('BAD_USER_INPUT', MAP, { input: mapInput({ userData: 'é'.repeat(8 * 1024) + 'x' }) })).toMatch(/got 16385/);
    });
    it('unmapImage refuses a cloud that is not mapped', () => refused('BAD_USER_INPUT', UNMAP, { id, cloudId: DFW }));
    it('commit refuses a blank message', () => refused('BAD_USER_INPUT', COMMIT, { id, message: ' ' }));
    it('clone refuses a negative revision and a blank name', async () => {
      await refused('BAD_USER_INPUT', CLONE, { id, revision: -1 });
      await refused('BAD_USER_INPUT', CLONE, { id, name: '' });
    });
    it('lists refuse first above 500, a negative first and a foreign cursor', async () => {
      expect(await refused('BAD_USER_INPUT', LIST, { first: 501 })).toMatch(/first: expected 0 to 500, got 501/);
      await refused('BAD_USER_INPUT', LIST, { first: -1 });
      await refused('BAD_USER_INPUT', LIST, { after: 'bm90LWEtY3Vyc29y' });
      await refused('BAD_USER_INPUT', HISTORY, { id, first: 501 });
      await refused('BAD_USER_INPUT', HISTORY, { id, after: 'garbage!' });
    });

    it('lists refuse filter ids too long to name anything, without echoing them', async () => {
      const FILTERED = `query($f: MultiCloudImageFilter) { multiCloudImages(filter: $f) { totalCount } }`;
      expect(await refused('BAD_USER_INPUT', FILTERED, { f: { cloudId: 'c'.repeat(129) } })).toBe(
        'filter.cloudId: expected an id of at most 128 characters, got 129',
      );
      expect(await refused('BAD_USER_INPUT', FILTERED, { f: { usedByTemplateId: 't'.repeat(129) } })).toBe(
        'filter.usedByTemplateId: expected an id of at most 128 characters, got 129',
      );
    });
  });

  it('IMAGE_NOT_IN_CLOUD: an image of another cloud, as image, kernel or ramdisk', async () => {
    expect(await refused('IMAGE_NOT_IN_CLOUD', MAP, { input: mapInput({ imageId: image(DFW) }) })).toMatch(
      /is not an image of cloud 'aws-us-east-1'/,
    );
    await refused('IMAGE_NOT_IN_CLOUD', MAP, { input: mapInput({ kernelImageId: image(DFW) }) });
    await refused('IMAGE_NOT_IN_CLOUD', MAP, { input: mapInput({ ramdiskImageId: 'no-such-image' }) });
  });

  it('IMAGE_OBSOLETE: an OBSOLETE image', () =>
    refused('IMAGE_OBSOLETE', MAP, { input: mapInput({ imageId: image(EAST, STARTER_RETIRED_IMAGE_NAMES.obsolete) }) }));

  it('ARCHITECTURE_MISMATCH: a 32-bit image on a large instance type', async () => {
    expect(
      await refused('ARCHITECTURE_MISMATCH', MAP, { input: mapInput({ imageId: image(EAST, STARTER_IMAGE_NAMES.centosI386) }) }),
    ).toMatch(/runs x86_64, but image .* is i386/);
  });

  it('NOT_HEAD: every edit aimed at a committed revision', async () => {
    await refused('NOT_HEAD', UPDATE, { input: { id, name: 'x', revision: 1 } });
    await refused('NOT_HEAD', MAP, { input: mapInput({ instanceTypeId: small, revision: 1 }) });
    await refused('NOT_HEAD', UNMAP, { id, cloudId: EAST, revision: 1 });
    await refused('NOT_HEAD', COMMIT, { id, message: 'm', revision: 1 });
    await refused('NOT_HEAD', DELETE, { id, revision: 1 });
  });

  it('NO_CHANGES: committing HEAD that equals the latest revision', async () => {
    expect(await refused('NO_CHANGES', COMMIT, { id, message: 'again' })).toMatch(/since revision 1/);
  });

  it('VERSION_CONFLICT: every edit with a stale expectedVersion', async () => {
    const stale = version - 1;
    const error = await fails(service.url, UPDATE, { input: { id, name: 'x', expectedVersion: stale } });
    expect(error.extensions).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: stale, actualVersion: version });
    await refused('VERSION_CONFLICT', UPDATE, { input: { id, name: 'x', expectedVersion: stale } });
    await refused('VERSION_CONFLICT', MAP, { input: mapInput({ instanceTypeId: small, expectedVersion: stale }) });
    await refused('VERSION_CONFLICT', UNMAP, { id, cloudId: EAST, v: stale });
    await refused('VERSION_CONFLICT', COMMIT, { id, message: 'm', v: stale });
    await refused('VERSION_CONFLICT', DELETE, { id, v: stale });
  });

  it('NOT_FOUND: unknown ids and revisions, in mutations and queries', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await refused('NOT_FOUND', UPDATE, { input: { id: unknown, name: 'x' } });
    await refused('NOT_FOUND', MAP, { input: mapInput({ multiCloudImageId: unknown }) });
    await refused('NOT_FOUND', UNMAP, { id: unknown, cloudId: EAST });
    await refused('NOT_FOUND', COMMIT, { id: unknown, message: 'm' });
    await refused('NOT_FOUND', CLONE, { id: unknown });
    await refused('NOT_FOUND', DELETE, { id: unknown });
    await refused('NOT_FOUND', GET, { id: unknown });
    await refused('NOT_FOUND', GET, { id: 'not even an id / ..' });
    await refused('NOT_FOUND', HISTORY, { id: unknown });
    expect(await refused('NOT_FOUND', GET, { id, revision: 9 })).toMatch(/has no revision 9: its revisions are 1 to 1/);
    await refused('NOT_FOUND', CLONE, { id, revision: 9 });
    await refused('NOT_FOUND', DIFF, { from: { id, revision: 9 }, to: { id } });
    await refused('NOT_FOUND', DIFF, { from: { id }, to: { id: unknown } });
  });

  it("NOT_FOUND: another account's MCI, whatever the operation", async () => {
    await refused('NOT_FOUND', GET, { id }, intruder);
    await refused('NOT_FOUND', MAP, { input: mapInput({ instanceTypeId: small }) }, intruder);
    await refused('NOT_FOUND', COMMIT, { id, message: 'm' }, intruder);
    await refused('NOT_FOUND', CLONE, { id, revision: 1 }, intruder);
    await refused('NOT_FOUND', HISTORY, { id }, intruder);
    await refused('NOT_FOUND', DIFF, { from: { id, revision: 1 }, to: { id } }, intruder);
    // A stale expectedVersion doesn't turn it into VERSION_CONFLICT, which would reveal that it exists.
    const stale = version - 1;
    await refused('NOT_FOUND', UPDATE, { input: { id, name: 'x', expectedVersion: stale } }, intruder);
    await refused('NOT_FOUND', MAP, { input: mapInput({ instanceTypeId: small, expectedVersion: stale }) }, intruder);
    await refused('NOT_FOUND', UNMAP, { id, cloudId: EAST, v: stale }, intruder);
    await refused('NOT_FOUND', COMMIT, { id, message: 'm', v: stale }, intruder);
    await refused('NOT_FOUND', DELETE, { id, v: stale }, intruder);
    const { multiCloudImages } = await ok<{ multiCloudImages: { totalCount: number } }>(service.url, LIST, {}, intruder);
    expect(multiCloudImages.totalCount).toBe(0);
  });

  it('FORBIDDEN: an observer reads but cannot edit', async () => {
    await ok(service.url, GET, { id }, observer);
    await refused('FORBIDDEN', CREATE, { name: 'mine' }, observer);
    await refused('FORBIDDEN', MAP, { input: mapInput({ instanceTypeId: small }) }, observer);
    await refused('FORBIDDEN', COMMIT, { id, message: 'm' }, observer);
  });

  it('writes nothing for an edit that changes nothing', async () => {
    const before = await written();
    const { mapImage } = await ok<{ mapImage: { version: number } }>(service.url, MAP, { input: mapInput() });
    const { updateMultiCloudImage } = await ok<{ updateMultiCloudImage: { version: number } }>(service.url, UPDATE, {
      input: { id, name: 'RightImage_CentOS_5.6_x64_v5.7' },
    });
    expect([mapImage.version, updateMultiCloudImage.version]).toEqual([version, version]);
    expect(await written()).toEqual(before);
  });
});
