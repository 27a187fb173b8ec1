import type { Logger } from 'pino';
import type { BatchMemory, Projection, ReadModelWriter, SqlValue } from '../../projections/projection';
import { comparePositions } from '../eventStore/cursor';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import { storageFailureOf, type StorageFailure } from '../sqlite/storageFailure';

export type ProjectionState = 'live' | 'catching_up' | 'failed';

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly state: ProjectionState;
  /** Cursor of the last event applied (or skipped); `undefined` before the first. */
  readonly checkpoint: string | undefined;
  /** Why the projection stopped, and at which event; it is retried with backoff. */
  readonly error?: { readonly message: string; readonly eventId?: string; readonly stream?: string; readonly retryInMs: number };
}

export interface RunnerStatus {
  /** Every projection is live and the shared subscription has read to the end of the log. */
  readonly caughtUp: boolean;
  readonly projections: readonly ProjectionStatus[];
  /** Why the last batch of the shared subscription could not be written (its disk is full…); it is retried with backoff. */
  readonly error?: { readonly message: string; readonly retryInMs: number };
}

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly db: SqliteDatabase;
  readonly projections: readonly Projection[];
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Most events applied in one transaction. */
  readonly batchSize?: number;
  /**
   * Offer projections batch memory (`ReadModelWriter.batch`, default true): rows folded in memory and
   * written once per batch. Off, they write event by event (the benchmark's baseline).
   */
  readonly batchMemory?: boolean;
  /** Wait before retrying a failed projection (doubles per consecutive failure up to `max`). */
  readonly retryBackoffMs?: { readonly initial: number; readonly max: number };
  readonly clock?: () => Date;
}

/**
 * The read models could not apply the log up to a position a caller waits for: one projection failed
 * on an event (`projection` names it), or the batch could not be written at all (`projection` is
 * undefined), e.g. because the disk is full. Either is retried with backoff. The message holds the
 * details for the log (event ids, driver text); `why` says when it is not a read model's own fault.
 */
export class ProjectionFailedError extends Error {
  constructor(
    readonly projection: string | undefined,
    reason: string,
    readonly why?: StorageFailure | 'shutting_down',
    options?: { readonly cause?: unknown },
  ) {
    super(`${projection === undefined ? 'the read models are' : `read model '${projection}' is`} not up to date: ${reason}`, options);
    this.name = 'ProjectionFailedError';
  }
}

export class ProjectionWaitTimeoutError extends Error {
  constructor(ms: number, lagging: readonly string[]) {
    super(`read models did not reach the requested position within ${ms} ms (still behind: ${lagging.join(', ')})`);
    this.name = 'ProjectionWaitTimeoutError';
  }
}

class ApplyError extends Error {
  /** Set when the disk refused the write: not the projection's fault, so the whole batch is retried. */
  readonly storage: StorageFailure | undefined;
  constructor(
    readonly event: RecordedEvent,
    cause: unknown,
  ) {
    super(
      `applying ${event.type} (${event.id}) of '${event.stream}' at revision ${event.revision}: ${(cause as Error)?.message ?? String(cause)}`,
      {
        cause,
      },
    );
    this.storage = storageFailureOf(cause);
  }
}

interface Lane {
  readonly projection: Projection;
  readonly handles: ReadonlySet<string> | 'all';
  checkpoint: LogPosition | undefined;
  state: ProjectionState;
  error: ProjectionStatus['error'];
  /** Set when the lane failed because the disk refused its write, not on its own fault. */
  storageFailure: StorageFailure | undefined;
  consecutiveFailures: number;
  retryTimer: NodeJS.Timeout | undefined;
}

