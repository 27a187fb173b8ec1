import { fold } from '../../src/domain/decider';
import {
  checkInputs,
  rightScriptDecider,
  rightScriptStream,
  stateAtRevision,
  type RightScriptCommand,
  type RightScriptContent,
  type RightScriptEvent,
  type RightScriptInput,
  type RightScriptInputDraft,
} from '../../src/domain/rightScripts/rightScript';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(rightScriptDecider);
const ACCOUNT = 'acme';
const OTHER_ACCOUNT = 'globex';
const ID = 'rs-1';
const SOURCE = '#!/bin/sh\necho "listening on $APP_PORT"\n';
const PORT: RightScriptInput = { name: 'APP_PORT', type: 'NUMBER', default: '8080' };

const created: RightScriptEvent = {
  type: 'RightScriptCreated',
  data: {
    rightScriptId: ID,
    accountId: ACCOUNT,
    lineage: ID,
    name: 'App start v1',
    description: 'starts the app',
    source: SOURCE,
    inputs: [PORT],
  },
};
const committed = (revision: number): RightScriptEvent => ({
  type: 'RevisionCommitted',
  data: { revision, message: `r${revision}`, contentHash: `h${revision}`, committedAt: '2024-01-01T00:00:00.000Z', committedBy: 'alice' },
});
const updated = (data: Extract<RightScriptEvent, { type: 'RightScriptUpdated' }>['data']): RightScriptEvent => ({
  type: 'RightScriptUpdated',
  data,
});
const deleted: RightScriptEvent = { type: 'ComponentDeleted', data: { kind: 'RightScript', componentId: ID } };

const create = (overrides: Partial<Extract<RightScriptCommand, { type: 'CreateRightScript' }>['data']> = {}): RightScriptCommand => ({
  type: 'CreateRightScript',
  data: {
    rightScriptId: ID,
    accountId: ACCOUNT,
    name: 'App start v1',
    description: 'starts the app',
    source: SOURCE,
    inputs: [PORT],
    ...overrides,
  },
});
const update = (
  data: Omit<Extract<RightScriptCommand, { type: 'UpdateRightScript' }>['data'], 'accountId'> & { accountId?: string },
): RightScriptCommand => ({
  type: 'UpdateRightScript',
  data: { accountId: ACCOUNT, ...data },
});
const commit = (overrides: Partial<Extract<RightScriptCommand, { type: 'CommitRightScript' }>['data']> = {}): RightScriptCommand => ({
  type: 'CommitRightScript',
  data: {
    accountId: ACCOUNT,
    message: 'first',
    contentHash: 'abc',
    committedAt: '2024-01-02T00:00:00.000Z',
    committedBy: 'bob',
    ...overrides,
  },
});
const inputsOf = (drafts: RightScriptInputDraft[]): RightScriptCommand => update({ inputs: drafts });

describe('RightScript decider: create', () => {
  it('creates a script in its own stream and lineage', () => {
    expect(rightScriptStream(ID)).toBe('rightscript-rs-1');
    spec.given([]).when(create()).then([created]);
  });
  it('defaults description and source to empty and inputs to none', () =>
    spec
      .given([])
      .when({ type: 'CreateRightScript', data: { rightScriptId: ID, accountId: ACCOUNT, name: 'n' } })
      .then([
        {
          type: 'RightScriptCreated',
          data: { rightScriptId: ID, accountId: ACCOUNT, lineage: ID, name: 'n', description: '', source: '', inputs: [] },
        },
      ]));
  it('lists inputs by name and fills absent defaults with null', () => {
    const [event] = rightScriptDecider.decide(
      create({ inputs: [{ name: 'ZONE', type: 'TEXT' }, PORT, { name: 'DEBUG', type: 'BOOLEAN', default: null }] }),
      rightScriptDecider.initialState(),
    );
    expect(event).toMatchObject({
      data: {
        inputs: [
          { name: 'APP_PORT', type: 'NUMBER', default: '8080' },
          { name: 'DEBUG', type: 'BOOLEAN', default: null },
          { name: 'ZONE', type: 'TEXT', default: null },
        ],
      },
    });
  });
  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
    ['a 256-character name', 'x'.repeat(256)],
  ])('refuses %s', (_what, name) =>
    spec
      .given([])
      .when(create({ name }))
      .thenFails('BAD_USER_INPUT', /^name: expected 1 to 255 characters, got/),
  );
  it('refuses a description over 4096 characters', () =>
    spec
      .given([])
      .when(create({ description: 'd'.repeat(4097) }))
      .thenFails('BAD_USER_INPUT', /^description: expected at most 4096 characters, got 4097$/));
  it('accepts a source of exactly 256 KiB and refuses one byte more, counted in UTF-8', () => {
    expect(rightScriptDecider.decide(create({ source: 'a'.repeat(256 * 1024) }), rightScriptDecider.initialState())).toHaveLength(1);
    spec
      .given([])
      .when(create({ source: 'a'.repeat(256 * 1024 - 1) + 'é' }))
      .thenFails('BAD_USER_INPUT', /^source: expected at most 262144 bytes \(256 KiB\) in UTF-8, got 262145$/);
  });
  it('refuses to create over an existing script', () =>
    spec
      .given([created])
      .when(create())
      .thenFails('BAD_USER_INPUT', /already exists/));
});

