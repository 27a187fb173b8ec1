import type { DomainEvent } from '../decider';
import type { AncestryNode } from './ancestry';
import { assertNoConflicts, type MergeContents, type MergeResolution } from './merge';
import { editableComponent, type ComponentStateOf, type EditCommand } from './versioned';

/*
 * The merge command every component kind's decider takes (domain.md, "Merge"): the changes of a source
 * revision brought into HEAD against their common ancestor. The application found the ancestor
 * (ancestry.ts) and read both contents from their streams; the decider merges them into the HEAD it
 * folded itself, so the decision is always against the exact HEAD it appends after.
 */

/** What `MergeApplied` records: where the changes came from, what they were compared against, how conflicts were settled. */
export interface MergeAppliedData {
  readonly source: AncestryNode;
  readonly base: AncestryNode;
  readonly resolutions: readonly MergeResolution[];
}

export type MergeAppliedEvent = { type: 'MergeApplied'; data: MergeAppliedData };

/** Every kind's merge command: the source and the base, each with the content the application read, and the caller's resolutions. */
export interface MergeCommandOf<Content> extends EditCommand {
  readonly source: AncestryNode;
  readonly theirs: Content;
  readonly base: AncestryNode;
  readonly baseContent: Content;
  readonly resolutions: readonly MergeResolution[];
}

/** A node as events store it: JSON has no `undefined`, so a committed revision carries no `version` key. */
export function recordedNode(node: AncestryNode): AncestryNode {
  return node.version === undefined
    ? { id: node.id, revision: node.revision }
    : { id: node.id, revision: node.revision, version: node.version };
}

/**
 * Merges `theirs` into HEAD against the base: the target must be editable (NOT_FOUND, deleted,
 * READ_ONLY for an import, NOT_HEAD), any conflict the resolutions leave is MERGE_CONFLICT and nothing
 * is written. Otherwise the kind's ordinary events turn HEAD into the merged content, followed by one
 * `MergeApplied` (also when the content doesn't change: it records that the source is merged in, so the
 * next merge of it finds a newer base).
 */
export function decideMerge<Content, Event extends DomainEvent>(
  kind: string,
  state: ComponentStateOf<Content>,
  command: MergeCommandOf<Content>,
  merge: MergeContents<Content>,
  mergeEvents: (ours: Content, merged: Content) => Event[],
): Array<Event | MergeAppliedEvent> {
  const target = editableComponent(kind, state, command);
  const outcome = assertNoConflicts(merge(command.baseContent, target.head, command.theirs, command.resolutions));
  const applied: MergeAppliedEvent = {
    type: 'MergeApplied',
    data: {
      source: recordedNode(command.source),
      base: recordedNode(command.base),
      resolutions: command.resolutions.map(({ path, choice }) => ({ path, choice })),
    },
  };
  return [...mergeEvents(target.head, outcome.merged), applied];
}
