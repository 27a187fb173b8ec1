import { fold } from '../../src/domain/decider';
import {
  multiCloudImageDecider,
  stateAtRevision as multiCloudImageAt,
  type MultiCloudImageCommand,
  type MultiCloudImageContent,
  type MultiCloudImageEvent,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import {
  rightScriptDecider,
  type RightScriptCommand,
  type RightScriptContent,
  type RightScriptEvent,
} from '../../src/domain/rightScripts/rightScript';
import { checkCommittable, serverTemplateDecider, stateAtRevision as templateAt } from '../../src/domain/serverTemplates/serverTemplate';
import type {
  ImportedPin,
  PinTarget,
  ServerTemplateCommand,
  ServerTemplateContent,
  ServerTemplateEvent,
} from '../../src/domain/serverTemplates/serverTemplate.types';
import type { ImportCommandOf, ImportOrigin } from '../../src/domain/versionControl/versioned';
import { deciderSpecification } from '../support/deciderSpecification';

/*
 * Imports in the three deciders (domain.md, "MultiCloud Marketplace and sharing"): `ImportComponent`
 * appends `ComponentImported` and its revision 1 together; the copy keeps its origin and the
 * publisher's lineage; every edit of it is READ_ONLY (after NOT_FOUND / deleted, before NOT_HEAD);
 * delete and clone work.
 */

const ACCOUNT = 'importer';
const OTHER_ACCOUNT = 'stranger';
const COMMIT = { contentHash: 'hash-1', committedAt: '2024-03-01T00:00:00.000Z', committedBy: 'carol' };
const READ_ONLY_MESSAGE = /is an import of revision 3 of 'pub-component' \(publication 'pub-1'\): clone it to edit/;

const origin = (overrides: Partial<ImportOrigin> = {}): ImportOrigin => ({
  publicationId: 'pub-1',
  publisherAccountId: 'publisher',
  componentId: 'pub-component',
  revision: 3,
  lineage: 'pub-lineage',
  ...overrides,
});

function importData<Content>(
  componentId: string,
  content: Content,
  overrides: Partial<ImportCommandOf<Content>> = {},
): ImportCommandOf<Content> {
  return { componentId, accountId: ACCOUNT, origin: origin(), content, ...COMMIT, ...overrides };
}

const revisionOne = (kind: string) => ({
  revision: 1,
  message: `Imported from publication 'pub-1': revision 3 of ${kind} 'pub-component'`,
  ...COMMIT,
});

describe('MultiCloudImage import', () => {
  const spec = deciderSpecification(multiCloudImageDecider);
  const ID = 'mci-copy';
  const content: MultiCloudImageContent = {
    name: 'RightImage_CentOS_5.6_x64',
    description: 'published',
    settings: {
      'aws-us-east-1': {
        cloudId: 'aws-us-east-1',
        imageId: 'img-1',
        instanceTypeId: 'small',
        kernelImageId: null,
        ramdiskImageId: null,
        userData: null,
      },
    },
  };
  const importCommand = (overrides: Partial<ImportCommandOf<MultiCloudImageContent>> = {}): MultiCloudImageCommand => ({
    type: 'ImportComponent',
    data: importData(ID, content, overrides),
  });
  const imported: MultiCloudImageEvent[] = [
    {
      type: 'ComponentImported',
      data: { kind: 'MultiCloudImage', componentId: ID, accountId: ACCOUNT, lineage: 'pub-lineage', origin: origin(), content },
    },
    { type: 'RevisionCommitted', data: revisionOne('MultiCloudImage') },
  ];

  it('appends ComponentImported and its revision 1 together, in the publisher’s lineage', () => {
    spec.given([]).when(importCommand()).then(imported);
  });

  it('folds to a read-only copy whose HEAD and revision 1 are the published content', () => {
    const state = fold(multiCloudImageDecider, imported);
    expect(state).toEqual({
      status: 'active',
      id: ID,
      accountId: ACCOUNT,
      lineage: 'pub-lineage',
      clonedFrom: null,
      origin: origin(),
      latestRevision: 1,
      head: content,
      lastCommitted: content,
    });
    const atOne = multiCloudImageAt(imported, 1);
    expect(atOne?.status === 'active' && atOne.head).toEqual(content);
  });

  it('refuses to import over an existing component', () => {
    spec
      .given(imported)
      .when(importCommand())
      .thenFails('BAD_USER_INPUT', /MultiCloudImage 'mci-copy' already exists/);
  });

  it('refuses an origin that is not a committed revision', () => {
    spec
      .given([])
      .when(importCommand({ origin: origin({ revision: 0 }) }))
      .thenFails('BAD_USER_INPUT', /origin.revision: expected a committed revision \(1 or more\), got 0/);
  });

  const edits: Array<[string, MultiCloudImageCommand]> = [
    ['update', { type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'mine now' } }],
    [
      'mapImage',
      {
        type: 'MapImage',
        data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1', cloud: undefined, imageId: 'img-2', instanceTypeId: 'small' },
      },
    ],
    ['unmapImage', { type: 'UnmapImage', data: { accountId: ACCOUNT, cloudId: 'aws-us-east-1' } }],
    ['commit', { type: 'CommitRevision', data: { accountId: ACCOUNT, message: 'mine', ...COMMIT } }],
  ];
  it.each(edits)('refuses %s with READ_ONLY', (_name, command) => {
    spec.given(imported).when(command).thenFails('READ_ONLY', READ_ONLY_MESSAGE);
  });

  it('says READ_ONLY before NOT_HEAD: no revision of an import can change', () => {
    spec
      .given(imported)
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, revision: 1, name: 'x' } })
      .thenFails('READ_ONLY');
  });

  it('says NOT_FOUND to another account, as for a missing MCI, before READ_ONLY', () => {
    spec
      .given(imported)
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: OTHER_ACCOUNT, name: 'x' } })
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/);
  });

  it('deletes an import (only edits are read-only), and then says it was deleted', () => {
    const deleted: MultiCloudImageEvent = { type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: ID } };
    spec
      .given(imported)
      .when({ type: 'DeleteMultiCloudImage', data: { accountId: ACCOUNT } })
      .then([deleted]);
    spec
      .given([...imported, deleted])
      .when({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'x' } })
      .thenFails('NOT_FOUND', /was deleted/);
  });

  it('clones an import into an editable component of a new lineage, clonedFrom the import', () => {
    const cloned = multiCloudImageDecider.decide(
      {
        type: 'CloneMultiCloudImage',
        data: { multiCloudImageId: 'mci-clone', accountId: ACCOUNT, source: { id: ID, accountId: ACCOUNT, revision: 1, content } },
      },
      { status: 'empty' },
    );
    const clone = fold(multiCloudImageDecider, cloned);
    expect(clone).toMatchObject({ status: 'active', lineage: 'mci-clone', origin: null, clonedFrom: { id: ID, revision: 1 } });
    expect(multiCloudImageDecider.decide({ type: 'UpdateMultiCloudImage', data: { accountId: ACCOUNT, name: 'mine now' } }, clone)).toEqual(
      [{ type: 'MultiCloudImageUpdated', data: { name: 'mine now' } }],
    );
  });
});