describe('RightScript decider: inputs', () => {
  it.each([
    ['a lower-case name', 'app_port'],
    ['a name starting with a digit', '1PORT'],
    ['a name starting with _', '_PORT'],
    ['a name with a dash', 'APP-PORT'],
    ['an empty name', ''],
    ['a 65-character name', 'A'.repeat(65)],
  ])('refuses %s', (_what, name) =>
    spec
      .given([created])
      .when(inputsOf([{ name, type: 'TEXT' }]))
      .thenFails(
        'BAD_USER_INPUT',
        /^inputs\[0\]\.name: expected an environment variable name \(an upper-case letter, then up to 63 upper-case letters, digits or '_'\), got ".*"$/,
      ),
  );
  it('accepts a 64-character name', () => expect(checkInputs([{ name: `A${'_'.repeat(63)}`, type: 'TEXT' }])).toHaveLength(1));
  it('refuses the same name twice', () =>
    spec
      .given([created])
      .when(inputsOf([PORT, { name: 'HOST', type: 'TEXT' }, { name: 'APP_PORT', type: 'TEXT' }]))
      .thenFails('BAD_USER_INPUT', /^inputs\[2\]\.name: expected each input name once, got 'APP_PORT' again$/));
  it('refuses an unknown type', () =>
    spec
      .given([created])
      .when(inputsOf([{ name: 'X', type: 'FLOAT' }]))
      .thenFails('BAD_USER_INPUT', /^inputs\[0\]\.type: expected one of TEXT, NUMBER, BOOLEAN, LIST, got "FLOAT"$/));
  it('accepts 100 inputs and refuses 101', () => {
    const many = (count: number): RightScriptInputDraft[] =>
      Array.from({ length: count }, (_, i) => ({ name: `INPUT_${i}`, type: 'TEXT' }));
    expect(checkInputs(many(100))).toHaveLength(100);
    spec
      .given([created])
      .when(inputsOf(many(101)))
      .thenFails('BAD_USER_INPUT', /^inputs: expected at most 100 inputs, got 101$/);
  });
  it.each([
    ['NUMBER', '42'],
    ['NUMBER', '-1.5'],
    ['NUMBER', '2e3'],
    ['NUMBER', '0'],
    ['BOOLEAN', 'true'],
    ['BOOLEAN', 'false'],
    ['LIST', '[]'],
    ['LIST', '["a","b, with a comma"]'],
    ['TEXT', ''],
    ['TEXT', 'anything at all: [1, true]'],
  ])('accepts a %s default %j', (type, value) => expect(checkInputs([{ name: 'X', type, default: value }])[0]?.default).toBe(value));
  it.each([
    ['NUMBER', 'abc', /a NUMBER default: a finite decimal number such as 42, -1.5 or 2e3, got "abc"/],
    ['NUMBER', '', /a NUMBER default/],
    ['NUMBER', ' 1', /a NUMBER default/],
    ['NUMBER', '0x10', /a NUMBER default/],
    ['NUMBER', '1e999', /a NUMBER default/],
    ['NUMBER', 'Infinity', /a NUMBER default/],
    ['BOOLEAN', 'yes', /a BOOLEAN default: 'true' or 'false', got "yes"/],
    ['BOOLEAN', 'TRUE', /a BOOLEAN default/],
    ['LIST', 'a,b', /a LIST default: a JSON array of strings such as \["a","b"\], got "a,b"/],
    ['LIST', '[1,2]', /a LIST default/],
    ['LIST', '{"a":"b"}', /a LIST default/],
  ])('refuses a %s default %j', (type, value, message) =>
    spec
      .given([created])
      .when(inputsOf([{ name: 'X', type, default: value }]))
      .thenFails('BAD_USER_INPUT', new RegExp(`^inputs\\[0\\]\\.default: expected ${message.source}`)),
  );
  it('accepts a default of exactly 4 KiB and refuses one byte more, counted in UTF-8', () => {
    expect(checkInputs([{ name: 'X', type: 'TEXT', default: 'a'.repeat(4096) }])).toHaveLength(1);
    spec
      .given([created])
      .when(inputsOf([{ name: 'X', type: 'TEXT', default: 'a'.repeat(4095) + 'é' }]))
      .thenFails('BAD_USER_INPUT', /^inputs\[0\]\.default: expected at most 4096 bytes \(4 KiB\) in UTF-8, got 4097$/);
  });
  it('shows a long refused value cut short', () =>
    spec
      .given([created])
      .when(inputsOf([{ name: 'X', type: 'NUMBER', default: '9'.repeat(100) + 'x' }]))
      .thenFails('BAD_USER_INPUT', /got "9{80}…"$/));
});

