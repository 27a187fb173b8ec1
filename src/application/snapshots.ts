import type { Decider, DomainEvent } from '../domain/decider';
import { StreamNotFoundError } from '../eventStore/errors';
import { assertJson, type JsonValue } from '../eventStore/json';
import type { EventStore, RecordedEvent } from '../eventStore/port';

/*
 * Snapshots: a stream's folded state every `interval` events, so loading an aggregate, time travel and
 * a command's load fold only the tail since the newest snapshot instead of the whole stream. They are a
 * cache of the log, never its record: derived, rebuildable, and ignored whenever they can't be proven
 * to describe the history the store holds now.
 *
 * - A snapshot is keyed by stream, the fold that made it (`kind`, e.g. `MultiCloudImage`: two deciders
 *   folding one stream differently never share one) and the revision of its last event, and carries
 *   that event's hash. The hash chain makes the hash stand for the whole prefix, so a snapshot applies
 *   only when the event the store holds at that revision has that very hash: a store whose history
 *   differs (rewritten, restored from another backup, another store) never gets a state that isn't its own.
 * - `SNAPSHOT_SCHEMA_VERSION` names the shape of the deciders' states: bump it when a state changes
 *   shape, and every older snapshot is ignored (test/integration/snapshots.test.ts fails when a state's shape
 *   changes and the version doesn't).
 * - States must be exactly JSON (`assertJson`): a state that isn't is simply never snapshotted.
 * - `maxOccurredAt` is the latest `occurredAt` among the events up to the snapshot, so time travel can
 *   start from the newest snapshot none of whose events happened after the instant it asks about.
 * - Snapshots are written while folding, at the revisions that end a block of `interval` events
 *   (interval − 1, 2·interval − 1, …), so every load folds at most `interval` events past the newest one
 *   and time travel finds one within `interval` events of any instant. Writing one never fails a read.
 *
 * The snapshot store is attached to the event store whose streams it caches (`attachSnapshots`, done by
 * `openServices`), so every reader that folds a stream from that store uses it without being handed it.
 */

/** Bump when any decider's state changes shape: older snapshots are then ignored and rebuilt. */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/** Events folded between two snapshots of a stream unless `SNAPSHOT_INTERVAL` says otherwise. */
export const DEFAULT_SNAPSHOT_INTERVAL = 100;

/** `maxOccurredAt` of a prefix none of whose events says when it occurred: no instant is too early for it. */
export const NO_OCCURRED_AT = Number.MIN_SAFE_INTEGER;

export interface Snapshot {
  readonly stream: string;
  /** The fold that produced `state`: the aggregate kind, e.g. `MultiCloudImage`. */
  readonly kind: string;
  /** Revision of the last event folded into `state`. */
  readonly revision: bigint;
  /** `metadata.hash` of that event: the snapshot applies only to a stream holding this event there. */
  readonly eventHash: string;
  /** Latest `occurredAt` (ms) of the events up to `revision`; `NO_OCCURRED_AT` when none has one. */
  readonly maxOccurredAt: number;
  readonly state: JsonValue;
}

/**
 * Where snapshots are kept (`SqliteSnapshotStore` in the read-model database). Synchronous: a save or a
 * lookup never interleaves with anything else. Implementations return only sound snapshots of the
 * current `SNAPSHOT_SCHEMA_VERSION` (a corrupt one is dropped and the next older one tried).
 */
export interface SnapshotStore {
  /** A snapshot every this many events of a stream. */
  readonly interval: number;
  /** The newest snapshot of `stream` by `kind`; with `occurredBy`, the newest whose `maxOccurredAt` is at or before it. */
  newest(stream: string, kind: string, occurredBy?: number): Snapshot | undefined;
  /** Stores (or replaces) snapshots; must not throw (a cache that can't be written is only slower). */
  save(snapshots: readonly Snapshot[]): void;
  /** Drops every snapshot of `stream` by `kind`: they describe a history the store no longer holds. */
  discard(stream: string, kind: string): void;
}