describe('RightScript import', () => {
  const spec = deciderSpecification(rightScriptDecider);
  const ID = 'rs-copy';
  const content: RightScriptContent = {
    name: 'App start',
    description: '',
    source: 'echo hi\n',
    inputs: [{ name: 'PORT', type: 'NUMBER', default: '80' }],
  };
  const imported: RightScriptEvent[] = [
    {
      type: 'ComponentImported',
      data: { kind: 'RightScript', componentId: ID, accountId: ACCOUNT, lineage: 'pub-lineage', origin: origin(), content },
    },
    { type: 'RevisionCommitted', data: revisionOne('RightScript') },
  ];

  it('appends ComponentImported and its revision 1 together', () => {
    spec
      .given([])
      .when({ type: 'ImportComponent', data: importData(ID, content) })
      .then(imported);
    expect(fold(rightScriptDecider, imported)).toMatchObject({
      origin: origin(),
      latestRevision: 1,
      head: content,
      lastCommitted: content,
    });
  });

  const edits: Array<[string, RightScriptCommand]> = [
    ['update', { type: 'UpdateRightScript', data: { accountId: ACCOUNT, source: 'echo mine\n' } }],
    ['commit', { type: 'CommitRightScript', data: { accountId: ACCOUNT, message: 'mine', ...COMMIT } }],
  ];
  it.each(edits)('refuses %s with READ_ONLY', (_name, command) => {
    spec.given(imported).when(command).thenFails('READ_ONLY', READ_ONLY_MESSAGE);
  });

  it('deletes an import', () => {
    spec
      .given(imported)
      .when({ type: 'DeleteRightScript', data: { accountId: ACCOUNT } })
      .then([{ type: 'ComponentDeleted', data: { kind: 'RightScript', componentId: ID } }]);
  });
});

