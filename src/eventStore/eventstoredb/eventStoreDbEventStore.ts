import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  eventTypeFilter,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Filter,
  type JSONType,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  assertExpectedRevision,
  compareWithStored,
  couldBeRetry,
  normalizeMaxCount,
  normalizeReadStream,
  prepareAppend,
  retryStartRevision,
  type PreparedEvent,
} from '../appendRules';
import { comparePositions, decodeCursor, encodeCursor } from '../cursor';
import {
  EventStoreClosedError,
  EventStoreError,
  EventStoreUnavailableError,
  InvalidRequestError,
  StreamNotFoundError,
  VersionConflictError,
} from '../errors';
import { matchesFilter, normalizeFilter, type NormalizedFilter } from '../filter';
import { computeEventHash, sealEvents, type ChainLink } from '../hashChain';
import type { JsonValue } from '../json';
import {
  MAX_READ_COUNT,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventSubscription,
  type ExpectedRevision,
  type LogPosition,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type RecordedMetadata,
  type SubscribeOptions,
} from '../port';
import { deferred } from '../signal';

export interface EventStoreDbOptions {
  /** e.g. `esdb://127.0.0.1:2113?tls=false`. */
  readonly url: string;
  /** Called when a live subscription dropped and is about to resubscribe (for logs). */
  readonly onSubscriptionDropped?: (error: unknown, retryInMs: number) => void;
  /** First and longest wait before resubscribing after a drop; doubles in between. */
  readonly resubscribeBackoffMs?: { readonly initial: number; readonly max: number };
  /** Deadline of one call, so a store that doesn't answer fails the call instead of hanging it. */
  readonly callDeadlineMs?: number;
}

/** An event sealed by another store, copied with its id, revision, metadata and hashes (a migration). */
export interface SealedImport {
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly data: JsonValue;
  readonly metadata: RecordedMetadata;
}

/** How often an append with `any`/`stream_exists` re-reads the stream end when another writer got in first. */
const MAX_APPEND_ATTEMPTS = 20;
/** Events read per page when scanning `$all` (filters are applied on this side for reads). */
const SCAN_PAGE = 500;
/** Pages one filtered `readAll` call may scan before returning what it has with `isEnd: false`. */
const MAX_SCAN_PAGES = 20;

export function openEventStoreDbEventStore(options: EventStoreDbOptions): EventStoreDbEventStore {
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(options.url);
  } catch (error) {
    throw new InvalidRequestError(`EVENTSTORE_URL: ${(error as Error).message}`);
  }
  return new EventStoreDbEventStore(client, options);
}

