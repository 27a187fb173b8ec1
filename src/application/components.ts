import { createHash, randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import { unknownRevision } from '../domain/versionControl/versioned';
import { StreamNotFoundError, VersionConflictError } from '../eventStore/errors';
import { assertJson, canonicalJson } from '../eventStore/json';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import { foldStream, foldStreamAt, occurredAtMs, type StreamFold } from './snapshots';

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

/** A component folded to its HEAD, with the stream's version and position but without its events. */
export interface LoadedComponentState<State> {
  readonly state: State;
  readonly version: bigint | undefined;
  readonly position: LogPosition | undefined;
}

/**
 * A component's current state, folded from the newest snapshot of its stream (snapshots.ts) when
 * there is one: what a reader that needs only HEAD uses, at a cost that doesn't grow with the history.
 */
export async function loadComponentState<State extends ComponentState, Event extends DomainEvent>(
  store: EventStore,
  kind: ComponentKind<State, Event>,
  id: string,
): Promise<LoadedComponentState<State>> {
  if (!COMPONENT_ID.test(id)) return { state: kind.decider.initialState(), version: undefined, position: undefined };
  const folded = await foldStream(store, streamFoldOf(kind), componentStream(kind, id));
  return { state: folded.state, version: folded.last?.revision, position: folded.last?.position };
}

/** How a kind's stream is folded, under the kind's name in the snapshot store. */
export const streamFoldOf = <State, Event extends DomainEvent>(
  kind: Pick<ComponentKind<ComponentState, Event>, 'kind' | 'parseEvent'> & {
    readonly decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>;
  },
): StreamFold<State, Event> => ({ kind: kind.kind, decider: kind.decider, parseEvent: kind.parseEvent });

/** When an event happened: the `occurredAt` the command stamped, else when the store recorded it. */
export function occurredAt(recorded: RecordedEvent): Date {
  return new Date(occurredAtMs(recorded));
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
  const head = await loadComponentState(store, kind, id);
  if (head.state.status === 'empty' || head.state.accountId !== accountId) throw noSuch(kind);
  // From the newest snapshot none of whose events happened after `at`: the cost doesn't grow with the history.
  const { state, version } = await foldStreamAt(store, streamFoldOf(kind), componentStream(kind, id), at.getTime());
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
 * A page of a component's events, oldest first, from the event store itself (the record, not a read
 * model). Deleted components keep their history: it is the audit trail. The caller has established
 * that the viewer may read it (`componentOwner`, as `kindOfComponent` in the API does), so the owner
 * isn't read twice.
 */
export async function componentHistory(
  store: EventStore,
  kind: Pick<ComponentKind, 'streamPrefix'>,
  id: string,
  page: { afterRevision: number | undefined; first: number },
): Promise<HistoryPage> {
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
      snapshotKind: kind.kind,
      command,
      context,
      ...expected,
    });
  } catch (error) {
    if (error instanceof VersionConflictError && expected.expectedRevision !== 'no_stream') {
      const { state } = await foldStream(services.store, streamFoldOf(kind), componentStream(kind, id));
      if (state.status !== 'active' || !('accountId' in state) || state.accountId !== context.accountId) throw noSuch(kind);
    }
    throw error;
  }
  await services.projections.waitForPosition(handled.position);
  return { id, version: Number(handled.revision ?? -1n), state: handled.state, events: handled.events };
}

/*
 * The commands every versioned component kind has in the same shape: create and clone start a new
 * stream, edits name the component and the HEAD they mean, commit freezes HEAD. Each kind only says
 * how its own command is spelled.
 */

/** The states a versioned component folds to, with its HEAD while it is active. */
export type VersionedState<Content = unknown> =
  | { readonly status: 'empty' }
  | { readonly status: 'active'; readonly id: string; readonly accountId: string; readonly latestRevision: number; readonly head: Content }
  | { readonly status: 'deleted'; readonly id: string; readonly accountId: string; readonly latestRevision: number };

export type ComponentServices = Pick<Services, 'store' | 'commands' | 'projections'>;

/** What a mutation changed: the component's id and its stream revision now (`version`, the next `expectedVersion`). */
export interface ComponentWritten {
  readonly id: string;
  readonly version: number;
  /** For a commit: the revision it created. */
  readonly revision?: number;
}

/** What every edit of an existing component names: it, the `expectedVersion` the client saw, the revision it edits (HEAD). */
export interface ComponentEdit {
  readonly id: string;
  readonly expectedVersion?: number | null;
  readonly revision?: number | null;
}

/**
 * What every edit command carries: the viewer's account (another account's component is NOT_FOUND)
 * and the revision the client means to edit (anything but HEAD is NOT_HEAD).
 */
export interface EditOf {
  readonly accountId: string;
  readonly revision: number | null | undefined;
}

/** An edit without `expectedVersion` that keeps losing the race to other processes' writers gives up after this many fresh reads. */
export const EDIT_RETRIES = 5;

/** A commit that keeps losing the race to other writers gives up after this many fresh reads. */
export const COMMIT_RETRIES = 2;

/** A component on a stream of its own, with an id nobody chose before: a create or a clone. */
export function createComponent<State extends OwnedState, Command, Event extends DomainEvent>(
  services: ComponentServices,
  kind: CommandKind<State, Command, Event>,
  context: CommandContext,
  toCommand: (id: string) => NoInfer<Command>,
): Promise<CommandWritten<State, Event>> {
  const id = randomUUID();
  return runCommand(services, kind, id, toCommand(id), context, { expectedRevision: 'no_stream' });
}

