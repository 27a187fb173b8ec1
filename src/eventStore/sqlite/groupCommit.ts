/*
 * Group commit for the embedded event store.
 *
 * At `synchronous=FULL` every COMMIT waits for an fsync of the WAL, and that wait, not the INSERTs, is
 * what one append costs. Appends that arrive together can share it: they are written in one IMMEDIATE
 * transaction and acknowledged after its one COMMIT, so each still gets exactly the durability a
 * transaction of its own would give (an acknowledged append is on disk), at a fraction of the fsyncs.
 *
 * "Arriving together": better-sqlite3 is synchronous, so while a group is being written nothing else
 * runs and nothing can join it. Instead, the first append queued schedules the flush with
 * `setImmediate`, which runs after the current turn of the event loop: every append queued in that
 * turn (the same tick, its microtasks, and the other I/O callbacks of the same poll phase — under load,
 * the requests that came in while the previous group was fsyncing) joins the group. A lone append
 * waits for no timer, only for the rest of the current turn, so group commit adds no latency to an
 * idle store. A group holds at most `maxAppends` appends and about `maxBytes` of event data (an append
 * larger than that still forms a group of one); what is left over is flushed in the next turn, so other
 * I/O is not starved by a long queue.
 *
 * This module only queues and settles; the store decides what one group's transaction does (see
 * `SqliteEventStore.commitGroup`): every append checked against its own expected revision in a
 * SAVEPOINT of its own, so a conflict fails that append alone, while a storage error fails the group.
 */

/** How one request of a group ended. */
export type GroupOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface GroupCommitLimits {
  /** Requests per group at most. */
  readonly maxAppends: number;
  /** Bytes (as measured by `sizeOf`) per group at most; a single larger request still forms a group of one. */
  readonly maxBytes: number;
}

export const DEFAULT_GROUP_COMMIT_LIMITS: GroupCommitLimits = { maxAppends: 256, maxBytes: 16 * 1024 * 1024 };

/** Counters for tests and benchmarks: how many groups were written (or failed whole on a storage error) and how big they were. */
export interface GroupCommitStats {
  readonly groups: number;
  readonly appends: number;
  readonly largestGroup: number;
}

interface Pending<T, R> {
  readonly request: T;
  readonly bytes: number;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitQueue<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private scheduled: NodeJS.Immediate | undefined;
  private groups = 0;
  private appends = 0;
  private largestGroup = 0;

  /**
   * @param commitGroup writes one group in one transaction and returns one outcome per request, in
   *   order, only once that transaction has committed (or failed: then every outcome is a failure).
   * @param sizeOf the bytes a request adds to a group.
   */
  constructor(
    private readonly commitGroup: (requests: readonly T[]) => ReadonlyArray<GroupOutcome<R>>,
    private readonly sizeOf: (request: T) => number,
    private readonly limits: GroupCommitLimits = DEFAULT_GROUP_COMMIT_LIMITS,
  ) {
    if (!Number.isInteger(limits.maxAppends) || limits.maxAppends < 1) {
      throw new Error(`group commit maxAppends: expected a positive integer, got ${limits.maxAppends}`);
    }
  }

  /** Queues `request`; settles once the group it joined has committed (or failed). */
  submit(request: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ request, bytes: this.sizeOf(request), resolve, reject });
      this.scheduled ??= setImmediate(() => this.flushScheduled());
    });
  }

  /** Writes everything queued now, group after group (used on close, so queued appends are not lost). */
  flushNow(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length > 0) this.flushOneGroup();
  }

  stats(): GroupCommitStats {
    return { groups: this.groups, appends: this.appends, largestGroup: this.largestGroup };
  }

  private flushScheduled(): void {
    this.scheduled = undefined;
    this.flushOneGroup();
    // Leftovers beyond one group go in the next turn, joined by whatever arrives meanwhile.
    if (this.queue.length > 0) this.scheduled = setImmediate(() => this.flushScheduled());
  }

  private flushOneGroup(): void {
    const group = this.takeGroup();
    if (group.length === 0) return;
    let outcomes: ReadonlyArray<GroupOutcome<R>>;
    try {
      outcomes = this.commitGroup(group.map((pending) => pending.request));
      if (outcomes.length !== group.length) {
        throw new Error(`group commit: expected ${group.length} outcomes, got ${outcomes.length}`);
      }
    } catch (error) {
      // commitGroup reports storage failures as outcomes; anything thrown is unexpected, and the whole
      // group's transaction did not commit, so every caller hears of it.
      for (const pending of group) pending.reject(error);
      return;
    }
    this.groups += 1;
    this.appends += group.length;
    this.largestGroup = Math.max(this.largestGroup, group.length);
    group.forEach((pending, i) => {
      const outcome = outcomes[i] as GroupOutcome<R>;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  /** The oldest queued requests that fit the limits (always at least one), in arrival order. */
  private takeGroup(): Array<Pending<T, R>> {
    let count = 0;
    let bytes = 0;
    for (const pending of this.queue) {
      if (count > 0 && (count >= this.limits.maxAppends || bytes + pending.bytes > this.limits.maxBytes)) break;
      count += 1;
      bytes += pending.bytes;
    }
    return this.queue.splice(0, count);
  }
}
