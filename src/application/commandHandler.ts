import { createHash, randomUUID } from 'node:crypto';
import { fold, type Decider, type DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { StreamNotFoundError, VersionConflictError } from '../eventStore/errors';
import { canonicalJson, assertJson, type JsonValue } from '../eventStore/json';
import type { EventMetadataInput, EventStore, LogPosition, NewEvent, RecordedEvent } from '../eventStore/port';
import { KeyedLock } from './keyedLock';
import { foldStream } from './snapshots';

/** Who is acting and why: copied into every event's metadata. */
export interface CommandContext {
  readonly accountId: string;
  readonly actorId: string;
  /** Ties together everything one request caused. */
  readonly correlationId: string;
  /** The event or request that caused this command, when there is one. */
  readonly causationId?: string;
}

export interface IdempotencyKey {
  /** Chosen by the client; unique per intended operation within the account. */
  readonly key: string;
  /** The client's input for the operation: the same key with a different input is refused. */
  readonly input: unknown;
}

export interface HandleCommand<State, Command, Event extends DomainEvent> {
  readonly stream: string;
  readonly decider: Decider<State, Command, Event>;
  /** Events read from the store are `unknown` until parsed; this checks and types them. */
  readonly parseEvent: (recorded: RecordedEvent) => Event;
  /**
   * The command, or a function that builds it from the state just loaded: for commands that carry
   * something derived from that state which the pure decider can't compute itself (a content hash).
   * It is called again on every retry, so what it derives always matches the state decided on.
   */
  readonly command: Command | ((state: State) => Command);
  readonly context: CommandContext;
  /**
   * The stream revision the client last saw (`expectedVersion`): the command is refused with
   * `VERSION_CONFLICT` unless the stream is still there, and never retried.
   */
  readonly expectedRevision?: bigint | 'no_stream';
  /**
   * Without an expected revision, how many times to re-read and decide again when another writer got
   * in between our read and our append. Only for commands whose decision is safe to re-make on newer
   * state; 0 (the default) reports the conflict.
   */
  readonly retriesOnConflict?: number;
  readonly idempotency?: IdempotencyKey;
  /**
   * The aggregate kind (e.g. `MultiCloudImage`) under which this decider's folds of the stream are
   * snapshotted: the load then folds only the events past the newest snapshot (snapshots.ts). Without
   * it, or with an idempotency key (whose earlier runs are looked up in the whole stream), the whole
   * stream is read.
   */
  readonly snapshotKind?: string;
  /** Version of the events' data shape, for upcasting later. */
  readonly schemaVersion?: number;
}

export interface HandledCommand<State, Event> {
  /** State after the command (the current state for an idempotent replay). */
  readonly state: State;
  /** The events this command produced (for a replay, the ones the first run stored). */
  readonly events: readonly Event[];
  /** Stream revision after the command; `undefined` if the stream still has no events. */
  readonly revision: bigint | undefined;
  /** Where the events are in the log: wait for projections to pass it before reading models. */
  readonly position: LogPosition | undefined;
  readonly cursor: string | undefined;
  /** True when an earlier run with the same idempotency key already did the work. */
  readonly replayed: boolean;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
const MAX_RETRIES = 10;

/**
 * Runs commands against aggregates: load the stream → fold → decide → append at the revision that
 * was read. The append's expected revision makes concurrent writers safe: the loser gets
 * `VersionConflictError` (or, when the command allows, decides again on the newer state). Within this
 * process, commands on one stream also take turns (load → decide → append under a lock per stream), so
 * they never conflict with each other and run in one serial order; the expected revision still guards
 * against writers elsewhere (other instances on one EventStoreDB).
 *
 * Usage:
 *   const handled = await commands.handle({ stream: `mci-${id}`, decider, parseEvent, command, context });
 *   await projections.waitForPosition(handled.position);
 */
export class CommandHandler {
  private readonly streamLocks = new KeyedLock();

  constructor(
    private readonly store: EventStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly newId: () => string = randomUUID,
  ) {}

  handle<State, Command, Event extends DomainEvent>(request: HandleCommand<State, Command, Event>): Promise<HandledCommand<State, Event>> {
    return this.streamLocks.run([request.stream], () => this.loadDecideAppend(request));
  }

  private async loadDecideAppend<State, Command, Event extends DomainEvent>(
    request: HandleCommand<State, Command, Event>,
  ): Promise<HandledCommand<State, Event>> {
    const retries = request.expectedRevision === undefined ? Math.min(request.retriesOnConflict ?? 0, MAX_RETRIES) : 0;
    const requestHash = request.idempotency && fingerprint(request.idempotency);
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(request);
      if (request.idempotency && requestHash) {
        const earlier = findEarlierRun(loaded.recorded, request.context.accountId, request.idempotency.key, requestHash);
        if (earlier) return { ...loaded.result, events: earlier.map(request.parseEvent), ...lastOf(earlier), replayed: true };
      }
      const current = loaded.result.revision;
      if (request.expectedRevision !== undefined && request.expectedRevision !== (current ?? 'no_stream')) {
        throw new VersionConflictError(request.stream, request.expectedRevision, current ?? 'no_stream');
      }
      const state = loaded.result.state;
      const command = typeof request.command === 'function' ? (request.command as (state: State) => Command)(state) : request.command;
      const events = request.decider.decide(command, state);
      if (events.length === 0) return loaded.result;
      try {
        const appended = await this.store.append(
          request.stream,
          events.map((e) => this.toNewEvent(e, request, requestHash)),
          {
            expectedRevision: current ?? 'no_stream',
          },
        );
        return {
          state: fold(request.decider, events, loaded.result.state),
          events,
          revision: appended.nextExpectedRevision,
          position: appended.position,
          cursor: appended.cursor,
          replayed: false,
        };
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        // With an idempotency key, the writer that got in first may be a concurrent run of this very
        // request: one more look finds its events (and replays them) or reports the conflict.
        if (attempt >= retries + (request.idempotency ? 1 : 0)) throw error;
      }
    }
  }

  private async load<State, Command, Event extends DomainEvent>(
    request: HandleCommand<State, Command, Event>,
  ): Promise<{ recorded: RecordedEvent[]; result: HandledCommand<State, Event> }> {
    if (request.snapshotKind !== undefined && request.idempotency === undefined) {
      const folded = await foldStream(
        this.store,
        { kind: request.snapshotKind, decider: request.decider, parseEvent: request.parseEvent },
        request.stream,
      );
      const { last } = folded;
      return {
        recorded: [],
        result: {
          state: folded.state,
          events: [],
          revision: last?.revision,
          position: last?.position,
          cursor: last?.cursor,
          replayed: false,
        },
      };
    }
    let recorded: RecordedEvent[];
    try {
      recorded = await this.store.readStream(request.stream);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      recorded = [];
    }
    const state = fold(request.decider, recorded.map(request.parseEvent));
    const last = recorded[recorded.length - 1];
    return {
      recorded,
      result: {
        state,
        events: [],
        revision: last?.revision,
        position: last?.position,
        cursor: last?.cursor,
        replayed: false,
      },
    };
  }

  private toNewEvent<Event extends DomainEvent>(
    event: Event,
    request: Pick<HandleCommand<unknown, unknown, Event>, 'context' | 'idempotency' | 'schemaVersion'>,
    requestHash: string | undefined,
  ): NewEvent {
    const metadata: EventMetadataInput = {
      accountId: request.context.accountId,
      actorId: request.context.actorId,
      correlationId: request.context.correlationId,
      causationId: request.context.causationId ?? request.context.correlationId,
      occurredAt: this.clock().toISOString(),
      schemaVersion: request.schemaVersion ?? 1,
      ...(request.idempotency && requestHash ? { idempotencyKey: request.idempotency.key, requestHash } : {}),
    };
    return { id: this.newId(), type: event.type, data: event.data as JsonValue, metadata };
  }
}

function fingerprint(idempotency: IdempotencyKey): string {
  const { key } = idempotency;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || /[\u0000-\u001f\u007f]/u.test(key)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `idempotency key: expected 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters, got ${typeof key === 'string' ? `${key.length} characters` : typeof key}`,
    );
  }
  return createHash('sha256')
    .update(canonicalJson(assertJson(idempotency.input ?? null, 'input')))
    .digest('hex');
}

/** The events an earlier run with this key stored, or `undefined`; the same key with another input is refused. */
function findEarlierRun(
  recorded: readonly RecordedEvent[],
  accountId: string,
  key: string,
  requestHash: string,
): RecordedEvent[] | undefined {
  const earlier = recorded.filter((e) => e.metadata['idempotencyKey'] === key && e.metadata.accountId === accountId);
  if (earlier.length === 0) return undefined;
  if (earlier[0]?.metadata['requestHash'] !== requestHash) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `idempotency key '${key}' was already used for a different request: use a new key for a new operation`,
    );
  }
  return earlier;
}

function lastOf(events: readonly RecordedEvent[]): { revision: bigint; position: LogPosition; cursor: string } {
  const last = events[events.length - 1] as RecordedEvent;
  return { revision: last.revision, position: last.position, cursor: last.cursor };
}