interface Waiter {
  readonly position: LogPosition;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const BEFORE_EVERYTHING = undefined;

function isAtOrPast(checkpoint: LogPosition | undefined, position: LogPosition | undefined): boolean {
  if (position === BEFORE_EVERYTHING) return true;
  if (checkpoint === BEFORE_EVERYTHING) return false;
  return comparePositions(checkpoint, position) >= 0;
}

/**
 * Keeps the read models in step with the log.
 *
 * One shared subscription feeds every projection that is live, in batches: each batch is one SQLite
 * transaction in which each projection applies the events past its checkpoint and moves the
 * checkpoint, inside its own savepoint. A projection that throws is rolled back to its savepoint,
 * marked failed and retried later with backoff, while the others go on. A projection that is behind
 * (new, rebuilt after a version bump, or recovering) catches up on its own by reading the log in
 * pages, then joins the shared subscription once its checkpoint has reached the shared position.
 *
 * Usage:
 *   const runner = new ProjectionRunner({ store, db, projections: allProjections });
 *   await runner.start();
 *   await runner.waitForPosition(appended.position);   // read-your-writes
 */
export class ProjectionRunner {
  private readonly store: EventStore;
  private readonly db: SqliteDatabase;
  private readonly logger: ProjectionRunnerOptions['logger'];
  private readonly batchSize: number;
  private readonly backoff: { readonly initial: number; readonly max: number };
  private readonly clock: () => Date;
  private readonly statements: StatementCache;
  private readonly writer: ReadModelWriter;
  /** The batch memory of the lane applying right now (see `applyToLane`). */
  private batch: Batch | undefined;
  private readonly lanes: Lane[];
  private readonly waiters = new Set<Waiter>();
  private sharedPosition: LogPosition | undefined;
  private sharedCaughtUp = false;
  /** The end of the log when the runner started: reaching it is what "caught up" means for readiness. */
  private headAtStart: LogPosition | undefined;
  private sharedLoop: Promise<void> | undefined;
  /** See `readModelsVersion`. */
  private changes = 0;
  /** The shared subscription's last batch could not be written; cleared by the next batch that is. */
  private sharedFailure: { readonly error: ProjectionFailedError; readonly retryInMs: number } | undefined;
  /** Failures of the shared subscription since its last written batch: the backoff doubles with each. */
  private sharedFailures = 0;
  /** Ends the backoff wait of the shared subscription early (on stop). */
  private wakeShared: (() => void) | undefined;
  private stopSubscription: (() => Promise<void>) | undefined;
  private running = false;
  private readonly catchUps = new Set<Promise<void>>();

  constructor(options: ProjectionRunnerOptions) {
    this.store = options.store;
    this.db = options.db;
    this.logger = options.logger;
    this.batchSize = options.batchSize ?? 500;
    this.backoff = options.retryBackoffMs ?? { initial: 1_000, max: 60_000 };
    this.clock = options.clock ?? (() => new Date());
    this.statements = new StatementCache(this.db);
    const names = new Set<string>();
    this.lanes = options.projections.map((projection) => {
      if (names.has(projection.name)) throw new Error(`two projections are named '${projection.name}'`);
      names.add(projection.name);
      return {
        projection,
        handles: projection.handles === 'all' ? 'all' : new Set(projection.handles),
        checkpoint: undefined,
        state: 'catching_up',
        error: undefined,
        storageFailure: undefined,
        consecutiveFailures: 0,
        retryTimer: undefined,
      };
    });
    this.writer = {
      run: (sql, ...params) => {
        this.statements.get(sql).run(...params);
      },
      get: <Row>(sql: string, ...params: SqlValue[]) => this.statements.get(sql).get(...params) as Row | undefined,
      all: <Row>(sql: string, ...params: SqlValue[]) => this.statements.get(sql).all(...params) as Row[],
      // Projections fold rows in memory within one lane's batch and write them once (see BatchMemory).
      batch: undefined,
    };
    const batchMemory = options.batchMemory ?? true;
    Object.defineProperty(this.writer, 'batch', { get: () => (batchMemory ? this.batch : undefined) });
  }

  /** Prepares every projection's tables (rebuilding those whose version changed) and starts applying. */
  async start(): Promise<void> {
    if (this.running) return;
    this.prepareTables();
    this.headAtStart = await this.store.headPosition();
    this.running = true;
    // The shared subscription starts at the furthest checkpoint; projections behind it catch up alone.
    let furthest: LogPosition | undefined;
    for (const lane of this.lanes) if (!isAtOrPast(furthest, lane.checkpoint)) furthest = lane.checkpoint;
    this.sharedPosition = furthest;
    this.noteSharedProgress();
    for (const lane of this.lanes) {
      if (isAtOrPast(lane.checkpoint, furthest)) lane.state = 'live';
      else this.startCatchUp(lane);
    }
    this.sharedLoop = this.runShared();
  }