/**
 * An edit of the component `input.id`. The command is built only once the id is known to be one of
 * ours, so whatever it reads first (a cloud, a component to pin) never answers for an impossible id.
 * Without `expectedVersion` the client asked for no version check, so losing the race to a writer in
 * another process decides again on the newer HEAD (the edits of one process already take turns).
 */
export async function editComponent<State extends OwnedState, Command, Event extends DomainEvent>(
  services: ComponentServices,
  kind: CommandKind<State, Command, Event>,
  context: CommandContext,
  input: ComponentEdit,
  toCommand: (edit: EditOf) => NoInfer<Command> | Promise<NoInfer<Command>>,
): Promise<CommandWritten<State, Event>> {
  checkId(kind, input.id);
  const command = await toCommand({ accountId: context.accountId, revision: input.revision });
  return runCommand(services, kind, input.id, command, context, {
    ...expectedRevision(input.expectedVersion),
    retriesOnConflict: EDIT_RETRIES,
  });
}

/** The revision a commit created, read from the events it wrote. */
export function committedRevision(events: readonly DomainEvent[]): { revision?: number } {
  const committed = events.find((event) => event.type === 'RevisionCommitted')?.data;
  return committed && 'revision' in committed && typeof committed.revision === 'number' ? { revision: committed.revision } : {};
}

/** The commit details every kind's commit command carries. */
export interface CommitOf extends EditOf {
  readonly message: string;
  /** SHA-256 of the canonical JSON of HEAD's content, from the very state the decider decides on. */
  readonly contentHash: string;
  readonly committedAt: string;
  readonly committedBy: string;
}

/**
 * Commits HEAD as the next revision. The content hash is computed here (the domain has no crypto)
 * from the very state the handler loaded and decides on, so it always describes exactly what the
 * commit froze. Without `expectedVersion`, losing the race to another writer reads again and
 * retries a few times.
 */
export async function commitHead<State extends VersionedState & OwnedState, Command, Event extends DomainEvent>(
  services: ComponentServices,
  kind: CommandKind<State, Command, Event>,
  context: CommandContext,
  input: ComponentEdit & { message: string },
  toCommand: (commit: CommitOf) => NoInfer<Command>,
): Promise<ComponentWritten> {
  checkId(kind, input.id);
  const written = await runCommand(
    services,
    kind,
    input.id,
    (loaded) => {
      const state: VersionedState = loaded;
      return toCommand({
        accountId: context.accountId,
        revision: input.revision,
        message: input.message,
        contentHash: state.status === 'active' ? contentHash(state.head) : '',
        committedAt: new Date().toISOString(),
        committedBy: context.actorId,
      });
    },
    context,
    { ...expectedRevision(input.expectedVersion), retriesOnConflict: COMMIT_RETRIES },
  );
  return { id: written.id, version: written.version, ...committedRevision(written.events) };
}

/** A committed revision (or HEAD, revision 0) of a component, as a clone starts from it. */
export interface ComponentCloneSource<Content> {
  readonly id: string;
  readonly accountId: string;
  readonly revision: number;
  readonly content: Content;
}

/**
 * The content of a revision (0: HEAD) of the component `id`, folded from its own stream. `undefined`
 * when it is missing, deleted or another account's: the decider says NOT_FOUND without telling them
 * apart. A revision it doesn't have is NOT_FOUND naming the ones it has.
 */
export async function cloneSourceOf<State extends VersionedState<Content>, Event extends DomainEvent, Content>(
  services: Pick<Services, 'store'>,
  kind: ComponentKind<State, Event>,
  accountId: string,
  id: string,
  revision: number,
  stateAtRevision: (events: readonly Event[], revision: number) => VersionedState<Content> | undefined,
): Promise<ComponentCloneSource<Content> | undefined> {
  const loaded = await loadComponent(services.store, kind, id);
  const state: VersionedState<Content> = loaded.state;
  if (state.status !== 'active' || state.accountId !== accountId) return undefined;
  if (isHead(revision)) return { id, accountId, revision: 0, content: state.head };
  const atRevision = stateAtRevision(loaded.events, revision);
  if (atRevision?.status !== 'active') throw unknownRevision(kind.kind, id, revision, state.latestRevision);
  return { id, accountId, revision, content: atRevision.head };
}

/**
 * Clones a revision (0: HEAD) of a component of the viewer's account into a new component with a new
 * lineage; `source` is undefined when there is no such component (the decider says NOT_FOUND).
 */
export async function cloneComponent<State extends VersionedState<Content> & OwnedState, Command, Event extends DomainEvent, Content>(
  services: ComponentServices,
  kind: CommandKind<State, Command, Event>,
  context: CommandContext,
  input: { id: string; revision?: number | null },
  stateAtRevision: (events: readonly Event[], revision: number) => VersionedState<Content> | undefined,
  toCommand: (id: string, source: ComponentCloneSource<Content> | undefined) => NoInfer<Command>,
): Promise<CommandWritten<State, Event>> {
  checkId(kind, input.id);
  const revision = input.revision ?? 0;
  assertRevisionNumber(revision);
  const source = await cloneSourceOf(services, kind, context.accountId, input.id, revision, stateAtRevision);
  return createComponent(services, kind, context, (id) => toCommand(id, source));
}

export { unknownRevision };