const attached = new WeakMap<EventStore, SnapshotStore>();

/** Makes every fold of `store`'s streams through this module use `snapshots`. */
export function attachSnapshots(store: EventStore, snapshots: SnapshotStore): void {
  attached.set(store, snapshots);
}

/** Folds of `store`'s streams go back to reading whole streams. */
export function detachSnapshots(store: EventStore): void {
  attached.delete(store);
}

export function snapshotsOf(store: EventStore): SnapshotStore | undefined {
  return attached.get(store);
}

/** How a stream is folded: the aggregate's name (the snapshots' `kind`), its fold and its event parser. */
export interface StreamFold<State, Event extends DomainEvent> {
  readonly kind: string;
  readonly decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>;
  readonly parseEvent: (recorded: RecordedEvent) => Event;
}

/** A stream folded to its end. */
export interface FoldedStream<State> {
  readonly state: State;
  /** The stream's last event; `undefined` when the stream has no events. */
  readonly last: RecordedEvent | undefined;
  /** Events read and folded (the tail past a snapshot, or the whole stream): what the load cost. */
  readonly folded: number;
  /** Revision of the snapshot the fold started from, if any. */
  readonly fromSnapshot: bigint | undefined;
}

/** When an event happened: the `occurredAt` the command stamped, else when the store recorded it. */
export function occurredAtMs(recorded: RecordedEvent): number {
  const stamped = recorded.metadata.occurredAt;
  return typeof stamped === 'string' ? Date.parse(stamped) : recorded.recordedAt.getTime();
}

/** The running maximum of `occurredAt`; an unreadable instant constrains nothing (time travel never stops at it either). */
const laterOf = (max: number, recorded: RecordedEvent): number => {
  const at = occurredAtMs(recorded);
  return Number.isNaN(at) || at <= max ? max : at;
};

