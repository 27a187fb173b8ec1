import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from './change';

/*
 * The vocabulary of a three-way merge (domain.md, "Merge"): the changes of a source revision brought
 * into the target's HEAD against their common ancestor, field by field. Each component kind has its
 * own pure `merge<Kind>(base, ours, theirs, resolutions)` over its content; they all speak these types.
 */

export const MERGE_CHOICES = ['OURS', 'THEIRS'] as const;
export type MergeChoice = (typeof MERGE_CHOICES)[number];

/** How the caller settles one conflict: keep the target's value (OURS) or take the source's (THEIRS). */
export interface MergeResolution {
  readonly path: string;
  readonly choice: MergeChoice;
}

/**
 * A field both sides changed, differently. Paths are the diff's paths (`name`, `settings.<cloudId>`,
 * `source`, `multiCloudImages.<id>`, `rightScripts.<SEQUENCE>` …); values are JSON (null: absent).
 */
export interface MergeConflict {
  readonly path: string;
  readonly base: unknown;
  readonly ours: unknown;
  readonly theirs: unknown;
}

/** A conflict a resolution settled: its three values and the side chosen. */
export interface ResolvedConflict extends MergeConflict {
  readonly choice: MergeChoice;
}

/**
 * What merging gives: the content the target's HEAD would become (unresolved conflicts keep OURS in
 * it, but a merge with any of them is refused), the conflicts no resolution settled, and the ones
 * that were settled (with their values, so a report of the merge needn't merge again without them).
 */
export interface MergeOutcome<Content> {
  readonly merged: Content;
  readonly conflicts: readonly MergeConflict[];
  readonly resolved: readonly ResolvedConflict[];
}

/** A kind's three-way merge. A resolution naming no conflict is BAD_USER_INPUT (it would silently do nothing). */
export type MergeContents<Content> = (
  base: Content,
  ours: Content,
  theirs: Content,
  resolutions: readonly MergeResolution[],
) => MergeOutcome<Content>;

/** A revision of a component, as merge names its source and its base (0: HEAD). */
export interface RevisionRef {
  readonly id: string;
  readonly revision: number;
}

/** A three-way merge of one value taken whole: the value both sides agree on, or a conflict. */
export type ThreeWay<Value> = { readonly status: 'clean'; readonly value: Value } | { readonly status: 'conflict' };

/**
 * The rule every field follows: equal sides agree; a side equal to the base didn't change, so the
 * other side's value wins (its change, or the base again); both changed differently is a conflict.
 * `undefined` is an absent value (an entry of a keyed collection one side removed or added).
 */
export function threeWay<Value>(base: Value, ours: Value, theirs: Value): ThreeWay<Value> {
  if (jsonEqual(ours, theirs)) return { status: 'clean', value: ours };
  if (jsonEqual(base, ours)) return { status: 'clean', value: theirs };
  if (jsonEqual(base, theirs)) return { status: 'clean', value: ours };
  return { status: 'conflict' };
}

/**
 * The bookkeeping of one merge: the conflicts it met, which of them the caller's resolutions settled,
 * and that every resolution named one of them. Build one per merge, merge every unit through it, and
 * finish with `outcome`.
 */
export interface MergeLedger {
  /** Three-way merge of the value at `path` taken whole; a conflict is recorded and settled by its resolution (OURS when none). */
  value<Value>(path: string, base: Value, ours: Value, theirs: Value): Value;
  /** Records a conflict at `path` (values as JSON; undefined shows as null) and says which side it takes: its resolution, else OURS. */
  conflict(path: string, base: unknown, ours: unknown, theirs: unknown): MergeChoice;
  /** The caller's choice for `path`, whether or not it is (yet) a conflict. */
  resolutionAt(path: string): MergeChoice | undefined;
  /**
   * The outcome with `merged`; BAD_USER_INPUT when a resolution names a path that is not a conflict
   * (it would silently do nothing), naming it and listing the conflicts' paths.
   */
  outcome<Content>(merged: Content): MergeOutcome<Content>;
}

const asJson = (value: unknown): unknown => (value === undefined ? null : value);

/** A resolutions list longer than this, or a path longer than this, is refused (the application does so before reading anything). */
export const MAX_RESOLUTIONS = 1000;
export const MAX_RESOLUTION_PATH_LENGTH = 1024;

/**
 * The caller's resolutions, checked: at most MAX_RESOLUTIONS, each path 1 to MAX_RESOLUTION_PATH_LENGTH
 * characters and given once, each choice OURS or THEIRS (BAD_USER_INPUT naming the first offender).
 * Returns the choice per path.
 */
