import type { TextHunk } from './textDiff';

/*
 * Field-level changes between two states of a component, the vocabulary of diff (and later merge):
 * every component kind lists its differences as paths like `name` or `settings.aws-us-east-1.image`.
 */

export const CHANGE_KINDS = ['ADDED', 'REMOVED', 'CHANGED'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One difference. `before` is null for ADDED, `after` is null for REMOVED; both are JSON values. */
export interface Change {
  readonly path: string;
  readonly kind: ChangeKind;
  readonly before: unknown;
  readonly after: unknown;
  /** For a changed multi-line text field (e.g. a RightScript's source): its line diff. */
  readonly hunks?: readonly TextHunk[];
}

/** Structural equality of JSON-like values (key order doesn't matter; `undefined` and a missing key are equal). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!jsonEqual(left[key], right[key])) return false;
  return true;
}

/** A CHANGED entry when the value at `path` differs, nothing when it is equal. */
export function fieldChanges(path: string, before: unknown, after: unknown): Change[] {
  return jsonEqual(before, after) ? [] : [{ path, kind: 'CHANGED', before: before ?? null, after: after ?? null }];
}

/**
 * Changes between two keyed collections (e.g. settings per cloud): an entry only on the right is
 * ADDED whole, only on the left REMOVED whole, on both sides compared by `compareEntry` (which gets the
 * entry's path, `<prefix>.<key>`). Keys are visited in sorted order so a diff reads the same every time.
 */
export function keyedChanges<Entry>(
  prefix: string,
  before: Readonly<Record<string, Entry>>,
  after: Readonly<Record<string, Entry>>,
  compareEntry: (path: string, before: Entry, after: Entry) => Change[],
): Change[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: Change[] = [];
  for (const key of keys) {
    const path = `${prefix}.${key}`;
    const left = before[key];
    const right = after[key];
    if (left === undefined && right !== undefined) changes.push({ path, kind: 'ADDED', before: null, after: right });
    else if (left !== undefined && right === undefined) changes.push({ path, kind: 'REMOVED', before: left, after: null });
    else if (left !== undefined && right !== undefined) changes.push(...compareEntry(path, left, right));
  }
  return changes;
}