describe('RightScript decider: update', () => {
  it('records only the fields that changed', () =>
    spec
      .given([created])
      .when(update({ name: 'App start v1', description: 'new', source: SOURCE }))
      .then([updated({ description: 'new' })]));
  it('changes the source alone', () =>
    spec
      .given([created])
      .when(update({ source: '#!/bin/sh\nexit 0\n' }))
      .then([updated({ source: '#!/bin/sh\nexit 0\n' })]));
  it('replaces the whole list of inputs', () =>
    spec
      .given([created])
      .when(update({ inputs: [{ name: 'HOST', type: 'TEXT', default: 'localhost' }] }))
      .then([updated({ inputs: [{ name: 'HOST', type: 'TEXT', default: 'localhost' }] })]));
  it('removes every input with an empty list', () =>
    spec
      .given([created])
      .when(update({ inputs: [] }))
      .then([updated({ inputs: [] })]));
  it('decides nothing when the same inputs come in another order or with defaults left out as null', () =>
    spec
      .given([created, updated({ inputs: [PORT, { name: 'ZONE', type: 'TEXT', default: null }] })])
      .when(update({ inputs: [{ name: 'ZONE', type: 'TEXT' }, PORT], name: null, source: null }))
      .then([]));
  it('refuses a source over 256 KiB', () =>
    spec
      .given([created])
      .when(update({ source: 'a'.repeat(256 * 1024 + 1) }))
      .thenFails('BAD_USER_INPUT', /^source: expected at most 262144 bytes/));
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, committed(1)])
      .when(update({ revision: 1, name: 'x' }))
      .thenFails('NOT_HEAD', /^only HEAD \(revision 0\) of 'rs-1' can change; revision 1 is committed and immutable/));
  it('accepts revision 0 as HEAD', () =>
    spec
      .given([created])
      .when(update({ revision: 0, name: 'x' }))
      .then([updated({ name: 'x' })]));
  it("refuses another account's script as NOT_FOUND, like a missing one", () => {
    spec
      .given([created])
      .when(update({ accountId: OTHER_ACCOUNT, name: 'x' }))
      .thenFails('NOT_FOUND', /^no such RightScript$/);
    spec
      .given([])
      .when(update({ name: 'x' }))
      .thenFails('NOT_FOUND', /^no such RightScript$/);
  });
  it('refuses a deleted script as NOT_FOUND', () =>
    spec
      .given([created, deleted])
      .when(update({ name: 'x' }))
      .thenFails('NOT_FOUND', /deleted/));
});

describe('RightScript decider: commit', () => {
  it('commits HEAD as revision 1', () =>
    spec
      .given([created])
      .when(commit())
      .then([
        {
          type: 'RevisionCommitted',
          data: { revision: 1, message: 'first', contentHash: 'abc', committedAt: '2024-01-02T00:00:00.000Z', committedBy: 'bob' },
        },
      ]));
  it('numbers revisions densely', () =>
    expect(
      rightScriptDecider.decide(
        commit(),
        fold(rightScriptDecider, [created, committed(1), updated({ source: 'x' }), committed(2), updated({ name: 'y' })]),
      ),
    ).toMatchObject([{ type: 'RevisionCommitted', data: { revision: 3 } }]));
  it('refuses to commit with no change since the last revision (NO_CHANGES)', () =>
    spec
      .given([created, committed(1)])
      .when(commit())
      .thenFails('NO_CHANGES', /^HEAD has not changed since revision 1: nothing to commit$/));
  it('refuses NO_CHANGES when the source went away and came back', () =>
    spec
      .given([created, committed(1), updated({ source: 'other' }), updated({ source: SOURCE })])
      .when(commit())
      .thenFails('NO_CHANGES'));
  it.each([
    ['an empty message', ''],
    ['a blank message', ' \n'],
    ['a message over 4096 characters', 'm'.repeat(4097)],
  ])('refuses %s', (_what, message) =>
    spec
      .given([created])
      .when(commit({ message }))
      .thenFails('BAD_USER_INPUT', /^commit message: expected/),
  );
  it('refuses a committed revision (NOT_HEAD)', () =>
    spec
      .given([created, updated({ name: 'x' })])
      .when(commit({ revision: 2 }))
      .thenFails('NOT_HEAD'));
  it("refuses another account's script as NOT_FOUND", () =>
    spec
      .given([created])
      .when(commit({ accountId: OTHER_ACCOUNT }))
      .thenFails('NOT_FOUND'));
  it('refuses a deleted script as NOT_FOUND', () => spec.given([created, deleted]).when(commit()).thenFails('NOT_FOUND'));
});

