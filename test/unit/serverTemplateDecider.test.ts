import { fold } from '../../src/domain/decider';
import { DomainError } from '../../src/domain/errors';
import {
  checkCommittable,
  headPins,
  MAX_BINDINGS_PER_SEQUENCE,
  MAX_TEMPLATE_MULTI_CLOUD_IMAGES,
  resolveHeadPins,
  serverTemplateDecider,
  stateAtRevision,
} from '../../src/domain/serverTemplates/serverTemplate';
import type {
  ActiveServerTemplate,
  CommittedDependency,
  PinTarget,
  RightScriptBinding,
  Sequence,
  ServerTemplateCommand,
  ServerTemplateContent,
  ServerTemplateEvent,
  ServerTemplateState,
  TemplateMultiCloudImage,
} from '../../src/domain/serverTemplates/serverTemplate.types';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(serverTemplateDecider);
const ACCOUNT = 'acme';
const OTHER_ACCOUNT = 'globex';
const ID = 'st-1';

const mciTarget = (id: string, revision = 1, lineage = id, accountId = ACCOUNT): PinTarget => ({ id, accountId, lineage, revision });
const scriptTarget = (id: string, revision = 1, accountId = ACCOUNT): PinTarget => ({ id, accountId, lineage: id, revision });
const attached = (id: string, revision = 1, lineage = id): TemplateMultiCloudImage => ({ multiCloudImageId: id, revision, lineage });
const binding = (id: string, revision = 1): RightScriptBinding => ({ rightScriptId: id, revision, lineage: id });

const created: ServerTemplateEvent = {
  type: 'ServerTemplateCreated',
  data: {
    serverTemplateId: ID,
    accountId: ACCOUNT,
    lineage: ID,
    name: 'PHP FrontEnd v7',
    description: 'web',
    multiCloudImage: attached('mci-a'),
  },
};
const added = (id: string, revision = 1, isDefault = false, lineage = id): ServerTemplateEvent => ({
  type: 'TemplateMultiCloudImageAdded',
  data: { ...attached(id, revision, lineage), isDefault },
});
const bound = (id: string, sequence: Sequence, position: number, revision = 1): ServerTemplateEvent => ({
  type: 'RightScriptBound',
  data: { ...binding(id, revision), sequence, position },
});
const committed = (revision: number, dependencies: CommittedDependency[] = []): ServerTemplateEvent => ({
  type: 'RevisionCommitted',
  data: {
    revision,
    message: `r${revision}`,
    contentHash: `h${revision}`,
    committedAt: '2024-01-01T00:00:00.000Z',
    committedBy: 'alice',
    dependencies,
  },
});
const deleted: ServerTemplateEvent = { type: 'ComponentDeleted', data: { kind: 'ServerTemplate', componentId: ID } };

type Data<Type extends ServerTemplateCommand['type']> = Extract<ServerTemplateCommand, { type: Type }>['data'];
const add = (overrides: Partial<Data<'AddTemplateMultiCloudImage'>> = {}): ServerTemplateCommand => ({
  type: 'AddTemplateMultiCloudImage',
  data: { accountId: ACCOUNT, multiCloudImage: mciTarget('mci-b'), isDefault: false, ...overrides },
});
const remove = (multiCloudImageId: string, newDefaultMultiCloudImageId?: string | null): ServerTemplateCommand => ({
  type: 'RemoveTemplateMultiCloudImage',
  data: { accountId: ACCOUNT, multiCloudImageId, newDefaultMultiCloudImageId },
});
const setDefault = (
  multiCloudImageId: string,
  overrides: Partial<Data<'SetDefaultTemplateMultiCloudImage'>> = {},
): ServerTemplateCommand => ({
  type: 'SetDefaultTemplateMultiCloudImage',
  data: { accountId: ACCOUNT, multiCloudImageId, ...overrides },
});
const pin = (
  multiCloudImageId: string,
  to: PinTarget | undefined,
  overrides: Partial<Data<'PinTemplateMultiCloudImage'>> = {},
): ServerTemplateCommand => ({
  type: 'PinTemplateMultiCloudImage',
  data: { accountId: ACCOUNT, multiCloudImageId, to, ...overrides },
});
const bind = (
  rightScript: PinTarget | undefined,
  sequence: Sequence,
  position?: number | null,
  overrides: Partial<Data<'BindRightScript'>> = {},
): ServerTemplateCommand => ({
  type: 'BindRightScript',
  data: { accountId: ACCOUNT, rightScript, sequence, position, ...overrides },
});
const unbind = (rightScriptId: string, sequence: Sequence, overrides: Partial<Data<'UnbindRightScript'>> = {}): ServerTemplateCommand => ({
  type: 'UnbindRightScript',
  data: { accountId: ACCOUNT, rightScriptId, sequence, ...overrides },
});
const commit = (overrides: Partial<Data<'CommitServerTemplate'>> = {}): ServerTemplateCommand => ({
  type: 'CommitServerTemplate',
  data: {
    accountId: ACCOUNT,
    message: 'first',
    contentHash: 'abc',
    committedAt: '2024-01-02T00:00:00.000Z',
    committedBy: 'bob',
    commitHeadDependencies: false,
    resolved: [],
    ...overrides,
  },
});

