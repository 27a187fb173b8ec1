import type { DomainEvent } from '../../src/domain/decider';
import { diffMultiCloudImages } from '../../src/domain/multiCloudImages/diff';
import type {
  MultiCloudImageContent,
  MultiCloudImageEvent,
  MultiCloudImageSetting,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import { diffRightScripts } from '../../src/domain/rightScripts/diff';
import type { RightScriptContent, RightScriptEvent } from '../../src/domain/rightScripts/rightScript';
import { diffServerTemplates } from '../../src/domain/serverTemplates/diff';
import type { ServerTemplateContent, ServerTemplateEvent } from '../../src/domain/serverTemplates/serverTemplate.types';
import { blame, type BlameEntry, type StreamEvent } from '../../src/domain/versionControl/blame';
import {
  BLAME_SUBJECTS,
  multiCloudImageFields,
  rightScriptFields,
  serverTemplateFields,
} from '../../src/domain/versionControl/blameFields';
import { COMPONENT_KINDS } from '../../src/graphql/versionControl/componentKinds';

/** A stream as the store would give it: each event with its revision, an id, a time and who caused it. */
function stream<Event extends DomainEvent>(...steps: Array<[actor: string, event: Event]>): StreamEvent<Event>[] {
  return steps.map(([actorId, event], revision) => ({
    event,
    id: `event-${revision}`,
    type: event.type,
    revision,
    occurredAt: new Date(Date.UTC(2024, 0, 1, 0, revision)),
    actorId,
  }));
}

/** path → "<event id> by <actor>, committed in <revision>" : reads like a blame listing. */
function listing(entries: readonly BlameEntry[] | undefined): Record<string, string> {
  if (!entries) throw new Error('expected a blame, got undefined (revision never committed)');
  return Object.fromEntries(
    entries.map((entry) => [entry.path, `${entry.event.id} by ${entry.event.actorId ?? '-'}, committed in ${entry.committedIn ?? 'HEAD'}`]),
  );
}

const MCI = BLAME_SUBJECTS['MultiCloudImage'] as NonNullable<(typeof BLAME_SUBJECTS)['MultiCloudImage']>;
const TEMPLATE = BLAME_SUBJECTS['ServerTemplate'] as NonNullable<(typeof BLAME_SUBJECTS)['ServerTemplate']>;
const RIGHT_SCRIPT = BLAME_SUBJECTS['RightScript'] as NonNullable<(typeof BLAME_SUBJECTS)['RightScript']>;

const created: MultiCloudImageEvent = {
  type: 'MultiCloudImageCreated',
  data: { multiCloudImageId: 'm1', accountId: 'acme', lineage: 'm1', name: 'Base', description: 'first' },
};
const setting = (cloudId: string, imageId: string, instanceTypeId: string): MultiCloudImageSetting => ({
  cloudId,
  imageId,
  instanceTypeId,
  kernelImageId: null,
  ramdiskImageId: null,
  userData: null,
});
const mapped = (value: MultiCloudImageSetting, replaced: MultiCloudImageSetting | null = null): MultiCloudImageEvent => ({
  type: 'ImageMapped',
  data: { ...value, replaced },
});
const committed = (revision: number): MultiCloudImageEvent & RightScriptEvent => ({
  type: 'RevisionCommitted',
  data: { revision, message: `r${revision}`, contentHash: 'h', committedAt: '2024-01-01T00:00:00.000Z', committedBy: 'someone' },
});
const east = setting('aws-us-east-1', 'centos', 'small');

describe('blame of a MultiCloud Image', () => {
  it('attributes each field to the event that last set it, with its actor, time and stream revision', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['bob', mapped(east)],
      ['alice', { type: 'MultiCloudImageUpdated', data: { name: 'Base v2' } }],
    );
    const entries = blame(events, MCI, 0);
    expect(listing(entries)).toEqual({
      name: 'event-2 by alice, committed in HEAD',
      description: 'event-0 by alice, committed in HEAD',
      'settings.aws-us-east-1.image': 'event-1 by bob, committed in HEAD',
      'settings.aws-us-east-1.instanceType': 'event-1 by bob, committed in HEAD',
      'settings.aws-us-east-1.kernelImage': 'event-1 by bob, committed in HEAD',
      'settings.aws-us-east-1.ramdiskImage': 'event-1 by bob, committed in HEAD',
      'settings.aws-us-east-1.userData': 'event-1 by bob, committed in HEAD',
    });
    expect(entries?.find((entry) => entry.path === 'name')).toEqual({
      path: 'name',
      value: 'Base v2',
      event: {
        id: 'event-2',
        type: 'MultiCloudImageUpdated',
        revision: 2,
        occurredAt: new Date('2024-01-01T00:02:00.000Z'),
        actorId: 'alice',
      },
      committedIn: null,
    });
  });

  it('leaves the blame with the earlier event when a later one sets the value a field already had', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', mapped(east)],
      // Same image, another instance type: only the instance type changes hands.
      ['bob', mapped(setting('aws-us-east-1', 'centos', 'large'), east)],
      ['bob', { type: 'MultiCloudImageUpdated', data: { name: 'Base', description: 'second' } }],
    );
    expect(listing(blame(events, MCI, 0))).toMatchObject({
      name: 'event-0 by alice, committed in HEAD',
      description: 'event-3 by bob, committed in HEAD',
      'settings.aws-us-east-1.image': 'event-1 by alice, committed in HEAD',
      'settings.aws-us-east-1.instanceType': 'event-2 by bob, committed in HEAD',
    });
  });

  it('blames a field removed and added back on the event that added it back, even with the same value', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', mapped(east)],
      ['bob', { type: 'ImageUnmapped', data: { cloudId: 'aws-us-east-1', removed: east } }],
      ['carol', mapped(east)],
    );
    expect(listing(blame(events, MCI, 0))['settings.aws-us-east-1.image']).toBe('event-3 by carol, committed in HEAD');
  });

  it('lists no field for a cloud that is no longer mapped', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', mapped(east)],
      ['bob', { type: 'ImageUnmapped', data: { cloudId: 'aws-us-east-1', removed: east } }],
    );
    expect(Object.keys(listing(blame(events, MCI, 0)))).toEqual(['name', 'description']);
  });

  it('blames a committed revision as it was committed, ignoring every later event', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', mapped(east)],
      ['alice', committed(1)],
      ['bob', { type: 'MultiCloudImageUpdated', data: { name: 'Renamed' } }],
      ['bob', { type: 'ImageUnmapped', data: { cloudId: 'aws-us-east-1', removed: east } }],
      ['bob', committed(2)],
    );
    const atOne = blame(events, MCI, 1);
    expect(atOne?.find((entry) => entry.path === 'name')?.value).toBe('Base');
    expect(listing(atOne)).toMatchObject({
      name: 'event-0 by alice, committed in 1',
      'settings.aws-us-east-1.image': 'event-1 by alice, committed in 1',
    });
    expect(listing(blame(events, MCI, 2))).toEqual({
      name: 'event-3 by bob, committed in 2',
      description: 'event-0 by alice, committed in 1',
    });
  });

  it('answers undefined for a revision that was never committed', () => {
    const events = stream<MultiCloudImageEvent>(['alice', created], ['alice', committed(1)]);
    expect(blame(events, MCI, 2)).toBeUndefined();
    expect(blame(stream<MultiCloudImageEvent>(['alice', created]), MCI, 1)).toBeUndefined();
  });

  it('names the first commit that included each change, and none for changes only on HEAD', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', committed(1)],
      ['bob', mapped(east)],
      ['bob', committed(2)],
      ['carol', { type: 'MultiCloudImageUpdated', data: { description: 'later' } }],
    );
    expect(listing(blame(events, MCI, 0))).toMatchObject({
      name: 'event-0 by alice, committed in 1',
      'settings.aws-us-east-1.image': 'event-2 by bob, committed in 2',
      description: 'event-4 by carol, committed in HEAD',
    });
  });

  it('blames a clone’s fields on the clone: its history starts there', () => {
    const events = stream<MultiCloudImageEvent>([
      'dave',
      {
        type: 'ComponentCloned',
        data: {
          kind: 'MultiCloudImage',
          componentId: 'm2',
          accountId: 'acme',
          lineage: 'm2',
          clonedFrom: { id: 'm1', revision: 1 },
          name: 'Base v3',
          description: 'first',
          settings: { 'aws-us-east-1': east },
        },
      },
    ]);
    expect(new Set(Object.values(listing(blame(events, MCI, 0))))).toEqual(new Set(['event-0 by dave, committed in HEAD']));
  });

  it('keeps a deleted MCI’s committed revisions blameable, and has no fields at its HEAD', () => {
    const events = stream<MultiCloudImageEvent>(
      ['alice', created],
      ['alice', committed(1)],
      ['bob', { type: 'ComponentDeleted', data: { kind: 'MultiCloudImage', componentId: 'm1' } }],
    );
    expect(Object.keys(listing(blame(events, MCI, 1)))).toEqual(['name', 'description']);
    expect(blame(events, MCI, 0)).toEqual([]);
  });

  it('names a field by an actor of null when the event’s metadata names nobody', () => {
    const [first] = stream<MultiCloudImageEvent>(['x', created]);
    const entries = blame([{ ...(first as StreamEvent<MultiCloudImageEvent>), actorId: null }], MCI, 0);
    expect(entries?.[0]?.event.actorId).toBeNull();
  });
});