  private prepareTables(): void {
    const now = this.clock().getTime();
    const read = this.db
      .prepare(`SELECT version, commit_position, prepare_position FROM projection_checkpoints WHERE name = ?`)
      .safeIntegers(true);
    for (const lane of this.lanes) {
      const { projection } = lane;
      const row = read.get(projection.name) as
        { version: bigint; commit_position: bigint | null; prepare_position: bigint | null } | undefined;
      this.db.transaction(() => {
        if (!row || Number(row.version) !== projection.version) {
          if (row) {
            this.logger?.info(
              { projection: projection.name, from: Number(row.version), to: projection.version },
              'rebuilding read model: its version changed',
            );
          }
          for (const table of projection.tables) this.db.exec(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
          for (const ddl of projection.schema) this.db.exec(ddl);
          this.db
            .prepare(
              `INSERT INTO projection_checkpoints (name, version, commit_position, prepare_position, updated_at) VALUES (?, ?, NULL, NULL, ?)
               ON CONFLICT (name) DO UPDATE SET version = excluded.version, commit_position = NULL, prepare_position = NULL, updated_at = excluded.updated_at`,
            )
            .run(projection.name, projection.version, now);
          lane.checkpoint = undefined;
        } else {
          for (const ddl of projection.schema) this.db.exec(ddl);
          lane.checkpoint =
            row.commit_position === null || row.prepare_position === null
              ? undefined
              : { commit: row.commit_position, prepare: row.prepare_position };
        }
      })();
    }
  }

  /**
   * The shared subscription: resubscribes from the last applied position after any failure (the store
   * unreachable, or a batch that could not be written), waiting longer after each failure in a row.
   */
  private async runShared(): Promise<void> {
    while (this.running) {
      try {
        await this.catchUpShared();
        await this.followLog();
      } catch (error) {
        if (!this.running) return;
        const wait = this.retryDelay(++this.sharedFailures);
        // A batch that could not be written was logged and reported where it failed (batchFailed).
        if (!(error instanceof ProjectionFailedError)) {
          this.logger?.error({ err: error, retryInMs: wait }, 'projection subscription failed; resubscribing');
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          timer.unref();
          this.wakeShared = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeShared = undefined;
      }
    }
  }

  private retryDelay(failuresInARow: number): number {
    return Math.min(this.backoff.initial * 2 ** (failuresInARow - 1), this.backoff.max);
  }

  /**
   * Before subscribing, reads the log up to its end in pages for all live projections together (a
   * restart after downtime, a new read-model file): a page is one array, where the subscription would
   * hand over one event per promise, which is what a long catch-up spends its time on otherwise.
   */
  private async catchUpShared(): Promise<void> {
    while (this.running) {
      const page = await this.store.readAll({
        ...(this.sharedPosition ? { after: this.store.cursorOf(this.sharedPosition) } : {}),
        maxCount: this.batchSize,
      });
      if (!this.running) return;
      if (page.events.length > 0) {
        try {
          this.applyShared(page.events);
        } catch (error) {
          throw this.batchFailed(error);
        }
      }
      if (page.isEnd || page.events.length === 0) return;
      // Timers and requests (/readyz) get their turn between pages.
      await nextMacrotask();
    }
  }

  private async followLog(): Promise<void> {
    const subscription = this.store.subscribe(this.sharedPosition ? { after: this.store.cursorOf(this.sharedPosition) } : {});
    this.stopSubscription = () => subscription.close();
    const iterator = subscription.events[Symbol.asyncIterator]();
    try {
      let pending = iterator.next();
      while (this.running) {
        const first = await pending;
        if (first.done) return;
        const batch = [first.value];
        // Take whatever is already available, without waiting for more: batches grow under load and
        // stay one event long when the log is quiet. One macrotask tick per batch tells "nothing more
        // yet", not one per event: during a catch-up the events arrive through microtasks alone, so
        // per-event ticks would all wait for the end of the catch-up, each holding its event in memory.
        const tick = nextMacrotask();
        for (;;) {
          pending = iterator.next();
          if (batch.length >= this.batchSize) break;
          const next = await Promise.race([pending, tick]);
          if (next === NOTHING_YET || next.done) break;
          batch.push(next.value);
        }
        try {
          this.applyShared(batch);
        } catch (error) {
          throw this.batchFailed(error);
        }
        // Between batches, timers and I/O get their turn (requests, /readyz), even while catching up.
        await tick;
      }
    } finally {
      this.stopSubscription = undefined;
      await subscription.close();
    }
  }

  /**
   * Records that the shared subscription's batch could not be written, and fails the waiters now rather
   * than at their timeout: their change is saved, only the read models lag. Returns what to throw.
   */
  private batchFailed(error: unknown): ProjectionFailedError {
    const failure = new ProjectionFailedError(
      undefined,
      `writing a batch of the log into the read models: ${(error as Error)?.message ?? String(error)}`,
      storageFailureOf(error),
      { cause: error },
    );
    const retryInMs = this.retryDelay(this.sharedFailures + 1);
    this.sharedFailure = { error: failure, retryInMs };
    this.logger?.error({ err: error, retryInMs }, 'read models could not be written; retrying');
    this.settleWaiters();
    return failure;
  }

  private noteSharedProgress(): void {
    if (this.sharedCaughtUp || !isAtOrPast(this.sharedPosition, this.headAtStart)) return;
    this.sharedCaughtUp = true;
    this.logger?.info({ position: this.sharedPosition && this.store.cursorOf(this.sharedPosition) }, 'read models caught up with the log');
  }

  /** One transaction for the batch; one savepoint per live projection. */
  private applyShared(batch: readonly RecordedEvent[]): void {
    const live = this.lanes.filter((lane) => lane.state === 'live');
    const moved = new Map<Lane, LogPosition | undefined>();
    const failed = new Map<Lane, ApplyError>();
    const types = typesOf(batch);
    this.db.transaction(() => {
      for (const lane of live) {
        try {
          moved.set(lane, this.applyToLane(lane, batch, (batch[batch.length - 1] as RecordedEvent).position, types));
        } catch (error) {
          // Only a projection's own fault stays with that projection. A refusing disk fails every
          // projection alike, and SQLite may have rolled the whole transaction back already: the batch
          // fails as one and is retried as one (never committed half, never one catch-up per projection).
          if (!(error instanceof ApplyError) || error.storage !== undefined || !this.db.inTransaction) throw error;
          failed.set(lane, error);
        }
      }
    })();
    // Only now that the transaction committed do the in-memory checkpoints move.
    this.changes++;
    for (const [lane, checkpoint] of moved) {
      lane.checkpoint = checkpoint;
      lane.consecutiveFailures = 0;
    }
    if (this.sharedFailure) this.logger?.info('read models are being written again');
    this.sharedFailure = undefined;
    this.sharedFailures = 0;
    this.sharedPosition = (batch[batch.length - 1] as RecordedEvent).position;
    this.noteSharedProgress();
    for (const [lane, error] of failed) this.fail(lane, error);
    this.settleWaiters();
  }

  /**
   * Applies to one projection, in a savepoint, the events past its checkpoint, and records the
   * checkpoint `scannedTo` (the batch may end with events nobody handles). Throws `ApplyError` after
   * rolling the savepoint back. `types` are the event types of `events` (computed once per batch for
   * all lanes): a projection that handles none of them only moves its checkpoint, without a savepoint.
   */
  private applyToLane(
    lane: Lane,
    events: readonly RecordedEvent[],
    scannedTo: LogPosition,
    types: ReadonlySet<string> = typesOf(events),
  ): LogPosition | undefined {
    if (isAtOrPast(lane.checkpoint, scannedTo)) return lane.checkpoint;
    const moveCheckpoint = () =>
      this.statements
        .get(`UPDATE projection_checkpoints SET commit_position = ?, prepare_position = ?, updated_at = ? WHERE name = ?`)
        .run(scannedTo.commit, scannedTo.prepare, this.clock().getTime(), lane.projection.name);
    const { handles } = lane;
    if (handles !== 'all' && !someOf(types, handles)) {
      moveCheckpoint();
      return scannedTo;
    }
    // The usual case: the checkpoint is before the whole batch, and no event needs comparing with it.
    const first = events[0];
    const allPast = first === undefined || !isAtOrPast(lane.checkpoint, first.position);
    const savepoint = this.db.transaction(() => {
      const batch = new Batch();
      let last: RecordedEvent | undefined;
      this.batch = batch;
      try {
        for (const event of events) {
          if (!allPast && isAtOrPast(lane.checkpoint, event.position)) continue;
          if (handles !== 'all' && !handles.has(event.type)) continue;
          last = event;
          try {
            lane.projection.apply(event, this.writer);
          } catch (error) {
            throw new ApplyError(event, error);
          }
        }
        try {
          batch.flush();
        } catch (error) {
          // A deferred row is the work of the batch's events: the last one applied stands for them.
          throw new ApplyError(last as RecordedEvent, error);
        }
      } finally {
        this.batch = undefined;
      }
      moveCheckpoint();
    });
    savepoint();
    return scannedTo;
  }

  private startCatchUp(lane: Lane): void {
    lane.state = 'catching_up';
    const run = this.catchUp(lane).catch((error: unknown) => {
      if (error instanceof ApplyError) this.fail(lane, error);
      else if (this.running) this.fail(lane, error);
    });
    this.catchUps.add(run);
    void run.finally(() => this.catchUps.delete(run));
  }

  /** Reads the log in pages for one projection until it reaches the shared position, then joins. */
  private async catchUp(lane: Lane): Promise<void> {
    while (this.running && lane.state === 'catching_up') {
      if (isAtOrPast(lane.checkpoint, this.sharedPosition)) {
        lane.state = 'live';
        lane.error = undefined;
        this.logger?.info({ projection: lane.projection.name }, 'read model caught up and joined the live subscription');
        this.settleWaiters();
        return;
      }
      const page = await this.store.readAll({
        ...(lane.checkpoint ? { after: this.store.cursorOf(lane.checkpoint) } : {}),
        maxCount: this.batchSize,
      });
      if (!this.running || lane.state !== 'catching_up') return;
      const scannedTo = page.cursor === undefined ? undefined : this.store.parseCursor(page.cursor);
      if (scannedTo !== undefined && !isAtOrPast(lane.checkpoint, scannedTo)) {
        let checkpoint: LogPosition | undefined;
        this.db.transaction(() => {
          checkpoint = this.applyToLane(lane, page.events, scannedTo);
        })();
        this.changes++;
        lane.checkpoint = checkpoint;
        lane.consecutiveFailures = 0;
        this.settleWaiters();
        // A page is read and applied without real I/O waits: let timers and requests in between pages
        // (but join the live subscription at once when this page got there).
        if (!isAtOrPast(lane.checkpoint, this.sharedPosition)) await nextMacrotask();
      } else if (page.isEnd && !isAtOrPast(lane.checkpoint, this.sharedPosition)) {
        // The shared position is past the end we see: can only happen while the log is empty for us.
        lane.checkpoint = this.sharedPosition;
      }
    }
  }

  private fail(lane: Lane, error: unknown): void {
    lane.consecutiveFailures += 1;
    const retryInMs = Math.min(this.backoff.initial * 2 ** (lane.consecutiveFailures - 1), this.backoff.max);
    const event = error instanceof ApplyError ? error.event : undefined;
    lane.state = 'failed';
    lane.storageFailure = storageFailureOf(error);
    lane.error = {
      message: (error as Error)?.message ?? String(error),
      ...(event ? { eventId: event.id, stream: event.stream } : {}),
      retryInMs,
    };
    this.logger?.error({ projection: lane.projection.name, err: error, retryInMs }, 'read model failed; will retry');
    if (lane.retryTimer) clearTimeout(lane.retryTimer);
    lane.retryTimer = setTimeout(() => {
      lane.retryTimer = undefined;
      if (this.running && lane.state === 'failed') this.startCatchUp(lane);
    }, retryInMs);
    lane.retryTimer.unref();
    this.settleWaiters();
  }

  /**
   * Resolves once every read model has applied the log up to `position` (read-your-writes after an
   * append). Rejects with `ProjectionFailedError` when a read model that is behind it has failed, and
   * with `ProjectionWaitTimeoutError` after `timeoutMs`.
   */
  waitForPosition(position: LogPosition | undefined, timeoutMs = 10_000): Promise<void> {
    if (position === undefined) return Promise.resolve();
    const verdict = this.verdict(position);
    if (verdict === 'reached') return Promise.resolve();
    if (verdict instanceof Error) return Promise.reject(verdict);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const lagging = this.lanes.filter((l) => !isAtOrPast(l.checkpoint, position)).map((l) => l.projection.name);
          reject(new ProjectionWaitTimeoutError(timeoutMs, lagging));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private verdict(position: LogPosition): 'reached' | 'pending' | ProjectionFailedError {
    let reached = true;
    for (const lane of this.lanes) {
      if (isAtOrPast(lane.checkpoint, position)) continue;
      if (lane.state === 'failed')
        return new ProjectionFailedError(lane.projection.name, lane.error?.message ?? 'failed', lane.storageFailure);
      reached = false;
    }
    if (reached) return 'reached';
    return this.sharedFailure?.error ?? 'pending';
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters) {
      const verdict = this.verdict(waiter.position);
      if (verdict === 'pending') continue;
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      if (verdict === 'reached') waiter.resolve();
      else waiter.reject(verdict);
    }
  }

  /**
   * Grows by one with every read-model transaction that commits, in the same synchronous step as the
   * commit: no request runs between a change to any read model and the version moving. Two reads of
   * the same version therefore saw the same read models (the response cache's key holds it).
   */
  get readModelsVersion(): number {
    return this.changes;
  }

  status(): RunnerStatus {
    const projections = this.lanes.map((lane): ProjectionStatus => ({
      name: lane.projection.name,
      version: lane.projection.version,
      state: lane.state,
      checkpoint: lane.checkpoint && this.store.cursorOf(lane.checkpoint),
      ...(lane.error && lane.state === 'failed' ? { error: lane.error } : {}),
    }));
    const failure = this.sharedFailure;
    return {
      caughtUp: this.sharedCaughtUp && failure === undefined && projections.every((p) => p.state === 'live'),
      projections,
      ...(failure ? { error: { message: failure.error.message, retryInMs: failure.retryInMs } } : {}),
    };
  }

  /** Stops applying; waits for the batch in progress. Does not close the store or the database. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const lane of this.lanes) if (lane.retryTimer) clearTimeout(lane.retryTimer);
    // A backoff may be long (up to a minute): the stop must not wait it out.
    this.wakeShared?.();
    await this.stopSubscription?.();
    await this.sharedLoop;
    await Promise.allSettled([...this.catchUps]);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ProjectionFailedError(undefined, 'the service is shutting down', 'shutting_down'));
    }
    this.waiters.clear();
  }
}

/** One lane's batch memory: the newest value of each deferred row, written once before the checkpoint moves. */
class Batch implements BatchMemory {
  private readonly pending = new Map<string, { value: unknown; write: (value: never) => void }>();

  get<T>(key: string): T | undefined {
    return this.pending.get(key)?.value as T | undefined;
  }

  defer<T>(key: string, value: T, write: (value: T) => void): void {
    this.pending.set(key, { value, write: write as (value: never) => void });
  }

  /** Writes in the order the rows were first deferred. */
  flush(): void {
    for (const { value, write } of this.pending.values()) write(value as never);
    this.pending.clear();
  }
}

function typesOf(events: readonly RecordedEvent[]): Set<string> {
  const types = new Set<string>();
  for (const event of events) types.add(event.type);
  return types;
}

function someOf(types: ReadonlySet<string>, handles: ReadonlySet<string>): boolean {
  for (const type of types) if (handles.has(type)) return true;
  return false;
}

const NOTHING_YET = Symbol('nothing yet');

/** Resolves after pending I/O callbacks have run: "is another event already there?". */
function nextMacrotask(): Promise<typeof NOTHING_YET> {
  return new Promise((resolve) => setImmediate(() => resolve(NOTHING_YET)));
}
