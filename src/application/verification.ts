import { createHash, type Hash } from 'node:crypto';
import { comparePositions } from '../eventStore/cursor';
import { StreamNotFoundError } from '../eventStore/errors';
import { computeEventHash } from '../eventStore/hashChain';
import type { JsonObject, JsonValue } from '../eventStore/json';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';

/*
 * Tamper evidence (domain.md, "Beyond the original platform"): anyone with read access can check one
 * stream or the whole log. Every event carries the hash of its predecessor in its stream, so within a
 * stream an edited, removed or reordered event shows; across streams the log has no chain, so the
 * whole-log check adds what the store itself can vouch for: positions that are never reused (SQLite),
 * the highest position the store ever handed out, and the read models' own record of each stream's
 * length and of how far they applied the log. What none of that can catch (a consistent rewrite of a
 * stream's tail with recomputed hashes, a truncation that also fixes every counter) is caught by an
 * anchor kept elsewhere: the fingerprint of the first N events, compared later.
 */

export type HistoryProblem = 'hash mismatch' | 'chain broken' | 'missing event' | 'out of order';

/** What is wrong, and where: the event (or the hole where one was) that breaks the history. */
export interface BrokenEvent {
  /** `undefined` for a removed row whose stream can't be told (no read models to compare with). */
  readonly stream: string | undefined;
  /** For a missing event, the first missing revision; `undefined` when not known. */
  readonly revision: bigint | undefined;
  /** `undefined` for a missing event. */
  readonly id: string | undefined;
  /** The event's position in the log; for a missing event, where it was when that can be told. */
  readonly position: LogPosition | undefined;
  readonly problem: HistoryProblem;
  /** Says what was expected and what was found. */
  readonly detail: string;
}

/** What the read models recorded about a stream (`rm_streams`): its newest revision and its number of events. */
export interface StreamTally {
  readonly revision: bigint;
  readonly eventCount: bigint;
}

export interface StreamVerification {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly problems: readonly BrokenEvent[];
  readonly firstBrokenEvent: BrokenEvent | undefined;
}

/** The fingerprint of the first `count` events of the log: SHA-256 over their hashes in log order. */
export interface LogAnchor {
  readonly count: number;
  readonly digest: string;
}

export interface LogFacts {
  /** `rm_streams` as the read models have it. Read it BEFORE verifying, so everything it counts is in the log. */
  readonly streamTallies?: ReadonlyMap<string, StreamTally>;
  /** How far each projection applied the log (read before verifying, like the tallies). */
  readonly checkpoints?: ReadonlyArray<{ readonly name: string; readonly position: LogPosition | undefined }>;
  /** The highest position the store ever assigned (SQLite's AUTOINCREMENT counter), read before verifying. */
  readonly highestAssignedPosition?: bigint;
}

export interface VerifyLogOptions extends LogFacts {
  /** The store numbers positions 1, 2, 3… without gaps (SQLite): a gap is a removed row. */
  readonly densePositions?: boolean;
  /** Check that the log still starts with exactly these events. */
  readonly anchor?: LogAnchor;
  /** Most problems listed (all are counted). */
  readonly maxProblems?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
}

export interface VerifyProgress {
  /** `log`: reading the log in order; `streams`: following each stream's chain. */
  readonly phase: 'log' | 'streams';
  readonly done: number;
  readonly total: number;
}

export interface LogVerification {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  /** Sorted by position in the log; at most `maxProblems`. */
  readonly problems: readonly BrokenEvent[];
  readonly problemCount: number;
  readonly firstBrokenEvent: BrokenEvent | undefined;
  /** The anchor of the log as verified: record it elsewhere, pass it back later as `anchor`. */
  readonly anchor: LogAnchor;
  /** Which checks ran beyond the per-stream chains. */
  readonly crossChecks: readonly string[];
}

const DEFAULT_MAX_PROBLEMS = 100;
const STREAM_PAGE = 1_000;
const LOG_PAGE = 1_000;

/** Where a finding sorts in the log: at a position, or just after one (a hole after an event). */
interface SortKey {
  readonly position: LogPosition;
  readonly after: boolean;
}

/** A finding with what the whole-log check needs to place it. */
interface Finding extends BrokenEvent {
  readonly sortKey: SortKey | undefined;
  /** For a run of missing revisions: how many, and between which positions they must have been. */
  readonly missing?: { readonly count: bigint; readonly after: LogPosition | undefined; readonly before: LogPosition | undefined };
}