describe('blame of a ServerTemplate', () => {
  const mci = (id: string, revision: number): { multiCloudImageId: string; revision: number; lineage: string } => ({
    multiCloudImageId: id,
    revision,
    lineage: id,
  });
  const bound = (rightScriptId: string, position: number, revision = 1): ServerTemplateEvent => ({
    type: 'RightScriptBound',
    data: { rightScriptId, revision, lineage: rightScriptId, sequence: 'BOOT', position },
  });
  const templateCreated: ServerTemplateEvent = {
    type: 'ServerTemplateCreated',
    data: { serverTemplateId: 't1', accountId: 'acme', lineage: 't1', name: 'Web', description: '', multiCloudImage: mci('m1', 1) },
  };

  it('blames pins, the default and binding positions; inserting a binding before another moves its position', () => {
    const events = stream<ServerTemplateEvent>(
      ['alice', templateCreated],
      ['bob', { type: 'TemplateMultiCloudImageAdded', data: { ...mci('m2', 0), isDefault: true } }],
      ['alice', bound('install', 1)],
      ['carol', bound('configure', 1, 0)],
    );
    expect(listing(blame(events, TEMPLATE, 0))).toEqual({
      name: 'event-0 by alice, committed in HEAD',
      description: 'event-0 by alice, committed in HEAD',
      'multiCloudImages.m1.revision': 'event-0 by alice, committed in HEAD',
      'multiCloudImages.m2.revision': 'event-1 by bob, committed in HEAD',
      defaultMultiCloudImage: 'event-1 by bob, committed in HEAD',
      'rightScripts.BOOT.configure.revision': 'event-3 by carol, committed in HEAD',
      'rightScripts.BOOT.configure.position': 'event-3 by carol, committed in HEAD',
      'rightScripts.BOOT.install.revision': 'event-2 by alice, committed in HEAD',
      'rightScripts.BOOT.install.position': 'event-3 by carol, committed in HEAD',
    });
  });

  it('blames a HEAD pin resolved by a commit on the repinning, included in that commit', () => {
    const events = stream<ServerTemplateEvent>(
      ['alice', { ...templateCreated, data: { ...templateCreated.data, multiCloudImage: mci('m1', 0) } }],
      ['bob', { type: 'TemplateMultiCloudImageRepinned', data: { from: mci('m1', 0), to: mci('m1', 3) } }],
      [
        'bob',
        {
          type: 'RevisionCommitted',
          data: {
            revision: 1,
            message: 'pin',
            contentHash: 'h',
            committedAt: '2024-01-01T00:00:00.000Z',
            committedBy: 'bob',
            dependencies: [{ kind: 'MultiCloudImage', id: 'm1', revision: 3 }],
          },
        },
      ],
    );
    const atOne = blame(events, TEMPLATE, 1);
    expect(listing(atOne)['multiCloudImages.m1.revision']).toBe('event-1 by bob, committed in 1');
    expect(atOne?.find((entry) => entry.path === 'multiCloudImages.m1.revision')?.value).toBe(3);
    // The default stays the same MCI: repinning it is not a change of default.
    expect(listing(atOne)['defaultMultiCloudImage']).toBe('event-0 by alice, committed in 1');
  });
});