const head = (events: ServerTemplateEvent[]): ServerTemplateContent => (fold(serverTemplateDecider, events) as ActiveServerTemplate).head;
const after = (events: ServerTemplateEvent[], command: ServerTemplateCommand): ServerTemplateContent =>
  head([...events, ...serverTemplateDecider.decide(command, fold(serverTemplateDecider, events))]);
const ids = (bindings: readonly RightScriptBinding[]): string[] => bindings.map((b) => b.rightScriptId);

/** Every edit command on a template, to check NOT_FOUND / NOT_HEAD the same way for each. */
const edits: Array<[string, (overrides: { accountId?: string; revision?: number }) => ServerTemplateCommand]> = [
  ['update', (o) => ({ type: 'UpdateServerTemplate', data: { accountId: ACCOUNT, name: 'x', ...o } })],
  ['add MCI', (o) => add(o)],
  ['remove MCI', (o) => ({ type: 'RemoveTemplateMultiCloudImage', data: { accountId: ACCOUNT, multiCloudImageId: 'mci-a', ...o } })],
  ['set default', (o) => setDefault('mci-a', o)],
  ['pin MCI', (o) => pin('mci-a', mciTarget('mci-a', 2), o)],
  ['bind', (o) => bind(scriptTarget('rs-1'), 'BOOT', null, o)],
  ['unbind', (o) => unbind('rs-1', 'BOOT', o)],
  ['commit', (o) => commit(o)],
  ['delete', (o) => ({ type: 'DeleteServerTemplate', data: { accountId: ACCOUNT, ...o } })],
];

describe('ServerTemplate decider: every edit', () => {
  it.each(edits)('%s: refuses a missing template as NOT_FOUND', (_what, command) =>
    spec
      .given([])
      .when(command({}))
      .thenFails('NOT_FOUND', /^no such ServerTemplate$/),
  );
  it.each(edits)("%s: refuses another account's template as NOT_FOUND, with the missing template's message", (_what, command) =>
    spec
      .given([created])
      .when(command({ accountId: OTHER_ACCOUNT }))
      .thenFails('NOT_FOUND', /^no such ServerTemplate$/),
  );
  it.each(edits)('%s: refuses a deleted template as NOT_FOUND, telling its owner it was deleted', (_what, command) =>
    spec
      .given([created, deleted])
      .when(command({}))
      .thenFails('NOT_FOUND', /^ServerTemplate 'st-1' was deleted$/),
  );
  it.each(edits)('%s: refuses a committed revision (NOT_HEAD)', (_what, command) =>
    spec
      .given([created, committed(1)])
      .when(command({ revision: 1 }))
      .thenFails('NOT_HEAD', /only HEAD \(revision 0\) of 'st-1' can change; revision 1 is committed/),
  );
});

