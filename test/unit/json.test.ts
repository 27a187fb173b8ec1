import { assertJson, canonicalJson, MAX_JSON_DEPTH, NotJsonError } from '../../src/eventStore/json';
import { comparePositions, decodeCursor, encodeCursor } from '../../src/eventStore/cursor';
import { InvalidCursorError, InvalidRequestError } from '../../src/eventStore/errors';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('is the same text whatever order keys were written in', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
  });

  it('writes numbers and strings as ECMAScript does (RFC 8785)', () => {
    expect(canonicalJson([1e21, 0.1, -0, 5e-7, 'é\u2028"\\', '\ud800'])).toBe('[1e+21,0.1,0,5e-7,"é\u2028\\"\\\\","\\ud800"]');
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2, a: 3 })).toBe('{"a":3,"\u{1F600}":1,"\uFFFF":2}');
  });
});

describe('assertJson', () => {
  it('accepts plain JSON, including null-prototype objects', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(assertJson({ a: [null, true, 1.5, 's', bare] })).toBeTruthy();
  });

  it.each([
    [{ a: undefined }, '$.a: expected a JSON value (null, boolean, finite number, string, array or plain object), got undefined'],
    [[1, Infinity], '$[1]: expected a JSON value (null, boolean, finite number, string, array or plain object), got Infinity'],
    [{ m: new Map() }, '$.m: expected a JSON value (null, boolean, finite number, string, array or plain object), got an instance of Map'],
    [{ s: Symbol('x') }, '$.s: expected a JSON value (null, boolean, finite number, string, array or plain object), got a symbol'],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    [[, 1], '$[0]: expected a JSON value (null, boolean, finite number, string, array or plain object), got an array hole'],
  ])('refuses %p', (value, message) => {
    expect(() => assertJson(value)).toThrow(new NotJsonError(message.split(':')[0] as string, message.split('got ')[1] as string));
  });

  it('refuses documents nested deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];
    expect(() => assertJson(deep)).toThrow(/nesting deeper than 64 levels/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(() => assertJson({ x: shared, y: shared })).not.toThrow();
  });
});

describe('cursors', () => {
  it('round-trip a position and stay opaque', () => {
    const cursor = encodeCursor('eventstoredb', { commit: 123456789012n, prepare: 123456789099n });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('eventstoredb', cursor)).toEqual({ commit: 123456789012n, prepare: 123456789099n });
  });

  it.each(['', '%%%', 'x'.repeat(200), Buffer.from('sqlite:1').toString('base64url'), Buffer.from('sqlite:-1:2').toString('base64url')])(
    'refuses %p',
    (cursor) => {
      expect(() => decodeCursor('sqlite', cursor)).toThrow(cursor === '' ? InvalidRequestError : InvalidCursorError);
    },
  );

  it('orders by commit, then prepare', () => {
    expect(comparePositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 0n })).toBe(-1);
    expect(comparePositions({ commit: 2n, prepare: 3n }, { commit: 2n, prepare: 1n })).toBe(1);
    expect(comparePositions({ commit: 2n, prepare: 3n }, { commit: 2n, prepare: 3n })).toBe(0);
  });
});
