import { createHash } from 'node:crypto';
import { comparePositions } from '../eventStore/cursor';
import type { JsonObject, JsonValue } from '../eventStore/json';
import type { EventStoreKind, LogPosition, RecordedEvent } from '../eventStore/port';
import { ChainFollower, describePosition, type HistoryProblem } from './verification';

/*
 * The audit bundle: a slice of the log an auditor can take away and check without the service.
 * JSON Lines: a header naming the selection, one line per event exactly as stored (data, metadata
 * with `prevHash` and `hash`, stream, revision, id, position), and a trailer with counts, each
 * stream's head hash and a SHA-256 digest of every line before it. The events carry everything their
 * hashes cover, so nothing is redacted: what the account stream holds of API tokens is their SHA-256,
 * never a token. The digest and counts catch a bundle cut short or edited in transit; they are not a
 * signature (anyone can recompute them): to know a bundle came from your store, compare its stream
 * heads with the live log or sign the file.
 */

export const BUNDLE_FORMAT = 'multicloud-images audit bundle';
const BUNDLE_VERSION = 1;

export interface BundleSelection {
  readonly account?: string;
  readonly stream?: string;
  /** Exclusive: only events after this cursor. */
  readonly since?: string;
}

export interface BundleHeader {
  readonly kind: 'header';
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: number;
  readonly selection: BundleSelection;
  /** Cursor of the newest event in the log when the export began: nothing after it is in the bundle. */
  readonly upTo: string | null;
  readonly createdAt: string;
  /** e.g. `multicloud-images 0.1.0`. */
  readonly createdBy: string;
  readonly eventStore: EventStoreKind;
  readonly hashChain: string;
}

export interface BundleEvent {
  readonly kind: 'event';
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue;
  /** As stored, with `prevHash` and `hash`. */
  readonly metadata: JsonObject;
  readonly position: { readonly commit: string; readonly prepare: string };
  readonly cursor: string;
  readonly recordedAt: string;
}

export interface BundleStreamSummary {
  readonly events: number;
  readonly firstRevision: number;
  readonly lastRevision: number;
  readonly lastHash: string;
}

export interface BundleTrailer {
  readonly kind: 'trailer';
  readonly events: number;
  readonly streams: Readonly<Record<string, BundleStreamSummary>>;
  /** `sha256:<hex>` of every line before the trailer, each followed by a line feed. */
  readonly digest: string;
}

/** Each stream's events in a bundle so far: what the trailer lists, and what the verifier recomputes. */
type StreamSummaries = Map<string, { -readonly [K in keyof BundleStreamSummary]: BundleStreamSummary[K] }>;

function summarize(streams: StreamSummaries, event: Pick<BundleEvent, 'stream' | 'revision' | 'metadata'>): void {
  const lastHash = event.metadata['hash'] as string;
  const summary = streams.get(event.stream);
  if (summary) {
    summary.events += 1;
    summary.lastRevision = event.revision;
    summary.lastHash = lastHash;
  } else {
    streams.set(event.stream, { events: 1, firstRevision: event.revision, lastRevision: event.revision, lastHash });
  }
}

const HASH_CHAIN_DESCRIPTION =
  'hash = SHA-256 hex of the canonical JSON (RFC 8785) of {id, prevHash, stream, revision (decimal string), type, data, metadata without hash}; prevHash = the hash of the previous event of the stream, null at revision 0';

/**
 * Writes a bundle line by line through `write`, keeping the digest and the per-stream summary.
 *
 * Usage:
 *   const bundle = new AuditBundleWriter((line) => writeOut(out, line));
 *   await bundle.header({ selection, upTo, createdAt, createdBy, eventStore });
 *   for (const event of events) await bundle.event(event);
 *   const trailer = await bundle.finish();
 */
export class AuditBundleWriter {
  private readonly digest = createHash('sha256');
  private readonly streams: StreamSummaries = new Map();
  private count = 0;

  constructor(private readonly write: (line: string) => Promise<void>) {}

  header(header: Omit<BundleHeader, 'kind' | 'format' | 'version' | 'hashChain'>): Promise<void> {
    return this.line({ kind: 'header', format: BUNDLE_FORMAT, version: BUNDLE_VERSION, ...header, hashChain: HASH_CHAIN_DESCRIPTION });
  }

  async event(event: RecordedEvent): Promise<void> {
    const line: BundleEvent = {
      kind: 'event',
      stream: event.stream,
      revision: Number(event.revision),
      id: event.id,
      type: event.type,
      data: event.data,
      metadata: event.metadata as JsonObject,
      position: { commit: event.position.commit.toString(), prepare: event.position.prepare.toString() },
      cursor: event.cursor,
      recordedAt: event.recordedAt.toISOString(),
    };
    await this.line(line);
    this.count += 1;
    summarize(this.streams, line);
  }

