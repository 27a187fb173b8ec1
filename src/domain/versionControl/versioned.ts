import type { Decider, DomainEvent } from '../decider';

/*
 * The state transitions every versioned component kind shares (domain.md, "Version control"): a
 * commit freezes HEAD, a deletion keeps only the component's identity, and a committed revision's
 * state is the fold up to its commit. Each kind's decider calls these from its own `evolve`.
 */

/** The revision a clone was made from (0: its source's HEAD). */
export interface ClonedFrom {
  readonly id: string;
  /** The source's revision that was copied; 0 when its HEAD was. */
  readonly revision: number;
}

/** What every component keeps whatever its status: who owns it, its lineage and its newest revision. */
export interface ComponentIdentity {
  readonly id: string;
  readonly accountId: string;
  /** Shared by every revision of this component; a clone starts a new one. */
  readonly lineage: string;
  readonly clonedFrom: ClonedFrom | null;
  /** The newest committed revision; 0 before the first commit. */
  readonly latestRevision: number;
}

export interface ActiveComponent<Content> extends ComponentIdentity {
  readonly status: 'active';
  readonly head: Content;
  /** The content of `latestRevision`, to tell whether HEAD changed since (NO_CHANGES). */
  readonly lastCommitted: Content | null;
}

export interface DeletedComponent extends ComponentIdentity {
  readonly status: 'deleted';
}

/** `RevisionCommitted`: HEAD is now also the content of `revision`. */
export function withCommit<State extends ActiveComponent<unknown>>(state: State, revision: number): State {
  return { ...state, latestRevision: revision, lastCommitted: state.head };
}

/** `ComponentDeleted`: only the identity stays (history and committed revisions remain readable). */
export function deletedComponent(state: ComponentIdentity): DeletedComponent {
  const { id, accountId, lineage, clonedFrom, latestRevision } = state;
  return { status: 'deleted', id, accountId, lineage, clonedFrom, latestRevision };
}

/**
 * The state as it was when `revision` was committed (HEAD, 0: after every event), folded from the
 * stream's events without the commits that came later. `undefined` when that revision was never
 * committed. A committed revision's HEAD content is exactly what the commit froze.
 */
export function foldToRevision<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
  revision: number,
): State | undefined {
  let state = decider.initialState();
  for (const event of events) {
    state = decider.evolve(state, event);
    if (revision !== 0 && event.type === 'RevisionCommitted' && (event.data as { revision?: unknown }).revision === revision) return state;
  }
  return revision === 0 ? state : undefined;
}
