import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadModelWriter, SqlValue } from '../../projections/projection';
import { RIGHT_SCRIPT_TABLES, rightScriptsProjection } from '../../projections/rightScripts';
import { contentHash } from '../../src/application/components';
import { loadRightScript } from '../../src/application/rightScripts';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import { ProjectionRunner } from '../../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../../src/readModels/readModelDatabase';
import type { SqliteDatabase } from '../../src/sqlite/database';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';

/*
 * RightScripts over real HTTP against a real SQLite file: the whole life of a script (create → edit
 * its source → commit → edit → commit → diff with line hunks → history → time travel → clone → delete),
 * every refusal with its code, its message and proof that nothing was written, batching of nested
 * reads, and a read model that replays to the same rows.
 */

const RS_FIELDS = `
  id name description revision lineage version readOnly behind
  clonedFrom { id revision }
  source inputs { name type default }
  revisions { revision message committedAt committedBy }`;

interface Rs {
  id: string;
  name: string;
  description: string;
  revision: number;
  lineage: string;
  version: number;
  readOnly: boolean;
  behind: boolean;
  clonedFrom: { id: string; revision: number } | null;
  source: string;
  inputs: Array<{ name: string; type: string; default: string | null }>;
  revisions: Array<{ revision: number; message: string; committedAt: string; committedBy: string }>;
}

const CREATE = `mutation($input: CreateRightScriptInput!) { createRightScript(input: $input) { ${RS_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateRightScriptInput!) { updateRightScript(input: $input) { ${RS_FIELDS} } }`;
const COMMIT = `mutation($id: ID!, $message: String!, $v: Int, $revision: Int) { commitRightScript(id: $id, message: $message, expectedVersion: $v, revision: $revision) { ${RS_FIELDS} } }`;
const CLONE = `mutation($id: ID!, $revision: Int, $name: String) { cloneRightScript(id: $id, revision: $revision, name: $name) { ${RS_FIELDS} } }`;
const DELETE = `mutation($id: ID!, $v: Int, $revision: Int) { deleteRightScript(id: $id, expectedVersion: $v, revision: $revision) }`;
const GET = `query($id: ID!, $revision: Int) { rightScript(id: $id, revision: $revision) { ${RS_FIELDS} } }`;
const LIST = `query($first: Int, $after: String, $filter: RightScriptFilter) { rightScripts(first: $first, after: $after, filter: $filter) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } nodes { id } } }`;
const DIFF = `query($from: RevisionRef!, $to: RevisionRef!) { diff(from: $from, to: $to) { changes { path kind before after hunks { fromLine fromCount toLine toCount lines } unified } } }`;
const HISTORY = `query($id: ID!, $first: Int, $after: String) { history(id: $id, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { type revision streamId componentId data hash prevHash actor { id } } } }`;
const AT = `query($id: ID!, $at: DateTime!) { componentAt(id: $id, at: $at) { id name revision version behind ... on RightScript { source inputs { name type default } revisions { revision } } } }`;

const steps = Array.from({ length: 9 }, (_, i) => `step ${i + 1}`);
const script = (setLine: string, execLine: string): string => ['#!/bin/sh', setLine, ...steps, execLine, ''].join('\n');
const SOURCE_0 = '#!/bin/sh\necho starting\n';
const SOURCE_1 = script('set -e', 'exec ./run --port "$APP_PORT"');
const SOURCE_2 = script('set -eu', 'exec ./run --port "$APP_PORT" --host "$HOST"');
const INPUTS_1 = [
  { name: 'DEBUG', type: 'BOOLEAN' },
  { name: 'APP_PORT', type: 'NUMBER', default: '8080' },
];