  get eventCount(): number {
    return this.count;
  }

  async finish(): Promise<BundleTrailer> {
    const trailer: BundleTrailer = {
      kind: 'trailer',
      events: this.count,
      streams: Object.fromEntries(this.streams),
      digest: `sha256:${this.digest.digest('hex')}`,
    };
    await this.write(`${JSON.stringify(trailer)}\n`);
    return trailer;
  }

  private async line(value: object): Promise<void> {
    const text = JSON.stringify(value);
    this.digest.update(`${text}\n`, 'utf8');
    await this.write(`${text}\n`);
  }
}

export type BundleProblemKind = HistoryProblem | 'malformed' | 'incomplete' | 'count mismatch' | 'digest mismatch';

export interface BundleProblem {
  /** 1-based line of the bundle; `undefined` for the bundle as a whole. */
  readonly line: number | undefined;
  readonly problem: BundleProblemKind;
  readonly stream?: string;
  readonly revision?: bigint;
  readonly id?: string;
  readonly detail: string;
}

export interface BundleVerification {
  readonly ok: boolean;
  readonly header: BundleHeader | undefined;
  readonly eventsChecked: number;
  /** Each stream's last event in the bundle, as verified. */
  readonly streams: ReadonlyMap<string, BundleStreamSummary>;
  /** At most `maxProblems`, in line order. */
  readonly problems: readonly BundleProblem[];
  readonly problemCount: number;
}

const DECIMAL = /^(0|[1-9]\d{0,19})$/u;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a parsed line is not an event line (or `undefined` when it is one). */
function eventShapeError(line: Record<string, unknown>): string | undefined {
  if (typeof line['stream'] !== 'string' || line['stream'] === '') return 'stream: expected a non-empty string';
  if (!Number.isSafeInteger(line['revision']) || (line['revision'] as number) < 0) return 'revision: expected an integer >= 0';
  if (typeof line['id'] !== 'string') return 'id: expected a string';
  if (typeof line['type'] !== 'string') return 'type: expected a string';
  if (!('data' in line)) return 'data: missing';
  const metadata = line['metadata'];
  if (!isObject(metadata)) return 'metadata: expected an object';
  if (typeof metadata['hash'] !== 'string') return 'metadata.hash: expected a string';
  if (metadata['prevHash'] !== null && typeof metadata['prevHash'] !== 'string') return 'metadata.prevHash: expected a string or null';
  const position = line['position'];
  if (!isObject(position) || typeof position['commit'] !== 'string' || typeof position['prepare'] !== 'string') {
    return 'position: expected {commit, prepare} as decimal strings';
  }
  if (!DECIMAL.test(position['commit']) || !DECIMAL.test(position['prepare']))
    return 'position: expected {commit, prepare} as decimal strings';
  return undefined;
}

/**
 * Checks a bundle offline: its header first and trailer last, every event's hash recomputed, each
 * stream's chain (from the stream's first event in the bundle: at revision 0 its prevHash must be
 * null; a bundle exported `--since` a cursor may start a stream mid-way and is checked from that
 * event's prevHash as given), the events in log order, and the trailer's counts, heads and digest.
 */