describe('blame of a RightScript', () => {
  const scriptCreated: RightScriptEvent = {
    type: 'RightScriptCreated',
    data: {
      rightScriptId: 's1',
      accountId: 'acme',
      lineage: 's1',
      name: 'install',
      description: '',
      source: 'echo hi',
      inputs: [
        { name: 'PORT', type: 'NUMBER', default: '80' },
        { name: 'ROOT', type: 'TEXT', default: null },
      ],
    },
  };

  it('blames each input on the update that changed it, though every update carries the whole list', () => {
    const events = stream<RightScriptEvent>(
      ['alice', scriptCreated],
      ['alice', committed(1)],
      [
        'bob',
        {
          type: 'RightScriptUpdated',
          data: {
            inputs: [
              { name: 'PORT', type: 'NUMBER', default: '8080' },
              { name: 'ROOT', type: 'TEXT', default: null },
            ],
          },
        },
      ],
      ['carol', { type: 'RightScriptUpdated', data: { source: 'echo hello' } }],
    );
    expect(listing(blame(events, RIGHT_SCRIPT, 0))).toEqual({
      name: 'event-0 by alice, committed in 1',
      description: 'event-0 by alice, committed in 1',
      source: 'event-3 by carol, committed in HEAD',
      'inputs.PORT.type': 'event-0 by alice, committed in 1',
      'inputs.PORT.default': 'event-2 by bob, committed in HEAD',
      'inputs.ROOT.type': 'event-0 by alice, committed in 1',
      'inputs.ROOT.default': 'event-0 by alice, committed in 1',
    });
  });
});