export function describePosition(position: LogPosition): string {
  return position.commit === position.prepare ? `${position.commit}` : `${position.commit}/${position.prepare}`;
}

const short = (hash: unknown): string => (typeof hash === 'string' ? `${hash.slice(0, 16)}…` : String(hash));

/** An event as the chain sees it: what the hash covers, plus where it is. */
export interface ChainEvent {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: JsonObject;
  readonly position: LogPosition | undefined;
}

/**
 * Follows one stream's chain event by event: each event's hash recomputed from its content, its
 * `prevHash` equal to the previous event's hash, revisions dense from 0 (or, for an excerpt that
 * starts mid-stream, from the first event given), positions rising with revisions.
 */
export class ChainFollower {
  private expected: bigint | undefined;
  private previousHash: string | null = null;
  /** The furthest position seen in this stream so far, and which revision holds it. */
  private previousPosition: LogPosition | undefined;
  private previousPositionRevision: bigint | undefined;
  private previousRevision: bigint | undefined;
  private count = 0;

  constructor(
    readonly stream: string,
    options: { readonly startsMidStream?: boolean } = {},
  ) {
    this.expected = options.startsMidStream ? undefined : 0n;
  }

  get eventsSeen(): number {
    return this.count;
  }

  next(event: ChainEvent): Finding[] {
    const findings: Finding[] = [];
    const at = (problem: HistoryProblem, detail: string): Finding => ({
      stream: this.stream,
      revision: event.revision,
      id: event.id,
      position: event.position,
      problem,
      detail,
      sortKey: event.position && { position: event.position, after: false },
    });
    this.count += 1;
    const stored = event.metadata['hash'];
    const recomputed = computeEventHash(event);
    if (stored !== recomputed) {
      findings.push(
        at(
          'hash mismatch',
          `stored hash ${short(stored)} but its content hashes to ${short(recomputed)}: the event was changed after it was written`,
        ),
      );
    }
    const prevHash = event.metadata['prevHash'] ?? null;
    const expected = this.expected ?? event.revision;
    if (event.revision > expected) {
      const count = event.revision - expected;
      findings.push({
        stream: this.stream,
        revision: expected,
        id: undefined,
        position: undefined,
        problem: 'missing event',
        detail:
          count === 1n
            ? `revision ${expected} is missing: revision ${event.revision} follows ${this.previousRevision === undefined ? 'nothing' : `revision ${this.previousRevision}`}`
            : `revisions ${expected} to ${event.revision - 1n} are missing: revision ${event.revision} follows ${this.previousRevision === undefined ? 'nothing' : `revision ${this.previousRevision}`}`,
        sortKey: this.previousPosition
          ? { position: this.previousPosition, after: true }
          : event.position && { position: event.position, after: false },
        missing: { count, after: this.previousPosition, before: event.position },
      });
    } else if (event.revision < expected) {
      findings.push(at('out of order', `revision ${event.revision} comes after revision ${this.previousRevision} in this stream`));
    } else if ((this.expected !== undefined || event.revision === 0n) && prevHash !== this.previousHash) {
      // Mid-stream excerpts (an audit bundle `--since` a cursor) start from their first prevHash as given.
      findings.push(
        at(
          'chain broken',
          this.previousRevision === undefined
            ? `the first event of a stream has no predecessor, but its prevHash is ${short(prevHash)}`
            : `its prevHash is ${short(prevHash)}, but revision ${this.previousRevision} has hash ${short(this.previousHash)}: one of the two was changed`,
        ),
      );
    }
    if (event.position && this.previousPosition && comparePositions(event.position, this.previousPosition) <= 0) {
      findings.push(
        at(
          'out of order',
          `revision ${event.revision} is at position ${describePosition(event.position)}, before revision ${this.previousPositionRevision} at position ${describePosition(this.previousPosition)}: rows were moved`,
        ),
      );
    }
    // An event that arrives after a higher revision doesn't move the chain's end.
    if (event.revision >= expected) {
      this.expected = event.revision + 1n;
      this.previousHash = typeof stored === 'string' ? stored : null;
      this.previousRevision = event.revision;
    }
    if (event.position && (!this.previousPosition || comparePositions(event.position, this.previousPosition) > 0)) {
      this.previousPosition = event.position;
      this.previousPositionRevision = event.revision;
    }
    return findings;
  }

