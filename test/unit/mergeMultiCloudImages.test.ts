import { fold } from '../../src/domain/decider';
import { ErrorCode } from '../../src/domain/errors';
import { mergeMultiCloudImages, multiCloudImageMergeEvents } from '../../src/domain/multiCloudImages/merge';
import {
  multiCloudImageDecider,
  type MultiCloudImageContent,
  type MultiCloudImageSetting,
  type MultiCloudImageState,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import { assertNoConflicts, type MergeResolution } from '../../src/domain/versionControl/merge';
import { domainErrorOf } from '../support/domainErrors';

const setting = (cloudId: string, imageId = 'img-1', instanceTypeId = 'small'): MultiCloudImageSetting => ({
  cloudId,
  imageId,
  instanceTypeId,
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
});
const content = (name: string, ...settings: MultiCloudImageSetting[]): MultiCloudImageContent => ({
  name,
  description: 'CentOS',
  settings: Object.fromEntries(settings.map((s) => [s.cloudId, s])),
});

/** The HEAD `merged` would become: `ours` as a cloned HEAD, then the merge's events folded in. */
function foldMergeEvents(ours: MultiCloudImageContent, merged: MultiCloudImageContent): MultiCloudImageContent {
  const start: MultiCloudImageState = fold(multiCloudImageDecider, [
    {
      type: 'ComponentCloned',
      data: {
        kind: 'MultiCloudImage',
        componentId: 'mci-1',
        accountId: 'acct-1',
        lineage: 'mci-1',
        clonedFrom: { id: 'mci-0', revision: 1 },
        ...ours,
      },
    },
  ]);
  const state = fold(multiCloudImageDecider, multiCloudImageMergeEvents(ours, merged), start);
  if (state.status !== 'active') throw new Error(`expected an active MCI, got ${state.status}`);
  return state.head;
}

describe('MultiCloud Image merge', () => {
  const base = content('RightImage_CentOS_5.6_x64', setting('aws-us-east-1'), setting('aws-eu-west-1'));

  it('applies a change made on one side only, from either side', () => {
    const renamed = { ...base, name: 'RightImage_CentOS_5.7_x64' };
    expect(mergeMultiCloudImages(base, renamed, base, [])).toEqual({ merged: renamed, conflicts: [], resolved: [] });
    expect(mergeMultiCloudImages(base, base, renamed, [])).toEqual({ merged: renamed, conflicts: [], resolved: [] });
  });

  it('merges settings cloud by cloud: mapped, unmapped and changed clouds of both sides all apply', () => {
    const ours = content(
      'RightImage_CentOS_5.6_x64',
      setting('aws-us-east-1', 'img-2'),
      setting('aws-eu-west-1'),
      setting('rackspace-dfw'),
    );
    const theirs = { ...content('RightImage_CentOS_5.6_x64', setting('aws-us-east-1')), description: 'CentOS 5.6' };
    expect(mergeMultiCloudImages(base, ours, theirs, [])).toEqual({
      merged: {
        ...content('RightImage_CentOS_5.6_x64', setting('aws-us-east-1', 'img-2'), setting('rackspace-dfw')),
        description: 'CentOS 5.6',
      },
      conflicts: [],
      resolved: [],
    });
  });

  it('applies the same change made on both sides once', () => {
    const both = content('RightImage_CentOS_5.6_x64', setting('aws-us-east-1', 'img-2'), setting('aws-eu-west-1'));
    expect(mergeMultiCloudImages(base, both, { ...both }, [])).toEqual({ merged: both, conflicts: [], resolved: [] });
  });

  it('reports fields and clouds changed differently on both sides as conflicts with base, ours and theirs', () => {
    const ours = content('Ours', setting('aws-us-east-1', 'img-2'), setting('aws-eu-west-1', 'img-9'));
    const theirs = content('Theirs', setting('aws-us-east-1', 'img-3'));
    const outcome = mergeMultiCloudImages(base, ours, theirs, []);
    expect(outcome.conflicts).toEqual([
      { path: 'name', base: 'RightImage_CentOS_5.6_x64', ours: 'Ours', theirs: 'Theirs' },
      // Changed on one side, unmapped on the other: the absent setting is null.
      { path: 'settings.aws-eu-west-1', base: setting('aws-eu-west-1'), ours: setting('aws-eu-west-1', 'img-9'), theirs: null },
      {
        path: 'settings.aws-us-east-1',
        base: setting('aws-us-east-1'),
        ours: setting('aws-us-east-1', 'img-2'),
        theirs: setting('aws-us-east-1', 'img-3'),
      },
    ]);
    // Unresolved conflicts keep ours.
    expect(outcome.merged).toEqual(ours);
    expect(outcome.resolved).toEqual([]);
  });

  it('reports the same cloud mapped differently on both sides as a conflict', () => {
    const ours = content(base.name, ...Object.values(base.settings), setting('rackspace-dfw', 'img-r1'));
    const theirs = content(base.name, ...Object.values(base.settings), setting('rackspace-dfw', 'img-r2'));
    expect(mergeMultiCloudImages(base, ours, theirs, []).conflicts).toEqual([
      { path: 'settings.rackspace-dfw', base: null, ours: setting('rackspace-dfw', 'img-r1'), theirs: setting('rackspace-dfw', 'img-r2') },
    ]);
  });

  it('settles conflicts with OURS and THEIRS, listing what it applied', () => {
    const ours = content('Ours', setting('aws-us-east-1', 'img-2'), setting('aws-eu-west-1', 'img-9'));
    const theirs = content('Theirs', setting('aws-us-east-1', 'img-3'));
    const resolutions: MergeResolution[] = [
      { path: 'settings.aws-us-east-1', choice: 'THEIRS' },
      { path: 'name', choice: 'OURS' },
      { path: 'settings.aws-eu-west-1', choice: 'THEIRS' },
    ];
    expect(mergeMultiCloudImages(base, ours, theirs, resolutions)).toEqual({
      merged: content('Ours', setting('aws-us-east-1', 'img-3')),
      conflicts: [],
      resolved: [
        { path: 'name', base: base.name, ours: 'Ours', theirs: 'Theirs', choice: 'OURS' },
        {
          path: 'settings.aws-eu-west-1',
          base: setting('aws-eu-west-1'),
          ours: setting('aws-eu-west-1', 'img-9'),
          theirs: null,
          choice: 'THEIRS',
        },
        {
          path: 'settings.aws-us-east-1',
          base: setting('aws-us-east-1'),
          ours: setting('aws-us-east-1', 'img-2'),
          theirs: setting('aws-us-east-1', 'img-3'),
          choice: 'THEIRS',
        },
      ],
    });
  });

  it('keeps unresolved conflicts listed next to the resolved ones', () => {
    const outcome = mergeMultiCloudImages(
      base,
      { ...base, name: 'Ours', description: 'o' },
      { ...base, name: 'Theirs', description: 't' },
      [{ path: 'description', choice: 'THEIRS' }],
    );
    expect(outcome.conflicts.map((conflict) => conflict.path)).toEqual(['name']);
    expect(outcome.resolved).toEqual([{ path: 'description', base: base.description, ours: 'o', theirs: 't', choice: 'THEIRS' }]);
    expect(outcome.merged).toEqual({ ...base, name: 'Ours', description: 't' });
  });

  it('refuses a resolution naming a path that is not a conflict, naming it and listing the conflicts', () => {
    const error = domainErrorOf(() =>
      mergeMultiCloudImages(base, { ...base, name: 'Ours' }, { ...base, name: 'Theirs' }, [
        { path: 'name', choice: 'OURS' },
        { path: 'settings.aws-us-east-1', choice: 'THEIRS' },
      ]),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.message).toBe("resolutions[1].path: expected the path of a conflict of this merge ('name'), got 'settings.aws-us-east-1'");
    const none = domainErrorOf(() => mergeMultiCloudImages(base, base, base, [{ path: 'name', choice: 'OURS' }]));
    expect(none.message).toBe("resolutions[0].path: expected the path of a conflict of this merge (it has none), got 'name'");
  });

  it('refuses a path resolved twice and a choice other than OURS or THEIRS', () => {
    const sides = [base, { ...base, name: 'Ours' }, { ...base, name: 'Theirs' }] as const;
    const twice = domainErrorOf(() =>
      mergeMultiCloudImages(...sides, [
        { path: 'name', choice: 'OURS' },
        { path: 'name', choice: 'THEIRS' },
      ]),
    );
    expect([twice.code, twice.message]).toEqual([
      ErrorCode.BAD_USER_INPUT,
      "resolutions[1].path: expected each path once, got 'name' again",
    ]);
    const bad = domainErrorOf(() => mergeMultiCloudImages(...sides, [{ path: 'name', choice: 'MINE' } as unknown as MergeResolution]));
    expect([bad.code, bad.message]).toEqual([ErrorCode.BAD_USER_INPUT, "resolutions[0].choice: expected one of OURS, THEIRS, got 'MINE'"]);
    // The bounds the API checks before reading anything hold for the pure merge too.
    const empty = domainErrorOf(() => mergeMultiCloudImages(...sides, [{ path: '', choice: 'OURS' }]));
    expect([empty.code, empty.message]).toEqual([ErrorCode.BAD_USER_INPUT, 'resolutions[0].path: expected 1 to 1024 characters, got 0']);
    const many = Array.from({ length: 1001 }, (_, i): MergeResolution => ({ path: `p${i}`, choice: 'OURS' }));
    const tooMany = domainErrorOf(() => mergeMultiCloudImages(...sides, many));
    expect([tooMany.code, tooMany.message]).toEqual([ErrorCode.BAD_USER_INPUT, 'resolutions: expected at most 1000, got 1001']);
  });

  it('assertNoConflicts refuses an outcome with unresolved conflicts as MERGE_CONFLICT listing them', () => {
    const outcome = mergeMultiCloudImages(base, { ...base, name: 'Ours' }, { ...base, name: 'Theirs' }, []);
    const error = domainErrorOf(() => assertNoConflicts(outcome));
    expect(error.code).toBe(ErrorCode.MERGE_CONFLICT);
    expect(error.message).toBe("expected every conflict resolved (OURS or THEIRS), got 1 unresolved: 'name'");
    expect(error.details).toEqual({ conflicts: [{ path: 'name', base: base.name, ours: 'Ours', theirs: 'Theirs' }] });
    const clean = mergeMultiCloudImages(base, base, { ...base, name: 'Theirs' }, []);
    expect(assertNoConflicts(clean)).toBe(clean);
  });

  describe('events', () => {
    it('turn ours into merged when folded: name and description, unmapped, mapped and re-mapped clouds', () => {
      const ours = content('Ours', setting('aws-us-east-1', 'img-2'), setting('aws-eu-west-1'));
      const merged = { ...content('Merged', setting('aws-us-east-1', 'img-3'), setting('rackspace-dfw')), description: 'new' };
      const events = multiCloudImageMergeEvents(ours, merged);
      expect(events).toEqual([
        { type: 'MultiCloudImageUpdated', data: { name: 'Merged', description: 'new' } },
        { type: 'ImageUnmapped', data: { cloudId: 'aws-eu-west-1', removed: setting('aws-eu-west-1') } },
        { type: 'ImageMapped', data: { ...setting('aws-us-east-1', 'img-3'), replaced: setting('aws-us-east-1', 'img-2') } },
        { type: 'ImageMapped', data: { ...setting('rackspace-dfw'), replaced: null } },
      ]);
      expect(foldMergeEvents(ours, merged)).toEqual(merged);
    });

    it('are none when merged equals ours', () => expect(multiCloudImageMergeEvents(base, { ...base })).toEqual([]));

    it('fold to the merged content of a merge of both sides', () => {
      const ours = content('Ours', setting('aws-us-east-1', 'img-2'), setting('aws-eu-west-1'), setting('rackspace-dfw'));
      const theirs = { ...content(base.name, setting('aws-us-east-1'), setting('gce-us-central1')), description: 'theirs' };
      const { merged, conflicts } = mergeMultiCloudImages(base, ours, theirs, []);
      expect(conflicts).toEqual([]);
      expect(foldMergeEvents(ours, merged)).toEqual(merged);
    });
  });
});