describe('ServerTemplate decider: create', () => {
  const create = (overrides: Partial<Data<'CreateServerTemplate'>> = {}): ServerTemplateCommand => ({
    type: 'CreateServerTemplate',
    data: {
      serverTemplateId: ID,
      accountId: ACCOUNT,
      name: 'PHP FrontEnd v7',
      description: 'web',
      multiCloudImage: mciTarget('mci-a'),
      ...overrides,
    },
  });

  it('creates a template in its own lineage whose first MCI is the default', () => {
    spec.given([]).when(create()).then([created]);
    expect(head([created])).toEqual({
      name: 'PHP FrontEnd v7',
      description: 'web',
      multiCloudImages: [attached('mci-a')],
      defaultMultiCloudImageId: 'mci-a',
      rightScripts: { BOOT: [], OPERATIONAL: [], DECOMMISSION: [] },
    });
  });
  it('pins the MCI at HEAD when asked, and defaults the description to empty', () =>
    spec
      .given([])
      .when(create({ description: null, multiCloudImage: mciTarget('mci-a', 0) }))
      .then([
        {
          type: 'ServerTemplateCreated',
          data: {
            serverTemplateId: ID,
            accountId: ACCOUNT,
            lineage: ID,
            name: 'PHP FrontEnd v7',
            description: '',
            multiCloudImage: attached('mci-a', 0),
          },
        },
      ]));
  it('refuses a missing MCI as NOT_FOUND', () =>
    spec
      .given([])
      .when(create({ multiCloudImage: undefined }))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it("refuses another account's MCI as NOT_FOUND, with the missing MCI's message", () =>
    spec
      .given([])
      .when(create({ multiCloudImage: mciTarget('mci-a', 1, 'mci-a', OTHER_ACCOUNT) }))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it.each([
    ['a blank name', { name: '  ' }, /name: expected 1 to 255 characters, got a blank name/],
    ['a 256-character name', { name: 'x'.repeat(256) }, /name: expected 1 to 255 characters, got 256/],
    ['a description over 4096 characters', { description: 'x'.repeat(4097) }, /description: expected at most 4096 characters, got 4097/],
  ])('refuses %s', (_what, overrides, message) => spec.given([]).when(create(overrides)).thenFails('BAD_USER_INPUT', message));
  it('refuses to create over an existing template', () =>
    spec
      .given([created])
      .when(create())
      .thenFails('BAD_USER_INPUT', /ServerTemplate 'st-1' already exists/));
});

describe('ServerTemplate decider: update and delete', () => {
  it('records only the fields that changed', () =>
    spec
      .given([created])
      .when({ type: 'UpdateServerTemplate', data: { accountId: ACCOUNT, name: 'PHP FrontEnd v7', description: 'new' } })
      .then([{ type: 'ServerTemplateUpdated', data: { description: 'new' } }]));
  it('decides nothing when nothing changes', () =>
    spec
      .given([created])
      .when({ type: 'UpdateServerTemplate', data: { accountId: ACCOUNT, name: 'PHP FrontEnd v7' } })
      .then([]));
  it('refuses a blank name', () =>
    spec
      .given([created])
      .when({ type: 'UpdateServerTemplate', data: { accountId: ACCOUNT, name: '' } })
      .thenFails('BAD_USER_INPUT', /name: expected 1 to 255 characters/));
  it('deletes, keeping identity and revisions', () => {
    spec
      .given([created])
      .when({ type: 'DeleteServerTemplate', data: { accountId: ACCOUNT } })
      .then([deleted]);
    expect(fold(serverTemplateDecider, [created, committed(1), deleted])).toEqual({
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

describe('ServerTemplate decider: addTemplateMultiCloudImage', () => {
  it('appends an MCI, not as the default', () => {
    spec
      .given([created])
      .when(add())
      .then([added('mci-b')]);
    expect(head([created, added('mci-b')])).toMatchObject({
      multiCloudImages: [attached('mci-a'), attached('mci-b')],
      defaultMultiCloudImageId: 'mci-a',
    });
  });
  it('makes it the default when asked', () => {
    spec
      .given([created])
      .when(add({ isDefault: true }))
      .then([added('mci-b', 1, true)]);
    expect(head([created, added('mci-b', 1, true)]).defaultMultiCloudImageId).toBe('mci-b');
  });
  it('refuses a missing MCI as NOT_FOUND', () =>
    spec
      .given([created])
      .when(add({ multiCloudImage: undefined }))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it("refuses another account's MCI as NOT_FOUND", () =>
    spec
      .given([created])
      .when(add({ multiCloudImage: mciTarget('mci-b', 1, 'mci-b', OTHER_ACCOUNT) }))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it('refuses an MCI already attached, naming its pin and pinTemplateMultiCloudImage', () =>
    spec
      .given([created, added('mci-b', 0)])
      .when(add({ multiCloudImage: mciTarget('mci-b', 3) }))
      .thenFails(
        'BAD_USER_INPUT',
        /^MultiCloudImage 'mci-b' is already attached at revision 0 \(HEAD\): use pinTemplateMultiCloudImage to change its pin$/,
      ));
  it(`holds at most ${MAX_TEMPLATE_MULTI_CLOUD_IMAGES} MCIs`, () => {
    const full = [created, ...Array.from({ length: MAX_TEMPLATE_MULTI_CLOUD_IMAGES - 1 }, (_, i) => added(`m${i}`))];
    spec
      .given(full.slice(0, -1))
      .when(add())
      .then([added('mci-b')]);
    spec
      .given(full)
      .when(add())
      .thenFails('BAD_USER_INPUT', /at most 50 MultiCloudImages and this one has 50/);
  });
});

describe('ServerTemplate decider: removeTemplateMultiCloudImage', () => {
  const three = [created, added('mci-b'), added('mci-c')];

  it('removes a non-default MCI', () => {
    spec
      .given(three)
      .when(remove('mci-b'))
      .then([{ type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-b', removed: attached('mci-b') } }]);
    expect(after(three, remove('mci-b')).multiCloudImages).toEqual([attached('mci-a'), attached('mci-c')]);
  });
  it('removes the default in one decision when another becomes the default first', () => {
    spec
      .given(three)
      .when(remove('mci-a', 'mci-c'))
      .then([
        { type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: 'mci-c', previous: 'mci-a' } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-a', removed: attached('mci-a') } },
      ]);
    expect(after(three, remove('mci-a', 'mci-c'))).toMatchObject({
      multiCloudImages: [attached('mci-b'), attached('mci-c')],
      defaultMultiCloudImageId: 'mci-c',
    });
  });
  it('also moves the default when removing another MCI names a new one', () =>
    spec
      .given(three)
      .when(remove('mci-b', 'mci-c'))
      .then([
        { type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: 'mci-c', previous: 'mci-a' } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-b', removed: attached('mci-b') } },
      ]));
  it('refuses to remove the default without a new default', () =>
    spec
      .given(three)
      .when(remove('mci-a'))
      .thenFails(
        'BAD_USER_INPUT',
        /^'mci-a' is the default MultiCloudImage: removing it needs newDefaultMultiCloudImageId naming another attached MCI \('mci-b', 'mci-c'\), got none$/,
      ));
  it.each([
    ['itself', 'mci-a'],
    ['an MCI that is not attached', 'mci-z'],
  ])('refuses to remove the default with %s as the new default', (_what, newDefault) =>
    spec
      .given(three)
      .when(remove('mci-a', newDefault))
      .thenFails('BAD_USER_INPUT', new RegExp(`naming another attached MCI \\('mci-b', 'mci-c'\\), got '${newDefault}'$`)),
  );
  it('refuses a new default that is not attached when removing another MCI', () =>
    spec
      .given(three)
      .when(remove('mci-b', 'mci-z'))
      .thenFails('BAD_USER_INPUT', /^newDefaultMultiCloudImageId: expected another attached MCI \('mci-a', 'mci-c'\), got 'mci-z'$/));
  it('refuses an MCI that is not attached, listing the attached ones', () =>
    spec
      .given(three)
      .when(remove('mci-z'))
      .thenFails(
        'BAD_USER_INPUT',
        /^multiCloudImageId: expected a MultiCloudImage attached to this ServerTemplate \('mci-a', 'mci-b', 'mci-c'\), got 'mci-z'$/,
      ));
  it('refuses to remove the last MCI', () =>
    spec
      .given([created])
      .when(remove('mci-a', 'mci-a'))
      .thenFails('BAD_USER_INPUT', /^a ServerTemplate needs at least one MultiCloudImage: 'mci-a' is the only one attached/));
});

describe('ServerTemplate decider: setDefaultTemplateMultiCloudImage', () => {
  it('changes the default', () => {
    spec
      .given([created, added('mci-b')])
      .when(setDefault('mci-b'))
      .then([{ type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: 'mci-b', previous: 'mci-a' } }]);
  });
  it('decides nothing for the current default', () =>
    spec
      .given([created, added('mci-b')])
      .when(setDefault('mci-a'))
      .then([]));
  it('refuses an MCI that is not attached', () =>
    spec
      .given([created])
      .when(setDefault('mci-z'))
      .thenFails(
        'BAD_USER_INPUT',
        /^multiCloudImageId: expected a MultiCloudImage attached to this ServerTemplate \('mci-a'\), got 'mci-z'$/,
      ));
});

describe('ServerTemplate decider: pinTemplateMultiCloudImage', () => {
  const given = [created, added('mci-b'), added('mci-c')];

  it('re-pins to another revision of the same MCI, keeping its place', () => {
    const command = pin('mci-b', mciTarget('mci-b', 4));
    spec
      .given(given)
      .when(command)
      .then([{ type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-b'), to: attached('mci-b', 4) } }]);
    expect(after(given, command).multiCloudImages).toEqual([attached('mci-a'), attached('mci-b', 4), attached('mci-c')]);
  });
  it('re-pins the default to another MCI of its lineage: place and default follow', () => {
    const command = pin('mci-a', mciTarget('mci-a-import', 2, 'mci-a'));
    spec
      .given(given)
      .when(command)
      .then([{ type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-a'), to: attached('mci-a-import', 2, 'mci-a') } }]);
    expect(after(given, command)).toMatchObject({
      multiCloudImages: [attached('mci-a-import', 2, 'mci-a'), attached('mci-b'), attached('mci-c')],
      defaultMultiCloudImageId: 'mci-a-import',
    });
  });
  it('decides nothing for the same pin', () =>
    spec
      .given(given)
      .when(pin('mci-b', mciTarget('mci-b', 1)))
      .then([]));
  it('refuses a missing target as NOT_FOUND', () =>
    spec
      .given(given)
      .when(pin('mci-b', undefined))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it("refuses another account's target as NOT_FOUND", () =>
    spec
      .given(given)
      .when(pin('mci-b', mciTarget('mci-b', 2, 'mci-b', OTHER_ACCOUNT)))
      .thenFails('NOT_FOUND', /^no such MultiCloudImage$/));
  it('refuses another lineage', () =>
    spec
      .given(given)
      .when(pin('mci-b', mciTarget('mci-x', 1)))
      .thenFails(
        'BAD_USER_INPUT',
        /^re-pinning stays within a lineage: 'mci-x' is of lineage 'mci-x', the attached MCI 'mci-b' of lineage 'mci-b'; attach it with addTemplateMultiCloudImage instead$/,
      ));
  it('refuses a target already attached as another entry', () =>
    spec
      .given([created, added('mci-b', 1, false, 'L'), added('mci-c', 2, false, 'L')])
      .when(pin('mci-b', mciTarget('mci-c', 3, 'L')))
      .thenFails('BAD_USER_INPUT', /^MultiCloudImage 'mci-c' is already attached at revision 2/));
  it('refuses an MCI that is not attached', () =>
    spec
      .given(given)
      .when(pin('mci-z', mciTarget('mci-z', 2)))
      .thenFails(
        'BAD_USER_INPUT',
        /expected a MultiCloudImage attached to this ServerTemplate \('mci-a', 'mci-b', 'mci-c'\), got 'mci-z'/,
      ));
});

describe('ServerTemplate decider: bindRightScript', () => {
  const given = [created, bound('rs-1', 'BOOT', 1), bound('rs-2', 'BOOT', 2)];

  it('appends when no position is given', () => {
    spec
      .given(given)
      .when(bind(scriptTarget('rs-3', 0), 'BOOT'))
      .then([bound('rs-3', 'BOOT', 3, 0)]);
    expect(ids(after(given, bind(scriptTarget('rs-3'), 'BOOT', null)).rightScripts.BOOT)).toEqual(['rs-1', 'rs-2', 'rs-3']);
  });
  it('inserts at a position and shifts the later ones', () => {
    spec
      .given(given)
      .when(bind(scriptTarget('rs-3'), 'BOOT', 1))
      .then([bound('rs-3', 'BOOT', 1)]);
    expect(ids(after(given, bind(scriptTarget('rs-3'), 'BOOT', 1)).rightScripts.BOOT)).toEqual(['rs-3', 'rs-1', 'rs-2']);
    expect(ids(after(given, bind(scriptTarget('rs-3'), 'BOOT', 2)).rightScripts.BOOT)).toEqual(['rs-1', 'rs-3', 'rs-2']);
    expect(ids(after(given, bind(scriptTarget('rs-3'), 'BOOT', 3)).rightScripts.BOOT)).toEqual(['rs-1', 'rs-2', 'rs-3']);
  });
  it('binds the same RightScript in another sequence', () => {
    const result = after(given, bind(scriptTarget('rs-1'), 'DECOMMISSION'));
    expect(result.rightScripts).toEqual({ BOOT: [binding('rs-1'), binding('rs-2')], OPERATIONAL: [], DECOMMISSION: [binding('rs-1')] });
  });
  it.each([0, 4, -1, 1.5])('refuses position %p', (position) =>
    spec
      .given(given)
      .when(bind(scriptTarget('rs-3'), 'BOOT', position))
      .thenFails('BAD_USER_INPUT', new RegExp(`^position: expected 1 to 3, got ${position}$`)),
  );
  it('refuses a RightScript already bound in that sequence', () =>
    spec
      .given(given)
      .when(bind(scriptTarget('rs-2', 5), 'BOOT'))
      .thenFails('BAD_USER_INPUT', /^RightScript 'rs-2' is already bound in BOOT at position 2 \(revision 1\): unbind it first/));
  it('refuses a missing RightScript as NOT_FOUND', () =>
    spec
      .given(given)
      .when(bind(undefined, 'BOOT'))
      .thenFails('NOT_FOUND', /^no such RightScript$/));
  it("refuses another account's RightScript as NOT_FOUND", () =>
    spec
      .given(given)
      .when(bind(scriptTarget('rs-3', 1, OTHER_ACCOUNT), 'BOOT'))
      .thenFails('NOT_FOUND', /^no such RightScript$/));
  it('refuses an unknown sequence', () =>
    spec
      .given(given)
      .when(bind(scriptTarget('rs-3'), 'SHUTDOWN' as Sequence))
      .thenFails('BAD_USER_INPUT', /^sequence: expected one of BOOT, OPERATIONAL, DECOMMISSION, got 'SHUTDOWN'$/));
  it(`holds at most ${MAX_BINDINGS_PER_SEQUENCE} bindings per sequence`, () => {
    const full = [created, ...Array.from({ length: MAX_BINDINGS_PER_SEQUENCE }, (_, i) => bound(`s${i}`, 'OPERATIONAL', i + 1))];
    spec
      .given(full.slice(0, -1))
      .when(bind(scriptTarget('rs-x'), 'OPERATIONAL'))
      .then([bound('rs-x', 'OPERATIONAL', 100)]);
    spec
      .given(full)
      .when(bind(scriptTarget('rs-x'), 'OPERATIONAL'))
      .thenFails('BAD_USER_INPUT', /sequence OPERATIONAL holds at most 100 RightScripts and has 100/);
  });
});

describe('ServerTemplate decider: unbindRightScript', () => {
  const given = [created, bound('rs-1', 'BOOT', 1), bound('rs-2', 'BOOT', 2), bound('rs-3', 'BOOT', 3)];

  it('unbinds and shifts the later ones', () => {
    spec
      .given(given)
      .when(unbind('rs-2', 'BOOT'))
      .then([{ type: 'RightScriptUnbound', data: { sequence: 'BOOT', position: 2, removed: binding('rs-2') } }]);
    expect(after(given, unbind('rs-2', 'BOOT')).rightScripts.BOOT).toEqual([binding('rs-1'), binding('rs-3')]);
    expect(ids(after(given, unbind('rs-1', 'BOOT')).rightScripts.BOOT)).toEqual(['rs-2', 'rs-3']);
  });
  it('refuses a RightScript not bound in that sequence, listing what is', () =>
    spec
      .given(given)
      .when(unbind('rs-9', 'BOOT'))
      .thenFails('BAD_USER_INPUT', /^rightScriptId: expected a RightScript bound in BOOT \('rs-1', 'rs-2', 'rs-3'\), got 'rs-9'$/));
  it('says so when nothing is bound there', () =>
    spec
      .given(given)
      .when(unbind('rs-1', 'OPERATIONAL'))
      .thenFails('BAD_USER_INPUT', /^rightScriptId: expected a RightScript bound in OPERATIONAL \(none is bound\), got 'rs-1'$/));
});

describe('ServerTemplate decider: commit', () => {
  const headPinned = [
    created,
    added('mci-b', 0),
    bound('rs-1', 'BOOT', 1, 0),
    bound('rs-2', 'BOOT', 2, 3),
    bound('rs-1', 'OPERATIONAL', 1, 0),
  ];
  const resolved: CommittedDependency[] = [
    { kind: 'MultiCloudImage', id: 'mci-b', revision: 2 },
    { kind: 'RightScript', id: 'rs-1', revision: 5 },
  ];

  it('commits HEAD as revision 1 with no dependencies', () =>
    spec
      .given([created])
      .when(commit())
      .then([
        {
          type: 'RevisionCommitted',
          data: {
            revision: 1,
            message: 'first',
            contentHash: 'abc',
            committedAt: '2024-01-02T00:00:00.000Z',
            committedBy: 'bob',
            dependencies: [],
          },
        },
      ]));
  it('numbers revisions densely', () => {
    const [event] = serverTemplateDecider.decide(
      commit(),
      fold(serverTemplateDecider, [created, committed(1), added('mci-b'), committed(2), added('mci-c')]),
    );
    expect(event).toMatchObject({ type: 'RevisionCommitted', data: { revision: 3 } });
  });
  it('refuses HEAD pins without commitHeadDependencies, listing them in message and details', () => {
    let thrown: unknown;
    try {
      serverTemplateDecider.decide(commit(), fold(serverTemplateDecider, headPinned));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({
      code: 'HEAD_DEPENDENCIES',
      message:
        "revision 0 (HEAD) is pinned for MultiCloudImage 'mci-b' and RightScript 'rs-1' (BOOT, OPERATIONAL): commit them first, or commit with commitHeadDependencies: true",
      details: {
        dependencies: [
          { kind: 'MultiCloudImage', id: 'mci-b' },
          { kind: 'RightScript', id: 'rs-1' },
        ],
      },
    });
  });
  it('with commitHeadDependencies, re-pins every HEAD pin to its resolved revision, then commits', () => {
    const command = commit({ commitHeadDependencies: true, resolved, contentHash: 'frozen' });
    spec
      .given(headPinned)
      .when(command)
      .then([
        { type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-b', 0), to: attached('mci-b', 2) } },
        { type: 'RightScriptRepinned', data: { sequence: 'BOOT', position: 1, rightScriptId: 'rs-1', from: 0, revision: 5 } },
        { type: 'RightScriptRepinned', data: { sequence: 'OPERATIONAL', position: 1, rightScriptId: 'rs-1', from: 0, revision: 5 } },
        {
          type: 'RevisionCommitted',
          data: {
            revision: 1,
            message: 'first',
            contentHash: 'frozen',
            committedAt: '2024-01-02T00:00:00.000Z',
            committedBy: 'bob',
            dependencies: resolved,
          },
        },
      ]);
    const events = [...headPinned, ...serverTemplateDecider.decide(command, fold(serverTemplateDecider, headPinned))];
    const state = fold(serverTemplateDecider, events) as ActiveServerTemplate;
    expect(headPins(state.head)).toEqual([]);
    expect(state.lastCommitted).toEqual(resolveHeadPins(head(headPinned), resolved));
    expect(state.head.rightScripts.BOOT).toEqual([binding('rs-1', 5), binding('rs-2', 3)]);
  });
  it('with commitHeadDependencies and no HEAD pins, commits plainly', () =>
    spec
      .given([created])
      .when(commit({ commitHeadDependencies: true }))
      .then([expect.objectContaining({ type: 'RevisionCommitted', data: expect.objectContaining({ revision: 1, dependencies: [] }) })]));
  it('treats a HEAD pin missing from resolved as a bug in the caller (plain Error)', () => {
    const state = fold(serverTemplateDecider, headPinned);
    const decide = (): unknown =>
      serverTemplateDecider.decide(commit({ commitHeadDependencies: true, resolved: resolved.slice(0, 1) }), state);
    expect(decide).toThrow(/HEAD-pinned RightScript 'rs-1' needs a committed revision in resolved, got none/);
    expect(decide).not.toThrow(DomainError);
  });
  it('refuses to commit with no change since the last revision (NO_CHANGES)', () =>
    spec
      .given([created, committed(1)])
      .when(commit())
      .thenFails(
        'NO_CHANGES',
        /^HEAD \(with its HEAD dependencies at their committed revisions\) has not changed since revision 1: nothing to commit$/,
      ));
  it('refuses NO_CHANGES when resolving HEAD pins gives the committed content again', () =>
    spec
      .given([
        created,
        committed(1),
        { type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-a'), to: attached('mci-a', 0) } },
      ])
      .when(commit({ commitHeadDependencies: true, resolved: [{ kind: 'MultiCloudImage', id: 'mci-a', revision: 1 }] }))
      .thenFails('NO_CHANGES', /since revision 1/));
  it('commits when a HEAD pin resolves to a newer revision than the committed one', () =>
    spec
      .given([
        created,
        committed(1),
        { type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-a'), to: attached('mci-a', 0) } },
      ])
      .when(commit({ commitHeadDependencies: true, resolved: [{ kind: 'MultiCloudImage', id: 'mci-a', revision: 2 }] }))
      .then([
        { type: 'TemplateMultiCloudImageRepinned', data: { from: attached('mci-a', 0), to: attached('mci-a', 2) } },
        expect.objectContaining({ type: 'RevisionCommitted', data: expect.objectContaining({ revision: 2 }) }),
      ]));
  it('refuses a blank commit message', () =>
    spec
      .given([created])
      .when(commit({ message: ' ' }))
      .thenFails('BAD_USER_INPUT', /commit message: expected 1 to 4096 characters saying what changed, got a blank message/));
});

describe('ServerTemplate checkCommittable', () => {
  const state = (events: ServerTemplateEvent[]): ServerTemplateState => fold(serverTemplateDecider, events);
  const base = { accountId: ACCOUNT, message: 'm', commitHeadDependencies: false };
  const pinned = [created, bound('rs-1', 'BOOT', 1, 0)];
  const refusal = (events: ServerTemplateEvent[], overrides: Partial<typeof base & { revision: number }>): unknown => {
    try {
      checkCommittable(state(events), { ...base, ...overrides });
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it.each([
    ['a missing template', [], {}, 'NOT_FOUND'],
    ["another account's template", [created], { accountId: OTHER_ACCOUNT }, 'NOT_FOUND'],
    ['a deleted template', [created, deleted], {}, 'NOT_FOUND'],
    ['a committed revision', [created, committed(1)], { revision: 1 }, 'NOT_HEAD'],
    ['a blank message', [created], { message: '' }, 'BAD_USER_INPUT'],
    ['HEAD pins without commitHeadDependencies', pinned, {}, 'HEAD_DEPENDENCIES'],
  ] as const)('refuses %s exactly as the decider does', (_what, events, overrides, code) => {
    const thrown = refusal([...events], overrides);
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ code });
    expect(() => serverTemplateDecider.decide(commit(overrides), state([...events]))).toThrow((thrown as DomainError).message);
  });
  it('accepts HEAD pins with commitHeadDependencies, and a template with nothing new (NO_CHANGES waits for the decider)', () => {
    expect(checkCommittable(state(pinned), { ...base, commitHeadDependencies: true })).toMatchObject({ id: ID });
    expect(checkCommittable(state([created, committed(1)]), base)).toMatchObject({ id: ID, latestRevision: 1 });
  });
});

describe('ServerTemplate headPins and resolveHeadPins', () => {
  const content = head([
    created,
    added('mci-b', 0),
    added('mci-c', 0),
    bound('rs-1', 'BOOT', 1, 0),
    bound('rs-2', 'BOOT', 2, 2),
    bound('rs-3', 'DECOMMISSION', 1, 0),
    bound('rs-1', 'DECOMMISSION', 2, 0),
  ]);
  const resolved: CommittedDependency[] = [
    { kind: 'RightScript', id: 'rs-3', revision: 1 },
    { kind: 'MultiCloudImage', id: 'mci-c', revision: 4 },
    { kind: 'MultiCloudImage', id: 'mci-b', revision: 9 },
    { kind: 'RightScript', id: 'rs-1', revision: 7 },
  ];

  it('lists each HEAD-pinned component once, MCIs first, with the sequences of a RightScript', () =>
    expect(headPins(content)).toEqual([
      { kind: 'MultiCloudImage', id: 'mci-b' },
      { kind: 'MultiCloudImage', id: 'mci-c' },
      { kind: 'RightScript', id: 'rs-1', sequences: ['BOOT', 'DECOMMISSION'] },
      { kind: 'RightScript', id: 'rs-3', sequences: ['DECOMMISSION'] },
    ]));
  it('replaces every HEAD pin by its resolved revision and leaves the rest alone', () =>
    expect(resolveHeadPins(content, resolved)).toEqual({
      ...content,
      multiCloudImages: [attached('mci-a'), attached('mci-b', 9), attached('mci-c', 4)],
      rightScripts: {
        BOOT: [binding('rs-1', 7), binding('rs-2', 2)],
        OPERATIONAL: [],
        DECOMMISSION: [binding('rs-3', 1), binding('rs-1', 7)],
      },
    }));
  it('returns content without HEAD pins unchanged', () => {
    const committedOnly = head([created, bound('rs-2', 'BOOT', 1, 2)]);
    expect(resolveHeadPins(committedOnly, [])).toEqual(committedOnly);
  });
  it('refuses (plain Error) a HEAD pin resolved to HEAD again', () =>
    expect(() => resolveHeadPins(content, [...resolved.slice(0, 3), { kind: 'RightScript', id: 'rs-1', revision: 0 }])).toThrow(
      "HEAD-pinned RightScript 'rs-1' needs a committed revision in resolved, got 0",
    ));
  it('orders the committed dependencies as headPins does', () => {
    const events = serverTemplateDecider.decide(
      commit({ commitHeadDependencies: true, resolved }),
      fold(serverTemplateDecider, [
        created,
        added('mci-b', 0),
        added('mci-c', 0),
        bound('rs-1', 'BOOT', 1, 0),
        bound('rs-3', 'DECOMMISSION', 1, 0),
      ]),
    );
    expect(events[events.length - 1]).toMatchObject({
      data: {
        dependencies: [
          { kind: 'MultiCloudImage', id: 'mci-b', revision: 9 },
          { kind: 'MultiCloudImage', id: 'mci-c', revision: 4 },
          { kind: 'RightScript', id: 'rs-1', revision: 7 },
          { kind: 'RightScript', id: 'rs-3', revision: 1 },
        ],
      },
    });
  });
});

describe('ServerTemplate decider: clone', () => {
  const source = {
    id: 'st-src',
    accountId: ACCOUNT,
    revision: 2,
    content: head([created, added('mci-b', 0, true), bound('rs-1', 'BOOT', 1)]),
  };
  const clone = (overrides: Partial<Data<'CloneServerTemplate'>> = {}): ServerTemplateCommand => ({
    type: 'CloneServerTemplate',
    data: { serverTemplateId: 'st-2', accountId: ACCOUNT, source, ...overrides },
  });

  it('starts the new stream with ComponentCloned: bumped name, whole content, new lineage, clonedFrom', () => {
    const events = serverTemplateDecider.decide(clone(), serverTemplateDecider.initialState());
    expect(events).toEqual([
      {
        type: 'ComponentCloned',
        data: {
          kind: 'ServerTemplate',
          componentId: 'st-2',
          accountId: ACCOUNT,
          lineage: 'st-2',
          clonedFrom: { id: 'st-src', revision: 2 },
          content: { ...source.content, name: 'PHP FrontEnd v8' },
        },
      },
    ]);
    expect(fold(serverTemplateDecider, events)).toEqual({
      status: 'active',
      id: 'st-2',
      accountId: ACCOUNT,
      lineage: 'st-2',
      clonedFrom: { id: 'st-src', revision: 2 },
      origin: null,
      latestRevision: 0,
      head: { ...source.content, name: 'PHP FrontEnd v8' },
      lastCommitted: null,
    });
  });
  it('takes an explicit name', () =>
    expect(serverTemplateDecider.decide(clone({ name: 'Mine' }), serverTemplateDecider.initialState())[0]).toMatchObject({
      data: { content: { name: 'Mine' } },
    }));
  it('refuses a missing source as NOT_FOUND', () =>
    spec
      .given([])
      .when(clone({ source: undefined }))
      .thenFails('NOT_FOUND', /^no such ServerTemplate to clone$/));
  it("refuses another account's source as NOT_FOUND", () =>
    spec
      .given([])
      .when(clone({ source: { ...source, accountId: OTHER_ACCOUNT } }))
      .thenFails('NOT_FOUND', /^no such ServerTemplate to clone$/));
  it('refuses a bad explicit name', () =>
    spec
      .given([])
      .when(clone({ name: ' ' }))
      .thenFails('BAD_USER_INPUT', /name: expected 1 to 255 characters/));
  it('refuses to clone over an existing template', () =>
    spec
      .given([created])
      .when(clone({ serverTemplateId: ID }))
      .thenFails('BAD_USER_INPUT', /ServerTemplate 'st-1' already exists/));
});

describe('ServerTemplate stateAtRevision', () => {
  const events = [created, committed(1), added('mci-b'), bound('rs-1', 'BOOT', 1), committed(2), bound('rs-2', 'BOOT', 1)];

  it('folds up to the commit of that revision', () => {
    expect(stateAtRevision(events, 1)).toMatchObject({ latestRevision: 1, head: { multiCloudImages: [attached('mci-a')] } });
    expect(stateAtRevision(events, 2)).toMatchObject({
      latestRevision: 2,
      head: { multiCloudImages: [attached('mci-a'), attached('mci-b')], rightScripts: { BOOT: [binding('rs-1')] } },
    });
  });
  it('gives HEAD for 0 and undefined for a revision never committed', () => {
    expect((stateAtRevision(events, 0) as ActiveServerTemplate).head.rightScripts.BOOT).toEqual([binding('rs-2'), binding('rs-1')]);
    expect(stateAtRevision(events, 3)).toBeUndefined();
  });
});