/** Resolves once the clock has moved past `instant`, so the next event's `occurredAt` is strictly later. */
async function afterInstant(instant: Date): Promise<void> {
  while (Date.now() <= instant.getTime()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('RightScript lifecycle over GraphQL', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('creates, edits the source, commits, diffs with hunks, shows history, travels in time, clones and deletes', async () => {
    const url = service.url;

    // Create: inputs come back by name, an absent default as null.
    const { createRightScript: created } = await ok<{ createRightScript: Rs }>(url, CREATE, {
      input: { name: 'App start v7', description: 'starts the app', source: SOURCE_0, inputs: INPUTS_1 },
    });
    expect(created).toMatchObject({
      name: 'App start v7',
      description: 'starts the app',
      revision: 0,
      lineage: created.id,
      version: 0,
      readOnly: false,
      behind: false,
      clonedFrom: null,
      source: SOURCE_0,
      inputs: [
        { name: 'APP_PORT', type: 'NUMBER', default: '8080' },
        { name: 'DEBUG', type: 'BOOLEAN', default: null },
      ],
      revisions: [],
    });
    const id = created.id;

    // Edit the source, passing the version last read, and commit it as revision 1.
    const { updateRightScript: edited } = await ok<{ updateRightScript: Rs }>(url, UPDATE, {
      input: { id, source: SOURCE_1, expectedVersion: 0 },
    });
    expect(edited).toMatchObject({ version: 1, source: SOURCE_1, inputs: created.inputs });
    const { commitRightScript: first } = await ok<{ commitRightScript: Rs }>(url, COMMIT, { id, message: 'fail fast', v: 1 });
    expect(first).toMatchObject({ id, revision: 1, version: 2, behind: false, source: SOURCE_1 });
    expect(first.revisions).toEqual([
      { revision: 1, message: 'fail fast', committedAt: expect.any(String), committedBy: expect.any(String) },
    ]);
    const firstCommitDone = new Date();
    await afterInstant(firstCommitDone);

    // Edit source and inputs together (inputs replace the whole list), commit as revision 2.
    const { updateRightScript: second } = await ok<{ updateRightScript: Rs }>(url, UPDATE, {
      input: {
        id,
        source: SOURCE_2,
        inputs: [
          { name: 'APP_PORT', type: 'TEXT', default: '8080' },
          { name: 'HOST', type: 'TEXT', default: 'localhost' },
        ],
      },
    });
    expect(second.inputs).toEqual([
      { name: 'APP_PORT', type: 'TEXT', default: '8080' },
      { name: 'HOST', type: 'TEXT', default: 'localhost' },
    ]);
    const { commitRightScript: committed } = await ok<{ commitRightScript: Rs }>(url, COMMIT, { id, message: 'bind a host' });
    expect(committed).toMatchObject({ revision: 2, version: 4 });
    expect(committed.revisions.map((r) => r.revision)).toEqual([1, 2]);

    // Revision 1 is still there, unchanged, and behind; HEAD is not.
    const { rightScript: atOne } = await ok<{ rightScript: Rs }>(url, GET, { id, revision: 1 });
    expect(atOne).toMatchObject({ revision: 1, behind: true, version: 4, source: SOURCE_1, inputs: created.inputs });
    const { rightScript: head } = await ok<{ rightScript: Rs }>(url, GET, { id });
    expect(head).toMatchObject({ revision: 0, behind: false, source: SOURCE_2 });

    // Diff: the source as two hunks (changes far apart) and unified text; inputs field by field.
    const { diff } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 1 }, to: { id, revision: 2 } });
    expect(diff.changes).toEqual([
      {
        path: 'source',
        kind: 'CHANGED',
        before: SOURCE_1,
        after: SOURCE_2,
        hunks: [
          {
            fromLine: 1,
            fromCount: 5,
            toLine: 1,
            toCount: 5,
            lines: [' #!/bin/sh', '-set -e', '+set -eu', ' step 1', ' step 2', ' step 3'],
          },
          {
            fromLine: 9,
            fromCount: 4,
            toLine: 9,
            toCount: 4,
            lines: [' step 7', ' step 8', ' step 9', '-exec ./run --port "$APP_PORT"', '+exec ./run --port "$APP_PORT" --host "$HOST"'],
          },
        ],
        unified: [
          '@@ -1,5 +1,5 @@',
          ' #!/bin/sh',
          '-set -e',
          '+set -eu',
          ' step 1',
          ' step 2',
          ' step 3',
          '@@ -9,4 +9,4 @@',
          ' step 7',
          ' step 8',
          ' step 9',
          '-exec ./run --port "$APP_PORT"',
          '+exec ./run --port "$APP_PORT" --host "$HOST"',
          '',
        ].join('\n'),
      },
      { path: 'inputs.APP_PORT.type', kind: 'CHANGED', before: 'NUMBER', after: 'TEXT', hunks: null, unified: null },
      {
        path: 'inputs.DEBUG',
        kind: 'REMOVED',
        before: { name: 'DEBUG', type: 'BOOLEAN', default: null },
        after: null,
        hunks: null,
        unified: null,
      },
      {
        path: 'inputs.HOST',
        kind: 'ADDED',
        before: null,
        after: { name: 'HOST', type: 'TEXT', default: 'localhost' },
        hunks: null,
        unified: null,
      },
    ]);
    const { diff: same } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 2 }, to: { id } });
    expect(same.changes).toEqual([]);

    // History: every event, oldest first, chained by hash; an update holds only what changed.
    const { history } = await ok<{
      history: {
        totalCount: number;
        nodes: Array<{
          type: string;
          revision: number;
          streamId: string;
          componentId: string;
          data: Record<string, unknown>;
          hash: string;
          prevHash: string | null;
        }>;
      };
    }>(url, HISTORY, { id });
    expect(history.totalCount).toBe(5);
    expect(history.nodes.map((e) => e.type)).toEqual([
      'RightScriptCreated',
      'RightScriptUpdated',
      'RevisionCommitted',
      'RightScriptUpdated',
      'RevisionCommitted',
    ]);
    expect(history.nodes.every((e) => e.streamId === `rightscript-${id}` && e.componentId === id)).toBe(true);
    expect(history.nodes[0]?.prevHash).toBeNull();
    for (let i = 1; i < history.nodes.length; i++) expect(history.nodes[i]?.prevHash).toBe(history.nodes[i - 1]?.hash);
    expect(history.nodes[0]?.data).toEqual({
      rightScriptId: id,
      accountId: expect.any(String),
      lineage: id,
      name: 'App start v7',
      description: 'starts the app',
      source: SOURCE_0,
      inputs: [
        { name: 'APP_PORT', type: 'NUMBER', default: '8080' },
        { name: 'DEBUG', type: 'BOOLEAN', default: null },
      ],
    });
    expect(history.nodes[1]?.data).toEqual({ source: SOURCE_1 });
    // The commit's content hash is the one the application computes from the frozen content.
    const { state } = await loadRightScript(service.services, id);
    expect(state.status === 'active' && state.head.source).toBe(SOURCE_2);
    expect(history.nodes[4]?.data).toMatchObject({
      revision: 2,
      message: 'bind a host',
      contentHash: state.status === 'active' ? contentHash(state.head) : 'unreachable',
    });

    // Time travel: right after the first commit.
    const { componentAt } = await ok<{ componentAt: Rs }>(url, AT, { id, at: firstCommitDone.toISOString() });
    expect(componentAt).toEqual({
      id,
      name: 'App start v7',
      revision: 0,
      version: 2,
      behind: false,
      source: SOURCE_1,
      inputs: created.inputs,
      revisions: [{ revision: 1 }],
    });

    // Clone revision 1: new lineage, the name's version bumped, revision 1's content, no revisions.
    const { cloneRightScript: clone } = await ok<{ cloneRightScript: Rs }>(url, CLONE, { id, revision: 1 });
    expect(clone).toMatchObject({
      name: 'App start v8',
      description: 'starts the app',
      revision: 0,
      version: 0,
      clonedFrom: { id, revision: 1 },
      source: SOURCE_1,
      inputs: created.inputs,
      revisions: [],
    });
    expect(clone.id).not.toBe(id);
    expect(clone.lineage).toBe(clone.id);
    const { diff: across } = await ok<{ diff: { changes: Array<{ path: string }> } }>(url, DIFF, {
      from: { id: clone.id },
      to: { id, revision: 2 },
    });
    expect(across.changes.map((c) => c.path)).toEqual(['name', 'source', 'inputs.APP_PORT.type', 'inputs.DEBUG', 'inputs.HOST']);

    // The list: creation order, name filter, pages.
    const page1 = await ok<{
      rightScripts: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: Array<{ id: string }> };
    }>(url, LIST, { first: 1 });
    expect(page1.rightScripts).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, nodes: [{ id }] });
    const page2 = await ok<{ rightScripts: { pageInfo: { hasNextPage: boolean }; nodes: Array<{ id: string }> } }>(url, LIST, {
      first: 1,
      after: page1.rightScripts.pageInfo.endCursor,
    });
    expect(page2.rightScripts).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: [{ id: clone.id }] });
    const filtered = await ok<{ rightScripts: { nodes: Array<{ id: string }> } }>(url, LIST, { filter: { nameContains: 'START V8' } });
    expect(filtered.rightScripts.nodes).toEqual([{ id: clone.id }]);

    // Delete: gone from reads, history kept.
    const { deleteRightScript } = await ok<{ deleteRightScript: string }>(url, DELETE, { id, v: 4 });
    expect(deleteRightScript).toBe(id);
    expect((await fails(url, GET, { id })).code).toBe('NOT_FOUND');
    expect((await fails(url, GET, { id, revision: 1 })).code).toBe('NOT_FOUND');
    expect((await fails(url, UPDATE, { input: { id, name: 'back' } })).message).toBe(`RightScript '${id}' was deleted`);
    const { rightScripts } = await ok<{ rightScripts: { nodes: Array<{ id: string }> } }>(url, LIST);
    expect(rightScripts.nodes).toEqual([{ id: clone.id }]);
    const { history: after } = await ok<{ history: { nodes: Array<{ type: string }> } }>(url, HISTORY, { id });
    expect(after.nodes.map((e) => e.type).slice(-1)).toEqual(['ComponentDeleted']);
  });

  it('loads a page of scripts with source, inputs and revisions in one batch per nested kind, whatever its size', async () => {
    const url = service.url;
    for (let i = 0; i < 6; i++) {
      const { createRightScript } = await ok<{ createRightScript: { id: string } }>(url, CREATE, {
        input: { name: `batch ${i}`, source: `echo ${i}\n`, inputs: [{ name: 'N', type: 'NUMBER', default: String(i) }] },
      });
      if (i % 2 === 0) await ok(url, COMMIT, { id: createRightScript.id, message: 'first' });
    }
    const DEEP = `query($first: Int) { rightScripts(first: $first, filter: { nameContains: "batch" }) { nodes { id source inputs { default } revisions { revision } } } }`;
    const { recorder } = service.services.queries;
    const cost = async (
      first: number,
    ): Promise<{ calls: string[]; nodes: Array<{ source: string; inputs: unknown[]; revisions: unknown[] }> }> => {
      recorder.start();
      try {
        const data = await ok<{ rightScripts: { nodes: Array<{ source: string; inputs: unknown[]; revisions: unknown[] }> } }>(url, DEEP, {
          first,
        });
        return { calls: recorder.stop(), nodes: data.rightScripts.nodes };
      } finally {
        recorder.stop();
      }
    };
    const three = await cost(3);
    const six = await cost(6);
    expect(six.nodes.map((n) => [n.source, n.inputs, n.revisions.length])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [`echo ${i}\n`, [{ default: String(i) }], i % 2 === 0 ? 1 : 0]),
    );
    expect([...six.calls].sort()).toEqual([...three.calls].sort());
    for (const call of [
      'rightScripts.page',
      'rightScripts.sourcesByRightScriptIds',
      'rightScripts.inputsByRightScriptIds',
      'rightScripts.revisionsByRightScriptIds',
    ]) {
      expect(six.calls.filter((c) => c === call)).toEqual([call]);
    }
  });

  it('keeps the folded state on the head row, and replays the log to the same rows, twice over', async () => {
    const db = service.services.readModels;
    const [row] = db.prepare('SELECT id, state FROM rm_right_scripts WHERE deleted = 0 ORDER BY sort_key LIMIT 1').all() as Array<{
      id: string;
      state: string;
    }>;
    expect(JSON.parse(row?.state ?? 'null')).toEqual((await loadRightScript(service.services, row?.id ?? '')).state);

    const dump = (from: SqliteDatabase): Record<string, unknown[]> =>
      Object.fromEntries(RIGHT_SCRIPT_TABLES.map((table) => [table, from.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()]));
    const live = dump(db);
    const dir = mkdtempSync(join(tmpdir(), 'rightscript-projection-'));
    const replayed = openReadModelDatabase(join(dir, 'replayed.sqlite'));
    try {
      const runner = new ProjectionRunner({
        store: service.services.store,
        db: replayed,
        projections: [rightScriptsProjection],
        batchSize: 4,
      });
      await runner.start();
      await runner.waitForPosition(await service.services.store.headPosition());
      await runner.stop();
      expect(dump(replayed)).toEqual(live);

      const writer: ReadModelWriter = {
        run: (sql: string, ...params: SqlValue[]) => {
          replayed.prepare(sql).run(...params);
        },
        get: <Row>(sql: string, ...params: SqlValue[]) => replayed.prepare(sql).get(...params) as Row | undefined,
        all: <Row>(sql: string, ...params: SqlValue[]) => replayed.prepare(sql).all(...params) as Row[],
      };
      const { events } = await service.services.store.readAll({ filter: { streamPrefixes: ['rightscript-'] } });
      expect(events.length).toBeGreaterThan(10);
      replayed.transaction(() => {
        for (const event of events) rightScriptsProjection.apply(event, writer);
      })();
      expect(dump(replayed)).toEqual(live);
    } finally {
      replayed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** What each code's message says: what was expected, and what arrived. */
const MESSAGES = {
  BAD_USER_INPUT:
    /^(name|description|source|inputs(\[\d+\]\.(name|type|default))?|commit message|revision|first|after|filter\.nameContains): expected .+, got .+/,
  NOT_HEAD: /^only HEAD \(revision 0\) of '.+' can change; revision 1 is committed and immutable: edit HEAD, or clone revision 1/,
  NO_CHANGES: /^HEAD has not changed since revision 1: nothing to commit$/,
  VERSION_CONFLICT: /^expectedVersion \d+ is out of date: it is at version \d+ now; read it again and retry$/,
  NOT_FOUND: /^(no such (RightScript( to clone)?|component)|RightScript '.+' has no revision 9: its revisions are 1 to 1 \(0 is HEAD\))$/,
  FORBIDDEN: /^Mutation\.\w+ needs the 'designer' right; this token has 'observer'$/,
} as const;

describe('RightScript API refusals', () => {
  let service: TestService;
  let id: string;
  /** The script's version once set up: created and committed as revision 1. */
  let version: number;
  let observer: Headers;
  let intruder: Headers;
  const unknown = '00000000-0000-4000-8000-000000000000';

  async function written(): Promise<{ head: unknown; stream: string[] }> {
    let stream: string[] = [];
    try {
      stream = (await service.services.store.readStream(`rightscript-${id}`)).map((event) => `${event.revision}:${event.type}`);
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
    const { createRightScript } = await ok<{ createRightScript: { id: string } }>(url, CREATE, {
      input: { name: 'Deploy v1', source: 'echo deploy\n', inputs: INPUTS_1 },
    });
    id = createRightScript.id;
    const { commitRightScript } = await ok<{ commitRightScript: { version: number } }>(url, COMMIT, { id, message: 'first' });
    version = commitRightScript.version;
    observer = await tokenWithRoles(url, ['OBSERVER']);
    intruder = (await secondAccount(url, 'Intruder Inc')).admin;
  });
  afterAll(() => service.stop());

  describe('BAD_USER_INPUT', () => {
    it.each([
      ['an empty name', { name: '' }, /^name: expected 1 to 255 characters, got a blank name$/],
      ['a 256-character name', { name: 'n'.repeat(256) }, /^name: expected 1 to 255 characters, got 256$/],
      [
        'a description over 4096 characters',
        { name: 'n', description: 'd'.repeat(4097) },
        /^description: expected at most 4096 characters, got 4097$/,
      ],
      [
        'a source over 256 KiB (UTF-8 bytes)',
        { name: 'n', source: 'é'.repeat(128 * 1024) + 'x' },
        /^source: expected at most 262144 bytes \(256 KiB\) in UTF-8, got 262145$/,
      ],
      [
        'a lower-case input name',
        { name: 'n', inputs: [{ name: 'port', type: 'NUMBER' }] },
        /^inputs\[0\]\.name: expected an environment variable name .*, got "port"$/,
      ],
      [
        'an input named twice',
        {
          name: 'n',
          inputs: [
            { name: 'PORT', type: 'NUMBER' },
            { name: 'PORT', type: 'TEXT' },
          ],
        },
        /^inputs\[1\]\.name: expected each input name once, got 'PORT' again$/,
      ],
      [
        'a NUMBER default that is not a number',
        { name: 'n', inputs: [{ name: 'PORT', type: 'NUMBER', default: 'eighty' }] },
        /^inputs\[0\]\.default: expected a NUMBER default: a finite decimal number such as 42, -1.5 or 2e3, got "eighty"$/,
      ],
      [
        'a LIST default that is not a JSON array of strings',
        { name: 'n', inputs: [{ name: 'ZONES', type: 'LIST', default: 'a,b' }] },
        /^inputs\[0\]\.default: expected a LIST default: a JSON array of strings such as \["a","b"\], got "a,b"$/,
      ],
      [
        'a default over 4 KiB',
        { name: 'n', inputs: [{ name: 'MOTD', type: 'TEXT', default: 'm'.repeat(4097) }] },
        /^inputs\[0\]\.default: expected at most 4096 bytes \(4 KiB\) in UTF-8, got 4097$/,
      ],
      [
        '101 inputs',
        { name: 'n', inputs: Array.from({ length: 101 }, (_, i) => ({ name: `IN_${i}`, type: 'TEXT' })) },
        /^inputs: expected at most 100 inputs, got 101$/,
      ],
    ])('create refuses %s', async (_what, input, message) => {
      expect(await refused('BAD_USER_INPUT', CREATE, { input })).toMatch(message);
    });

    it('update refuses a source over 256 KiB and bad inputs', async () => {
      await refused('BAD_USER_INPUT', UPDATE, { input: { id, source: 's'.repeat(256 * 1024 + 1) } });
      await refused('BAD_USER_INPUT', UPDATE, { input: { id, inputs: [{ name: 'DEBUG', type: 'BOOLEAN', default: 'yes' }] } });
      await refused('BAD_USER_INPUT', UPDATE, { input: { id, name: ' ' } });
    });

    it('an input type outside the enum is refused by the schema itself', async () => {
      const before = await written();
      const error = await fails(service.url, UPDATE, { input: { id, inputs: [{ name: 'X', type: 'FLOAT' }] } });
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/FLOAT/);
      expect(await written()).toEqual(before);
    });

    it('commit refuses a blank message; clone a negative revision and a blank name', async () => {
      expect(await refused('BAD_USER_INPUT', COMMIT, { id, message: ' ' })).toMatch(/^commit message: expected 1 to 4096 characters/);
      expect(await refused('BAD_USER_INPUT', CLONE, { id, revision: -1 })).toMatch(
        /^revision: expected 0 \(HEAD\) or a committed revision number/,
      );
      await refused('BAD_USER_INPUT', CLONE, { id, name: '' });
    });

    it('diff refuses a RightScript against an MCI', async () => {
      const { createMultiCloudImage: mci } = await ok<{ createMultiCloudImage: { id: string } }>(
        service.url,
        `mutation { createMultiCloudImage(input: { name: "an MCI" }) { id } }`,
      );
      const before = await written();
      const error = await fails(service.url, DIFF, { from: { id }, to: { id: mci.id } });
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'BAD_USER_INPUT',
        message: `diff compares components of one kind: '${id}' is a RightScript, '${mci.id}' is a MultiCloudImage`,
      });
      expect(await written()).toEqual(before);
    });

    it('the list refuses first above 500, a cursor of another list and an overlong filter', async () => {
      expect(await refused('BAD_USER_INPUT', LIST, { first: 501 })).toBe('first: expected 0 to 500, got 501');
      await ok(service.url, `mutation { createMultiCloudImage(input: { name: "m" }) { id } }`);
      const { multiCloudImages } = await ok<{ multiCloudImages: { pageInfo: { endCursor: string } } }>(
        service.url,
        `{ multiCloudImages { pageInfo { endCursor } } }`,
      );
      await refused('BAD_USER_INPUT', LIST, { after: multiCloudImages.pageInfo.endCursor });
      expect(await refused('BAD_USER_INPUT', LIST, { filter: { nameContains: 'x'.repeat(256) } })).toBe(
        'filter.nameContains: expected at most 255 characters, got 256',
      );
    });
  });

  it('NOT_HEAD: every edit aimed at a committed revision', async () => {
    await refused('NOT_HEAD', UPDATE, { input: { id, source: 'x', revision: 1 } });
    await refused('NOT_HEAD', COMMIT, { id, message: 'm', revision: 1 });
    await refused('NOT_HEAD', DELETE, { id, revision: 1 });
  });

  it('NO_CHANGES: committing HEAD that equals the latest revision', () => refused('NO_CHANGES', COMMIT, { id, message: 'again' }));

  it('VERSION_CONFLICT: every edit with a stale expectedVersion', async () => {
    const stale = version - 1;
    const error = await fails(service.url, UPDATE, { input: { id, name: 'x', expectedVersion: stale } });
    expect(error.extensions).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: stale, actualVersion: version });
    await refused('VERSION_CONFLICT', UPDATE, { input: { id, source: 'x', expectedVersion: stale } });
    await refused('VERSION_CONFLICT', COMMIT, { id, message: 'm', v: stale });
    await refused('VERSION_CONFLICT', DELETE, { id, v: stale });
  });

  it('NOT_FOUND: unknown ids and revisions, in mutations and queries', async () => {
    await refused('NOT_FOUND', UPDATE, { input: { id: unknown, name: 'x' } });
    await refused('NOT_FOUND', COMMIT, { id: unknown, message: 'm' });
    expect(await refused('NOT_FOUND', CLONE, { id: unknown })).toBe('no such RightScript to clone');
    await refused('NOT_FOUND', DELETE, { id: unknown });
    expect(await refused('NOT_FOUND', GET, { id: unknown })).toBe('no such RightScript');
    await refused('NOT_FOUND', GET, { id: 'not even an id / ..' });
    await refused('NOT_FOUND', UPDATE, { input: { id: 'not even an id / ..', name: 'x' } });
    await refused('NOT_FOUND', HISTORY, { id: unknown });
    expect(await refused('NOT_FOUND', GET, { id, revision: 9 })).toBe(
      `RightScript '${id}' has no revision 9: its revisions are 1 to 1 (0 is HEAD)`,
    );
    await refused('NOT_FOUND', CLONE, { id, revision: 9 });
    await refused('NOT_FOUND', DIFF, { from: { id, revision: 9 }, to: { id } });
    await refused('NOT_FOUND', DIFF, { from: { id }, to: { id: unknown } });
  });

  it("NOT_FOUND: another account's script, with the message of one that never existed", async () => {
    const same = async (query: string, theirs: Record<string, unknown>, nobodys: Record<string, unknown>): Promise<void> => {
      const foreign = await refused('NOT_FOUND', query, theirs, intruder);
      const missing = await refused('NOT_FOUND', query, nobodys, intruder);
      expect(foreign.replaceAll(id, '<id>')).toBe(missing.replaceAll(unknown, '<id>'));
    };
    await same(GET, { id }, { id: unknown });
    await same(GET, { id, revision: 1 }, { id: unknown, revision: 1 });
    await same(UPDATE, { input: { id, source: 'mine' } }, { input: { id: unknown, source: 'mine' } });
    await same(COMMIT, { id, message: 'm' }, { id: unknown, message: 'm' });
    await same(CLONE, { id, revision: 1 }, { id: unknown, revision: 1 });
    await same(DELETE, { id }, { id: unknown });
    await same(HISTORY, { id }, { id: unknown });
    await same(DIFF, { from: { id, revision: 1 }, to: { id } }, { from: { id: unknown, revision: 1 }, to: { id: unknown } });
    await same(AT, { id, at: new Date().toISOString() }, { id: unknown, at: new Date().toISOString() });
    // A stale expectedVersion doesn't turn it into VERSION_CONFLICT, which would reveal that it exists.
    const stale = version - 1;
    await same(UPDATE, { input: { id, name: 'x', expectedVersion: stale } }, { input: { id: unknown, name: 'x', expectedVersion: stale } });
    await same(COMMIT, { id, message: 'm', v: stale }, { id: unknown, message: 'm', v: stale });
    await same(DELETE, { id, v: stale }, { id: unknown, v: stale });
    const { rightScripts } = await ok<{ rightScripts: { totalCount: number } }>(service.url, LIST, {}, intruder);
    expect(rightScripts.totalCount).toBe(0);
  });

  it('FORBIDDEN: an observer reads but cannot create, edit, commit, clone or delete', async () => {
    await ok(service.url, GET, { id }, observer);
    await refused('FORBIDDEN', CREATE, { input: { name: 'mine' } }, observer);
    await refused('FORBIDDEN', UPDATE, { input: { id, source: 'x' } }, observer);
    await refused('FORBIDDEN', COMMIT, { id, message: 'm' }, observer);
    await refused('FORBIDDEN', CLONE, { id }, observer);
    await refused('FORBIDDEN', DELETE, { id }, observer);
  });

  it('writes nothing for an edit that changes nothing (same inputs in another order included)', async () => {
    const before = await written();
    const { updateRightScript } = await ok<{ updateRightScript: { version: number } }>(service.url, UPDATE, {
      input: { id, name: 'Deploy v1', source: 'echo deploy\n', inputs: [...INPUTS_1].reverse() },
    });
    expect(updateRightScript.version).toBe(version);
    expect(await written()).toEqual(before);
  });
});