  /** The stream ends here; the read models say how long it was. */
  end(tally: StreamTally | undefined): Finding[] {
    if (!tally) return [];
    const last = this.previousRevision ?? -1n;
    if (tally.revision <= last) return [];
    const first = last + 1n;
    const count = tally.revision - last;
    return [
      {
        stream: this.stream,
        revision: first,
        id: undefined,
        position: undefined,
        problem: 'missing event',
        detail:
          last < 0n
            ? `the read models recorded ${tally.eventCount} events up to revision ${tally.revision} in this stream, but the log holds none of them`
            : `the read models recorded revision ${tally.revision} (${tally.eventCount} events), but the log ends at revision ${last}: ${count === 1n ? 'its newest event was' : `its newest ${count} events were`} removed`,
        sortKey: this.previousPosition && { position: this.previousPosition, after: true },
        missing: { count, after: this.previousPosition, before: undefined },
      },
    ];
  }
}

/**
 * A stream in revision order, page by page (nothing when it has no events), so following or exporting
 * a long stream never holds it in memory.
 */
export async function* streamEvents(store: EventStore, stream: string): AsyncGenerator<RecordedEvent> {
  let from = 0n;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readStream(stream, { fromRevision: from, maxCount: STREAM_PAGE });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw error;
    }
    yield* page;
    const last = page[page.length - 1];
    if (!last || page.length < STREAM_PAGE) return;
    from = last.revision + 1n;
  }
}

/**
 * The log in order up to `upTo` (inclusive), page by page: events appended after the caller read the
 * head are left for the next run. Nothing when `upTo` is undefined (the log was empty). Shared by
 * verify, export and migrate.
 */
export async function* logUpTo(store: EventStore, upTo: LogPosition | undefined): AsyncGenerator<RecordedEvent> {
  if (!upTo) return;
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: LOG_PAGE });
    for (const event of page.events) {
      if (comparePositions(event.position, upTo) > 0) return;
      yield event;
    }
    if (page.isEnd || page.events.length === 0 || page.cursor === undefined) return;
    after = page.cursor;
  }
}

/**
 * Follows a stream's chain from the store, page by page, stopping at `upTo` (events appended after a
 * whole-log check began). Returns the follower's findings including the read-model tally check.
 */
async function followStream(
  store: EventStore,
  stream: string,
  tally: StreamTally | undefined,
  upTo: LogPosition | undefined,
  onEvent?: () => void,
): Promise<{ follower: ChainFollower; findings: Finding[] }> {
  const follower = new ChainFollower(stream);
  const findings: Finding[] = [];
  for await (const event of streamEvents(store, stream)) {
    if (upTo && comparePositions(event.position, upTo) > 0) break;
    findings.push(...follower.next(event));
    onEvent?.();
  }
  findings.push(...follower.end(tally));
  return { follower, findings };
}

function compareSortKeys(a: SortKey | undefined, b: SortKey | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  const byPosition = comparePositions(a.position, b.position);
  if (byPosition !== 0) return byPosition;
  return Number(a.after) - Number(b.after);
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => compareSortKeys(a.finding.sortKey, b.finding.sortKey) || a.index - b.index)
    .map((x) => x.finding);
}

function publicOf(finding: Finding): BrokenEvent {
  const { stream, revision, id, position, problem, detail } = finding;
  return { stream, revision, id, position, problem, detail };
}

/**
 * Verifies one stream: every event's hash, the chain, revisions dense from 0, positions rising, and
 * (given the read models' tally, read before this call) that no newest event was removed.
 *
 * Usage: const { ok, firstBrokenEvent } = await verifyStream(store, 'mci-42', { tally });
 */
export async function verifyStream(
  store: EventStore,
  stream: string,
  options: { readonly tally?: StreamTally; readonly maxProblems?: number } = {},
): Promise<StreamVerification> {
  const { follower, findings } = await followStream(store, stream, options.tally, undefined);
  const sorted = sortFindings(findings).map(publicOf);
  return {
    ok: sorted.length === 0,
    eventsChecked: follower.eventsSeen,
    problems: sorted.slice(0, options.maxProblems ?? DEFAULT_MAX_PROBLEMS),
    firstBrokenEvent: sorted[0],
  };
}

/** Positions missing from a dense log: an inclusive range, and why it counts as missing. */
interface Hole {
  readonly from: bigint;
  readonly to: bigint;
  readonly reason: string;
}

const positionOf = (n: bigint): LogPosition => ({ commit: n, prepare: n });