describe('RightScript decider: clone', () => {
  const content: RightScriptContent = { name: 'PHP FrontEnd v7', description: 'web', source: SOURCE, inputs: [PORT] };
  const source = { id: ID, accountId: ACCOUNT, revision: 2, content };
  it('starts the new stream with ComponentCloned: bumped name, copied content, new lineage, clonedFrom', () =>
    spec
      .given([])
      .when({ type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source } })
      .then([
        {
          type: 'ComponentCloned',
          data: {
            kind: 'RightScript',
            componentId: 'rs-2',
            accountId: ACCOUNT,
            lineage: 'rs-2',
            clonedFrom: { id: ID, revision: 2 },
            content: { ...content, name: 'PHP FrontEnd v8' },
          },
        },
      ]));
  it('keeps a name without a trailing version, and takes an explicit name', () => {
    const keep = rightScriptDecider.decide(
      {
        type: 'CloneRightScript',
        data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source: { ...source, content: { ...content, name: 'Deploy' } } },
      },
      rightScriptDecider.initialState(),
    );
    expect(keep).toMatchObject([{ data: { content: { name: 'Deploy' } } }]);
    const named = rightScriptDecider.decide(
      { type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source, name: 'Mine' } },
      rightScriptDecider.initialState(),
    );
    expect(named).toMatchObject([{ data: { content: { name: 'Mine' } } }]);
  });
  it('refuses a missing source, and another account’s, as NOT_FOUND', () => {
    spec
      .given([])
      .when({ type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source: undefined } })
      .thenFails('NOT_FOUND', /^no such RightScript to clone$/);
    spec
      .given([])
      .when({ type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: OTHER_ACCOUNT, source } })
      .thenFails('NOT_FOUND', /^no such RightScript to clone$/);
  });
  it('refuses a bad explicit name', () =>
    spec
      .given([])
      .when({ type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source, name: '' } })
      .thenFails('BAD_USER_INPUT', /^name: expected/));
  it('a clone has no revisions and can commit its first one', () => {
    const cloned = rightScriptDecider.decide(
      { type: 'CloneRightScript', data: { rightScriptId: 'rs-2', accountId: ACCOUNT, source } },
      rightScriptDecider.initialState(),
    );
    const state = fold(rightScriptDecider, cloned);
    expect(state).toMatchObject({
      status: 'active',
      id: 'rs-2',
      lineage: 'rs-2',
      clonedFrom: { id: ID, revision: 2 },
      latestRevision: 0,
      lastCommitted: null,
    });
    expect(rightScriptDecider.decide(commit(), state)).toMatchObject([{ data: { revision: 1 } }]);
  });
});

describe('RightScript decider: delete', () => {
  it('deletes HEAD', () =>
    spec
      .given([created])
      .when({ type: 'DeleteRightScript', data: { accountId: ACCOUNT } })
      .then([deleted]));
  it('keeps identity and latest revision in the deleted state', () =>
    expect(fold(rightScriptDecider, [created, committed(1), deleted])).toEqual({
      status: 'deleted',
      id: ID,
      accountId: ACCOUNT,
      lineage: ID,
      clonedFrom: null,
      origin: null,
      latestRevision: 1,
    }));
  it('refuses a committed revision, another account and a second delete', () => {
    spec
      .given([created, committed(1)])
      .when({ type: 'DeleteRightScript', data: { accountId: ACCOUNT, revision: 1 } })
      .thenFails('NOT_HEAD');
    spec
      .given([created])
      .when({ type: 'DeleteRightScript', data: { accountId: OTHER_ACCOUNT } })
      .thenFails('NOT_FOUND', /^no such RightScript$/);
    spec
      .given([created, deleted])
      .when({ type: 'DeleteRightScript', data: { accountId: ACCOUNT } })
      .thenFails('NOT_FOUND');
  });
});

describe('RightScript stateAtRevision', () => {
  const events = [created, committed(1), updated({ source: 'v2\n' }), committed(2), updated({ source: 'head\n' })];
  it('gives the content each revision froze, and HEAD for 0', () => {
    expect(stateAtRevision(events, 1)).toMatchObject({ status: 'active', latestRevision: 1, head: { source: SOURCE } });
    expect(stateAtRevision(events, 2)).toMatchObject({ latestRevision: 2, head: { source: 'v2\n' } });
    expect(stateAtRevision(events, 0)).toMatchObject({ latestRevision: 2, head: { source: 'head\n' } });
  });
  it('is undefined for a revision never committed', () => expect(stateAtRevision(events, 3)).toBeUndefined());
});
