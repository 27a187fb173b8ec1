import { createHash } from 'node:crypto';
import { fold, type Decider, type DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { StreamNotFoundError, VersionConflictError } from '../eventStore/errors';
import { assertJson, canonicalJson } from '../eventStore/json';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';

/*
 * What every versioned component kind (MultiCloud Image, RightScript, ServerTemplate) shares when it
 * is read straight from its stream: load and fold, time travel, history. Each kind describes itself
 * once as a `ComponentKind`; the reads here work for all of them, so history, time travel, blame and
 * verification never grow a branch per kind.
 */

/** The states every component decider folds to: empty, or active / deleted and owned by an account. */
export type ComponentState =
  | { readonly status: 'empty' }
  | { readonly status: 'active' | 'deleted'; readonly id: string; readonly accountId: string; readonly latestRevision: number };

export interface ComponentKind<State extends ComponentState = ComponentState, Event extends DomainEvent = DomainEvent> {
  /** The GraphQL type name, e.g. `MultiCloudImage`; also `kind` in ComponentCloned / ComponentDeleted. */
  readonly kind: string;
  /** The stream category with its dash, e.g. `mci-`: the stream is `<prefix><id>`. */
  readonly streamPrefix: string;
  readonly decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>;
  readonly parseEvent: (recorded: RecordedEvent) => Event;
}

/** Client-given ids reach stream names: anything that can't be one of ours is simply not found. */
export const COMPONENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/u;

export const componentStream = (kind: Pick<ComponentKind, 'streamPrefix'>, id: string): string => `${kind.streamPrefix}${id}`;

export const noSuch = (kind: Pick<ComponentKind, 'kind'>): DomainError => new DomainError(ErrorCode.NOT_FOUND, `no such ${kind.kind}`);

/** A component folded from its whole stream; `version` undefined when the stream has no events. */
export interface LoadedComponent<State, Event> {
  readonly state: State;
  readonly events: readonly Event[];
  readonly recorded: readonly RecordedEvent[];
  readonly version: bigint | undefined;
  readonly position: LogPosition | undefined;
}

export async function readComponentStream(
  store: EventStore,
  kind: Pick<ComponentKind, 'streamPrefix'>,
  id: string,
): Promise<RecordedEvent[]> {
  if (!COMPONENT_ID.test(id)) return [];
  try {
    return await store.readStream(componentStream(kind, id));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
}

export async function loadComponent<State extends ComponentState, Event extends DomainEvent>(
  store: EventStore,
  kind: ComponentKind<State, Event>,
  id: string,
): Promise<LoadedComponent<State, Event>> {
  const recorded = await readComponentStream(store, kind, id);
  const events = recorded.map(kind.parseEvent);
  let state = kind.decider.initialState();
  for (const event of events) state = kind.decider.evolve(state, event);
  const last = recorded[recorded.length - 1];
  return { state, events, recorded, version: last?.revision, position: last?.position };
}

/** When an event happened: the `occurredAt` the command stamped, else when the store recorded it. */
export function occurredAt(recorded: RecordedEvent): Date {
  const stamped = recorded.metadata.occurredAt;
  return typeof stamped === 'string' ? new Date(stamped) : recorded.recordedAt;
}

/**
 * Time travel: the component as it was at `at`, folded from the events that occurred at or before that
 * instant. NOT_FOUND for another account's component, one that didn't exist yet, or one already
 * deleted by then.
 */
export async function componentAt<State extends ComponentState, Event extends DomainEvent>(
  store: EventStore,
  kind: ComponentKind<State, Event>,
  accountId: string,
  id: string,
  at: Date,
): Promise<{ state: Extract<State, { status: 'active' }>; version: number }> {
  const loaded = await loadComponent(store, kind, id);
  if (loaded.state.status === 'empty' || loaded.state.accountId !== accountId) throw noSuch(kind);
  let state = kind.decider.initialState();
  let version = -1;
  for (let i = 0; i < loaded.recorded.length; i++) {
    const recorded = loaded.recorded[i] as RecordedEvent;
    if (occurredAt(recorded).getTime() > at.getTime()) break;
    state = kind.decider.evolve(state, loaded.events[i] as Event);
    version = Number(recorded.revision);
  }
  if (state.status === 'empty') throw new DomainError(ErrorCode.NOT_FOUND, `${kind.kind} '${id}' did not exist yet at ${at.toISOString()}`);
  if (state.status === 'deleted')
    throw new DomainError(ErrorCode.NOT_FOUND, `${kind.kind} '${id}' was already deleted at ${at.toISOString()}`);
  return { state: state as Extract<State, { status: 'active' }>, version };
}

/** One page of a component's events, oldest first, and how many the stream holds. */
export interface HistoryPage {
  readonly events: readonly RecordedEvent[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

/** The account that owns a component, from the first event of its stream (every creation event carries `accountId`). */
export async function componentOwner(
  store: EventStore,
  kind: Pick<ComponentKind, 'streamPrefix'>,
  id: string,
): Promise<string | undefined> {
  if (!COMPONENT_ID.test(id)) return undefined;
  let first: RecordedEvent[];
  try {
    first = await store.readStream(componentStream(kind, id), { maxCount: 1 });
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  const data = first[0]?.data as { accountId?: unknown } | undefined;
  return typeof data?.accountId === 'string' ? data.accountId : undefined;
}

/**
 * The events of a component of the viewer's account, oldest first, from the event store itself (the
 * record, not a read model). Deleted components keep their history: it is the audit trail.
 */
export async function componentHistory(
  store: EventStore,
  kind: Pick<ComponentKind, 'kind' | 'streamPrefix'>,
  accountId: string,
  id: string,
  page: { afterRevision: number | undefined; first: number },
): Promise<HistoryPage> {
  if ((await componentOwner(store, kind, id)) !== accountId) throw noSuch(kind);
  const stream = componentStream(kind, id);
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  const totalCount = last ? Number(last.revision) + 1 : 0;
  const fromRevision = page.afterRevision === undefined ? 0 : page.afterRevision + 1;
  if (fromRevision >= totalCount) return { events: [], hasNextPage: false, totalCount };
  const events = await store.readStream(stream, { fromRevision: BigInt(fromRevision), maxCount: page.first + 1 });
  return { events: events.slice(0, page.first), hasNextPage: events.length > page.first, totalCount };
}

/*
 * Commands on an aggregate owned by an account (a component, a deployment): the steps every kind's
 * commands share, so each application module holds only what is its own.
 */

/** The states an owned aggregate folds to: only an `active` one of the viewer's account may be edited. */
export type OwnedState = { readonly status: 'empty' } | { readonly status: string; readonly accountId: string };

/** A kind whose commands run through the command handler: its full decider, not only its fold. */
export type CommandKind<State extends OwnedState, Command, Event extends DomainEvent> = Omit<
  ComponentKind<ComponentState, Event>,
  'decider'
> & {
  readonly decider: Decider<State, Command, Event>;
};

/** `expectedVersion` as the client sends it (an Int) → the stream revision the handler checks. */
export function expectedRevision(expectedVersion: number | null | undefined): { expectedRevision?: bigint } {
  return expectedVersion === undefined || expectedVersion === null ? {} : { expectedRevision: BigInt(expectedVersion) };
}

/** An id that can't be one of ours is simply not found, before it reaches a stream name or a message. */
export function checkId(kind: Pick<ComponentKind, 'kind'>, id: string): void {
  if (!COMPONENT_ID.test(id)) throw noSuch(kind);
}

/** SHA-256 (hex) of the canonical JSON of a component's content: equal content, equal hash. */
export function contentHash(content: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(assertJson(content, 'content')))
    .digest('hex');
}

/** NOT_FOUND for a revision never committed, naming the ones there are. */
export function unknownRevision(kind: string, id: string, revision: number, latestRevision: number): DomainError {
  const revisions = latestRevision === 0 ? 'nothing was committed yet' : `its revisions are 1 to ${latestRevision}`;
  return new DomainError(ErrorCode.NOT_FOUND, `${kind} '${id}' has no revision ${revision}: ${revisions} (0 is HEAD)`, { latestRevision });
}

/** What a command wrote: the aggregate's stream revision now (`version`, the client's next `expectedVersion`). */
export interface CommandWritten<State, Event> {
  readonly id: string;
  readonly version: number;
  readonly state: State;
  readonly events: readonly Event[];
}

/**
 * Runs a command on the aggregate `id` of `kind` through the command handler, then waits until the read
 * models show its events (read-your-writes). The handler compares `expectedVersion` before the decider
 * sees the command, so a version conflict on a missing, deleted or another account's aggregate is
 * re-checked and answered NOT_FOUND: a stale version never reveals that the aggregate exists.
 */
export async function runCommand<State extends OwnedState, Command, Event extends DomainEvent>(
  services: Pick<Services, 'store' | 'commands' | 'projections'>,
  kind: CommandKind<State, Command, Event>,
  id: string,
  command: NoInfer<Command> | ((state: State) => NoInfer<Command>),
  context: CommandContext,
  expected: { expectedRevision?: bigint | 'no_stream'; retriesOnConflict?: number },
): Promise<CommandWritten<State, Event>> {
  let handled;
  try {
    handled = await services.commands.handle({
      stream: componentStream(kind, id),
      decider: kind.decider,
      parseEvent: kind.parseEvent,
      command,
      context,
      ...expected,
    });
  } catch (error) {
    if (error instanceof VersionConflictError && expected.expectedRevision !== 'no_stream') {
      const recorded = await readComponentStream(services.store, kind, id);
      const state = fold(kind.decider, recorded.map(kind.parseEvent));
      if (state.status !== 'active' || !('accountId' in state) || state.accountId !== context.accountId) throw noSuch(kind);
    }
    throw error;
  }
  await services.projections.waitForPosition(handled.position);
  return { id, version: Number(handled.revision ?? -1n), state: handled.state, events: handled.events };
}
