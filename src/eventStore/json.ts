/**
 * JSON values as the event store accepts them, and the canonical form the hash chain is computed over.
 *
 * Event data and metadata are checked here at the boundary so a value that `JSON.stringify` would
 * silently change (undefined, NaN, a Date, a Map, a cycle) is refused with the path that holds it,
 * instead of being stored as something other than what the caller wrote.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Deep enough for any sane document, shallow enough that a hostile one can't blow the stack. */
export const MAX_JSON_DEPTH = 64;

export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly received: string,
  ) {
    super(`${path}: expected a JSON value (null, boolean, finite number, string, array or plain object), got ${received}`);
    this.name = 'NotJsonError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'object' && value !== null) {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : 'an object with an exotic prototype';
  }
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Returns `value` typed as JSON when it is exactly representable as JSON, throws `NotJsonError`
 * naming the first offending path otherwise.
 */
export function assertJson(value: unknown, path = '$'): JsonValue {
  check(value, path, 0, new Set());
  return value as JsonValue;
}

function check(value: unknown, path: string, depth: number, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(path, describe(value));
      return;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_JSON_DEPTH) throw new NotJsonError(path, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
      if (ancestors.has(value)) throw new NotJsonError(path, 'a circular reference');
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          // Holes in sparse arrays read as undefined, which JSON would turn into null.
          if (!(i in value)) throw new NotJsonError(`${path}[${i}]`, 'an array hole');
          check(value[i], `${path}[${i}]`, depth + 1, ancestors);
        }
      } else {
        if (!isPlainObject(value)) throw new NotJsonError(path, describe(value));
        if (Object.getOwnPropertySymbols(value).length > 0) throw new NotJsonError(path, 'an object with symbol keys');
        for (const [key, child] of Object.entries(value)) check(child, `${path}.${key}`, depth + 1, ancestors);
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new NotJsonError(path, describe(value));
  }
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant white space, numbers and
 * strings as `JSON.stringify` writes them (the ECMAScript forms RFC 8785 also uses). Equal values give
 * equal text, whatever order their keys were written in. Expects a value that passed `assertJson`.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: JsonValue) => canonicalJson(item)).join(',')}]`;
  const object = value as JsonObject;
  const keys = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(object[key] as JsonValue)}`;
  }
  return `${out}}`;
}
