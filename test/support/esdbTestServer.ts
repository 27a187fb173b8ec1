/**
 * In-process EventStoreDB test double for the real `@eventstore/db-client@6.2.1`.
 *
 * It is a `@grpc/grpc-js` server that speaks the part of the EventStoreDB gRPC protocol
 * (`event_store.client.streams.Streams` and `event_store.client.server_features.ServerFeatures`)
 * that client 6.2.1 uses for appending, reading and catch-up subscriptions, so the real client,
 * connected with `esdb://127.0.0.1:<port>?tls=false`, works against it unchanged.
 * The behaviour follows the EventStoreDB server source (23.x/24.x):
 *
 * - `ServerFeatures.GetSupportedMethods` answers UNIMPLEMENTED (like servers before 21.10), so
 *   the client falls back from `BatchAppend` to plain `Streams.Append`.
 * - `Streams.Append`: atomic per call, 0-based revisions, expected revision
 *   exact / no_stream / any / stream_exists, idempotent re-appends and wrong-expected-version
 *   replies exactly as `IndexWriter.CheckCommit` and `Streams.Append.cs` do. The per-append
 *   size limit (`maxAppendSize`, default 1 MiB as the real `MaxAppendSize`) is enforced with
 *   the server's formula and errors.
 * - Positions imitate a LogV2 transaction file: every event is its own "prepare" record at a
 *   byte offset, and because gRPC appends are implicit transactions (`PrepareFlags.IsCommitted`)
 *   each event's commit position equals its prepare position, also within a multi-event append
 *   (the events do NOT share a commit position). `$all` is ordered by (commit, prepare).
 * - `Streams.Read`: stream reads (with `stream_not_found`), `$all` reads with and without filter,
 *   stream and `$all` subscriptions (confirmation, catch-up, `caught_up`, live events, filtered
 *   `checkpoint`s using the server's page/window/interval arithmetic).
 *   Inclusive/exclusive rules: `$all` read forwards from a position includes the event at it,
 *   backwards excludes it; subscriptions from a position or revision exclude it.
 * - System events: `$epoch-information` on every start, `$$$scavenges` metadata and a
 *   `$statsCollected` event on the first start; more on demand with `appendSystemEvent`.
 *   Like the real server's `DefaultAllFilter`, `$all` reads and subscriptions never show the
 *   `$epoch-information` stream (read it directly by name).
 *
 * Known differences from the real server:
 * - No delete/tombstone/BatchAppend/persistent subscriptions/projections/users/stream ACLs; stream
 *   metadata (`$$stream`) is stored like any stream but its settings (maxCount, truncateBefore...)
 *   have no effect. `resolveLinkTos` is ignored. Credentials are ignored (insecure mode only).
 * - Requests the real server rejects with an unhandled exception (gRPC UNKNOWN) are rejected here
 *   with INVALID_ARGUMENT and a message saying what was wrong.
 * - The idempotency cache is unbounded (the real one is a bounded LRU), so very old event ids are
 *   always recognised here.
 * - Backpressure is not applied to reads/subscriptions (everything is written straight to the call),
 *   so there is no "consumer too slow"/`fell_behind` behaviour.
 * - Filter regexes are JavaScript regexes, not .NET ones (identical for ordinary patterns).
 * - The legacy 20.6.0 `expected_revision` of a `no_stream` wrong-expected-version (ulong.MaxValue)
 *   is omitted because google-protobuf's JS writer cannot encode 2^64-1 from a number.
 */

import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ServerFeaturesService, type IServerFeaturesServer } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsService, type IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface EsdbTestServerOptions {
  /** Port to bind on 127.0.0.1; 0 (default) picks a free port. */
  port?: number;
  /**
   * Maximum total size of one append, computed like the server's `Event.SizeOnDisk`
   * (data + metadata bytes + 2 * event type length). Defaults to 1 MiB, the real server's
   * default `MaxAppendSize`; the real server accepts at most 16 MiB.
   */
  maxAppendSize?: number;
}

export interface EsdbTestServerDiagnostics {
  /** Calls received per method, keyed like `Streams.Append` or `ServerFeatures.GetSupportedMethods`. */
  readonly callCounts: Readonly<Record<string, number>>;
  /** Subscriptions (stream or `$all`) currently registered for live events. */
  readonly liveSubscriptions: number;
  /** gRPC calls currently in progress (reads, subscriptions, appends). */
  readonly activeCalls: number;
}

export interface EsdbTestServer {
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly url: string;
  /** Closes the listener and forcibly ends all active calls with UNAVAILABLE; keeps the data. */
  stop(): Promise<void>;
  /** Re-binds the same port, serving the same data. */
  start(): Promise<void>;
  /** Stops for good; `start()` is refused afterwards. */
  close(): Promise<void>;
  /** Appends a system event (`$`-prefixed type in a `$`-prefixed stream), like `$statsCollected`. */
  appendSystemEvent(stream: string, type: string): void;
  /** Number of events in the log, system events included. */
  readonly eventCount: number;
  /** Test-only introspection (not part of the EventStoreDB protocol). */
  diagnostics(): EsdbTestServerDiagnostics;
}

