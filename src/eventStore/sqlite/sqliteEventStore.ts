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
import { decodeCursor, encodeCursor } from '../cursor';
import { EventStoreClosedError, EventStoreError, EventStoreUnavailableError, StreamNotFoundError, VersionConflictError } from '../errors';
import { normalizeFilter, type NormalizedFilter } from '../filter';
import { sealEvents } from '../hashChain';
import { sqliteCodeOf, storageFailureOf } from '../../sqlite/storageFailure';
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
import { CommitSignal, deferred } from '../signal';
import { openDatabase, StatementCache, type SqliteDatabase, type Synchronous, type Transaction } from '../../sqlite/database';
import { EVENT_STORE_MIGRATIONS } from './migrations';
import { DEFAULT_GROUP_COMMIT_LIMITS, GroupCommitQueue, type GroupCommitStats, type GroupOutcome } from './groupCommit';

export interface SqliteEventStoreOptions {
  /** A file path, or `:memory:` for a store that lives as long as the process. */
  readonly path: string;
  /** `FULL` (default): an acknowledged append survives power loss. `NORMAL`: it survives a crash of the process. */
  readonly synchronous?: Synchronous;
  /** The store's clock for `recordedAt`. */
  readonly clock?: () => Date;
  /**
   * How often to look for commits made by another process on the same file (the CLI, say), while
   * someone is subscribed. Commits made through this store wake subscribers at once, without polling.
   */
  readonly externalWritePollMs?: number;
  /**
   * Group commit (default on): appends that arrive together share one transaction and one fsync, each
   * still checked on its own and acknowledged only after that commit (see groupCommit.ts). Off: one
   * transaction per append.
   */
  readonly groupCommit?: boolean;
  /** Appends per group at most (default 256). */
  readonly maxGroupAppends?: number;
}

/** An append checked by `prepareAppend`, waiting for its group. */
interface AppendRequest {
  readonly stream: string;
  readonly events: PreparedEvent[];
  readonly expectedRevision: ExpectedRevision;
}

/**
 * An events row as the reads fetch it: an array in `COLUMNS` order (better-sqlite3's raw mode), which
 * skips building an object with named keys per row; integers come as bigint (`defaultSafeIntegers`).
 */
type EventRow = readonly [
  position: bigint,
  stream: string,
  revision: bigint,
  id: string,
  type: string,
  data: string,
  metadata: string,
  prevHash: string | null,
  hash: string,
  recordedAt: bigint,
];

interface ScanPage {
  readonly rows: EventRow[];
  readonly scannedTo: bigint;
  readonly isEnd: boolean;
}

/** One subscription's place in the log. */
interface LiveReader {
  readonly filter: NormalizedFilter;
  position: bigint;
  readonly caughtUp: { promise: Promise<void>; resolve: () => void };
  closed: boolean;
  close(): Promise<void>;
}

const COLUMNS = 'position, stream, revision, id, type, data, metadata, prev_hash, hash, recorded_at';
/** Rows read per page by subscriptions and by filtered scans. */
const PAGE_SIZE = 500;
/**
 * With `any` or `stream_exists` there is no revision to look a retried batch up at; it is recognised
 * while its first event is among the stream's newest this many events (EventStoreDB likewise checks
 * recent ids only).
 */
const ANY_RETRY_WINDOW = 1_000n;

/** Opens (creating and migrating when needed) the embedded event store. */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options);
}

