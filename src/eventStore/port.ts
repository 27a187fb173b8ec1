import type { JsonObject, JsonValue } from './json';

/**
 * The event-store port: the only way the application reads and writes events. Two adapters
 * implement it with identical, contract-tested semantics: `sqlite` (embedded default) and
 * `eventstoredb`. Nothing outside `src/eventStore/<adapter>/` knows which one is running.
 *
 * Usage:
 *   const { nextExpectedRevision } = await store.append('mci-42', [{ type: 'ImageMapped', data }], {
 *     expectedRevision: 'no_stream',
 *   });
 *   for await (const event of store.subscribe({ after: cursor }).events) { ... }
 */
export interface EventStore {
  /** Which adapter this is; shown in `serverInfo` and logs. */
  readonly kind: EventStoreKind;

  /**
   * Appends `events` atomically at the end of `stream` if the stream is where `expectedRevision` says.
   * Throws `VersionConflictError` on a mismatch, `InvalidRequestError` on bad input (nothing written),
   * `EventStoreUnavailableError` when the store can't be reached. Re-appending the same event ids at the
   * same expected revision returns the first result and writes nothing.
   */
  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;

  /** Reads one stream. Throws `StreamNotFoundError` when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log strictly after `after` (from the beginning when omitted), in log order. */
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;

  /**
   * Delivers every event strictly after `after` in log order: first the stored ones (catch-up), then
   * new ones as they are committed (live), with no gap and no duplicate at the switch.
   */
  subscribe(options?: SubscribeOptions): EventSubscription;

  /** The position of the newest event in the log, or `undefined` for an empty log. */
  headPosition(): Promise<LogPosition | undefined>;

  /** Turns a cursor a client gave us back into a position; throws `InvalidCursorError`. */
  parseCursor(cursor: string): LogPosition;

  /** Encodes a position as this adapter's opaque cursor. */
  cursorOf(position: LogPosition): string;

  /** Ends subscriptions and releases the store. Idempotent. */
  close(): Promise<void>;
}

export type EventStoreKind = 'sqlite' | 'eventstoredb';

/**
 * Where a stream must be for an append to apply. Revisions are 0-based, as in EventStoreDB:
 * `0n` means "the stream holds exactly one event".
 */
export type ExpectedRevision = bigint | 'no_stream' | 'stream_exists' | 'any';

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
}

/** Metadata written by the application; the store adds `prevHash` and `hash`. */
export type EventMetadataInput = JsonObject & {
  readonly accountId?: string;
  readonly actorId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** ISO-8601 instant of the command that caused the event (the application's clock). */
  readonly occurredAt?: string;
  readonly schemaVersion?: number;
};

export interface NewEvent {
  /** A UUID. Generated when omitted; give one to make a retried append idempotent. */
  readonly id?: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata?: EventMetadataInput;
}

/** Metadata as stored: the application's fields plus the per-stream hash chain. */
export type RecordedMetadata = EventMetadataInput & {
  /** `hash` of the previous event in the same stream; `null` for revision 0. */
  readonly prevHash: string | null;
  /** SHA-256 (hex) of this event's canonical form, see `hashChain.ts`. */
  readonly hash: string;
};

/**
 * A position in the global log. Ordered by `commit`, then `prepare` (EventStoreDB's pair; the SQLite
 * adapter uses its rowid for both).
 */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly data: JsonValue;
  readonly metadata: RecordedMetadata;
  readonly position: LogPosition;
  /** Opaque; pass it back as `after` to continue strictly after this event. */
  readonly cursor: string;
  /** When the store recorded it (the store's clock, not the application's `occurredAt`). */
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next `expectedRevision`. */
  readonly nextExpectedRevision: bigint;
  /** Revision of the first event this append wrote (or found already written). */
  readonly firstRevision: bigint;
  /** Position of the append in the log: once a reader has passed it, it has seen these events. */
  readonly position: LogPosition;
  readonly cursor: string;
  /** True when the events were already there (an idempotent retry) and nothing was written. */
  readonly alreadyAppended: boolean;
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  readonly direction?: ReadDirection;
  /** Inclusive start revision; defaults to the first (forwards) or last (backwards) event. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface EventFilter {
  /** Only streams whose name starts with one of these. */
  readonly streamPrefixes?: readonly string[];
  /** Only these event types (exact names). */
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: read strictly after this cursor. */
  readonly after?: string;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface ReadAllResult {
  readonly events: RecordedEvent[];
  /**
   * Where the read stopped: pass it as the next `after`. With a filter it can be past the last event
   * returned (the events in between did not match). `undefined` only when nothing was scanned at all.
   */
  readonly cursor: string | undefined;
  /** True when the read reached the end of the log. */
  readonly isEnd: boolean;
}

export interface SubscribeOptions {
  readonly after?: string;
  readonly filter?: EventFilter;
}

export interface EventSubscription {
  /** The events, in log order. Ends when `close()` is called or the store closes. */
  readonly events: AsyncIterable<RecordedEvent>;
  /**
   * Resolves the first time the subscription has read up to the end of the log: what it delivers from
   * then on (after any events already read) was committed after that moment.
   */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

/** Upper bound on `maxCount` for one read, so one call can't pull the whole log into memory. */
export const MAX_READ_COUNT = 10_000;