describe('ServerTemplate import', () => {
  const spec = deciderSpecification(serverTemplateDecider);
  const ID = 'st-copy';
  const mciCopy: ImportedPin = { kind: 'MultiCloudImage', id: 'mci-copy', accountId: ACCOUNT, lineage: 'mci-lineage', revision: 1 };
  const scriptCopy: ImportedPin = { kind: 'RightScript', id: 'rs-copy', accountId: ACCOUNT, lineage: 'rs-lineage', revision: 1 };
  const content: ServerTemplateContent = {
    name: 'PHP FrontEnd v7',
    description: 'web',
    multiCloudImages: [{ multiCloudImageId: 'mci-copy', revision: 1, lineage: 'mci-lineage' }],
    defaultMultiCloudImageId: 'mci-copy',
    rightScripts: { BOOT: [{ rightScriptId: 'rs-copy', revision: 1, lineage: 'rs-lineage' }], OPERATIONAL: [], DECOMMISSION: [] },
  };
  const importCommand = (pinned: readonly ImportedPin[] = [mciCopy, scriptCopy], accountId = ACCOUNT): ServerTemplateCommand => ({
    type: 'ImportComponent',
    data: { ...importData(ID, content, { accountId }), pinned },
  });
  const imported: ServerTemplateEvent[] = [
    {
      type: 'ComponentImported',
      data: { kind: 'ServerTemplate', componentId: ID, accountId: ACCOUNT, lineage: 'pub-lineage', origin: origin(), content },
    },
    { type: 'RevisionCommitted', data: { ...revisionOne('ServerTemplate'), dependencies: [] } },
  ];

  it('appends ComponentImported and its revision 1 (no HEAD dependencies) together', () => {
    spec.given([]).when(importCommand()).then(imported);
    const atOne = templateAt(imported, 1);
    expect(atOne?.status === 'active' && atOne.head).toEqual(content);
  });

  it('pins only the importing account’s copies, at the revision and lineage they have', () => {
    spec
      .given([])
      .when(importCommand([scriptCopy]))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/);
    spec
      .given([])
      .when(importCommand([{ ...mciCopy, accountId: OTHER_ACCOUNT }, scriptCopy]))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/);
    spec
      .given([])
      .when(importCommand([{ ...mciCopy, revision: 2 }, scriptCopy]))
      .thenFails('BAD_USER_INPUT', /MultiCloudImage 'mci-copy' is pinned at revision 1 of lineage 'mci-lineage', the copy is revision 2/);
    spec
      .given([])
      .when(importCommand([mciCopy, { ...scriptCopy, lineage: 'elsewhere' }]))
      .thenFails(
        'BAD_USER_INPUT',
        /RightScript 'rs-copy' is pinned at revision 1 of lineage 'rs-lineage', the copy is revision 1 of lineage 'elsewhere'/,
      );
  });

  const target = (id: string): PinTarget => ({ id, accountId: ACCOUNT, lineage: id, revision: 1 });
  const edits: Array<[string, ServerTemplateCommand]> = [
    ['update', { type: 'UpdateServerTemplate', data: { accountId: ACCOUNT, name: 'mine now' } }],
    [
      'addTemplateMultiCloudImage',
      { type: 'AddTemplateMultiCloudImage', data: { accountId: ACCOUNT, multiCloudImage: target('m2'), isDefault: false } },
    ],
    [
      'removeTemplateMultiCloudImage',
      { type: 'RemoveTemplateMultiCloudImage', data: { accountId: ACCOUNT, multiCloudImageId: 'mci-copy' } },
    ],
    [
      'setDefaultTemplateMultiCloudImage',
      { type: 'SetDefaultTemplateMultiCloudImage', data: { accountId: ACCOUNT, multiCloudImageId: 'mci-copy' } },
    ],
    [
      'pinTemplateMultiCloudImage',
      { type: 'PinTemplateMultiCloudImage', data: { accountId: ACCOUNT, multiCloudImageId: 'mci-copy', to: target('mci-copy') } },
    ],
    ['bindRightScript', { type: 'BindRightScript', data: { accountId: ACCOUNT, rightScript: target('r2'), sequence: 'OPERATIONAL' } }],
    ['unbindRightScript', { type: 'UnbindRightScript', data: { accountId: ACCOUNT, rightScriptId: 'rs-copy', sequence: 'BOOT' } }],
    [
      'commit',
      {
        type: 'CommitServerTemplate',
        data: { accountId: ACCOUNT, message: 'mine', ...COMMIT, commitHeadDependencies: true, resolved: [] },
      },
    ],
  ];
  it.each(edits)('refuses %s with READ_ONLY', (_name, command) => {
    spec.given(imported).when(command).thenFails('READ_ONLY', READ_ONLY_MESSAGE);
  });

  it('refuses a commit with READ_ONLY before any HEAD dependency would be committed', () => {
    const state = fold(serverTemplateDecider, imported);
    expect(() => checkCommittable(state, { accountId: ACCOUNT, message: 'mine', commitHeadDependencies: true })).toThrow(READ_ONLY_MESSAGE);
  });

  it('deletes an import', () => {
    spec
      .given(imported)
      .when({ type: 'DeleteServerTemplate', data: { accountId: ACCOUNT } })
      .then([{ type: 'ComponentDeleted', data: { kind: 'ServerTemplate', componentId: ID } }]);
  });
});