export function checkResolutions(resolutions: readonly MergeResolution[]): Map<string, MergeChoice> {
  if (resolutions.length > MAX_RESOLUTIONS) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `resolutions: expected at most ${MAX_RESOLUTIONS}, got ${resolutions.length}`);
  }
  const choices = new Map<string, MergeChoice>();
  resolutions.forEach(({ path, choice }, i) => {
    if (path.length === 0 || path.length > MAX_RESOLUTION_PATH_LENGTH) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `resolutions[${i}].path: expected 1 to ${MAX_RESOLUTION_PATH_LENGTH} characters, got ${path.length}`,
      );
    }
    if (!MERGE_CHOICES.includes(choice)) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `resolutions[${i}].choice: expected one of ${MERGE_CHOICES.join(', ')}, got '${String(choice)}'`,
      );
    }
    if (choices.has(path))
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `resolutions[${i}].path: expected each path once, got '${path}' again`);
    choices.set(path, choice);
  });
  return choices;
}

export function mergeLedger(resolutions: readonly MergeResolution[]): MergeLedger {
  const choices = checkResolutions(resolutions);
  const conflictPaths = new Set<string>();
  const conflicts: MergeConflict[] = [];
  const resolved: ResolvedConflict[] = [];

  const ledger: MergeLedger = {
    value(path, base, ours, theirs) {
      const merged = threeWay(base, ours, theirs);
      if (merged.status === 'clean') return merged.value;
      return ledger.conflict(path, base, ours, theirs) === 'OURS' ? ours : theirs;
    },
    conflict(path, base, ours, theirs) {
      // A path is one unit: meeting it twice (e.g. a template's default, first as a field, then for validity) is one conflict.
      const choice = choices.get(path);
      if (!conflictPaths.has(path)) {
        conflictPaths.add(path);
        const conflict = { path, base: asJson(base), ours: asJson(ours), theirs: asJson(theirs) };
        if (choice) resolved.push({ ...conflict, choice });
        else conflicts.push(conflict);
      }
      return choice ?? 'OURS';
    },
    resolutionAt: (path) => choices.get(path),
    outcome(merged) {
      resolutions.forEach((resolution, i) => {
        if (conflictPaths.has(resolution.path)) return;
        const paths = [...conflictPaths];
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `resolutions[${i}].path: expected the path of a conflict of this merge (${paths.length > 0 ? paths.map((path) => `'${path}'`).join(', ') : 'it has none'}), got '${resolution.path}'`,
        );
      });
      return { merged, conflicts, resolved };
    },
  };
  return ledger;
}

/**
 * Three-way merge of a keyed collection (settings per cloud, inputs per name, attached MCIs per id):
 * each key is one unit at `<prefix>.<key>`, added, removed or changed whole. Keys are visited in sorted
 * order (conflicts list like a diff reads); the result keeps ours' order, then the keys only theirs has.
 */
export function mergeKeyed<Entry>(
  ledger: MergeLedger,
  prefix: string,
  base: ReadonlyMap<string, Entry>,
  ours: ReadonlyMap<string, Entry>,
  theirs: ReadonlyMap<string, Entry>,
): Map<string, Entry> {
  const keys = [...new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])].sort();
  const kept = new Map<string, Entry>();
  for (const key of keys) {
    const entry = ledger.value<Entry | undefined>(`${prefix}.${key}`, base.get(key), ours.get(key), theirs.get(key));
    if (entry !== undefined) kept.set(key, entry);
  }
  const merged = new Map<string, Entry>();
  for (const key of [...ours.keys(), ...theirs.keys()]) {
    const entry = kept.get(key);
    if (entry !== undefined) merged.set(key, entry);
  }
  return merged;
}

/**
 * Refuses a merge that still has unresolved conflicts: MERGE_CONFLICT, with the conflicts in the
 * error's details (they reach clients as `extensions.conflicts`). Returns the outcome otherwise.
 */
export function assertNoConflicts<Content>(outcome: MergeOutcome<Content>): MergeOutcome<Content> {
  const { conflicts } = outcome;
  if (conflicts.length === 0) return outcome;
  throw new DomainError(
    ErrorCode.MERGE_CONFLICT,
    `expected every conflict resolved (OURS or THEIRS), got ${conflicts.length} unresolved: ${conflicts.map((conflict) => `'${conflict.path}'`).join(', ')}`,
    { conflicts },
  );
}