/**
 * Verifies the whole log as of now: every stream's chain (as `verifyStream`), the log's positions, the
 * store's counter and the read models' record of it (`LogFacts`), and optionally an anchor taken
 * earlier. Events appended while it runs are left for the next run.
 *
 * Usage:
 *   const facts = readFacts();                 // read models, counters: BEFORE the log is read
 *   const result = await verifyLog(store, { ...facts, densePositions: store.kind === 'sqlite' });
 */
export async function verifyLog(store: EventStore, options: VerifyLogOptions = {}): Promise<LogVerification> {
  const head = await store.headPosition();
  const findings: Finding[] = [];
  const crossChecks: string[] = [];
  const holes: Hole[] = [];
  const streams = new Set<string>();
  const fingerprint: Hash = createHash('sha256');
  // The anchor of an empty prefix is the digest of nothing.
  let anchorDigest: string | undefined = options.anchor?.count === 0 ? createHash('sha256').digest('hex') : undefined;
  let count = 0;
  let lastPosition: LogPosition | undefined;
  let expectedPosition = 1n;
  const total = head ? Number(head.commit) : 0;

  // Phase 1: the log in order (positions, counter, fingerprint, which streams exist).
  for await (const event of logUpTo(store, head)) {
    count += 1;
    fingerprint.update(`${String(event.metadata.hash)}\n`, 'utf8');
    if (options.anchor && count === options.anchor.count) anchorDigest = fingerprint.copy().digest('hex');
    streams.add(event.stream);
    const at = event.position.commit;
    if (options.densePositions && at > expectedPosition) {
      holes.push({ from: expectedPosition, to: at - 1n, reason: 'between rows' });
    }
    expectedPosition = at + 1n;
    if (options.highestAssignedPosition !== undefined && at > options.highestAssignedPosition) {
      findings.push({
        stream: event.stream,
        revision: event.revision,
        id: event.id,
        position: event.position,
        problem: 'out of order',
        detail: `position ${describePosition(event.position)} is past the highest position the store ever assigned (${options.highestAssignedPosition}): the row was moved`,
        sortKey: { position: event.position, after: false },
      });
    }
    lastPosition = event.position;
    options.onProgress?.({ phase: 'log', done: Number(at), total });
  }
  const digest = fingerprint.digest('hex');

  if (options.densePositions) crossChecks.push('positions without gaps');
  // Evidence that the log once went further than its last row: the store's counter, the read models.
  const last = lastPosition?.commit ?? 0n;
  const tail: Array<{ to: bigint; reason: string }> = [];
  if (options.densePositions && options.highestAssignedPosition !== undefined) {
    crossChecks.push("the store's position counter");
    if (options.highestAssignedPosition > last) {
      tail.push({
        to: options.highestAssignedPosition,
        reason: `after the last row, though the store assigned positions up to ${options.highestAssignedPosition}`,
      });
    }
  }
  if (options.checkpoints) {
    crossChecks.push('read-model checkpoints');
    let furthest: { name: string; position: LogPosition } | undefined;
    for (const c of options.checkpoints) {
      if (c.position && (!furthest || comparePositions(c.position, furthest.position) > 0))
        furthest = { name: c.name, position: c.position };
    }
    if (furthest && (!lastPosition || comparePositions(furthest.position, lastPosition) > 0)) {
      const reason = `read model '${furthest.name}' applied the log up to position ${describePosition(furthest.position)}`;
      if (options.densePositions) {
        tail.push({ to: furthest.position.commit, reason: `after the last row, though ${reason}` });
      } else {
        findings.push({
          stream: undefined,
          revision: undefined,
          id: undefined,
          position: undefined,
          problem: 'missing event',
          detail: `${reason}, but the log ends at ${lastPosition ? describePosition(lastPosition) : 'nothing'}: events were removed from its end`,
          sortKey: lastPosition && { position: lastPosition, after: true },
        });
      }
    }
  }
  const furthestTail = tail.reduce<(typeof tail)[number] | undefined>((best, t) => (!best || t.to > best.to ? t : best), undefined);
  if (furthestTail) holes.push({ from: last + 1n, to: furthestTail.to, reason: furthestTail.reason });

  // Phase 2: each stream's chain, in revision order.
  const tallies = options.streamTallies;
  if (tallies) crossChecks.push('read-model stream counts');
  const missingRuns: Finding[] = [];
  let followed = 0;
  for (const stream of streams) {
    const { findings: found } = await followStream(store, stream, tallies?.get(stream), head, () => {
      followed += 1;
      options.onProgress?.({ phase: 'streams', done: followed, total: count });
    });
    for (const finding of found) (finding.missing ? missingRuns : findings).push(finding);
  }
  if (tallies) {
    for (const [stream, tally] of tallies) {
      if (streams.has(stream)) continue;
      missingRuns.push(...new ChainFollower(stream).end(tally));
    }
  }

  // A removed row leaves a hole in the positions (SQLite) and a gap or a short tail in its stream:
  // name the position of the missing event when exactly the right number of holes lies where it was.
  for (const run of missingRuns) {
    const missing = run.missing as NonNullable<Finding['missing']>;
    const position = options.densePositions ? attribute(holes, missing) : undefined;
    findings.push(
      position === undefined ? run : { ...run, position: positionOf(position), sortKey: { position: positionOf(position), after: false } },
    );
  }
  for (const gap of holes) {
    const size = gap.to - gap.from + 1n;
    findings.push({
      stream: undefined,
      revision: undefined,
      id: undefined,
      position: positionOf(gap.from),
      problem: 'missing event',
      detail: `${size === 1n ? `position ${gap.from} holds no event` : `positions ${gap.from} to ${gap.to} hold no events`} (${gap.reason}): rows were removed from the log${tallies ? '' : ' (with the read models in place, their streams could be named)'}`,
      sortKey: { position: positionOf(gap.from), after: false },
    });
  }

  let anchorFinding: Finding | undefined;
  if (options.anchor) {
    crossChecks.push('anchor');
    if (count < options.anchor.count) {
      anchorFinding = {
        stream: undefined,
        revision: undefined,
        id: undefined,
        position: undefined,
        problem: 'missing event',
        detail: `the anchor covers the first ${options.anchor.count} events, but the log holds only ${count}: events were removed`,
        sortKey: lastPosition && { position: lastPosition, after: true },
      };
    } else if (anchorDigest !== options.anchor.digest) {
      anchorFinding = {
        stream: undefined,
        revision: undefined,
        id: undefined,
        position: undefined,
        problem: 'hash mismatch',
        detail: `the first ${options.anchor.count} events fingerprint to ${short(anchorDigest)}, the anchor says ${short(options.anchor.digest)}: events before it were changed, removed, reordered or re-hashed`,
        sortKey: undefined,
      };
    }
  }

  const sorted = sortFindings(findings);
  // An anchor mismatch can't point at an event; it is listed after everything that can.
  if (anchorFinding) sorted.push(anchorFinding);
  const problems = sorted.map(publicOf);
  return {
    ok: problems.length === 0,
    eventsChecked: count,
    streamsChecked: streams.size,
    problems: problems.slice(0, options.maxProblems ?? DEFAULT_MAX_PROBLEMS),
    problemCount: problems.length,
    firstBrokenEvent: problems[0],
    anchor: { count, digest },
    crossChecks,
  };
}