export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer between 0 and 65535, got ${port}`);
  }
  const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
  if (!Number.isInteger(maxAppendSize) || maxAppendSize <= 0) {
    throw new RangeError(`maxAppendSize must be a positive integer, got ${maxAppendSize}`);
  }
  const server = new EsdbTestServerImpl(port, maxAppendSize);
  await server.start();
  return server;
}

// ---------------------------------------------------------------------------------------------
// Constants taken from the server
// ---------------------------------------------------------------------------------------------

/** ClusterVNodeOptions.MaxAppendSize default. */
const DEFAULT_MAX_APPEND_SIZE = 1024 * 1024;
/** Enumerator.ReadBatchSize: page size of reads and default filter search window. */
const READ_BATCH_SIZE = 32;
/** The client accepts 17 MiB; the server's own appends are capped at 16 MiB. */
const MAX_GRPC_MESSAGE_LENGTH = 17 * 1024 * 1024;

/** ExpectedVersion constants of the server (long values). */
const EXPECTED_NO_STREAM = -1;
const EXPECTED_ANY = -2;
const EXPECTED_STREAM_EXISTS = -4;

const CONTENT_TYPE_JSON = 'application/json';
const CONTENT_TYPE_OCTET_STREAM = 'application/octet-stream';
const TICKS_PER_MILLISECOND = 10_000n;
const ALL_STREAM = '$all';
const EPOCH_INFORMATION_STREAM = '$epoch-information';

// ---------------------------------------------------------------------------------------------
// Log positions
// ---------------------------------------------------------------------------------------------

/** A position in `$all` (TFPos): commit first, then prepare. */
interface TfPos {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** TFPos.HeadOfTf: "before everything", used for subscriptions from the start. */
const HEAD_OF_TF: TfPos = { commit: -1n, prepare: -1n };
/** Position.End (ulong.MaxValue, ulong.MaxValue). */
const POSITION_END: TfPos = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };

function comparePos(a: TfPos, b: TfPos): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function maxPos(a: TfPos, b: TfPos): TfPos {
  return comparePos(a, b) >= 0 ? a : b;
}

// ---------------------------------------------------------------------------------------------
// The event log
// ---------------------------------------------------------------------------------------------

interface StoredEvent {
  readonly streamName: string;
  readonly streamNameBytes: Uint8Array;
  /** 0-based event number in its stream. */
  readonly revision: number;
  /** Lower-case 8-4-4-4-12 form, as .NET's Guid.ToString(). */
  readonly id: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server's `created` metadata. */
  readonly created: bigint;
  /** Log position of the event's record; commit == prepare for implicit transactions. */
  readonly pos: TfPos;
  /** Position right after the record (next record's pre-position). */
  readonly postPosition: bigint;
}

interface LogRecord {
  readonly position: bigint;
  readonly postPosition: bigint;
  readonly event?: StoredEvent;
}

interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

type AppendOutcome =
  | { readonly kind: 'success'; readonly lastRevision: number; readonly position: bigint }
  | { readonly kind: 'wrong-expected-version'; readonly currentRevision: number };

type CommitDecision =
  { readonly kind: 'ok' } | { readonly kind: 'wrong-expected-version' } | { readonly kind: 'idempotent'; readonly lastRevision: number };

const utf8 = new TextEncoder();

/** Bytes used by a .NET BinaryWriter length-prefixed string. */
function binaryStringSize(value: string): number {
  const bytes = utf8.encode(value).length;
  let prefix = 1;
  for (let n = bytes; n >= 0x80; n >>>= 7) prefix++;
  return prefix + bytes;
}

/**
 * On-disk size of a LogV2 PrepareLogRecord (length prefix and suffix included), so positions
 * advance like byte offsets in a real transaction file.
 */
function prepareRecordSize(stream: string, type: string, data: number, metadata: number): bigint {
  const header = 4 + 1 + 1 + 8; // length prefix, record type, version, log position
  const prepare = 2 + 8 + 4 + 8; // flags, transaction position, transaction offset, expected version
  const ids = 16 + 16 + 8; // event id, correlation id, timestamp
  const payload = 4 + data + 4 + metadata;
  return BigInt(header + prepare + binaryStringSize(stream) + ids + binaryStringSize(type) + payload + 4);
}

function nowTicks(): bigint {
  return BigInt(Date.now()) * TICKS_PER_MILLISECOND;
}

function isSystemName(name: string): boolean {
  return name.startsWith('$');
}

/**
 * EventFilter.DefaultAllFilter: what every `$all` read/subscription hides.
 * Non-system streams are always shown; `$epoch-information` and persistent-subscription
 * checkpoints/parked streams of `$all` are hidden.
 */
function passesDefaultAllFilter(e: StoredEvent): boolean {
  const s = e.streamName;
  if (!isSystemName(s)) return true;
  if (s === EPOCH_INFORMATION_STREAM) return false;
  const psPrefix = '$persistentsubscription-$all::';
  if (s.startsWith(psPrefix) && (s.endsWith('-checkpoint') || s.endsWith('-parked'))) return false;
  return true;
}

class EventLog {
  private readonly records: LogRecord[] = [];
  /** Events in `$all` order (positions strictly increasing). */
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  /** Event id -> where it was last committed; the server's `_committedEvents` idempotency cache. */
  private readonly committedIds = new Map<string, { stream: string; revision: number }>();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private end = 0n;

  get eventCount(): number {
    return this.all.length;
  }

  /** Position of the last record (the server's LastIndexedPosition), or -1 when empty. */
  get lastIndexedPosition(): bigint {
    return this.records.at(-1)?.position ?? -1n;
  }

  get endOfLog(): bigint {
    return this.end;
  }

  lastRevision(stream: string): number {
    return (this.streams.get(stream)?.length ?? 0) - 1;
  }

  streamEvents(stream: string): readonly StoredEvent[] | undefined {
    return this.streams.get(stream);
  }

  allEvents(): readonly StoredEvent[] {
    return this.all;
  }

  /** Index of the first event whose position is >= pos (binary search over `$all`). */
  firstEventIndexAtOrAfter(pos: TfPos): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.all[mid];
      if (e !== undefined && comparePos(e.pos, pos) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The real server repositions its chunk reader at the commit position; a position inside a
   * record fails with InvalidPosition. Record starts and anything at/after the end are fine.
   */
  isReadablePosition(commit: bigint): boolean {
    if (commit <= 0n || commit >= this.end) return true;
    let lo = 0;
    let hi = this.records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.records[mid];
      if (r === undefined) break;
      if (r.position === commit) return true;
      if (r.position < commit) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** A record without an event (epoch record, empty prepare): takes log space only. */
  writeNonEventRecord(size: bigint): bigint {
    const position = this.end;
    this.end += size;
    this.records.push({ position, postPosition: this.end });
    return position;
  }

  onAppended(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Atomic append with the server's optimistic concurrency and idempotency rules
   * (IndexWriter.CheckCommit + StorageWriterService.WritePrepares).
   */
  append(stream: string, expectedVersion: number, proposed: readonly ProposedEvent[]): AppendOutcome {
    const current = this.lastRevision(stream);
    const decision = this.checkCommit(stream, current, expectedVersion, proposed);
    switch (decision.kind) {
      case 'wrong-expected-version':
        return { kind: 'wrong-expected-version', currentRevision: current };
      case 'idempotent': {
        // StorageMessage.AlreadyCommitted: the original result, i.e. the last event of the
        // original write and its log position.
        const last = this.streams.get(stream)?.[decision.lastRevision];
        if (last === undefined) throw new Error('idempotent write without its original event');
        return { kind: 'success', lastRevision: decision.lastRevision, position: last.pos.commit };
      }
      case 'ok':
        break;
    }

    if (proposed.length === 0) {
      // The server still writes an (event-less) prepare record and reports its position.
      const position = this.writeNonEventRecord(prepareRecordSize(stream, '', 0, 0));
      return { kind: 'success', lastRevision: current, position };
    }

    const streamBytes = utf8.encode(stream);
    let events = this.streams.get(stream);
    if (events === undefined) {
      events = [];
      this.streams.set(stream, events);
    }
    const created = nowTicks();
    const written: StoredEvent[] = [];
    for (const p of proposed) {
      const position = this.end;
      this.end += prepareRecordSize(stream, p.type, p.data.length, p.customMetadata.length);
      const event: StoredEvent = {
        streamName: stream,
        streamNameBytes: streamBytes,
        revision: events.length,
        id: p.id,
        type: p.type,
        isJson: p.isJson,
        data: p.data,
        customMetadata: p.customMetadata,
        created,
        pos: { commit: position, prepare: position },
        postPosition: this.end,
      };
      events.push(event);
      this.all.push(event);
      this.records.push({ position, postPosition: this.end, event });
      this.committedIds.set(event.id, { stream, revision: event.revision });
      written.push(event);
    }

    // Subscribers see the whole append only after it is complete (atomicity).
    for (const event of written) {
      for (const listener of [...this.listeners]) {
        try {
          listener(event);
        } catch {
          // A failing subscriber must not break the append or other subscribers.
        }
      }
    }
    const last = written[written.length - 1];
    if (last === undefined) throw new Error('unreachable: empty write');
    return { kind: 'success', lastRevision: last.revision, position: last.pos.commit };
  }

  private checkCommit(stream: string, current: number, expected: number, proposed: readonly ProposedEvent[]): CommitDecision {
    if (expected === EXPECTED_STREAM_EXISTS && current < 0) {
      // A stream that only has metadata counts as existing.
      if (this.lastRevision(`$$${stream}`) < 0) return { kind: 'wrong-expected-version' };
    }

    if (expected === EXPECTED_ANY || expected === EXPECTED_STREAM_EXISTS) {
      // Idempotent only if every id was already committed to this stream; if the first id is
      // unknown it is a normal write, if a later one is unknown it is "corrupted idempotency",
      // which the server answers with WrongExpectedVersion.
      let lastRevision: number | undefined;
      for (const [i, p] of proposed.entries()) {
        const committed = this.committedIds.get(p.id);
        if (committed === undefined || committed.stream !== stream) {
          return i === 0 ? { kind: 'ok' } : { kind: 'wrong-expected-version' };
        }
        lastRevision = committed.revision;
      }
      return lastRevision === undefined ? { kind: 'ok' } : { kind: 'idempotent', lastRevision };
    }

    if (expected < current) {
      // Idempotent if the events right after `expected` are exactly these ids.
      const events = this.streams.get(stream) ?? [];
      let revision = expected;
      for (const p of proposed) {
        revision += 1;
        if (events[revision]?.id === p.id) continue;
        return { kind: 'wrong-expected-version' };
      }
      if (revision === expected) return { kind: 'wrong-expected-version' }; // no events
      return { kind: 'idempotent', lastRevision: revision };
    }

    if (expected > current) return { kind: 'wrong-expected-version' };
    return { kind: 'ok' };
  }
}

// ---------------------------------------------------------------------------------------------
// gRPC helpers
// ---------------------------------------------------------------------------------------------

type StatusLike = Partial<grpc.StatusObject> & { code: grpc.status; details: string };

/** An error that becomes a gRPC status. */
class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly trailers: Readonly<Record<string, string>> = {},
  ) {
    super(details);
  }

  toStatus(): StatusLike {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(this.trailers)) metadata.set(key, value);
    return { code: this.code, details: this.details, metadata };
  }
}

function invalidArgument(details: string): RpcError {
  return new RpcError(grpc.status.INVALID_ARGUMENT, details);
}

function toStatus(error: unknown): StatusLike {
  if (error instanceof RpcError) return error.toStatus();
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.INTERNAL, details: `esdb test server bug: ${message}` };
}

function parseUint64(value: string, what: string): bigint {
  if (!/^\d+$/.test(value)) throw invalidArgument(`'${value}' is not a valid ${what}`);
  const parsed = BigInt(value);
  if (parsed >= 2n ** 64n) throw invalidArgument(`'${value}' is not a valid ${what}`);
  return parsed;
}

/** uint64 to a JS number, saturating (only used for counts and revisions). */
function toSafeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

const HEX_UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function canonicalUuid(hex32: string): string {
  const h = hex32.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Accepts both UUID encodings the protocol allows (string, or two int64 halves). */
function parseUuid(uuid: UUID | undefined): string {
  if (uuid === undefined) throw invalidArgument('event id is required');
  let id: string;
  if (uuid.hasStructured()) {
    const s = uuid.getStructured();
    const msb = BigInt.asUintN(64, BigInt(s?.getMostSignificantBits() ?? '0'));
    const lsb = BigInt.asUintN(64, BigInt(s?.getLeastSignificantBits() ?? '0'));
    id = canonicalUuid(msb.toString(16).padStart(16, '0') + lsb.toString(16).padStart(16, '0'));
  } else {
    let text = uuid.getString().trim();
    if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
    if (!HEX_UUID.test(text)) throw invalidArgument(`'${uuid.getString()}' is not a valid event id`);
    id = canonicalUuid(text.replaceAll('-', ''));
  }
  if (id === '00000000-0000-0000-0000-000000000000') throw invalidArgument('Empty eventId provided.');
  return id;
}

type UuidFormat = 'string' | 'structured';

function toUuidMessage(id: string, format: UuidFormat): UUID {
  const uuid = new UUID();
  if (format === 'string') {
    uuid.setString(id);
    return uuid;
  }
  // Uuid.ToDto: the two big-endian halves as signed int64.
  const hex = id.replaceAll('-', '');
  const structured = new UUID.Structured();
  structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  uuid.setStructured(structured);
  return uuid;
}

function decodeStreamName(identifier: StreamIdentifier | undefined): { name: string; bytes: Uint8Array } {
  if (identifier === undefined) throw invalidArgument('stream identifier is required');
  const bytes = Uint8Array.from(identifier.getStreamName_asU8());
  const name = Buffer.from(bytes).toString('utf8');
  if (name.length === 0) throw invalidArgument('stream name must not be empty');
  return { name, bytes };
}

function toReadResp(e: StoredEvent, uuidFormat: UuidFormat): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(toUuidMessage(e.id, uuidFormat));
  const identifier = new StreamIdentifier();
  identifier.setStreamName(e.streamNameBytes);
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(String(e.revision));
  recorded.setCommitPosition(e.pos.commit.toString());
  recorded.setPreparePosition(e.pos.prepare.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', e.type);
  metadata.set('created', e.created.toString());
  metadata.set('content-type', e.isJson ? CONTENT_TYPE_JSON : CONTENT_TYPE_OCTET_STREAM);
  recorded.setCustomMetadata(e.customMetadata);
  recorded.setData(e.data);

  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  // Self-committed events always have a position, for stream reads too (ResolvedEvent.EventPosition).
  readEvent.setCommitPosition(e.pos.commit.toString());
  const resp = new ReadResp();
  resp.setEvent(readEvent);
  return resp;
}

function confirmationResp(subscriptionId: string): ReadResp {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(subscriptionId);
  const resp = new ReadResp();
  resp.setConfirmation(confirmation);
  return resp;
}

function caughtUpResp(): ReadResp {
  const resp = new ReadResp();
  resp.setCaughtUp(new ReadResp.CaughtUp());
  return resp;
}

function checkpointResp(pos: TfPos): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(pos.commit.toString());
  checkpoint.setPreparePosition(pos.prepare.toString());
  const resp = new ReadResp();
  resp.setCheckpoint(checkpoint);
  return resp;
}

function streamNotFoundResp(streamNameBytes: Uint8Array): ReadResp {
  const identifier = new StreamIdentifier();
  identifier.setStreamName(streamNameBytes);
  const notFound = new ReadResp.StreamNotFound();
  notFound.setStreamIdentifier(identifier);
  const resp = new ReadResp();
  resp.setStreamNotFound(notFound);
  return resp;
}

// ---------------------------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------------------------

type Direction = 'forwards' | 'backwards';
type StreamFrom = { kind: 'start' } | { kind: 'end' } | { kind: 'revision'; revision: bigint };
type AllFrom = { kind: 'start' } | { kind: 'end' } | { kind: 'position'; pos: TfPos };

interface EventFilter {
  readonly matches: (e: StoredEvent) => boolean;
  /** Events considered per page (`max`, or ReadBatchSize for `count`). */
  readonly maxSearchWindow: number;
  readonly checkpointIntervalMultiplier: number;
}

type ParsedRead =
  | {
      kind: 'read-stream';
      stream: string;
      streamBytes: Uint8Array;
      from: StreamFrom;
      direction: Direction;
      count: number;
      uuid: UuidFormat;
    }
  | {
      kind: 'read-all';
      from: AllFrom;
      direction: Direction;
      count: number;
      filter: EventFilter | undefined;
      uuid: UuidFormat;
    }
  | { kind: 'subscribe-stream'; stream: string; streamBytes: Uint8Array; from: StreamFrom; uuid: UuidFormat }
  | { kind: 'subscribe-all'; from: AllFrom; filter: EventFilter | undefined; uuid: UuidFormat };

function parseStreamFrom(options: ReadReq.Options.StreamOptions): StreamFrom {
  switch (options.getRevisionOptionCase()) {
    case ReadReq.Options.StreamOptions.RevisionOptionCase.START:
      return { kind: 'start' };
    case ReadReq.Options.StreamOptions.RevisionOptionCase.END:
      return { kind: 'end' };
    case ReadReq.Options.StreamOptions.RevisionOptionCase.REVISION:
      return { kind: 'revision', revision: parseUint64(options.getRevision(), 'stream revision') };
    default:
      throw invalidArgument('stream read needs a revision option (start, end or revision)');
  }
}

function parseAllFrom(options: ReadReq.Options.AllOptions): AllFrom {
  switch (options.getAllOptionCase()) {
    case ReadReq.Options.AllOptions.AllOptionCase.START:
      return { kind: 'start' };
    case ReadReq.Options.AllOptions.AllOptionCase.END:
      return { kind: 'end' };
    case ReadReq.Options.AllOptions.AllOptionCase.POSITION: {
      const p = options.getPosition();
      if (p === undefined) throw invalidArgument('position is required');
      const commit = parseUint64(p.getCommitPosition(), 'commit position');
      const prepare = parseUint64(p.getPreparePosition(), 'prepare position');
      // Same check as the server's Position constructor.
      if (commit < prepare) throw invalidArgument('The commit position cannot be less than the prepare position');
      return { kind: 'position', pos: { commit, prepare } };
    }
    default:
      throw invalidArgument('$all read needs a position option (start, end or position)');
  }
}

function parseFilter(filter: ReadReq.Options.FilterOptions): EventFilter {
  let expression: ReadReq.Options.FilterOptions.Expression | undefined;
  let select: (e: StoredEvent) => string;
  switch (filter.getFilterCase()) {
    case ReadReq.Options.FilterOptions.FilterCase.STREAM_IDENTIFIER:
      expression = filter.getStreamIdentifier();
      select = (e) => e.streamName;
      break;
    case ReadReq.Options.FilterOptions.FilterCase.EVENT_TYPE:
      expression = filter.getEventType();
      select = (e) => e.type;
      break;
    default:
      throw invalidArgument('filter needs stream_identifier or event_type');
  }
  if (expression === undefined) throw invalidArgument('filter expression is required');

  let maxSearchWindow: number;
  switch (filter.getWindowCase()) {
    case ReadReq.Options.FilterOptions.WindowCase.MAX:
      maxSearchWindow = filter.getMax();
      if (maxSearchWindow <= 0) throw invalidArgument('filter max search window must be greater than 0');
      break;
    case ReadReq.Options.FilterOptions.WindowCase.COUNT:
      maxSearchWindow = READ_BATCH_SIZE;
      break;
    default:
      throw invalidArgument('filter needs a window (max or count)');
  }

  // As Streams.ConvertToEventFilter: a non-empty regex wins, otherwise prefixes (none = no match).
  // The `$all` default filter applies on top (EventFilter.*Strategy with isAllStream = true).
  const regexSource = expression.getRegex();
  let test: (value: string) => boolean;
  if (regexSource.length > 0) {
    let regex: RegExp;
    try {
      regex = new RegExp(regexSource);
    } catch (error) {
      throw invalidArgument(`invalid filter regex '${regexSource}': ${(error as Error).message}`);
    }
    test = (value) => regex.test(value);
  } else {
    const prefixes = expression.getPrefixList();
    test = (value) => prefixes.some((prefix) => value.startsWith(prefix));
  }
  return {
    matches: (e) => passesDefaultAllFilter(e) && test(select(e)),
    maxSearchWindow,
    checkpointIntervalMultiplier: filter.getCheckpointintervalmultiplier(),
  };
}

function parseReadRequest(request: ReadReq): ParsedRead {
  const options = request.getOptions();
  if (options === undefined) throw invalidArgument("'options' is a required argument");
  const uuidOption = options.getUuidOption();
  if (uuidOption === undefined) throw invalidArgument("'uuidOption' is a required argument");
  const uuid: UuidFormat = uuidOption.getContentCase() === ReadReq.Options.UUIDOption.ContentCase.STRING ? 'string' : 'structured';

  const streamCase = options.getStreamOptionCase();
  const countCase = options.getCountOptionCase();
  const filterCase = options.getFilterOptionCase();
  const rawDirection = options.getReadDirection();
  const direction: Direction | undefined =
    rawDirection === ReadReq.Options.ReadDirection.FORWARDS
      ? 'forwards'
      : rawDirection === ReadReq.Options.ReadDirection.BACKWARDS
        ? 'backwards'
        : undefined;

  const S = ReadReq.Options.StreamOptionCase;
  const C = ReadReq.Options.CountOptionCase;
  const F = ReadReq.Options.FilterOptionCase;
  const invalidCombination = (): RpcError =>
    invalidArgument(`The combination of (${S[streamCase]}, ${C[countCase]}, ${direction ?? rawDirection}, ${F[filterCase]}) is invalid.`);
  if (direction === undefined) throw invalidCombination();

  if (streamCase === S.STREAM) {
    const streamOptions = options.getStream();
    if (streamOptions === undefined) throw invalidCombination();
    if (filterCase !== F.NO_FILTER) throw invalidCombination();
    const { name, bytes } = decodeStreamName(streamOptions.getStreamIdentifier());
    const from = parseStreamFrom(streamOptions);
    if (countCase === C.COUNT) {
      const count = toSafeNumber(parseUint64(options.getCount(), 'count'));
      return { kind: 'read-stream', stream: name, streamBytes: bytes, from, direction, count, uuid };
    }
    if (countCase === C.SUBSCRIPTION && direction === 'forwards') {
      return { kind: 'subscribe-stream', stream: name, streamBytes: bytes, from, uuid };
    }
    throw invalidCombination();
  }

  if (streamCase === S.ALL) {
    const allOptions = options.getAll();
    if (allOptions === undefined) throw invalidCombination();
    let filter: EventFilter | undefined;
    if (filterCase === F.FILTER) {
      const filterOptions = options.getFilter();
      if (filterOptions === undefined) throw invalidCombination();
      filter = parseFilter(filterOptions);
    } else if (filterCase !== F.NO_FILTER) {
      throw invalidCombination();
    }
    const from = parseAllFrom(allOptions);
    if (countCase === C.COUNT) {
      const count = toSafeNumber(parseUint64(options.getCount(), 'count'));
      return { kind: 'read-all', from, direction, count, filter, uuid };
    }
    if (countCase === C.SUBSCRIPTION && direction === 'forwards') {
      if (filter !== undefined && filter.checkpointIntervalMultiplier <= 0) {
        throw invalidArgument('checkpointIntervalMultiplier must be greater than 0');
      }
      return { kind: 'subscribe-all', from, filter, uuid };
    }
    throw invalidCombination();
  }

  throw invalidCombination();
}

interface ParsedAppendOptions {
  readonly stream: string;
  /** ExpectedVersion as the server's long: -1 no stream, -2 any, -4 stream exists, >= 0 revision. */
  readonly expectedVersion: number;
  readonly expectedCase: AppendReq.Options.ExpectedStreamRevisionCase;
  readonly expectedRevisionText: string;
}

function parseAppendOptions(options: AppendReq.Options): ParsedAppendOptions {
  const { name } = decodeStreamName(options.getStreamIdentifier());
  if (name === ALL_STREAM) throw invalidArgument('cannot append to $all');
  const Case = AppendReq.Options.ExpectedStreamRevisionCase;
  const expectedCase = options.getExpectedStreamRevisionCase();
  let expectedVersion: number;
  switch (expectedCase) {
    case Case.REVISION: {
      // new StreamRevision(ulong).ToInt64(): the ulong reinterpreted as a long.
      const asLong = BigInt.asIntN(64, parseUint64(options.getRevision(), 'expected revision'));
      if (asLong < -4n || asLong === -3n) throw invalidArgument(`'${options.getRevision()}' is not a valid expected revision`);
      expectedVersion = Number(asLong);
      break;
    }
    case Case.NO_STREAM:
      expectedVersion = EXPECTED_NO_STREAM;
      break;
    case Case.ANY:
      expectedVersion = EXPECTED_ANY;
      break;
    case Case.STREAM_EXISTS:
      expectedVersion = EXPECTED_STREAM_EXISTS;
      break;
    default:
      throw invalidArgument(`'${expectedCase}' is not a valid ExpectedStreamRevisionOneofCase`);
  }
  return { stream: name, expectedVersion, expectedCase, expectedRevisionText: options.getRevision() };
}

function missingMetadata(): RpcError {
  // RpcExceptions.RequiredMetadataPropertyMissing lists all required properties.
  return new RpcError(grpc.status.INVALID_ARGUMENT, "Required Metadata Property 'type' or 'content-type' is missing", {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

function parseProposedMessage(message: AppendReq.ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (type === undefined || contentType === undefined) throw missingMetadata();
  const id = parseUuid(message.getId());
  if (type.length === 0) throw invalidArgument('Empty eventType provided.');
  return {
    id,
    type,
    // The server keeps only "is JSON"; any other content type comes back as octet-stream.
    isJson: contentType === CONTENT_TYPE_JSON,
    data: Uint8Array.from(message.getData_asU8()),
    customMetadata: Uint8Array.from(message.getCustomMetadata_asU8()),
  };
}

function appendResponse(outcome: AppendOutcome, options: ParsedAppendOptions): AppendResp {
  const resp = new AppendResp();
  if (outcome.kind === 'success') {
    const success = new AppendResp.Success();
    if (outcome.lastRevision < 0) success.setNoStream(new Empty());
    else success.setCurrentRevision(String(outcome.lastRevision));
    // WriteEvents reports the commit position for both fields.
    const position = new AppendResp.Position();
    position.setCommitPosition(outcome.position.toString());
    position.setPreparePosition(outcome.position.toString());
    success.setPosition(position);
    resp.setSuccess(success);
    return resp;
  }

  // Filled like Streams.Append.cs: the new fields plus the 20.6.0 ones.
  const wev = new AppendResp.WrongExpectedVersion();
  const Case = AppendReq.Options.ExpectedStreamRevisionCase;
  switch (options.expectedCase) {
    case Case.ANY:
      wev.setExpectedAny(new Empty());
      wev.setAny2060(new Empty());
      break;
    case Case.STREAM_EXISTS:
      wev.setExpectedStreamExists(new Empty());
      wev.setStreamExists2060(new Empty());
      break;
    case Case.NO_STREAM:
      wev.setExpectedNoStream(new Empty());
      break;
    case Case.REVISION: {
      wev.setExpectedRevision(options.expectedRevisionText);
      const legacy = BigInt(options.expectedRevisionText);
      if (legacy <= BigInt(Number.MAX_SAFE_INTEGER)) wev.setExpectedRevision2060(Number(legacy));
      break;
    }
    default:
      break;
  }
  if (outcome.currentRevision < 0) {
    wev.setCurrentNoStream(new Empty());
    wev.setNoStream2060(new Empty());
  } else {
    wev.setCurrentRevision(String(outcome.currentRevision));
    wev.setCurrentRevision2060(outcome.currentRevision);
  }
  resp.setWrongExpectedVersion(wev);
  return resp;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/** A call in progress that `stop()` must be able to end. */
interface ActiveCall {
  abort(status: StatusLike): void;
}

class EsdbTestServerImpl implements EsdbTestServer {
  private readonly log = new EventLog();
  private readonly activeCalls = new Set<ActiveCall>();
  private readonly calls = new Map<string, number>();
  private grpcServer: grpc.Server | undefined;
  private state: 'new' | 'running' | 'stopped' | 'closed' = 'new';
  private boundPort: number;
  private epochNumber = -1;
  private liveSubscriptionCount = 0;

  constructor(
    requestedPort: number,
    private readonly maxAppendSize: number,
  ) {
    this.boundPort = requestedPort;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  get eventCount(): number {
    return this.log.eventCount;
  }

  diagnostics(): EsdbTestServerDiagnostics {
    return {
      callCounts: Object.fromEntries(this.calls),
      liveSubscriptions: this.liveSubscriptionCount,
      activeCalls: this.activeCalls.size,
    };
  }

  appendSystemEvent(stream: string, type: string): void {
    if (!isSystemName(stream) || !isSystemName(type)) {
      throw new Error(`system events need a $-prefixed stream and type, got stream '${stream}' type '${type}'`);
    }
    this.writeSystemEvent(stream, type, { timestamp: new Date().toISOString() });
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new Error('esdb test server is closed');
    if (this.state === 'running') return;
    const { server, port } = await bindWithRetry(() => this.createGrpcServer(), this.boundPort);
    this.boundPort = port;
    this.grpcServer = server;
    const firstStart = this.state === 'new';
    this.state = 'running';
    this.writeStartupEvents(firstStart);
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    const server = this.grpcServer;
    this.grpcServer = undefined;
    // End every call with a status first so clients get a clear UNAVAILABLE rather than a
    // reset stream, then drop connections and the listener.
    const status: StatusLike = { code: grpc.status.UNAVAILABLE, details: 'Server is shutting down' };
    for (const call of [...this.activeCalls]) call.abort(status);
    if (server !== undefined) await shutdown(server);
  }

  async close(): Promise<void> {
    await this.stop();
    this.state = 'closed';
  }

  // -- startup ---------------------------------------------------------------------------------

  private writeStartupEvents(firstStart: boolean): void {
    if (firstStart) {
      // The chunk starts with the epoch's system log record, which is not an event.
      this.log.writeNonEventRecord(128n);
    }
    this.epochNumber += 1;
    this.writeSystemEvent(EPOCH_INFORMATION_STREAM, '$epoch-information', {
      epochNumber: this.epochNumber,
      epochPosition: this.log.endOfLog.toString(),
      epochId: randomUUID(),
      leaderInstanceId: randomUUID(),
    });
    if (firstStart) {
      this.writeSystemEvent('$$$scavenges', '$metadata', { $maxAge: 2592000 });
      this.writeSystemEvent(`$stats-127.0.0.1:${this.boundPort}`, '$statsCollected', {
        'proc-startTime': new Date().toISOString(),
        'proc-id': process.pid,
        'es-queue-MainQueue-length': 0,
      });
    }
  }

  private writeSystemEvent(stream: string, type: string, data: unknown): void {
    this.log.append(stream, EXPECTED_ANY, [
      {
        id: randomUUID(),
        type,
        isJson: true,
        data: utf8.encode(JSON.stringify(data)),
        customMetadata: new Uint8Array(),
      },
    ]);
  }

  // -- gRPC plumbing ---------------------------------------------------------------------------

  private createGrpcServer(): grpc.Server {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_LENGTH,
      'grpc.max_send_message_length': MAX_GRPC_MESSAGE_LENGTH,
    });

    const unimplemented = (name: string) => (_call: unknown, callback: grpc.sendUnaryData<never>) => {
      this.count(name);
      callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the esdb test server` });
    };

    const serverFeatures: IServerFeaturesServer = {
      // Servers before 21.10 have no ServerFeatures service: the client then assumes an unknown
      // version and uses Streams.Append instead of BatchAppend.
      getSupportedMethods: unimplemented('ServerFeatures.GetSupportedMethods'),
    };

    const streams: IStreamsServer = {
      read: (call) => {
        this.count('Streams.Read');
        this.handleRead(call);
      },
      append: (call, callback) => {
        this.count('Streams.Append');
        this.handleAppend(call, callback);
      },
      delete: unimplemented('Streams.Delete'),
      tombstone: unimplemented('Streams.Tombstone'),
      batchAppend: (call) => {
        this.count('Streams.BatchAppend');
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Streams.BatchAppend is not implemented' });
      },
    };

    server.addService(ServerFeaturesService, serverFeatures);
    server.addService(StreamsService, streams);
    return server;
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  // -- Append ----------------------------------------------------------------------------------

  private handleAppend(call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
    let options: ParsedAppendOptions | undefined;
    const proposed: ProposedEvent[] = [];
    let size = 0;
    let finished = false;

    const active: ActiveCall = { abort: (status) => finish(status) };
    this.activeCalls.add(active);

    const finish = (error: StatusLike | null, response?: AppendResp): void => {
      if (finished) return;
      finished = true;
      this.activeCalls.delete(active);
      if (error !== null) callback(error);
      else callback(null, response);
    };

    call.on('data', (message: AppendReq) => {
      if (finished) return;
      try {
        if (options === undefined) {
          const optionsMessage = message.getOptions();
          if (optionsMessage === undefined) throw invalidArgument('the first append message must carry the options');
          options = parseAppendOptions(optionsMessage);
          return;
        }
        const proposedMessage = message.getProposedMessage();
        if (proposedMessage === undefined) {
          throw invalidArgument('append messages after the options must be proposed messages');
        }
        const event = parseProposedMessage(proposedMessage);
        // Event.SizeOnDisk; .NET string Length counts UTF-16 units like JS.
        size += event.data.length + event.customMetadata.length + event.type.length * 2;
        if (size > this.maxAppendSize) {
          throw new RpcError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${this.maxAppendSize} Exceeded.`, {
            exception: 'maximum-append-size-exceeded',
            'maximum-append-size': String(this.maxAppendSize),
          });
        }
        proposed.push(event);
      } catch (error) {
        finish(toStatus(error));
      }
    });

    call.on('end', () => {
      if (finished) return;
      if (options === undefined) {
        finish(invalidArgument('append without options').toStatus());
        return;
      }
      try {
        const outcome = this.log.append(options.stream, options.expectedVersion, proposed);
        finish(null, appendResponse(outcome, options));
      } catch (error) {
        finish(toStatus(error));
      }
    });

    // A cancelled or broken append writes nothing (the server checks the cancellation token).
    const abandon = (): void => {
      finished = true;
      this.activeCalls.delete(active);
    };
    call.on('cancelled', abandon);
    call.on('error', abandon);
  }

  // -- Read ------------------------------------------------------------------------------------

  private handleRead(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    let parsed: ParsedRead;
    try {
      parsed = parseReadRequest(call.request);
    } catch (error) {
      call.emit('error', toStatus(error));
      return;
    }

    // Everything the call owns is released exactly once, whoever ends it.
    const cleanups: Array<() => void> = [];
    let ended = false;
    const release = (): void => {
      if (ended) return;
      ended = true;
      this.activeCalls.delete(active);
      for (const cleanup of cleanups.splice(0)) cleanup();
    };
    const active: ActiveCall = {
      abort: (status) => {
        if (ended) return;
        release();
        call.emit('error', status);
      },
    };
    this.activeCalls.add(active);
    call.on('cancelled', release);
    call.on('close', release);

    const send = (resp: ReadResp): void => {
      if (!ended && !call.cancelled) call.write(resp);
    };
    const complete = (): void => {
      if (ended) return;
      release();
      call.end();
    };
    const fail = (error: unknown): void => {
      if (ended) return;
      release();
      call.emit('error', toStatus(error));
    };
    const goLive = (listener: (e: StoredEvent) => void): void => {
      const unsubscribe = this.log.onAppended(listener);
      this.liveSubscriptionCount += 1;
      cleanups.push(() => {
        unsubscribe();
        this.liveSubscriptionCount -= 1;
      });
    };

    try {
      switch (parsed.kind) {
        case 'read-stream':
          this.readStream(parsed, send);
          complete();
          return;
        case 'read-all':
          this.readAll(parsed, send);
          complete();
          return;
        case 'subscribe-stream':
          this.subscribeToStream(parsed, send, goLive);
          return;
        case 'subscribe-all':
          this.subscribeToAll(parsed, send, goLive);
          return;
      }
    } catch (error) {
      fail(error);
    }
  }

  private readStream(req: Extract<ParsedRead, { kind: 'read-stream' }>, send: (r: ReadResp) => void): void {
    const events = this.log.streamEvents(req.stream);
    if (events === undefined || events.length === 0) {
      send(streamNotFoundResp(req.streamBytes));
      return;
    }
    const last = events.length - 1;
    if (req.direction === 'forwards') {
      // Forwards from End reads nothing; from a revision it is inclusive.
      if (req.from.kind === 'end') return;
      const start = req.from.kind === 'start' ? 0 : toSafeNumber(req.from.revision);
      for (let r = start, n = 0; r <= last && n < req.count; r++, n++) {
        const e = events[r];
        if (e !== undefined) send(toReadResp(e, req.uuid));
      }
      return;
    }
    // Backwards from End starts at the last event, from Start it reads only revision 0;
    // from a revision it is inclusive.
    const start = req.from.kind === 'end' ? last : req.from.kind === 'start' ? 0 : Math.min(toSafeNumber(req.from.revision), last);
    for (let r = start, n = 0; r >= 0 && n < req.count; r--, n++) {
      const e = events[r];
      if (e !== undefined) send(toReadResp(e, req.uuid));
    }
  }

  private readAll(req: Extract<ParsedRead, { kind: 'read-all' }>, send: (r: ReadResp) => void): void {
    const from: TfPos = req.from.kind === 'start' ? { commit: 0n, prepare: 0n } : req.from.kind === 'end' ? POSITION_END : req.from.pos;
    if (req.from.kind === 'position' && !this.log.isReadablePosition(from.commit)) {
      throw invalidArgument('Trying to read from an invalid position.');
    }
    const matches = req.filter?.matches ?? passesDefaultAllFilter;
    const all = this.log.allEvents();
    let sent = 0;
    if (req.direction === 'forwards') {
      // AllReader.ReadAllEventsForward: events with position >= from (inclusive).
      for (let i = this.log.firstEventIndexAtOrAfter(from); i < all.length && sent < req.count; i++) {
        const e = all[i];
        if (e !== undefined && matches(e)) {
          send(toReadResp(e, req.uuid));
          sent++;
        }
      }
      return;
    }
    // AllReader.ReadAllEventsBackward: events with position < from (exclusive).
    for (let i = this.log.firstEventIndexAtOrAfter(from) - 1; i >= 0 && sent < req.count; i--) {
      const e = all[i];
      if (e !== undefined && matches(e)) {
        send(toReadResp(e, req.uuid));
        sent++;
      }
    }
  }

  /** Enumerator.StreamSubscription: events after the checkpoint revision, caught_up, then live. */
  private subscribeToStream(
    req: Extract<ParsedRead, { kind: 'subscribe-stream' }>,
    send: (r: ReadResp) => void,
    goLive: (listener: (e: StoredEvent) => void) => void,
  ): void {
    send(confirmationResp(randomUUID()));
    const lastRevision = this.log.lastRevision(req.stream);
    // The checkpoint is the last revision already "seen": start = -1, end = current last.
    let checkpoint = req.from.kind === 'start' ? -1 : req.from.kind === 'end' ? lastRevision : toSafeNumber(req.from.revision);
    for (const e of this.log.streamEvents(req.stream) ?? []) {
      if (e.revision > checkpoint) {
        send(toReadResp(e, req.uuid));
        checkpoint = e.revision;
      }
    }
    send(caughtUpResp());
    goLive((e) => {
      if (e.streamName !== req.stream || e.revision <= checkpoint) return;
      send(toReadResp(e, req.uuid));
      checkpoint = e.revision;
    });
  }

  /**
   * Enumerator.AllSubscription / AllSubscriptionFiltered: events after the checkpoint position,
   * filtered checkpoints every `multiplier * window` considered events, caught_up, then live.
   */
  private subscribeToAll(
    req: Extract<ParsedRead, { kind: 'subscribe-all' }>,
    send: (r: ReadResp) => void,
    goLive: (listener: (e: StoredEvent) => void) => void,
  ): void {
    send(confirmationResp(randomUUID()));
    const lastIndexed = this.log.lastIndexedPosition;
    const confirmationPos: TfPos = { commit: lastIndexed, prepare: lastIndexed };
    let checkpoint: TfPos = req.from.kind === 'start' ? HEAD_OF_TF : req.from.kind === 'end' ? confirmationPos : req.from.pos;

    const filter = req.filter;
    let lastSentCheckpoint: TfPos | undefined;
    const sendCheckpoint = (pos: TfPos): void => {
      // Never a checkpoint "before everything", and never the same one twice.
      if (comparePos(pos, HEAD_OF_TF) === 0) return;
      if (lastSentCheckpoint !== undefined && comparePos(pos, lastSentCheckpoint) <= 0) return;
      lastSentCheckpoint = pos;
      send(checkpointResp(pos));
    };

    if (comparePos(checkpoint, confirmationPos) < 0) {
      if (!this.log.isReadablePosition(checkpoint.commit)) {
        throw invalidArgument('Trying to read from an invalid position.');
      }
      checkpoint =
        filter === undefined
          ? this.catchUpAll(req, checkpoint, send)
          : this.catchUpAllFiltered(req, filter, checkpoint, send, sendCheckpoint);
    }
    send(caughtUpResp());

    // Live: the subscription service counts every event for checkpoints, matched or not.
    const interval = filter === undefined ? 0 : filter.checkpointIntervalMultiplier * filter.maxSearchWindow;
    let sinceCheckpoint = 0;
    const matches = filter?.matches ?? passesDefaultAllFilter;
    goLive((e) => {
      if (comparePos(e.pos, checkpoint) > 0 && matches(e)) {
        send(toReadResp(e, req.uuid));
        checkpoint = e.pos;
      }
      if (interval > 0 && ++sinceCheckpoint >= interval) {
        sinceCheckpoint = 0;
        if (comparePos(e.pos, checkpoint) >= 0) {
          sendCheckpoint(e.pos);
          checkpoint = e.pos;
        }
      }
    });
  }

  private catchUpAll(req: Extract<ParsedRead, { kind: 'subscribe-all' }>, from: TfPos, send: (r: ReadResp) => void): TfPos {
    let checkpoint = from;
    const all = this.log.allEvents();
    // Exclusive: only events strictly after the checkpoint.
    for (let i = this.log.firstEventIndexAtOrAfter(from); i < all.length; i++) {
      const e = all[i];
      if (e === undefined || comparePos(e.pos, checkpoint) <= 0 || !passesDefaultAllFilter(e)) continue;
      send(toReadResp(e, req.uuid));
      checkpoint = e.pos;
    }
    return checkpoint;
  }

  /**
   * Emulates the server's paged filtered catch-up: each page considers at most `maxSearchWindow`
   * events and returns at most ReadBatchSize matches; a checkpoint goes out whenever the
   * considered-events counter reaches the interval and once more at the end of catch-up, at
   * max(last sent event, start of the current page).
   */
  private catchUpAllFiltered(
    req: Extract<ParsedRead, { kind: 'subscribe-all' }>,
    filter: EventFilter,
    from: TfPos,
    send: (r: ReadResp) => void,
    sendCheckpoint: (pos: TfPos) => void,
  ): TfPos {
    const interval = filter.checkpointIntervalMultiplier * filter.maxSearchWindow;
    const all = this.log.allEvents();
    let checkpoint = from;
    let pageStart: TfPos = comparePos(from, HEAD_OF_TF) === 0 ? { commit: 0n, prepare: 0n } : from;
    let counter = 0;
    for (;;) {
      let index = this.log.firstEventIndexAtOrAfter(pageStart);
      let considered = 0;
      const matched: StoredEvent[] = [];
      let nextPos = pageStart;
      while (index < all.length && matched.length < READ_BATCH_SIZE && considered < filter.maxSearchWindow) {
        const e = all[index++];
        if (e === undefined) continue;
        considered++;
        if (filter.matches(e)) matched.push(e);
        nextPos = { commit: e.postPosition, prepare: 0n };
      }
      const endOfStream = index >= all.length && matched.length < READ_BATCH_SIZE && considered < filter.maxSearchWindow;

      for (const e of matched) {
        if (comparePos(e.pos, checkpoint) <= 0) continue;
        send(toReadResp(e, req.uuid));
        checkpoint = e.pos;
      }
      counter += considered;
      if (endOfStream) {
        checkpoint = maxPos(checkpoint, pageStart);
        sendCheckpoint(checkpoint);
        return checkpoint;
      }
      if (counter >= interval) {
        counter %= interval;
        checkpoint = maxPos(checkpoint, pageStart);
        sendCheckpoint(checkpoint);
      }
      pageStart = nextPos;
    }
  }
}

/**
 * Creates a server and binds it to 127.0.0.1:<port>. Retries briefly (with a fresh server, as a
 * grpc-js server remembers a failed bind) because a just-closed listener may still hold the port.
 */
async function bindWithRetry(create: () => grpc.Server, port: number): Promise<{ server: grpc.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const server = create();
    try {
      const boundPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
      return { server, port: boundPort };
    } catch (error) {
      server.forceShutdown();
      if (port === 0 || attempt >= 40 || !/EADDRINUSE/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Graceful shutdown (calls already ended) with a forced fallback so stop() cannot hang. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 200);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
