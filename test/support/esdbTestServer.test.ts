/**
 * Proves the EventStoreDB test double against the real @eventstore/db-client 6.2.1 over real gRPC.
 * Where client 6.2.1 cannot express a request (filtered readAll, malformed messages) the generated
 * gRPC client of the same package is used, which sends the same protobuf messages.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  binaryEvent,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type Position,
} from '@eventstore/db-client';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, type AppendResp, ReadReq, type ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { startEsdbTestServer, type EsdbTestServer } from './esdbTestServer';

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const uniq = (): string => `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The recorded event of a resolved event (never a link here). */
function ev<E>(resolved: { event?: E }): E {
  if (resolved.event === undefined) throw new Error('resolved event without event');
  return resolved.event;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: number };
  }
  throw new Error('expected the promise to reject');
}

/** Polls a server-side condition that the client cannot observe (bounded, no fixed sleep). */
async function eventually(what: string, predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

type Entry<E> = { kind: 'confirmation' } | { kind: 'event'; value: E } | { kind: 'caughtUp' } | { kind: 'checkpoint'; position: Position };

/** Records what a subscription emits, in order, and lets a test await a condition. */
class Recorder<E> {
  readonly timeline: Array<Entry<E>> = [];
  error: (Error & { code?: number }) | undefined;
  private readonly waiters = new Set<() => void>();

  attach(source: Emitter): this {
    source.on('confirmation', () => this.push({ kind: 'confirmation' }));
    source.on('data', (value) => this.push({ kind: 'event', value: value as E }));
    source.on('caughtUp', () => this.push({ kind: 'caughtUp' }));
    source.on('error', (error) => {
      this.error = error as Error & { code?: number };
      this.notify();
    });
    return this;
  }

  checkpoint(position: Position): void {
    this.push({ kind: 'checkpoint', position });
  }

  get events(): E[] {
    return this.timeline.flatMap((entry) => (entry.kind === 'event' ? [entry.value] : []));
  }

  get checkpoints(): Position[] {
    return this.timeline.flatMap((entry) => (entry.kind === 'checkpoint' ? [entry.position] : []));
  }

  get caughtUp(): boolean {
    return this.timeline.some((entry) => entry.kind === 'caughtUp');
  }

  /** Entries before / after the caughtUp marker. */
  split(): { before: Array<Entry<E>>; after: Array<Entry<E>> } {
    const index = this.timeline.findIndex((entry) => entry.kind === 'caughtUp');
    if (index < 0) return { before: [...this.timeline], after: [] };
    return { before: this.timeline.slice(0, index), after: this.timeline.slice(index + 1) };
  }

  waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; error: ${String(this.error)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  private push(entry: Entry<E>): void {
    this.timeline.push(entry);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

interface RecordedLike {
  id: string;
  streamId: string;
  type: string;
  revision: bigint;
  position?: Position;
}

const eventsOf = <T extends { event?: RecordedLike }>(entries: Array<Entry<T>>): RecordedLike[] =>
  entries.flatMap((entry) => (entry.kind === 'event' ? [ev(entry.value)] : []));

function positionOf(e: RecordedLike): Position {
  if (e.position === undefined) throw new Error(`event ${e.id} has no position`);
  return e.position;
}

// -- raw protocol helpers (same generated messages the client uses) -------------------------------

function streamIdentifier(name: string): StreamIdentifier {
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Buffer.from(name, 'utf8'));
  return identifier;
}

interface RawAllRead {
  from: Position | 'start' | 'end';
  direction?: 'forwards' | 'backwards';
  count?: bigint;
  filter?: { on: 'stream' | 'type'; prefixes?: string[]; regex?: string; max?: number };
  uuid?: 'string' | 'structured';
}

function allReadRequest(o: RawAllRead): ReadReq {
  const options = new ReadReq.Options();
  const all = new ReadReq.Options.AllOptions();
  if (o.from === 'start') all.setStart(new Empty());
  else if (o.from === 'end') all.setEnd(new Empty());
  else {
    const position = new ReadReq.Options.Position();
    position.setCommitPosition(o.from.commit.toString());
    position.setPreparePosition(o.from.prepare.toString());
    all.setPosition(position);
  }
  options.setAll(all);
  options.setReadDirection(o.direction === 'backwards' ? ReadReq.Options.ReadDirection.BACKWARDS : ReadReq.Options.ReadDirection.FORWARDS);
  options.setCount((o.count ?? BigInt(Number.MAX_SAFE_INTEGER)).toString());
  const uuid = new ReadReq.Options.UUIDOption();
  if (o.uuid === 'structured') uuid.setStructured(new Empty());
  else uuid.setString(new Empty());
  options.setUuidOption(uuid);
  if (o.filter === undefined) {
    options.setNoFilter(new Empty());
  } else {
    const expression = new ReadReq.Options.FilterOptions.Expression();
    if (o.filter.prefixes) expression.setPrefixList(o.filter.prefixes);
    if (o.filter.regex) expression.setRegex(o.filter.regex);
    const filter = new ReadReq.Options.FilterOptions();
    if (o.filter.on === 'stream') filter.setStreamIdentifier(expression);
    else filter.setEventType(expression);
    if (o.filter.max !== undefined) filter.setMax(o.filter.max);
    else filter.setCount(new Empty());
    filter.setCheckpointintervalmultiplier(1);
    options.setFilter(filter);
  }
  const request = new ReadReq();
  request.setOptions(options);
  return request;
}

function rawRead(raw: StreamsClient, request: ReadReq): Promise<{ responses: ReadResp[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const responses: ReadResp[] = [];
    const call = raw.read(request);
    call.on('data', (resp: ReadResp) => responses.push(resp));
    call.on('error', (error: grpc.ServiceError) => resolve({ responses, error }));
    call.on('end', () => resolve({ responses }));
  });
}

function rawAppend(raw: StreamsClient, messages: AppendReq[]): Promise<{ resp?: AppendResp; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const call = raw.append((error, resp) => resolve(error ? { error } : { resp }));
    for (const message of messages) call.write(message);
    call.end();
  });
}

