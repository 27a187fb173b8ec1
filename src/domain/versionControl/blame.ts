import type { Decider, DomainEvent } from '../decider';
import { jsonEqual } from './change';
import { HEAD_REVISION } from './revisions';
import { revisionCommittedBy } from './versioned';

/*
 * Blame (domain.md, "Beyond the original platform"): for every field of a component at a revision,
 * the event that last set it, who caused it, when, and which commit first included it. Computed by
 * folding the component's own stream, so it works for every kind that can fold its events and list
 * its content as fields.
 */

/** An event of the component's stream as blame names it. */
export interface BlamedEvent {
  readonly id: string;
  readonly type: string;
  /** Its place in the component's stream, from 0. */
  readonly revision: number;
  readonly occurredAt: Date;
  /** Who caused it; null when its metadata names nobody. */
  readonly actorId: string | null;
}

/** One event of the stream: the domain event to fold, with what blame reports about it. */
export interface StreamEvent<Event extends DomainEvent> extends BlamedEvent {
  readonly event: Event;
}

/** A field's path (the kind's diff path where there is one) and its value, e.g. `settings.aws-us-east-1.image`. */
export type ContentFields = ReadonlyMap<string, unknown>;

/** How one component kind is blamed: its fold, its state's content (undefined when not active) and that content as fields. */
export interface BlameSubject<State, Event extends DomainEvent, Content> {
  readonly decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>;
  content(state: State): Content | undefined;
  fields(content: Content): ContentFields;
}

export interface BlameEntry {
  readonly path: string;
  readonly value: unknown;
  /** The event that last changed this field's value (re-setting the same value doesn't count). */
  readonly event: BlamedEvent;
  /** The committed revision that first included that change; null while it is only on HEAD. */
  readonly committedIn: number | null;
}

/**
 * Blames every field present at `revision` (0: HEAD, after every event; N: as revision N was
 * committed, the events after its `RevisionCommitted` ignored). `undefined` when revision N was never
 * committed in these events. A field removed and added again is blamed on the event that added it
 * back. Entries come in the order the kind lists its fields.
 */
export function blame<State, Event extends DomainEvent, Content>(
  stream: readonly StreamEvent<Event>[],
  subject: BlameSubject<State, Event, Content>,
  revision: number,
): BlameEntry[] | undefined {
  const fieldsOf = (content: Content | undefined): ContentFields => (content === undefined ? new Map() : subject.fields(content));
  let state = subject.decider.initialState();
  let content = subject.content(state);
  let fields = fieldsOf(content);
  /** For each present path, the index in `stream` of the event that last changed it. */
  const setBy = new Map<string, number>();
  /** For each index of a commit event, the revision it created, to find the commit that first included a change. */
  const commits: Array<{ index: number; revision: number }> = [];
  let reached = revision === HEAD_REVISION;
  for (let index = 0; index < stream.length; index++) {
    const { event } = stream[index] as StreamEvent<Event>;
    state = subject.decider.evolve(state, event);
    const nextContent = subject.content(state);
    // Folds never mutate: the same content object means no field changed (a commit, for one).
    if (nextContent !== content) {
      const nextFields = fieldsOf(nextContent);
      for (const path of setBy.keys()) if (!nextFields.has(path)) setBy.delete(path);
      for (const [path, value] of nextFields) {
        if (!fields.has(path) || !jsonEqual(fields.get(path), value)) setBy.set(path, index);
      }
      content = nextContent;
      fields = nextFields;
    }
    const committed = revisionCommittedBy(event);
    if (committed !== undefined) {
      commits.push({ index, revision: committed });
      if (committed === revision) {
        reached = true;
        break;
      }
    }
  }
  if (!reached) return undefined;
  // Every path present was set by some event: initial states hold no content.
  return [...fields].flatMap(([path, value]) => {
    const index = setBy.get(path);
    const setter = index === undefined ? undefined : stream[index];
    if (index === undefined || setter === undefined) return [];
    const { id, type, revision: streamRevision, occurredAt, actorId } = setter;
    return [
      {
        path,
        value,
        event: { id, type, revision: streamRevision, occurredAt, actorId },
        committedIn: commits.find((commit) => commit.index > index)?.revision ?? null,
      },
    ];
  });
}
