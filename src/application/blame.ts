import type { DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { blame, type BlameEntry, type StreamEvent } from '../domain/versionControl/blame';
import { BLAME_SUBJECTS } from '../domain/versionControl/blameFields';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import type { EventStore, RecordedEvent } from '../eventStore/port';
import { loadComponent, noSuch, occurredAt, unknownRevision, type ComponentKind } from './components';

/*
 * Blame of a component of any kind, from its own stream (the record, not a read model). A deleted
 * component's committed revisions stay blameable, like its history: they are the audit trail. Its
 * HEAD is gone, so blaming it is NOT_FOUND (as time travel past the deletion is).
 */

export interface ComponentBlame {
  readonly id: string;
  readonly kind: string;
  /** The revision blamed: 0 for HEAD. */
  readonly revision: number;
  /** Each entry with the event that set it as the store recorded it. */
  readonly entries: ReadonlyArray<BlameEntry & { readonly recorded: RecordedEvent }>;
}

/**
 * Blames `revision` (omitted or 0: HEAD) of the viewer's component `id` of `kind`. NOT_FOUND for another
 * account's or a missing component, a revision never committed, or the HEAD of a deleted one.
 */
export async function blameComponent(
  store: EventStore,
  kind: ComponentKind,
  accountId: string,
  id: string,
  revision: number | null | undefined,
): Promise<ComponentBlame> {
  const target = revision ?? 0;
  assertRevisionNumber(target);
  const subject = BLAME_SUBJECTS[kind.kind];
  if (!subject) throw new Error(`no blame fields for component kind '${kind.kind}': add them to BLAME_SUBJECTS`);
  const loaded = await loadComponent(store, kind, id);
  const { state } = loaded;
  if (state.status === 'empty' || state.accountId !== accountId) throw noSuch(kind);
  if (state.status === 'deleted' && isHead(target)) {
    throw new DomainError(
      ErrorCode.NOT_FOUND,
      `${kind.kind} '${id}' was deleted, so it has no HEAD to blame: ${
        state.latestRevision === 0 ? 'nothing was committed before' : `blame one of its committed revisions 1 to ${state.latestRevision}`
      }`,
      { latestRevision: state.latestRevision },
    );
  }
  const stream = loaded.recorded.map((recorded, index): StreamEvent<DomainEvent> => ({
    event: loaded.events[index] as DomainEvent,
    id: recorded.id,
    type: recorded.type,
    revision: Number(recorded.revision),
    occurredAt: occurredAt(recorded),
    actorId: typeof recorded.metadata.actorId === 'string' ? recorded.metadata.actorId : null,
  }));
  const entries = blame(stream, subject, target);
  if (!entries) throw unknownRevision(kind.kind, id, target, state.latestRevision);
  const recordedById = new Map(loaded.recorded.map((recorded) => [recorded.id, recorded]));
  return {
    id,
    kind: kind.kind,
    revision: target,
    entries: entries.map((entry) => ({ ...entry, recorded: recordedById.get(entry.event.id) as RecordedEvent })),
  };
}