/**
 * The port over EventStoreDB. The hash chain needs the previous event's hash, so every append reads
 * the stream's last event first and then appends at exactly that revision; when another writer got in
 * between, EventStoreDB refuses and the append is re-evaluated against the new end (or refused with
 * the caller's own expectation). `$`-prefixed (system) events never leave this adapter.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  private readonly subscriptions = new Set<{ close(): Promise<void> }>();
  private readonly backoff: { readonly initial: number; readonly max: number };
  private readonly deadline: number;
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: Omit<EventStoreDbOptions, 'url'> = {},
  ) {
    this.backoff = options.resubscribeBackoffMs ?? { initial: 100, max: 5_000 };
    this.deadline = options.callDeadlineMs ?? 10_000;
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    const request = prepareAppend(stream, events, options?.expectedRevision);
    let lastConflict: unknown;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const last = await this.lastLink(request.stream);
      const replay = await this.findEarlierAppend(request.stream, request.events, request.expectedRevision, last?.revision);
      if (replay) return replay;
      assertExpectedRevision(request.stream, request.expectedRevision, last?.revision);
      const sealed = sealEvents(request.stream, last, request.events);
      try {
        const result = await this.client.appendToStream(
          request.stream,
          sealed.map((event) =>
            jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata: event.metadata as JSONType }),
          ),
          { expectedRevision: last === undefined ? NO_STREAM : last.revision, deadline: this.deadline },
        );
        if (!result.position) throw new EventStoreUnavailableError('EventStoreDB acknowledged an append without its position');
        return {
          firstRevision: (sealed[0] as (typeof sealed)[number]).revision,
          nextExpectedRevision: result.nextExpectedRevision,
          position: result.position,
          cursor: this.cursorOf(result.position),
          alreadyAppended: false,
        };
      } catch (error) {
        if (!isWrongExpectedVersion(error)) throw translate(error, `appending to '${request.stream}'`);
        // Another writer appended between our read of the end and our append: look again. With a
        // fixed expectation the next pass reports the conflict with the true current revision.
        lastConflict = error;
      }
    }
    throw new VersionConflictError(request.stream, request.expectedRevision, actualOf(lastConflict));
  }

  /**
   * Copies events sealed by another store (the embedded log, by `multicloud-images migrate`) to the
   * end of `stream`, keeping their ids, revisions, metadata and hashes. The batch must be consecutive
   * revisions of one stream whose hashes match their content and whose chain continues the stream's,
   * so a broken log is never carried over. A batch already stored at its revisions (a re-run after an
   * interruption) is answered `alreadyAppended` and writes nothing.
   *
   * Usage: await store.importSealedEvents('mci-42', recordedEvents);
   */
  async importSealedEvents(stream: string, events: readonly SealedImport[]): Promise<AppendResult> {
    this.assertOpen();
    // The port's own checks (names, ids, JSON, sizes), on the events as the application wrote them.
    const request = prepareAppend(
      stream,
      events.map(({ id, type, data, metadata: { hash: _hash, prevHash: _prevHash, ...metadata } }) => ({ id, type, data, metadata })),
      'any',
    );
    events.forEach((event, index) => {
      const where = `'${request.stream}' revision ${event.revision}`;
      if (index > 0 && event.revision !== (events[index - 1] as SealedImport).revision + 1n) {
        throw new InvalidRequestError(
          `${where}: an import must be consecutive revisions, it follows revision ${(events[index - 1] as SealedImport).revision}`,
        );
      }
      if (index > 0 && event.metadata.prevHash !== (events[index - 1] as SealedImport).metadata.hash) {
        throw new InvalidRequestError(`${where}: its prevHash is not the hash of the event before it: the chain is broken`);
      }
      if (computeEventHash({ ...event, stream: request.stream }) !== event.metadata.hash) {
        throw new InvalidRequestError(`${where}: its content does not hash to its stored hash: it was changed after it was written`);
      }
    });
    const first = events[0] as SealedImport;
    const last = await this.lastLink(request.stream);
    if (last !== undefined && first.revision <= last.revision) {
      const stored = await this.readStreamOrEmpty(request.stream, { fromRevision: first.revision, maxCount: events.length });
      const verdict = compareWithStored(
        events.map((e) => e.id),
        stored.map((e) => e.id),
      );
      if (verdict !== 'replay') {
        throw new VersionConflictError(request.stream, first.revision === 0n ? 'no_stream' : first.revision - 1n, last.revision);
      }
      const lastStored = stored[stored.length - 1] as RecordedEvent;
      return {
        firstRevision: first.revision,
        nextExpectedRevision: lastStored.revision,
        position: lastStored.position,
        cursor: lastStored.cursor,
        alreadyAppended: true,
      };
    }
    const expected = last === undefined ? -1n : last.revision;
    if (first.revision !== expected + 1n) {
      throw new VersionConflictError(
        request.stream,
        first.revision === 0n ? 'no_stream' : first.revision - 1n,
        last?.revision ?? 'no_stream',
      );
    }
    if ((first.metadata.prevHash ?? null) !== (last?.hash ?? null)) {
      throw new InvalidRequestError(
        `'${request.stream}' revision ${first.revision}: its prevHash does not continue the chain already stored (revision ${expected} has hash ${last?.hash ?? 'none'})`,
      );
    }
    try {
      const result = await this.client.appendToStream(
        request.stream,
        events.map((event) =>
          jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata: event.metadata as JSONType }),
        ),
        { expectedRevision: last === undefined ? NO_STREAM : last.revision, deadline: this.deadline },
      );
      if (!result.position) throw new EventStoreUnavailableError('EventStoreDB acknowledged an append without its position');
      return {
        firstRevision: first.revision,
        nextExpectedRevision: result.nextExpectedRevision,
        position: result.position,
        cursor: this.cursorOf(result.position),
        alreadyAppended: false,
      };
    } catch (error) {
      if (isWrongExpectedVersion(error)) {
        throw new VersionConflictError(request.stream, last === undefined ? 'no_stream' : last.revision, actualOf(error));
      }
      throw translate(error, `importing into '${request.stream}'`);
    }
  }

  private async lastLink(stream: string): Promise<ChainLink | undefined> {
    const [last] = await this.readStreamOrEmpty(stream, { direction: 'backwards', maxCount: 1 });
    return last && { revision: last.revision, hash: last.metadata.hash };
  }

  /** Same rule as the SQLite adapter: the batch already stored where it would have gone is a retry. */
  private async findEarlierAppend(
    stream: string,
    events: PreparedEvent[],
    expected: ExpectedRevision,
    current: bigint | undefined,
  ): Promise<AppendResult | undefined> {
    if (current === undefined || !couldBeRetry(events)) return undefined;
    let start = retryStartRevision(expected);
    if (start === undefined) {
      // `any`/`stream_exists`: look for the batch's first id among the stream's newest events.
      const recent = await this.readStreamOrEmpty(stream, { direction: 'backwards', maxCount: 1_000 });
      const found = recent.find((e) => e.id === (events[0] as PreparedEvent).id);
      if (!found) return undefined;
      start = found.revision;
    } else if (typeof expected === 'bigint' && expected === current) {
      return undefined;
    }
    if (start > current) return undefined;
    const stored = await this.readStreamOrEmpty(stream, { fromRevision: start, maxCount: events.length });
    const verdict = compareWithStored(
      events.map((e) => e.id),
      stored.map((e) => e.id),
    );
    if (verdict === 'partial') throw new VersionConflictError(stream, expected, current);
    if (verdict === 'not_written') return undefined;
    const lastStored = stored[stored.length - 1] as RecordedEvent;
    return {
      firstRevision: start,
      nextExpectedRevision: lastStored.revision,
      position: lastStored.position,
      cursor: lastStored.cursor,
      alreadyAppended: true,
    };
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const read = normalizeReadStream(stream, options);
    const events: RecordedEvent[] = [];
    try {
      const reading = this.client.readStream(stream, {
        direction: read.direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: read.fromRevision ?? (read.direction === 'forwards' ? START : END),
        maxCount: read.maxCount,
        deadline: this.deadline,
      });
      for (const resolved of await readFully(reading, this.deadline, `reading '${stream}'`)) {
        const event = this.toRecorded(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      throw translate(error, `reading '${stream}'`);
    }
    return events;
  }

  private async readStreamOrEmpty(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    try {
      return await this.readStream(stream, options);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    this.assertOpen();
    const after = options?.after === undefined ? undefined : this.parseCursor(options.after);
    const maxCount = Math.min(normalizeMaxCount(options?.maxCount), MAX_READ_COUNT);
    const filter = normalizeFilter(options?.filter);
    const events: RecordedEvent[] = [];
    let scannedTo = after;
    try {
      for (let page = 0; page < MAX_SCAN_PAGES; page++) {
        const batch = await this.readAllPage(scannedTo, SCAN_PAGE);
        for (const resolved of batch) {
          const position = resolved.event?.position;
          if (!position) continue;
          scannedTo = position;
          const event = this.toRecorded(resolved);
          if (event && matchesFilter(filter, event.stream, event.type)) {
            events.push(event);
            if (events.length === maxCount) return { events, cursor: this.cursorOf(position), isEnd: false };
          }
        }
        if (batch.length < SCAN_PAGE) {
          return { events, cursor: scannedTo && this.cursorOf(scannedTo), isEnd: true };
        }
      }
    } catch (error) {
      throw translate(error, 'reading the log');
    }
    return { events, cursor: scannedTo && this.cursorOf(scannedTo), isEnd: false };
  }

  /** One page of `$all` strictly after `after` (the server's read from a position includes it). */
  private async readAllPage(after: LogPosition | undefined, count: number): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    const reading = this.client.readAll({
      direction: FORWARDS,
      fromPosition: after ?? START,
      maxCount: count + 1,
      deadline: this.deadline,
    });
    for (const resolved of await readFully(reading, this.deadline, 'reading the log')) {
      const position = resolved.event?.position;
      if (after && position && comparePositions(position, after) <= 0) continue;
      if (page.length < count) page.push(resolved);
    }
    return page;
  }

  subscribe(options?: SubscribeOptions): EventSubscription {
    this.assertOpen();
    const filter = normalizeFilter(options?.filter);
    const after = options?.after === undefined ? undefined : this.parseCursor(options.after);
    const subscription = new ResubscribingSubscription(this.client, filter, after, this.backoff, {
      toRecorded: (resolved) => this.toRecorded(resolved),
      headPosition: () => this.headPosition(),
      onDropped: this.options.onSubscriptionDropped,
      onClosed: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<LogPosition | undefined> {
    this.assertOpen();
    try {
      // The newest events may be the server's own ($-prefixed): look past them, a few at a time.
      let from: LogPosition | typeof END = END;
      for (let page = 0; page < MAX_SCAN_PAGES; page++) {
        const batch: AllStreamResolvedEvent[] = await readFully(
          this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: 16, deadline: this.deadline }),
          this.deadline,
          'reading the head of the log',
        );
        for (const resolved of batch) {
          if (resolved.event && !isSystem(resolved.event.streamId, resolved.event.type)) return resolved.event.position;
        }
        const oldest: LogPosition | undefined = batch[batch.length - 1]?.event?.position;
        if (batch.length < 16 || !oldest) return undefined;
        from = oldest; // backwards reads exclude their start position
      }
      return undefined;
    } catch (error) {
      throw translate(error, 'reading the head of the log');
    }
  }

  parseCursor(cursor: string): LogPosition {
    return decodeCursor(this.kind, cursor);
  }

  cursorOf(position: LogPosition): string {
    return encodeCursor(this.kind, position);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Converts what the server sent; `undefined` for the server's own events, which we never surface. */
  private toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
    const event = resolved.event;
    if (!event || isSystem(event.streamId, event.type)) return undefined;
    if (!event.isJson || typeof event.metadata !== 'object' || event.metadata === null || event.metadata instanceof Uint8Array) {
      throw new EventStoreUnavailableError(
        `event ${event.id} in '${event.streamId}' was not written by this service (expected JSON data and metadata)`,
      );
    }
    const metadata = event.metadata as unknown as RecordedMetadata;
    if (typeof metadata.hash !== 'string') {
      throw new EventStoreUnavailableError(`event ${event.id} in '${event.streamId}' has no hash: it was not written by this service`);
    }
    const position = event.position ?? { commit: -1n, prepare: -1n };
    return {
      id: event.id,
      type: event.type,
      stream: event.streamId,
      revision: event.revision,
      data: event.data as JsonValue,
      metadata,
      position,
      cursor: this.cursorOf(position),
      recordedAt: event.created,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** Events buffered per subscription before the server is asked to pause (gRPC flow control). */
const HIGH_WATER = 256;
const LOW_WATER = 64;

interface SubscriptionHooks {
  toRecorded(resolved: AllStreamResolvedEvent): RecordedEvent | undefined;
  headPosition(): Promise<LogPosition | undefined>;
  onDropped: ((error: unknown, retryInMs: number) => void) | undefined;
  onClosed(): void;
}

/**
 * A `$all` subscription that survives drops: it reads the client's stream in flowing mode into a
 * bounded queue (pausing the call at the high-water mark, so a slow consumer slows the server, not
 * memory), and when the call fails it resubscribes after the last event it received, with backoff.
 * Reading in flowing mode also means a closed subscription's call always runs to its end, which the
 * client's `dispose()` waits for (see `readFully`).
 */
class ResubscribingSubscription implements EventSubscription {
  readonly events: AsyncIterable<RecordedEvent>;
  readonly caughtUp: Promise<void>;
  private readonly reachedEnd = deferred();
  private readonly queue: RecordedEvent[] = [];
  private wakeConsumer: (() => void) | undefined;
  private current: AllStreamSubscription | undefined;
  private closed = false;
  private backoffTimer: NodeJS.Timeout | undefined;
  private wait: number;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly filter: NormalizedFilter,
    private last: LogPosition | undefined,
    private readonly backoff: { readonly initial: number; readonly max: number },
    private readonly hooks: SubscriptionHooks,
  ) {
    this.caughtUp = this.reachedEnd.promise;
    this.wait = backoff.initial;
    this.events = this.deliver();
    if (filter.eventTypes?.size === 0 || filter.streamPrefixes?.length === 0) {
      // Nothing can match: stay open and silent until closed.
      this.reachedEnd.resolve();
    } else {
      void this.connect();
    }
  }

  private async connect(): Promise<void> {
    // The head at (re)subscription: reaching it means caught up, for servers that don't send the
    // caught-up message.
    const head = await this.hooks.headPosition().catch(() => undefined);
    if (this.closed) return;
    if (!head || (this.last && comparePositions(this.last, head) >= 0)) this.reachedEnd.resolve();
    const subscription = this.client.subscribeToAll({ fromPosition: this.last ?? START, filter: serverFilter(this.filter) });
    this.current = subscription;
    let failed = false;
    const drop = (error: unknown): void => {
      if (failed || this.current !== subscription) return;
      failed = true;
      this.current = undefined;
      subscription.removeAllListeners('data');
      subscription.resume();
      if (this.closed) return;
      this.hooks.onDropped?.(error, this.wait);
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = undefined;
        void this.connect();
      }, this.wait);
      this.backoffTimer.unref();
      this.wait = Math.min(this.wait * 2, this.backoff.max);
    };
    subscription.on('caughtUp', () => this.reachedEnd.resolve());
    subscription.on('error', drop);
    subscription.on('end', () => drop(new Error('the server ended the subscription')));
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      if (this.closed) return;
      const position = resolved.event?.position;
      if (!position) return;
      // A resubscription starts after `last`; this guards against a server that repeats it.
      if (this.last && comparePositions(position, this.last) <= 0) return;
      this.last = position;
      if (head && comparePositions(position, head) >= 0) this.reachedEnd.resolve();
      let event: RecordedEvent | undefined;
      try {
        event = this.hooks.toRecorded(resolved);
      } catch (error) {
        drop(error);
        return;
      }
      if (!event || !matchesFilter(this.filter, event.stream, event.type)) return;
      this.wait = this.backoff.initial;
      this.queue.push(event);
      if (this.queue.length >= HIGH_WATER) subscription.pause();
      this.wakeConsumer?.();
    });
  }

  private async *deliver(): AsyncGenerator<RecordedEvent> {
    try {
      while (!this.closed) {
        const event = this.queue.shift();
        if (event) {
          if (this.queue.length <= LOW_WATER && this.current?.isPaused()) this.current.resume();
          yield event;
          continue;
        }
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
        this.wakeConsumer = undefined;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hooks.onClosed();
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.queue.length = 0;
    this.wakeConsumer?.();
    const subscription = this.current;
    this.current = undefined;
    if (subscription) {
      await subscription.unsubscribe().catch(() => undefined);
    }
  }
}

/** What the client's reads are besides iterables: they can be cancelled (the gRPC call) and destroyed (the stream). */
interface ClientRead<T> extends AsyncIterable<T> {
  cancel?(): Promise<void>;
  destroy?(): void;
}

/**
 * Reads a (bounded) client read to its end, within `deadlineMs`. Never just stop iterating a read: the
 * client keeps the abandoned gRPC call paused with unread messages, and its `dispose()` then waits for
 * it forever. The client ignores the `deadline` option for reads (server-streaming calls run with an
 * infinite one), so a server that keeps the connection but stops answering would hold the read until
 * the keep-alive gives up (20 s by default): past the deadline the call is cancelled (which ends it, so
 * `dispose()` doesn't wait for it) and the read fails as unavailable.
 */
async function readFully<T>(reading: ClientRead<T>, deadlineMs: number, doing: string): Promise<T[]> {
  const items: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new EventStoreUnavailableError(`${doing}: EventStoreDB did not answer within ${deadlineMs} ms`));
      void (reading.cancel?.() ?? Promise.resolve()).catch(() => undefined).finally(() => reading.destroy?.());
    }, deadlineMs);
  });
  const drain = async (): Promise<T[]> => {
    for await (const item of reading) items.push(item);
    return items;
  };
  try {
    return await Promise.race([drain(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function isSystem(stream: string, type: string): boolean {
  return stream.startsWith('$') || type.startsWith('$');
}

/** The server-side part of a filter: EventStoreDB takes one kind (streams or types); the rest is checked here. */
function serverFilter(filter: NormalizedFilter): Filter {
  if (filter.streamPrefixes) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter.eventTypes) return eventTypeFilter({ regex: `^(?:${[...filter.eventTypes].map(escapeRegex).join('|')})$` });
  return excludeSystemEvents();
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

function isWrongExpectedVersion(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'wrong-expected-version';
}

function actualOf(error: unknown): bigint | 'no_stream' {
  const actual = (error as { actualVersion?: unknown } | undefined)?.actualVersion;
  return typeof actual === 'bigint' ? actual : 'no_stream';
}

/** gRPC status codes that mean "the server can't be reached or didn't answer in time". */
const UNREACHABLE_GRPC_CODES = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** Driver errors become port errors; anything unrecognised passes through to be logged and masked. */
function translate(error: unknown, doing: string): unknown {
  if (error instanceof EventStoreError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  const grpcCode = (error as { code?: unknown } | null)?.code;
  // Some client paths (e.g. its server-features probe while the server is down) reject with a raw
  // gRPC error that has a status code but no `type`.
  if (type === undefined && typeof grpcCode === 'number' && UNREACHABLE_GRPC_CODES.has(grpcCode)) {
    return new EventStoreUnavailableError(`${doing}: EventStoreDB is unavailable (${(error as Error).message})`, { cause: error });
  }
  switch (type) {
    case 'stream-not-found': {
      const stream = (error as { streamName?: unknown }).streamName;
      return new StreamNotFoundError(typeof stream === 'string' ? stream : '');
    }
    case 'maximum-append-size-exceeded':
      return new InvalidRequestError(
        `${doing}: larger than EventStoreDB's maximum append size (${String((error as { maxAppendSize?: unknown }).maxAppendSize)} bytes)`,
      );
    case 'unavailable':
    case 'deadline-exceeded':
    case 'timeout':
    case 'cancelled':
    case 'not-leader':
    case 'unknown':
      return new EventStoreUnavailableError(`${doing}: EventStoreDB is unavailable (${(error as Error).message})`, { cause: error });
    case 'access-denied':
      return new EventStoreUnavailableError(`${doing}: EventStoreDB denied access: check the credentials in EVENTSTORE_URL`, {
        cause: error,
      });
    default:
      return error;
  }
}