async function readFrom(store: EventStore, stream: string, fromRevision: bigint, maxCount?: number): Promise<RecordedEvent[]> {
  try {
    return await store.readStream(stream, { fromRevision, ...(maxCount === undefined ? {} : { maxCount }) });
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
}

/** Folds events one by one, collecting a snapshot at every block boundary it passes. */
class SnapshottingFold<State, Event extends DomainEvent> {
  readonly taken: Snapshot[] = [];
  folded = 0;
  last: RecordedEvent | undefined;

  constructor(
    private readonly fold: StreamFold<State, Event>,
    private readonly stream: string,
    private readonly interval: number | undefined,
    public state: State,
    public maxOccurredAt: number,
  ) {}

  apply(recorded: RecordedEvent): void {
    this.state = this.fold.decider.evolve(this.state, this.fold.parseEvent(recorded));
    this.maxOccurredAt = laterOf(this.maxOccurredAt, recorded);
    this.folded += 1;
    this.last = recorded;
    if (this.interval !== undefined && (recorded.revision + 1n) % BigInt(this.interval) === 0n) this.take(recorded);
  }

  private take(recorded: RecordedEvent): void {
    let state: JsonValue;
    try {
      state = assertJson(this.state, 'state');
    } catch {
      return; // Not exactly JSON: this fold is never snapshotted (it would not come back the same).
    }
    this.taken.push({
      stream: this.stream,
      kind: this.fold.kind,
      revision: recorded.revision,
      eventHash: recorded.metadata.hash,
      maxOccurredAt: this.maxOccurredAt,
      state,
    });
  }
}

/**
 * The newest snapshot of `stream` that still describes the store's history, with the events after it
 * (`tail`, the snapshot's own event excluded), or `undefined` (none, or it didn't match: then they are
 * all discarded). `maxCount` bounds the tail read.
 */
async function validSnapshot(
  store: EventStore,
  snapshots: SnapshotStore,
  stream: string,
  kind: string,
  occurredBy: number | undefined,
  maxCount: number | undefined,
): Promise<{ snapshot: Snapshot; own: RecordedEvent; tail: RecordedEvent[] } | undefined> {
  const snapshot = snapshots.newest(stream, kind, occurredBy);
  if (!snapshot) return undefined;
  const read = await readFrom(store, stream, snapshot.revision, maxCount === undefined ? undefined : maxCount + 1);
  const [own, ...tail] = read;
  if (own?.revision === snapshot.revision && own.metadata.hash === snapshot.eventHash) return { snapshot, own, tail };
  snapshots.discard(stream, kind);
  return undefined;
}

/**
 * Folds `stream` to its end: from the newest valid snapshot when the store has snapshots, else from
 * the start. Folds with and without snapshots give equal states (test/unit/snapshots.test.ts).
 *
 * Usage: const { state, last } = await foldStream(store, { kind: 'MultiCloudImage', decider, parseEvent }, 'mci-42');
 */
export async function foldStream<State, Event extends DomainEvent>(
  store: EventStore,
  fold: StreamFold<State, Event>,
  stream: string,
): Promise<FoldedStream<State>> {
  const snapshots = snapshotsOf(store);
  const found = snapshots && (await validSnapshot(store, snapshots, stream, fold.kind, undefined, undefined));
  const folding = found
    ? new SnapshottingFold(fold, stream, snapshots?.interval, found.snapshot.state as State, found.snapshot.maxOccurredAt)
    : new SnapshottingFold(fold, stream, snapshots?.interval, fold.decider.initialState(), NO_OCCURRED_AT);
  const events = found ? found.tail : await readFrom(store, stream, 0n);
  for (const recorded of events) folding.apply(recorded);
  if (snapshots && folding.taken.length > 0) snapshots.save(folding.taken);
  return {
    state: folding.state,
    // With no event past the snapshot, the stream ends at the snapshot's own event.
    last: folding.last ?? found?.own,
    folded: folding.folded,
    fromSnapshot: found?.snapshot.revision,
  };
}

/**
 * Time travel: `stream` folded over the events that occurred at or before `atMs`, stopping at the first
 * that occurred later (as a fold of the whole stream would). Starts from the newest valid snapshot none
 * of whose events occurred after `atMs`, and reads the rest in pages, so it costs about `interval`
 * events whatever the stream's length. `version` is the revision of the last event folded, -1 for none.
 */
export async function foldStreamAt<State, Event extends DomainEvent>(
  store: EventStore,
  fold: StreamFold<State, Event>,
  stream: string,
  atMs: number,
): Promise<{ state: State; version: number }> {
  const snapshots = snapshotsOf(store);
  // Past a snapshot, an instant is usually within the next `interval` events (occurredAt grows with the
  // revision): one page of that size mostly suffices. From the start, a larger page.
  const page = snapshots ? snapshots.interval : 200;
  const found = snapshots && (await validSnapshot(store, snapshots, stream, fold.kind, atMs, page));
  const folding = found
    ? new SnapshottingFold(fold, stream, snapshots?.interval, found.snapshot.state as State, found.snapshot.maxOccurredAt)
    : new SnapshottingFold(fold, stream, snapshots?.interval, fold.decider.initialState(), NO_OCCURRED_AT);
  let version = found ? Number(found.snapshot.revision) : -1;
  let events = found ? found.tail : await readFrom(store, stream, 0n, page);
  for (;;) {
    let stopped = false;
    for (const recorded of events) {
      if (occurredAtMs(recorded) > atMs) {
        stopped = true;
        break;
      }
      folding.apply(recorded);
      version = Number(recorded.revision);
    }
    const last = events[events.length - 1];
    // A short page is the stream's end.
    if (stopped || last === undefined || events.length < page) break;
    events = await readFrom(store, stream, last.revision + 1n, page);
  }
  if (snapshots && folding.taken.length > 0) snapshots.save(folding.taken);
  return { state: folding.state, version };
}
