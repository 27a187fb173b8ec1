import {
  multiCloudImageDecider,
  type MultiCloudImageContent,
  type MultiCloudImageEvent,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import { rightScriptDecider, type RightScriptEvent } from '../../src/domain/rightScripts/rightScript';
import { serverTemplateDecider } from '../../src/domain/serverTemplates/serverTemplate';
import type { ServerTemplateEvent } from '../../src/domain/serverTemplates/serverTemplate.types';
import type { MergeCommandOf } from '../../src/domain/versionControl/mergeCommand';
import { fold } from '../../src/domain/decider';
import { deciderSpecification } from '../support/deciderSpecification';

/*
 * The merge command of each decider: given a target's events, when the application hands over the
 * source and base it read, then the kind's ordinary events and one MergeApplied, or a refusal.
 */

const ACCOUNT = 'acme';
const ID = 'target';
const east = {
  cloudId: 'aws-us-east-1',
  imageId: 'centos',
  instanceTypeId: 'large',
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
};
const eu = { ...east, cloudId: 'aws-eu-west-1' };
const base: MultiCloudImageContent = { name: 'Web', description: '', settings: { [east.cloudId]: east } };

const created: MultiCloudImageEvent[] = [
  { type: 'MultiCloudImageCreated', data: { multiCloudImageId: ID, accountId: ACCOUNT, lineage: ID, name: 'Web', description: '' } },
  { type: 'ImageMapped', data: { ...east, replaced: null } },
];

const mergeOf = (
  theirs: MultiCloudImageContent,
  extra: Partial<MergeCommandOf<MultiCloudImageContent>> = {},
): MergeCommandOf<MultiCloudImageContent> => ({
  accountId: ACCOUNT,
  revision: 0,
  source: { id: 'source', revision: 2 },
  theirs,
  base: { id: 'source', revision: 1 },
  baseContent: base,
  resolutions: [],
  ...extra,
});

describe('MultiCloudImage merge command', () => {
  const spec = deciderSpecification(multiCloudImageDecider);

  it('appends the content events that make HEAD the merged content, then MergeApplied', () => {
    const theirs = { ...base, settings: { ...base.settings, [eu.cloudId]: eu } };
    spec
      .given(created)
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(theirs) })
      .then([
        { type: 'ImageMapped', data: { ...eu, replaced: null } },
        { type: 'MergeApplied', data: { source: { id: 'source', revision: 2 }, base: { id: 'source', revision: 1 }, resolutions: [] } },
      ]);
  });

  it('records MergeApplied alone when the source brings nothing HEAD lacks, and a HEAD base with its version', () => {
    spec
      .given(created)
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(base, { base: { id: 'source', revision: 0, version: 4 } }) })
      .then([
        {
          type: 'MergeApplied',
          data: { source: { id: 'source', revision: 2 }, base: { id: 'source', revision: 0, version: 4 }, resolutions: [] },
        },
      ]);
  });

  it('refuses unresolved conflicts with MERGE_CONFLICT carrying them, and applies the choice once resolved', () => {
    const given: MultiCloudImageEvent[] = [...created, { type: 'MultiCloudImageUpdated', data: { description: 'ours' } }];
    const theirs = { ...base, description: 'theirs' };
    let details: unknown;
    try {
      multiCloudImageDecider.decide({ type: 'MergeMultiCloudImage', data: mergeOf(theirs) }, fold(multiCloudImageDecider, given));
    } catch (error) {
      details = (error as { code?: string; details?: unknown }).details;
      expect((error as { code?: string }).code).toBe('MERGE_CONFLICT');
    }
    expect(details).toEqual({ conflicts: [{ path: 'description', base: '', ours: 'ours', theirs: 'theirs' }] });
    spec
      .given(given)
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(theirs, { resolutions: [{ path: 'description', choice: 'THEIRS' }] }) })
      .then([
        { type: 'MultiCloudImageUpdated', data: { description: 'theirs' } },
        {
          type: 'MergeApplied',
          data: {
            source: { id: 'source', revision: 2 },
            base: { id: 'source', revision: 1 },
            resolutions: [{ path: 'description', choice: 'THEIRS' }],
          },
        },
      ]);
  });

  it('refuses a target that is another account’s, deleted, or an import', () => {
    spec
      .given(created)
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(base, { accountId: 'globex' }) })
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/);
    spec
      .given([...created, { type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: ID } }])
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(base) })
      .thenFails('NOT_FOUND', /was deleted/);
    const origin = { publicationId: 'pub', publisherAccountId: 'publisher', componentId: 'p', revision: 1, lineage: 'p' };
    spec
      .given([
        {
          type: 'ComponentImported',
          data: { kind: 'MultiCloudImage', componentId: ID, accountId: ACCOUNT, lineage: 'p', origin, content: base },
        },
      ])
      .when({ type: 'MergeMultiCloudImage', data: mergeOf(base) })
      .thenFails('READ_ONLY', /is an import of revision 1/);
  });

  it('leaves the state as it was when folding MergeApplied', () => {
    const state = fold(multiCloudImageDecider, created);
    expect(
      multiCloudImageDecider.evolve(state, {
        type: 'MergeApplied',
        data: { source: { id: 's', revision: 1 }, base: { id: 's', revision: 1 }, resolutions: [] },
      }),
    ).toBe(state);
  });
});