function appendOptions(stream: string, configure?: (o: AppendReq.Options) => void): AppendReq {
  const options = new AppendReq.Options();
  options.setStreamIdentifier(streamIdentifier(stream));
  if (configure) configure(options);
  else options.setAny(new Empty());
  const message = new AppendReq();
  message.setOptions(options);
  return message;
}

function proposed(metadata: Record<string, string>, id: string = randomUUID()): AppendReq {
  const message = new AppendReq.ProposedMessage();
  const uuid = new UUID();
  uuid.setString(id);
  message.setId(uuid);
  for (const [key, value] of Object.entries(metadata)) message.getMetadataMap().set(key, value);
  message.setData(Buffer.from('{}'));
  const request = new AppendReq();
  request.setProposedMessage(message);
  return request;
}

const streamsOf = (responses: ReadResp[]): string[] =>
  responses.flatMap((r) => {
    const name = r.getEvent()?.getEvent()?.getStreamIdentifier()?.getStreamName_asU8();
    return name === undefined ? [] : [Buffer.from(name).toString('utf8')];
  });

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

describe('esdbTestServer with the real @eventstore/db-client 6.2.1', () => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;
  let raw: StreamsClient;

  beforeAll(async () => {
    server = await startEsdbTestServer();
    client = EventStoreDBClient.connectionString(server.url);
    raw = new StreamsClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    await client.dispose();
    raw.close();
    await server.close();
  });

  it('answers ServerFeatures with UNIMPLEMENTED, so the client appends with Streams.Append, not BatchAppend', async () => {
    expect(server.url).toBe(`esdb://127.0.0.1:${server.port}?tls=false`);
    const appendsBefore = server.diagnostics().callCounts['Streams.Append'] ?? 0;

    await client.appendToStream(`features-${uniq()}`, jsonEvent({ type: 'Probe', data: {} }));

    const counts = server.diagnostics().callCounts;
    expect(counts['ServerFeatures.GetSupportedMethods']).toBeGreaterThanOrEqual(1);
    expect(counts['Streams.Append']).toBe(appendsBefore + 1);
    expect(counts['Streams.BatchAppend']).toBeUndefined();

    const features = new ServerFeaturesClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        features.getSupportedMethods(new Empty(), (err) => resolve(err)),
      );
      expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      features.close();
    }
  });

  it('appends and reads a stream forwards and backwards with 0-based revisions, positions and metadata', async () => {
    const stream = `image-${uniq()}`;
    const before = Date.now();
    const result = await client.appendToStream(
      stream,
      [
        jsonEvent({ type: 'ImageCreated', data: { name: 'centos' }, metadata: { by: 'alice' } }),
        binaryEvent({
          type: 'ImageBlob',
          data: Uint8Array.from([0, 1, 2, 255]),
          metadata: Uint8Array.from([0xff, 0x00, 0x80]),
        }),
        jsonEvent({ type: 'ImageRenamed', data: { name: 'rocky' } }),
      ],
      { expectedRevision: NO_STREAM },
    );
    const after = Date.now();
    expect(result.success).toBe(true);
    expect(result.nextExpectedRevision).toBe(2n);

    const forwards = (await collect(client.readStream(stream))).map(ev);
    expect(forwards.map((e) => [e.revision, e.type])).toEqual([
      [0n, 'ImageCreated'],
      [1n, 'ImageBlob'],
      [2n, 'ImageRenamed'],
    ]);
    const [created, blob, renamed] = forwards;
    expect(created).toMatchObject({
      streamId: stream,
      isJson: true,
      data: { name: 'centos' },
      metadata: { by: 'alice' },
    });
    expect(blob?.isJson).toBe(false);
    expect(Buffer.from(blob?.data as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
    // Non-JSON custom metadata comes back as the raw bytes.
    expect(Buffer.from(blob?.metadata as Uint8Array)).toEqual(Buffer.from([0xff, 0x00, 0x80]));
    expect(renamed?.metadata).toBeUndefined();
    for (const e of forwards) {
      expect(e.created.getTime()).toBeGreaterThanOrEqual(before);
      expect(e.created.getTime()).toBeLessThanOrEqual(after);
    }

    // Implicit transaction: every event has its own position, commit == prepare, strictly
    // increasing; the append reports the last event's position.
    const positions = forwards.map(positionOf);
    for (const p of positions) expect(p.commit).toBe(p.prepare);
    expect(positions[0]!.commit).toBeGreaterThan(100n); // byte offsets, not 0,1,2
    expect(positions[1]!.commit).toBeGreaterThan(positions[0]!.commit);
    expect(positions[2]!.commit).toBeGreaterThan(positions[1]!.commit);
    expect(result.position).toEqual(positions[2]);

    const backwards = (await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END }))).map(ev);
    expect(backwards.map((e) => e.revision)).toEqual([2n, 1n, 0n]);

    const fromOne = (await collect(client.readStream(stream, { direction: FORWARDS, fromRevision: 1n, maxCount: 1 }))).map(ev);
    expect(fromOne.map((e) => e.revision)).toEqual([1n]);
    const backFromOne = (await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: 1n }))).map(ev);
    expect(backFromOne.map((e) => e.revision)).toEqual([1n, 0n]);
    const lastTwo = (await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }))).map(ev);
    expect(lastTwo.map((e) => e.revision)).toEqual([2n, 1n]);
  });

  it('reports wrong expected version with the current and expected revisions the server fills in', async () => {
    const stream = `template-${uniq()}`;
    const steps = [1, 2, 3].map((n) => jsonEvent({ type: 'Step', data: { n } }));
    await client.appendToStream(stream, steps, { expectedRevision: NO_STREAM });

    const tooHigh = await rejectionOf(client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 5n }));
    expect(tooHigh).toBeInstanceOf(WrongExpectedVersionError);
    expect(tooHigh).toMatchObject({ streamName: stream, actualVersion: 2n, expectedVersion: 5n });

    const stale = await rejectionOf(client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 1n }));
    expect(stale).toMatchObject({ actualVersion: 2n, expectedVersion: 1n });

    const exists = await rejectionOf(client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: NO_STREAM }));
    expect(exists).toMatchObject({ actualVersion: 2n, expectedVersion: 'no_stream' });

    const missing = `missing-${uniq()}`;
    const notThere = await rejectionOf(
      client.appendToStream(missing, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: STREAM_EXISTS }),
    );
    expect(notThere).toBeInstanceOf(WrongExpectedVersionError);
    expect(notThere).toMatchObject({ actualVersion: 'no_stream', expectedVersion: 'stream_exists' });

    const exactOnMissing = await rejectionOf(
      client.appendToStream(missing, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 0n }),
    );
    expect(exactOnMissing).toMatchObject({ actualVersion: 'no_stream', expectedVersion: 0n });

    await expect(client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: 2n })).resolves.toMatchObject({
      nextExpectedRevision: 3n,
    });
    await expect(client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: ANY })).resolves.toMatchObject({
      nextExpectedRevision: 4n,
    });
    await expect(
      client.appendToStream(stream, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: STREAM_EXISTS }),
    ).resolves.toMatchObject({ nextExpectedRevision: 5n });
    await expect(
      client.appendToStream(`fresh-${uniq()}`, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: NO_STREAM }),
    ).resolves.toMatchObject({ nextExpectedRevision: 0n });

    // A stream that only has metadata counts as existing for stream_exists (IndexWriter.CheckCommit).
    const metadataOnly = `meta-${uniq()}`;
    await client.setStreamMetadata(metadataOnly, { maxCount: 10 });
    await expect(
      client.appendToStream(metadataOnly, jsonEvent({ type: 'Step', data: {} }), { expectedRevision: STREAM_EXISTS }),
    ).resolves.toMatchObject({ nextExpectedRevision: 0n });
  });

  it('fills both the current and the 20.6.0 wrong-expected-version fields like Streams.Append.cs', async () => {
    const stream = `wev-${uniq()}`;
    await client.appendToStream(
      stream,
      [1, 2, 3].map((n) => jsonEvent({ type: 'Step', data: { n } })),
    );
    const event = proposed({ type: 'Step', 'content-type': 'application/json' });

    const exact = await rawAppend(raw, [appendOptions(stream, (o) => o.setRevision('5')), event]);
    const byRevision = exact.resp?.getWrongExpectedVersion();
    expect(byRevision?.getCurrentRevision()).toBe('2');
    expect(byRevision?.getCurrentRevision2060()).toBe(2);
    expect(byRevision?.getExpectedRevision()).toBe('5');
    expect(byRevision?.getExpectedRevision2060()).toBe(5);

    const noStream = await rawAppend(raw, [appendOptions(stream, (o) => o.setNoStream(new Empty())), event]);
    expect(noStream.resp?.getWrongExpectedVersion()?.hasExpectedNoStream()).toBe(true);

    const exists = await rawAppend(raw, [appendOptions(`x-${uniq()}`, (o) => o.setStreamExists(new Empty())), event]);
    const onMissing = exists.resp?.getWrongExpectedVersion();
    expect(onMissing?.hasCurrentNoStream()).toBe(true);
    expect(onMissing?.hasNoStream2060()).toBe(true);
    expect(onMissing?.hasExpectedStreamExists()).toBe(true);
    expect(onMissing?.hasStreamExists2060()).toBe(true);
  });

  it('treats re-appends of the same event ids as idempotent and a partial match as wrong expected version', async () => {
    const stream = `script-${uniq()}`;
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const event = (id: string) => jsonEvent({ id, type: 'ScriptEdited', data: { id } });

    const original = await client.appendToStream(stream, [event(a), event(b)], { expectedRevision: NO_STREAM });
    const count = server.eventCount;

    // Same ids at the same expected revision, or with any/stream_exists: the original result again.
    await expect(client.appendToStream(stream, [event(a), event(b)], { expectedRevision: NO_STREAM })).resolves.toEqual(original);
    await expect(client.appendToStream(stream, [event(a), event(b)], { expectedRevision: ANY })).resolves.toEqual(original);
    await expect(client.appendToStream(stream, [event(a), event(b)], { expectedRevision: STREAM_EXISTS })).resolves.toEqual(original);
    await expect(client.appendToStream(stream, [event(b)], { expectedRevision: 0n })).resolves.toEqual(original);
    expect(server.eventCount).toBe(count);

    // Still idempotent after the stream moved on.
    await client.appendToStream(stream, event(c), { expectedRevision: 1n });
    await expect(client.appendToStream(stream, [event(a), event(b)], { expectedRevision: NO_STREAM })).resolves.toEqual(original);

    // Partial id matches: "corrupted idempotency", answered as wrong expected version.
    await expect(client.appendToStream(stream, [event(a), event(d)], { expectedRevision: NO_STREAM })).rejects.toMatchObject({
      actualVersion: 2n,
      expectedVersion: 'no_stream',
    });
    await expect(client.appendToStream(stream, [event(a), event(d)], { expectedRevision: ANY })).rejects.toMatchObject({
      actualVersion: 2n,
      expectedVersion: 'any',
    });

    // An unknown first id with `any` is an ordinary write.
    await expect(client.appendToStream(stream, [event(d), event(a)], { expectedRevision: ANY })).resolves.toMatchObject({
      nextExpectedRevision: 4n,
    });
    const ids = (await collect(client.readStream(stream))).map((r) => ev(r).id);
    expect(ids).toEqual([a, b, c, d, a]);
  });

  it('throws StreamNotFoundError when reading a missing stream in either direction', async () => {
    const stream = `nope-${uniq()}`;
    const forwards = await rejectionOf(collect(client.readStream(stream)));
    expect(forwards).toBeInstanceOf(StreamNotFoundError);
    expect(forwards).toMatchObject({ streamName: stream });
    await expect(collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END }))).rejects.toBeInstanceOf(
      StreamNotFoundError,
    );
  });

  it('reads $all forwards inclusively and backwards exclusively from a position', async () => {
    const stream = `all-${uniq()}`;
    await client.appendToStream(
      stream,
      [0, 1, 2].map((n) => jsonEvent({ type: 'Numbered', data: { n } })),
    );
    const [e0, e1, e2] = (await collect(client.readStream(stream))).map(ev);
    const p1 = positionOf(e1!);

    // AllReader.ReadAllEventsForward keeps events with `new TFPos(...) >= pos`: inclusive.
    const forwards = (await collect(client.readAll({ fromPosition: p1, maxCount: 2 }))).map(ev);
    expect(forwards.map((e) => e.id)).toEqual([e1!.id, e2!.id]);

    // AllReader.ReadAllEventsBackward keeps events with `new TFPos(...) < pos`: exclusive.
    const backwards = (await collect(client.readAll({ fromPosition: p1, direction: BACKWARDS, maxCount: 1 }))).map(ev);
    expect(backwards.map((e) => e.id)).toEqual([e0!.id]);

    const latest = (await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }))).map(ev);
    expect(latest.map((e) => e.id)).toEqual([e2!.id]);

    // $all is ordered by (commit, prepare).
    const everything = (await collect(client.readAll({ fromPosition: START }))).map(ev);
    for (let i = 1; i < everything.length; i++) {
      expect(positionOf(everything[i]!).commit).toBeGreaterThan(positionOf(everything[i - 1]!).commit);
    }
    // Startup system events are there, except $epoch-information which the server's
    // DefaultAllFilter hides from $all (it can still be read by name).
    expect(everything.some((e) => e.type === '$statsCollected')).toBe(true);
    expect(everything.some((e) => e.streamId === '$epoch-information')).toBe(false);
    expect((await collect(client.readStream('$epoch-information'))).map((r) => ev(r).type)).toContain('$epoch-information');

    // A position inside a record is rejected like the server's InvalidPosition (INVALID_ARGUMENT).
    const inside = { commit: p1.commit + 1n, prepare: p1.commit + 1n };
    await expect(collect(client.readAll({ fromPosition: inside }))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('filters $all reads by stream-name prefixes, event-type regex and system-event exclusion (raw gRPC)', async () => {
    // Client 6.2.1's readAll has no filter option, so this drives the same protocol directly.
    const tag = uniq();
    await client.appendToStream(`${tag}img-1`, jsonEvent({ type: 'ImageCreated', data: {} }));
    await client.appendToStream(`${tag}scr-1`, jsonEvent({ type: 'ScriptCreated', data: {} }));
    await client.appendToStream(`${tag}tpl-1`, jsonEvent({ type: 'TemplateCreated', data: {} }));
    server.appendSystemEvent(`$${tag}-stats`, '$statsCollected');
    const [first] = (await collect(client.readStream(`${tag}img-1`))).map(ev);
    const from = positionOf(first!);

    const byStream = await rawRead(raw, allReadRequest({ from, filter: { on: 'stream', prefixes: [`${tag}img-`, `${tag}scr-`] } }));
    expect(byStream.error).toBeUndefined();
    expect(streamsOf(byStream.responses)).toEqual([`${tag}img-1`, `${tag}scr-1`]);

    const byType = await rawRead(raw, allReadRequest({ from, filter: { on: 'type', regex: '^(Image|Template)Created$', max: 2 } }));
    expect(streamsOf(byType.responses)).toEqual([`${tag}img-1`, `${tag}tpl-1`]);

    const noSystem = await rawRead(raw, allReadRequest({ from, filter: { on: 'type', regex: '^[^$].*' } }));
    expect(streamsOf(noSystem.responses)).toEqual([`${tag}img-1`, `${tag}scr-1`, `${tag}tpl-1`]);
    const unfiltered = await rawRead(raw, allReadRequest({ from }));
    expect(streamsOf(unfiltered.responses)).toEqual([`${tag}img-1`, `${tag}scr-1`, `${tag}tpl-1`, `$${tag}-stats`]);

    const lastScript = await rawRead(
      raw,
      allReadRequest({ from: 'end', direction: 'backwards', count: 1n, filter: { on: 'type', regex: '^Script' } }),
    );
    expect(streamsOf(lastScript.responses)).toEqual([`${tag}scr-1`]);

    // Structured UUIDs are the two big-endian halves as signed int64.
    const structured = await rawRead(raw, allReadRequest({ from, count: 1n, uuid: 'structured' }));
    const id = structured.responses[0]?.getEvent()?.getEvent()?.getId()?.getStructured();
    const hex = [id?.getMostSignificantBits(), id?.getLeastSignificantBits()]
      .map((half) =>
        BigInt.asUintN(64, BigInt(half ?? '0'))
          .toString(16)
          .padStart(16, '0'),
      )
      .join('');
    expect(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`).toBe(first!.id);
  });

  it('filters subscribeToAll by stream-name prefixes, catching up and then delivering matching live events', async () => {
    const tag = uniq();
    await client.appendToStream(`${tag}img-1`, jsonEvent({ type: 'ImageCreated', data: {} }));
    await client.appendToStream(`${tag}scr-1`, jsonEvent({ type: 'ScriptCreated', data: {} }));
    await client.appendToStream(`${tag}tpl-1`, jsonEvent({ type: 'TemplateCreated', data: {} }));

    const subscription = client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({ prefixes: [`${tag}img-`, `${tag}scr-`] }),
    });
    const recorder = new Recorder<{ event?: RecordedLike }>().attach(subscription);
    try {
      await recorder.waitFor('caughtUp', () => recorder.caughtUp);
      expect(eventsOf(recorder.split().before).map((e) => e.streamId)).toEqual([`${tag}img-1`, `${tag}scr-1`]);

      await client.appendToStream(`${tag}tpl-2`, jsonEvent({ type: 'TemplateCreated', data: {} }));
      await client.appendToStream(`${tag}img-2`, jsonEvent({ type: 'ImageCreated', data: {} }));
      await recorder.waitFor('live img-2', () => recorder.events.length === 3);
      expect(recorder.events.map((e) => ev(e).streamId)).toEqual([`${tag}img-1`, `${tag}scr-1`, `${tag}img-2`]);
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('filters subscribeToAll by event-type regex and emits checkpoints with the server arithmetic', async () => {
    const tag = uniq();
    await client.appendToStream(`${tag}-a`, jsonEvent({ type: `${tag}ImageCreated`, data: {} }));
    await client.appendToStream(`${tag}-b`, jsonEvent({ type: `${tag}Other`, data: {} }));

    const recorder = new Recorder<{ event?: RecordedLike }>();
    const subscription = client.subscribeToAll({
      fromPosition: START,
      // Window of 4 considered events x multiplier 1 = a checkpoint every 4 events.
      filter: eventTypeFilter({
        regex: `^${tag}Image`,
        maxSearchWindow: 4,
        checkpointInterval: 1,
        checkpointReached: (_subscription, position) => recorder.checkpoint(position),
      }),
    });
    recorder.attach(subscription);
    try {
      await recorder.waitFor('caughtUp', () => recorder.caughtUp);
      const { before } = recorder.split();
      const caughtUpEvents = eventsOf(before);
      expect(caughtUpEvents.map((e) => e.streamId)).toEqual([`${tag}-a`]);
      const checkpoints = before.flatMap((entry) => (entry.kind === 'checkpoint' ? [entry.position] : []));
      expect(checkpoints.length).toBeGreaterThan(1); // the log holds far more than 4 events
      for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]!.commit).toBeGreaterThan(checkpoints[i - 1]!.commit);
      // The checkpoint sent on reaching the end is at or after the last matching event.
      expect(checkpoints.at(-1)!.commit).toBeGreaterThanOrEqual(positionOf(caughtUpEvents[0]!).commit);

      // Live: the 4th event appended after subscribing (matching or not) produces a checkpoint at its position.
      await client.appendToStream(
        `${tag}-c`,
        [1, 2, 3, 4].map((n) => jsonEvent({ type: `${tag}Other`, data: { n } })),
      );
      const fourth = (await collect(client.readStream(`${tag}-c`))).map(ev)[3]!;
      await recorder.waitFor('live checkpoint', () => recorder.checkpoints.some((p) => p.commit === positionOf(fourth).commit));

      await client.appendToStream(`${tag}-d`, jsonEvent({ type: `${tag}ImageDeleted`, data: {} }));
      await recorder.waitFor('live image event', () => recorder.events.length === 2);
      expect(recorder.events.map((e) => ev(e).type)).toEqual([`${tag}ImageCreated`, `${tag}ImageDeleted`]);
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('excludes system events from a subscribeToAll with excludeSystemEvents()', async () => {
    const tag = uniq();
    const subscription = client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
    const recorder = new Recorder<{ event?: RecordedLike }>().attach(subscription);
    try {
      await recorder.waitFor('caughtUp', () => recorder.caughtUp);
      server.appendSystemEvent(`$stats-${tag}`, '$statsCollected');
      await client.appendToStream(`${tag}-after`, jsonEvent({ type: 'ImageCreated', data: {} }));
      await recorder.waitFor('live event', () => recorder.events.some((e) => ev(e).streamId === `${tag}-after`));

      const types = recorder.events.map((e) => ev(e).type);
      expect(types.filter((type) => type.startsWith('$'))).toEqual([]);
      // ...while an unfiltered read does contain them.
      const all = (await collect(client.readAll({ fromPosition: START }))).map(ev);
      expect(all.some((e) => e.streamId === `$stats-${tag}`)).toBe(true);
      expect(all.filter((e) => e.type.startsWith('$')).length).toBeGreaterThan(1);
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('subscribes to $all from a middle position exclusively, catches up, emits caughtUp, then receives live events', async () => {
    const stream = `mid-${uniq()}`;
    await client.appendToStream(
      stream,
      [0, 1, 2].map((n) => jsonEvent({ type: 'Numbered', data: { n } })),
    );
    const [e0, e1, e2] = (await collect(client.readStream(stream))).map(ev);

    const subscription = client.subscribeToAll({ fromPosition: positionOf(e0!) });
    const recorder = new Recorder<{ event?: RecordedLike }>().attach(subscription);
    try {
      await recorder.waitFor('caughtUp', () => recorder.caughtUp);
      expect(recorder.timeline[0]).toEqual({ kind: 'confirmation' });
      expect(subscription.id).toMatch(/^[0-9a-f-]{36}$/);
      // Enumerator.AllSubscription: `if (eventPosition <= checkpoint) continue;` — exclusive.
      expect(eventsOf(recorder.split().before).map((e) => e.id)).toEqual([e1!.id, e2!.id]);

      const live = await client.appendToStream(stream, jsonEvent({ type: 'Numbered', data: { n: 3 } }));
      await recorder.waitFor('live event', () => recorder.split().after.length === 1);
      const [liveEvent] = eventsOf(recorder.split().after);
      expect(liveEvent).toMatchObject({ streamId: stream, revision: 3n, position: live.position });
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('subscribes to a stream from the start, from a revision (exclusive), from the end and before it exists', async () => {
    const stream = `sub-${uniq()}`;
    await client.appendToStream(
      stream,
      [0, 1, 2].map((n) => jsonEvent({ type: 'Numbered', data: { n } })),
    );

    const future = `sub-later-${uniq()}`;
    const base = server.diagnostics().liveSubscriptions;
    const subscriptions = [
      client.subscribeToStream(stream),
      client.subscribeToStream(stream, { fromRevision: 1n }),
      client.subscribeToStream(stream, { fromRevision: END }),
      client.subscribeToStream(future),
    ];
    const all = subscriptions.map((s) => new Recorder<{ event?: RecordedLike }>().attach(s));
    const [fromStart, fromOne, fromEnd, notYet] = all as [
      Recorder<{ event?: RecordedLike }>,
      Recorder<{ event?: RecordedLike }>,
      Recorder<{ event?: RecordedLike }>,
      Recorder<{ event?: RecordedLike }>,
    ];
    try {
      await Promise.all(all.map((r) => r.waitFor('caughtUp', () => r.caughtUp)));
      expect(eventsOf(fromStart.split().before).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect(eventsOf(fromOne.split().before).map((e) => e.revision)).toEqual([2n]);
      expect(eventsOf(fromEnd.split().before)).toEqual([]);
      expect(eventsOf(notYet.split().before)).toEqual([]);

      await client.appendToStream(stream, jsonEvent({ type: 'Numbered', data: { n: 3 } }));
      await client.appendToStream(future, jsonEvent({ type: 'Born', data: {} }));
      await Promise.all(all.map((r) => r.waitFor('live event', () => r.split().after.length === 1)));
      for (const r of [fromStart, fromOne, fromEnd]) expect(eventsOf(r.split().after).map((e) => e.revision)).toEqual([3n]);
      expect(eventsOf(notYet.split().after).map((e) => [e.streamId, e.revision])).toEqual([[future, 0n]]);
    } finally {
      await Promise.all(subscriptions.map((s) => s.unsubscribe()));
    }
    await eventually('server to drop the subscriptions', () => server.diagnostics().liveSubscriptions === base);
  });

  it('releases the live subscription on the server when the client unsubscribes', async () => {
    const base = server.diagnostics().liveSubscriptions;
    const subscription = client.subscribeToAll({ fromPosition: END });
    const recorder = new Recorder<{ event?: RecordedLike }>().attach(subscription);
    await recorder.waitFor('caughtUp', () => recorder.caughtUp);
    expect(server.diagnostics().liveSubscriptions).toBe(base + 1);
    await subscription.unsubscribe();
    await eventually('subscription release', () => server.diagnostics().liveSubscriptions === base);
  });

  it('rejects malformed requests with INVALID_ARGUMENT and keeps serving', async () => {
    const stream = `bad-${uniq()}`;
    const expectInvalid = (error: grpc.ServiceError | undefined): void => expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);

    expectInvalid((await rawRead(raw, new ReadReq())).error);

    const noUuidOption = allReadRequest({ from: 'start' });
    noUuidOption.getOptions()?.clearUuidOption();
    expectInvalid((await rawRead(raw, noUuidOption)).error);

    const backwardsSubscription = new ReadReq();
    const options = new ReadReq.Options();
    const streamOptions = new ReadReq.Options.StreamOptions();
    streamOptions.setStreamIdentifier(streamIdentifier(stream));
    streamOptions.setStart(new Empty());
    options.setStream(streamOptions);
    options.setSubscription(new ReadReq.Options.SubscriptionOptions());
    options.setReadDirection(ReadReq.Options.ReadDirection.BACKWARDS);
    options.setNoFilter(new Empty());
    const uuid = new ReadReq.Options.UUIDOption();
    uuid.setString(new Empty());
    options.setUuidOption(uuid);
    backwardsSubscription.setOptions(options);
    const combination = await rawRead(raw, backwardsSubscription);
    expectInvalid(combination.error);
    expect(combination.error?.details).toMatch(/combination/);

    expectInvalid((await rawAppend(raw, [])).error);
    expectInvalid((await rawAppend(raw, [proposed({ type: 'X', 'content-type': 'application/json' })])).error);
    expectInvalid((await rawAppend(raw, [appendOptions(stream, () => undefined)])).error); // no expected revision
    expectInvalid((await rawAppend(raw, [appendOptions(stream), proposed({ type: 'X', 'content-type': 'x' }, 'not-a-uuid')])).error);

    const missingType = await rawAppend(raw, [appendOptions(stream), proposed({ 'content-type': 'application/json' })]);
    expectInvalid(missingType.error);
    expect(missingType.error?.metadata.get('exception')).toEqual(['missing-required-metadata-property']);

    // Nothing was written, and the server still works.
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(client.appendToStream(stream, jsonEvent({ type: 'Fine', data: {} }))).resolves.toMatchObject({
      nextExpectedRevision: 0n,
    });
  });

  it('round-trips unicode stream names, types, data and metadata byte for byte', async () => {
    const stream = `bild-${uniq()}-日本語-✓`;
    const data = { text: 'Zoë 😀 日本語 ∑ \u0000 "quoted"', nested: { emoji: '🖼️' } };
    await client.appendToStream(stream, [
      jsonEvent({ type: 'Bild erstellt 🖼️', data, metadata: { note: 'ñandú' } }),
      binaryEvent({ type: 'Bytes', data: Uint8Array.from({ length: 256 }, (_, i) => i) }),
    ]);
    const [json, bytes] = (await collect(client.readStream(stream))).map(ev);
    expect(json).toMatchObject({ streamId: stream, type: 'Bild erstellt 🖼️', data, metadata: { note: 'ñandú' } });
    expect(Buffer.from(bytes?.data as Uint8Array)).toEqual(Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)));
  });

  it("enforces the server's default 1 MiB append limit with MaxAppendSizeExceededError", async () => {
    const big = randomBytes(1024 * 1024);
    const error = await rejectionOf(client.appendToStream(`big-${uniq()}`, binaryEvent({ type: 'Blob', data: big })));
    expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
    expect(error).toMatchObject({ maxAppendSize: 1024 * 1024 });
  });
});

describe('esdbTestServer configured like a server with a larger MaxAppendSize', () => {
  it('round-trips a 1 MiB+ event', async () => {
    const server = await startEsdbTestServer({ maxAppendSize: 16 * 1024 * 1024 });
    const client = EventStoreDBClient.connectionString(server.url);
    try {
      const big = randomBytes(1024 * 1024 + 17);
      const stream = `big-${uniq()}`;
      await client.appendToStream(stream, binaryEvent({ type: 'Blob', data: big }));
      const [read] = (await collect(client.readStream(stream))).map(ev);
      expect(Buffer.from(read?.data as Uint8Array).equals(big)).toBe(true);
      const [viaAll] = (await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }))).map(ev);
      expect(Buffer.from(viaAll?.data as Uint8Array).equals(big)).toBe(true);
    } finally {
      await client.dispose();
      await server.close();
    }
  });
});

describe('esdbTestServer stop() and start()', () => {
  it('drops subscriptions and fails appends while stopped, then serves the same data on the same port', async () => {
    const server = await startEsdbTestServer();
    const client = EventStoreDBClient.connectionString(server.url);
    try {
      const stream = `restart-${uniq()}`;
      await client.appendToStream(stream, jsonEvent({ type: 'Before', data: {} }));
      const subscription = client.subscribeToStream(stream);
      const recorder = new Recorder<{ event?: RecordedLike }>().attach(subscription);
      await recorder.waitFor('caughtUp', () => recorder.caughtUp);
      const port = server.port;
      const count = server.eventCount;

      await server.stop();
      await recorder.waitFor('subscription error', () => recorder.error !== undefined);
      expect(recorder.error).toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect(server.diagnostics()).toMatchObject({ liveSubscriptions: 0, activeCalls: 0 });
      const failed = await rejectionOf(client.appendToStream(stream, jsonEvent({ type: 'During', data: {} })));
      expect(failed.code).toBe(grpc.status.UNAVAILABLE);

      await server.start();
      expect(server.port).toBe(port);
      expect(server.eventCount).toBe(count + 1); // the data is kept; a restart writes a new epoch
      await expect(client.appendToStream(stream, jsonEvent({ type: 'After', data: {} }), { expectedRevision: 0n })).resolves.toMatchObject({
        nextExpectedRevision: 1n,
      });
      expect((await collect(client.readStream(stream))).map((r) => ev(r).type)).toEqual(['Before', 'After']);

      const again = new Recorder<{ event?: RecordedLike }>().attach(client.subscribeToStream(stream));
      await again.waitFor('caughtUp after restart', () => again.caughtUp);
      expect(again.events.length).toBe(2);
    } finally {
      await client.dispose();
      await server.close();
    }
    await expect(server.start()).rejects.toThrow(/closed/);
  });
});