export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly db: SqliteDatabase;
  private readonly clock: () => Date;
  private readonly signal = new CommitSignal();
  private readonly subscriptions = new Set<{ close(): Promise<void> }>();
  private readonly statements: StatementCache;
  private readonly appendTransaction: Transaction<(stream: string, events: PreparedEvent[], expected: ExpectedRevision) => AppendResult>;
  private readonly scanTransaction: (after: bigint, filter: NormalizedFilter, maxCount: number) => ScanPage;
  /** One IMMEDIATE transaction for a whole group; each append in it runs `appendTransaction` as a SAVEPOINT. */
  private readonly groupTransaction: Transaction<(requests: readonly AppendRequest[]) => Array<GroupOutcome<AppendResult>>>;
  /** Undefined when group commit is off. */
  private readonly groups: GroupCommitQueue<AppendRequest, AppendResult> | undefined;
  /** Commits of appends made without group commit, for `groupCommitStats`. */
  private soloCommits = 0;
  private readonly externalWritePollMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastDataVersion = 0;
  private closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.externalWritePollMs = options.externalWritePollMs ?? 250;
    try {
      this.db = openDatabase(options.path, {
        synchronous: options.synchronous ?? 'FULL',
        migrations: EVENT_STORE_MIGRATIONS,
        label: 'event store',
      });
    } catch (error) {
      throw translateSqliteError(error, `opening the event store at ${options.path}`);
    }
    // Revisions and positions are 64-bit: read them as bigint, never as a lossy double.
    this.db.defaultSafeIntegers(true);
    this.statements = new StatementCache(this.db);
    // Made once: creating a better-sqlite3 transaction function per call costs more than the call.
    this.appendTransaction = this.db.transaction((stream: string, events: PreparedEvent[], expected: ExpectedRevision) =>
      this.appendInTransaction(stream, events, expected),
    );
    // Called inside `groupTransaction`, better-sqlite3 runs `appendTransaction` as a SAVEPOINT: an append
    // that fails is undone alone, and the group goes on.
    this.groupTransaction = this.db.transaction((requests: readonly AppendRequest[]) =>
      requests.map((request): GroupOutcome<AppendResult> => {
        try {
          return { ok: true, value: this.appendTransaction(request.stream, request.events, request.expectedRevision) };
        } catch (error) {
          // SQLite's own failures (full disk, I/O error, lock) are the transaction's: abort the group.
          // Anything else (a conflict, say) belongs to this append, whose savepoint is already rolled back.
          if (sqliteCodeOf(error) !== undefined) throw error;
          return { ok: false, error };
        }
      }),
    );
    this.groups =
      options.groupCommit === false
        ? undefined
        : new GroupCommitQueue<AppendRequest, AppendResult>(
            (requests) => this.commitGroup(requests),
            (request) => request.events.reduce((bytes, event) => bytes + event.dataJson.length + event.metadataJson.length, 0),
            { ...DEFAULT_GROUP_COMMIT_LIMITS, maxAppends: options.maxGroupAppends ?? DEFAULT_GROUP_COMMIT_LIMITS.maxAppends },
          );
    // A read transaction, so a page and the head it reports come from one snapshot.
    this.scanTransaction = this.db.transaction((after: bigint, filter: NormalizedFilter, maxCount: number) =>
      this.scan(after, filter, maxCount),
    );
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    // Checked before queueing: a malformed append is refused at once and never joins a group.
    const request = prepareAppend(stream, events, options?.expectedRevision);
    if (this.groups) return this.groups.submit(request);
    let result: AppendResult;
    try {
      result = this.appendTransaction.immediate(request.stream, request.events, request.expectedRevision);
    } catch (error) {
      throw translateSqliteError(error, `appending to '${request.stream}'`);
    }
    this.soloCommits += 1;
    if (!result.alreadyAppended) this.signal.notify();
    return result;
  }

  /**
   * Writes one group in one IMMEDIATE transaction. Appends run in arrival order, so positions follow
   * arrival order without gaps, and a second append to a stream in the same group sees the first (its
   * expected revision, idempotency check and hash chain continue from it). Outcomes are returned (and
   * callers settled) only after COMMIT returned: a caller whose append conflicted is told so only if the
   * group committed, since the conflict may rest on an earlier append of the same group. If SQLite fails
   * (or the COMMIT does), the whole transaction is rolled back and every caller gets the failure.
   */
  private commitGroup(requests: readonly AppendRequest[]): Array<GroupOutcome<AppendResult>> {
    let outcomes: Array<GroupOutcome<AppendResult>>;
    try {
      outcomes = this.groupTransaction.immediate(requests);
    } catch (error) {
      return requests.map((request) => ({ ok: false, error: translateSqliteError(error, `appending to '${request.stream}'`) }));
    }
    // Woken after the commit: a subscriber reads only committed events, in position order.
    if (outcomes.some((outcome) => outcome.ok && !outcome.value.alreadyAppended)) this.signal.notify();
    return outcomes;
  }

  /** Transactions that wrote (or, on a storage failure, tried to write) appends, and how many appends they carried. */
  groupCommitStats(): GroupCommitStats {
    if (!this.groups) return { groups: this.soloCommits, appends: this.soloCommits, largestGroup: this.soloCommits > 0 ? 1 : 0 };
    return this.groups.stats();
  }

  private appendInTransaction(stream: string, events: PreparedEvent[], expected: AppendOptions['expectedRevision']): AppendResult {
    const last = this.statement(`SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`).get(stream) as
      { revision: bigint; hash: string } | undefined;
    const current = last?.revision;

    const replay = this.findEarlierAppend(stream, events, expected, current);
    if (replay) return replay;
    assertExpectedRevision(stream, expected, current);

    const recordedAt = this.clock().getTime();
    const insert = this.statement(
      `INSERT INTO events (stream, revision, id, type, data, metadata, prev_hash, hash, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const sealed = sealEvents(stream, last && { revision: last.revision, hash: last.hash }, events);
    let position = 0n;
    for (const event of sealed) {
      // The chain has its own columns; the metadata column keeps the caller's metadata as prepared.
      const info = insert.run(
        stream,
        event.revision,
        event.id,
        event.type,
        event.dataJson,
        event.metadataJson,
        event.metadata.prevHash,
        event.metadata.hash,
        recordedAt,
      );
      position = BigInt(info.lastInsertRowid);
    }
    const firstRevision = (sealed[0] as (typeof sealed)[number]).revision;
    return this.result(firstRevision, firstRevision + BigInt(sealed.length - 1), position, false);
  }

  /**
   * An append whose event ids are already stored where it would have written them is a retry of an
   * append that succeeded: answer with the first result. A batch that only partly matches is a conflict.
   */
  private findEarlierAppend(
    stream: string,
    events: PreparedEvent[],
    expected: AppendOptions['expectedRevision'],
    current: bigint | undefined,
  ): AppendResult | undefined {
    if (current === undefined || !couldBeRetry(events)) return undefined;
    let start = retryStartRevision(expected);
    if (start === undefined) {
      const found = this.statement(`SELECT revision FROM events WHERE stream = ? AND revision > ? AND id = ? LIMIT 1`).get(
        stream,
        current - ANY_RETRY_WINDOW,
        (events[0] as PreparedEvent).id,
      ) as { revision: bigint } | undefined;
      if (!found) return undefined;
      start = found.revision;
    } else if (typeof expected === 'bigint' && expected === current) {
      return undefined;
    }
    const stored = this.statement(`SELECT id, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`).all(
      stream,
      start,
      events.length,
    ) as Array<{ id: string; position: bigint }>;
    const verdict = compareWithStored(
      events.map((e) => e.id),
      stored.map((s) => s.id),
    );
    if (verdict === 'replay') {
      const lastStored = stored[stored.length - 1] as { position: bigint };
      return this.result(start, start + BigInt(events.length - 1), lastStored.position, true);
    }
    if (verdict === 'partial') throw new VersionConflictError(stream, expected, current);
    return undefined;
  }

  private result(firstRevision: bigint, lastRevision: bigint, position: bigint, alreadyAppended: boolean): AppendResult {
    const logPosition = { commit: position, prepare: position };
    return {
      firstRevision,
      nextExpectedRevision: lastRevision,
      position: logPosition,
      cursor: this.cursorOf(logPosition),
      alreadyAppended,
    };
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const read = normalizeReadStream(stream, options);
    try {
      const rows = this.db.transaction(() => {
        const found =
          read.direction === 'forwards'
            ? this.rowsStatement(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`).all(
                stream,
                read.fromRevision ?? 0n,
                read.maxCount,
              )
            : this.rowsStatement(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`).all(
                stream,
                read.fromRevision ?? BigInt(Number.MAX_SAFE_INTEGER),
                read.maxCount,
              );
        if (found.length === 0 && !this.statement(`SELECT 1 FROM events WHERE stream = ? LIMIT 1`).get(stream)) {
          throw new StreamNotFoundError(stream);
        }
        return found as EventRow[];
      })();
      return rows.map((row) => this.toRecorded(row));
    } catch (error) {
      throw translateSqliteError(error, `reading '${stream}'`);
    }
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    this.assertOpen();
    const after = options?.after === undefined ? 0n : this.parseCursor(options.after).commit;
    const maxCount = Math.min(normalizeMaxCount(options?.maxCount), MAX_READ_COUNT);
    const filter = normalizeFilter(options?.filter);
    try {
      const page = this.scanTransaction(after, filter, maxCount);
      return {
        events: page.rows.map((row) => this.toRecorded(row)),
        cursor: page.scannedTo > 0n ? this.cursorOf({ commit: page.scannedTo, prepare: page.scannedTo }) : options?.after,
        isEnd: page.isEnd,
      };
    } catch (error) {
      throw translateSqliteError(error, 'reading the log');
    }
  }

  /**
   * Reads matching rows after `after`. Filters are applied in SQL; `scannedTo` says how far the log was
   * looked at, so a filtered reader does not scan the same non-matching rows again.
   */
  private scan(after: bigint, filter: NormalizedFilter, maxCount: number): ScanPage {
    const conditions = ['position > ?'];
    const params: unknown[] = [after];
    if (filter.eventTypes !== undefined) {
      if (filter.eventTypes.size === 0) conditions.push('0');
      else {
        conditions.push(`type IN (${[...filter.eventTypes].map(() => '?').join(', ')})`);
        params.push(...filter.eventTypes);
      }
    }
    if (filter.streamPrefixes !== undefined) {
      if (filter.streamPrefixes.length === 0) conditions.push('0');
      else {
        // instr(...) = 1 rather than LIKE: prefixes may contain % and _, which LIKE would treat as wildcards.
        conditions.push(`(${filter.streamPrefixes.map(() => 'instr(stream, ?) = 1').join(' OR ')})`);
        params.push(...filter.streamPrefixes);
      }
    }
    const rows = this.rowsStatement(`SELECT ${COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`).all(
      ...params,
      maxCount,
    ) as EventRow[];
    if (rows.length === maxCount) {
      return { rows, scannedTo: (rows[rows.length - 1] as EventRow)[0], isEnd: false };
    }
    const head = (this.statement(`SELECT max(position) AS head FROM events`).get() as { head: bigint | null }).head ?? 0n;
    return { rows, scannedTo: head > after ? head : after, isEnd: true };
  }

  subscribe(options?: SubscribeOptions): EventSubscription {
    this.assertOpen();
    const filter = normalizeFilter(options?.filter);
    const state: LiveReader = {
      filter,
      position: options?.after === undefined ? 0n : this.parseCursor(options.after).commit,
      caughtUp: deferred(),
      closed: false,
      close: async () => {
        state.closed = true;
        this.subscriptions.delete(state);
        this.signal.notify();
        this.updatePolling();
      },
    };
    this.subscriptions.add(state);
    this.updatePolling();
    return { events: this.deliver(state), caughtUp: state.caughtUp.promise, close: state.close };
  }

  /** Catch-up then live: read pages after the reader's position; at the end, sleep until a commit. */
  private async *deliver(reader: LiveReader): AsyncGenerator<RecordedEvent> {
    try {
      while (!reader.closed && !this.closed) {
        const page = this.scanTransaction(reader.position, reader.filter, PAGE_SIZE);
        reader.position = page.scannedTo;
        if (page.isEnd) reader.caughtUp.resolve();
        for (const row of page.rows) {
          if (reader.closed || this.closed) return;
          yield this.toRecorded(row);
        }
        if (page.rows.length === 0 && page.isEnd) {
          // Registered in the same turn as the empty read above: no commit can slip in between.
          await this.signal.wait();
        }
      }
    } finally {
      await reader.close();
    }
  }

  async headPosition(): Promise<LogPosition | undefined> {
    this.assertOpen();
    const head = (this.statement(`SELECT max(position) AS head FROM events`).get() as { head: bigint | null }).head;
    return head === null ? undefined : { commit: head, prepare: head };
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
    // Appends accepted before close() are written (and their callers answered), not dropped.
    this.groups?.flushNow();
    this.signal.notify();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.db.close();
  }

  /** Polls `PRAGMA data_version` (it changes when another connection commits) only while someone listens. */
  private updatePolling(): void {
    if (this.subscriptions.size > 0 && !this.pollTimer && !this.closed && this.externalWritePollMs > 0) {
      this.lastDataVersion = Number(this.db.pragma('data_version', { simple: true }));
      this.pollTimer = setInterval(() => {
        if (this.closed) return;
        const version = Number(this.db.pragma('data_version', { simple: true }));
        if (version !== this.lastDataVersion) {
          this.lastDataVersion = version;
          this.signal.notify();
        }
      }, this.externalWritePollMs);
      this.pollTimer.unref();
    } else if (this.subscriptions.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /**
   * The hot path of every reader (a read-model rebuild converts a million of these): the parsed
   * metadata object is fresh, so the chain fields are set on it rather than copied into a new one.
   */
  private toRecorded(row: EventRow): RecordedEvent {
    const position = row[0];
    const parsed = JSON.parse(row[6]) as unknown;
    let metadata: Record<string, unknown>;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
    else metadata = { ...(parsed as object) };
    metadata['prevHash'] = row[7];
    metadata['hash'] = row[8];
    const logPosition = { commit: position, prepare: position };
    return {
      id: row[3],
      type: row[4],
      stream: row[1],
      revision: row[2],
      data: JSON.parse(row[5]) as JsonValue,
      metadata: metadata as RecordedMetadata,
      position: logPosition,
      cursor: this.cursorOf(logPosition),
      recordedAt: new Date(Number(row[9])),
    };
  }

  /** A statement over `COLUMNS` that returns rows as arrays (see `EventRow`). */
  private rowsStatement(sql: string) {
    return this.statements.get(sql).raw(true);
  }

  private statement(sql: string) {
    return this.statements.get(sql);
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** Better-sqlite3 failures become port errors with a message that says what to do. */
export function translateSqliteError(error: unknown, doing: string): unknown {
  if (error instanceof EventStoreError) return error;
  const code = sqliteCodeOf(error);
  if (code === undefined) return error;
  // A failed write rolls its transaction back: with these reasons the client is told nothing was saved.
  switch (storageFailureOf(error)) {
    case 'storage_full':
      return new EventStoreUnavailableError(`${doing}: the disk is full`, { cause: error, reason: 'storage_full' });
    case 'storage_read_only':
      return new EventStoreUnavailableError(`${doing}: the data directory is read-only`, { cause: error, reason: 'storage_read_only' });
    case 'storage_failed':
      return new EventStoreUnavailableError(`${doing}: the disk failed a read or write (${code})`, {
        cause: error,
        reason: 'storage_failed',
      });
    case undefined:
      break;
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) {
    return new EventStoreUnavailableError(`${doing}: the database is locked by another process`, { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return new EventStoreUnavailableError(`${doing}: the file can't be opened`, { cause: error });
  return new EventStoreUnavailableError(`${doing}: ${String((error as { message?: unknown }).message)} (${code})`, { cause: error });
}