/**
 * The position of the first of `missing.count` events missing between two positions (or after one),
 * when the holes there number exactly that; those holes are then explained and taken out of `holes`.
 */
function attribute(holes: Hole[], missing: NonNullable<Finding['missing']>): bigint | undefined {
  const low = (missing.after?.commit ?? 0n) + 1n;
  const high = missing.before === undefined ? undefined : missing.before.commit - 1n;
  const within = (hole: Hole): { from: bigint; to: bigint } => ({
    from: hole.from > low ? hole.from : low,
    to: high !== undefined && hole.to > high ? high : hole.to,
  });
  let available = 0n;
  let first: bigint | undefined;
  for (const hole of holes) {
    const { from, to } = within(hole);
    if (from > to) continue;
    available += to - from + 1n;
    first ??= from;
  }
  if (first === undefined || available !== missing.count) return undefined;
  const rest: Hole[] = [];
  for (const hole of holes) {
    const { from, to } = within(hole);
    if (from > to) {
      rest.push(hole);
      continue;
    }
    if (hole.from < from) rest.push({ ...hole, to: from - 1n });
    if (to < hole.to) rest.push({ ...hole, from: to + 1n });
  }
  holes.splice(0, holes.length, ...rest);
  return first;
}

export function formatAnchor(anchor: LogAnchor): string {
  return `${anchor.count}:${anchor.digest}`;
}

/** Parses `<count>:<sha256 hex>`; `undefined` when it isn't one. */
export function parseAnchor(text: string): LogAnchor | undefined {
  const match = /^(0|[1-9]\d{0,15}):([0-9a-f]{64})$/u.exec(text.trim());
  if (!match) return undefined;
  return { count: Number(match[1]), digest: match[2] as string };
}