describe('blame fields', () => {
  it('exist for every component kind the API reads', () => {
    for (const kind of COMPONENT_KINDS)
      expect({ kind: kind.component.kind, blamed: kind.component.kind in BLAME_SUBJECTS }).toEqual({
        kind: kind.component.kind,
        blamed: true,
      });
  });

  it('name every leaf a diff reports as CHANGED by the same path', () => {
    const before: MultiCloudImageContent = { name: 'a', description: 'b', settings: { c1: setting('c1', 'i1', 't1') } };
    const after: MultiCloudImageContent = {
      name: 'a2',
      description: 'b2',
      settings: { c1: { ...setting('c1', 'i2', 't2'), kernelImageId: 'k', ramdiskImageId: 'r', userData: 'u' } },
    };
    const mciChanged = diffMultiCloudImages(before, after).map((change) => change.path);
    expect(mciChanged).toHaveLength(7);
    expect([...multiCloudImageFields(after).keys()]).toEqual(expect.arrayContaining(mciChanged));

    const script: RightScriptContent = { name: 'a', description: 'b', source: 'x', inputs: [{ name: 'P', type: 'TEXT', default: null }] };
    const script2: RightScriptContent = {
      name: 'a2',
      description: 'b2',
      source: 'y',
      inputs: [{ name: 'P', type: 'NUMBER', default: '1' }],
    };
    const scriptChanged = diffRightScripts(script, script2).map((change) => change.path);
    expect(scriptChanged).toHaveLength(5);
    expect([...rightScriptFields(script2).keys()]).toEqual(expect.arrayContaining(scriptChanged));

    const attached = (multiCloudImageId: string, revision: number) => ({ multiCloudImageId, revision, lineage: multiCloudImageId });
    const boundTo = (rightScriptId: string, revision: number) => ({ rightScriptId, revision, lineage: rightScriptId });
    const template: ServerTemplateContent = {
      name: 'a',
      description: 'b',
      multiCloudImages: [attached('m1', 1), attached('m2', 1)],
      defaultMultiCloudImageId: 'm1',
      rightScripts: { BOOT: [boundTo('s1', 1)], OPERATIONAL: [], DECOMMISSION: [] },
    };
    const template2: ServerTemplateContent = {
      name: 'a2',
      description: 'b2',
      multiCloudImages: [attached('m1', 2), attached('m2', 1)],
      defaultMultiCloudImageId: 'm2',
      rightScripts: { BOOT: [boundTo('s1', 3)], OPERATIONAL: [], DECOMMISSION: [] },
    };
    const templateChanged = diffServerTemplates(template, template2).map((change) => change.path);
    expect(templateChanged).toHaveLength(5);
    expect([...serverTemplateFields(template2).keys()]).toEqual(expect.arrayContaining(templateChanged));
  });
});
