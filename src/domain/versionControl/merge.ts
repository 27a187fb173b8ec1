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

/**
 * What merging gives: the content the target's HEAD would become (unresolved conflicts keep OURS in
 * it, but a merge with any of them is refused), the conflicts no resolution settled, and the ones
 * that were settled.
 */
export interface MergeOutcome<Content> {
  readonly merged: Content;
  readonly conflicts: readonly MergeConflict[];
  readonly resolved: readonly MergeResolution[];
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