describe('RightScript and ServerTemplate merge commands', () => {
  it('merge a RightScript source line by line into HEAD', () => {
    const content = { name: 'Boot', description: '', source: 'a\nb\nc\n', inputs: [] };
    const given: RightScriptEvent[] = [
      { type: 'RightScriptCreated', data: { rightScriptId: ID, accountId: ACCOUNT, lineage: ID, ...content, source: 'a\nb\nc\nours\n' } },
    ];
    deciderSpecification(rightScriptDecider)
      .given(given)
      .when({
        type: 'MergeRightScript',
        data: {
          accountId: ACCOUNT,
          source: { id: 's', revision: 2 },
          theirs: { ...content, source: 'theirs\na\nb\nc\n' },
          base: { id: 's', revision: 1 },
          baseContent: content,
          resolutions: [],
        },
      })
      .then([
        { type: 'RightScriptUpdated', data: { source: 'theirs\na\nb\nc\nours\n' } },
        { type: 'MergeApplied', data: { source: { id: 's', revision: 2 }, base: { id: 's', revision: 1 }, resolutions: [] } },
      ]);
  });

  it('merge a ServerTemplate binding into HEAD', () => {
    const mci = { multiCloudImageId: 'm', revision: 1, lineage: 'm' };
    const binding = { rightScriptId: 'r', revision: 1, lineage: 'r' };
    const content = {
      name: 'T',
      description: '',
      multiCloudImages: [mci],
      defaultMultiCloudImageId: 'm',
      rightScripts: { BOOT: [], OPERATIONAL: [], DECOMMISSION: [] },
    };
    const given: ServerTemplateEvent[] = [
      {
        type: 'ServerTemplateCreated',
        data: { serverTemplateId: ID, accountId: ACCOUNT, lineage: ID, name: 'T', description: '', multiCloudImage: mci },
      },
    ];
    deciderSpecification(serverTemplateDecider)
      .given(given)
      .when({
        type: 'MergeServerTemplate',
        data: {
          accountId: ACCOUNT,
          source: { id: 's', revision: 2 },
          theirs: { ...content, rightScripts: { ...content.rightScripts, BOOT: [binding] } },
          base: { id: 's', revision: 1 },
          baseContent: content,
          resolutions: [],
        },
      })
      .then([
        { type: 'RightScriptBound', data: { ...binding, sequence: 'BOOT', position: 1 } },
        { type: 'MergeApplied', data: { source: { id: 's', revision: 2 }, base: { id: 's', revision: 1 }, resolutions: [] } },
      ]);
  });
});
