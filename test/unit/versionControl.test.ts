import { fieldChanges, jsonEqual, keyedChanges } from '../../src/domain/versionControl/change';
import { bumpTrailingVersion } from '../../src/domain/versionControl/cloneName';
import { assertHead, assertRevisionNumber, isHead, nextRevision } from '../../src/domain/versionControl/revisions';
import { checkCommitMessage, checkName, utf8ByteLength } from '../../src/domain/versionControl/text';
import { DomainError } from '../../src/domain/errors';

function codeOf(run: () => void): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
}

describe('clone name bump', () => {
  it.each([
    ['PHP FrontEnd v7', 'PHP FrontEnd v8'],
    ['PHP FrontEnd v9', 'PHP FrontEnd v10'],
    ['PHP FrontEnd V1', 'PHP FrontEnd V2'],
    ['Base v09', 'Base v10'],
    ['Base v007', 'Base v008'],
    ['RightImage_CentOS_5.6_x64_v5.7', 'RightImage_CentOS_5.6_x64_v5.8'],
    ['tool-v2.0.9', 'tool-v2.0.10'],
    ['v3', 'v4'],
  ])('bumps %s to %s', (name, bumped) => expect(bumpTrailingVersion(name)).toBe(bumped));

  it.each(['PHP FrontEnd', 'Server 2', 'dev7', 'PHP FrontEnd v7 (copy)', 'Revolver', ''])('keeps %j: no trailing version', (name) =>
    expect(bumpTrailingVersion(name)).toBe(name),
  );
});

describe('revision numbering', () => {
  it('numbers commits densely from 1', () => {
    expect(nextRevision(0)).toBe(1);
    expect(nextRevision(41)).toBe(42);
  });
  it('treats omitted and 0 as HEAD', () => {
    expect([isHead(undefined), isHead(null), isHead(0), isHead(1)]).toEqual([true, true, true, false]);
  });
  it('refuses edits of a committed revision with NOT_HEAD', () => {
    expect(codeOf(() => assertHead(0, 'x'))).toBeUndefined();
    expect(codeOf(() => assertHead(3, 'x'))).toBe('NOT_HEAD');
  });
  it('refuses revision numbers that cannot exist', () => {
    expect(codeOf(() => assertRevisionNumber(-1))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => assertRevisionNumber(1.5))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => assertRevisionNumber(0))).toBeUndefined();
  });
});

describe('text bounds', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8ByteLength('abc')).toBe(3);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('€')).toBe(3);
    expect(utf8ByteLength('😀')).toBe(4);
    expect(utf8ByteLength('a€😀é')).toBe(Buffer.byteLength('a€😀é', 'utf8'));
  });
  it('bounds names and commit messages', () => {
    expect(codeOf(() => checkName('x'.repeat(255)))).toBeUndefined();
    expect(codeOf(() => checkName('x'.repeat(256)))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => checkName('\t'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => checkCommitMessage('fix'))).toBeUndefined();
    expect(codeOf(() => checkCommitMessage(''))).toBe('BAD_USER_INPUT');
  });
});

describe('change helpers', () => {
  it('compares JSON values structurally, ignoring key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, { a: 0 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });
  it('reports a field only when it changed', () => {
    expect(fieldChanges('name', 'a', 'a')).toEqual([]);
    expect(fieldChanges('name', 'a', 'b')).toEqual([{ path: 'name', kind: 'CHANGED', before: 'a', after: 'b' }]);
    expect(fieldChanges('x', undefined, 'b')).toEqual([{ path: 'x', kind: 'CHANGED', before: null, after: 'b' }]);
  });
  it('reports keyed entries added, removed and changed, in key order', () => {
    const changes = keyedChanges('settings', { b: 1, c: 3, a: 0 }, { c: 4, d: 5, a: 0 }, (path, before, after) =>
      fieldChanges(path, before, after),
    );
    expect(changes).toEqual([
      { path: 'settings.b', kind: 'REMOVED', before: 1, after: null },
      { path: 'settings.c', kind: 'CHANGED', before: 3, after: 4 },
      { path: 'settings.d', kind: 'ADDED', before: null, after: 5 },
    ]);
  });
});