export async function verifyBundle(
  lines: AsyncIterable<string>,
  options: { readonly maxProblems?: number } = {},
): Promise<BundleVerification> {
  const maxProblems = options.maxProblems ?? 100;
  const problems: BundleProblem[] = [];
  let problemCount = 0;
  const report = (problem: BundleProblem): void => {
    problemCount += 1;
    if (problems.length < maxProblems) problems.push(problem);
  };
  const digest = createHash('sha256');
  const followers = new Map<string, ChainFollower>();
  const streams: StreamSummaries = new Map();
  let header: BundleHeader | undefined;
  let trailerSeen = false;
  let lineNumber = 0;
  let events = 0;
  let lastPosition: LogPosition | undefined;

  for await (const raw of lines) {
    lineNumber += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (trailerSeen) {
      if (text.trim() !== '')
        report({ line: lineNumber, problem: 'malformed', detail: 'a line after the trailer: the trailer must be last' });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      report({ line: lineNumber, problem: 'malformed', detail: `expected one JSON object per line: ${(error as Error).message}` });
      digest.update(`${text}\n`, 'utf8');
      continue;
    }
    if (!isObject(parsed)) {
      report({ line: lineNumber, problem: 'malformed', detail: 'expected one JSON object per line' });
      digest.update(`${text}\n`, 'utf8');
      continue;
    }
    if (lineNumber === 1) {
      digest.update(`${text}\n`, 'utf8');
      if (parsed['kind'] !== 'header' || parsed['format'] !== BUNDLE_FORMAT) {
        report({ line: 1, problem: 'malformed', detail: `expected the header of a ${BUNDLE_FORMAT} first` });
      } else if (typeof parsed['version'] !== 'number' || parsed['version'] > BUNDLE_VERSION) {
        report({
          line: 1,
          problem: 'malformed',
          detail: `bundle format version ${String(parsed['version'])}: this build reads version ${BUNDLE_VERSION}`,
        });
      } else {
        header = parsed as unknown as BundleHeader;
      }
      continue;
    }
    if (parsed['kind'] === 'trailer') {
      trailerSeen = true;
      checkTrailer(parsed, { events, streams, digest: `sha256:${digest.digest('hex')}`, line: lineNumber, report });
      continue;
    }
    digest.update(`${text}\n`, 'utf8');
    if (parsed['kind'] !== 'event') {
      report({
        line: lineNumber,
        problem: 'malformed',
        detail: `expected an event or the trailer, got kind ${JSON.stringify(parsed['kind'])}`,
      });
      continue;
    }
    const shapeError = eventShapeError(parsed);
    if (shapeError) {
      report({ line: lineNumber, problem: 'malformed', detail: `not an event: ${shapeError}` });
      continue;
    }
    const event = parsed as unknown as BundleEvent;
    events += 1;
    const position = { commit: BigInt(event.position.commit), prepare: BigInt(event.position.prepare) };
    const revision = BigInt(event.revision);
    const misplaced = lastPosition !== undefined && comparePositions(position, lastPosition) <= 0;
    if (misplaced && lastPosition) {
      report({
        line: lineNumber,
        problem: 'out of order',
        stream: event.stream,
        revision,
        id: event.id,
        detail: `position ${describePosition(position)} comes after position ${describePosition(lastPosition)}: lines were moved`,
      });
    } else {
      lastPosition = position;
    }
    let follower = followers.get(event.stream);
    if (!follower) {
      follower = new ChainFollower(event.stream, { startsMidStream: header?.selection?.since !== undefined });
      followers.set(event.stream, follower);
    }
    const findings = follower.next({
      id: event.id,
      stream: event.stream,
      revision,
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      position: undefined,
    });
    for (const finding of findings) {
      // A moved line is reported once, by its position.
      if (misplaced && finding.problem === 'out of order') continue;
      report({
        line: lineNumber,
        problem: finding.problem,
        stream: event.stream,
        ...(finding.revision === undefined ? {} : { revision: finding.revision }),
        ...(finding.id === undefined ? {} : { id: finding.id }),
        detail: finding.detail,
      });
    }
    summarize(streams, event);
  }
  if (lineNumber === 0) report({ line: undefined, problem: 'incomplete', detail: 'the file is empty' });
  else if (!trailerSeen) report({ line: undefined, problem: 'incomplete', detail: 'no trailer: the bundle was cut short' });
  return { ok: problemCount === 0, header, eventsChecked: events, streams, problems, problemCount };
}

function checkTrailer(
  trailer: Record<string, unknown>,
  seen: {
    events: number;
    streams: ReadonlyMap<string, BundleStreamSummary>;
    digest: string;
    line: number;
    report: (problem: BundleProblem) => void;
  },
): void {
  const { line, report } = seen;
  if (trailer['events'] !== seen.events) {
    report({
      line,
      problem: 'count mismatch',
      detail: `the trailer counts ${String(trailer['events'])} events, the bundle holds ${seen.events}`,
    });
  }
  const listed = isObject(trailer['streams']) ? trailer['streams'] : {};
  for (const [stream, summary] of seen.streams) {
    const claimed = listed[stream];
    if (!isObject(claimed)) {
      report({ line, problem: 'count mismatch', stream, detail: `stream ${stream} has events in the bundle but is not in the trailer` });
      continue;
    }
    for (const field of ['events', 'firstRevision', 'lastRevision', 'lastHash'] as const) {
      if (claimed[field] !== summary[field]) {
        report({
          line,
          problem: field === 'lastHash' ? 'missing event' : 'count mismatch',
          stream,
          detail: `the trailer says ${field} ${JSON.stringify(claimed[field])} for stream ${stream}, the bundle has ${JSON.stringify(summary[field])}`,
        });
      }
    }
  }
  for (const stream of Object.keys(listed)) {
    if (!seen.streams.has(stream)) {
      report({
        line,
        problem: 'missing event',
        stream,
        detail: `the trailer lists stream ${stream}, but the bundle holds none of its events`,
      });
    }
  }
  if (trailer['digest'] !== seen.digest) {
    report({
      line,
      problem: 'digest mismatch',
      detail: `the trailer's digest is ${String(trailer['digest'])}, the lines before it hash to ${seen.digest}: lines were changed, added or removed`,
    });
  }
}
