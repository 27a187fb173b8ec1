import {
  execute,
  GraphQLBoolean,
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  subscribe as graphqlSubscribe,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { FeedSink, FeedSubscription } from '../../src/application/changeFeed';
import type { Role, Viewer } from '../../src/domain/accounts/roles';
import type { RecordedEvent } from '../../src/eventStore/port';
import type { DirectDelivery, SubscriptionConnection } from '../../src/graphql/context';
import { LiveDelivery } from '../../src/server/liveDelivery';
import { sharedSubscribe, type SubscriptionExecution } from '../../src/server/sharedExecution';

/*
 * Shared subscription execution (src/server/sharedExecution.ts) and direct live delivery
 * (src/server/liveDelivery.ts) against a small real graphql-js schema: a `Subscription.events` root
 * field that is shared, a `Subscription.other` root field that is not, and an `Event` type whose field
 * resolvers count their calls. Each subscription's source is a TestFeed: a pushable feed with
 * FeedStream's contract (src/application/changeFeed.ts) that the test hands events to, one object per
 * event, the same object to every subscriber, as the shared tail does.
 */

type Waiter = { resolve: (step: IteratorResult<RecordedEvent>) => void; reject: (error: unknown) => void };

/** A change-feed subscription the test drives: FeedStream's pull and push contract, without a store. */
class TestFeed implements FeedSubscription {
  readonly queue: RecordedEvent[] = [];
  /** Cursors the consumer reported as sent, in order. */
  readonly sentCursors: string[] = [];
  returned = 0;
  private waiter: Waiter | undefined;
  private sink: FeedSink | undefined;
  private state: 'open' | 'failed' | 'ended' = 'open';
  private failure: unknown;

  constructor(
    readonly field: string,
    readonly after: string | undefined,
  ) {}

  get open(): boolean {
    return this.state === 'open';
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RecordedEvent> {
    return this;
  }

  next(): Promise<IteratorResult<RecordedEvent>> {
    if (this.state === 'failed') {
      this.state = 'ended';
      return Promise.reject(this.failure);
    }
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.state === 'ended') return Promise.resolve({ value: undefined, done: true });
    if (this.waiter || this.sink) return Promise.reject(new Error('the test feed is read by one consumer at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  push(sink: FeedSink): void {
    if (this.waiter) throw new Error('the test feed is read by one consumer at a time');
    this.sink = sink;
    while (this.sink === sink && this.state === 'open') {
      const event = this.queue.shift();
      if (event === undefined) break;
      if (!sink.take(event)) this.sink = undefined;
    }
    if (this.state === 'open') return;
    this.sink = undefined;
    const failure = this.state === 'failed' ? this.failure : undefined;
    this.state = 'ended';
    sink.end(failure);
  }

  sent(cursor: string): void {
    this.sentCursors.push(cursor);
  }

  return(): Promise<IteratorResult<RecordedEvent>> {
    this.returned += 1;
    this.end();
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The tail hands this feed an event: to a waiting `next()`, to the sink if it takes, else queued. */
  emit(event: RecordedEvent): void {
    if (this.state !== 'open') return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    const sink = this.sink;
    if (sink && this.queue.length === 0) {
      if (!sink.take(event)) this.sink = undefined;
      return;
    }
    this.queue.push(event);
  }

  /** The feed ends (returned, or closed for being too slow): what is queued is dropped, as FeedStream does. */
  end(): void {
    if (this.state === 'open') this.state = 'ended';
    this.queue.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    const sink = this.sink;
    this.sink = undefined;
    sink?.end(undefined);
  }

  fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.queue.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    const sink = this.sink;
    this.sink = undefined;
    if (waiter) {
      this.state = 'ended';
      waiter.reject(error);
    } else if (sink) {
      this.state = 'ended';
      sink.end(error);
    } else {
      this.state = 'failed';
      this.failure = error;
    }
  }
}

/** A socket's direct writes: each frame as the string the client would read; `full` makes `write` say so. */
class TestSocket implements DirectDelivery {
  readonly frames: string[] = [];
  full = false;
  private resumes: Array<() => void> = [];

  constructor(readonly operationId: string) {}

  write(head: Buffer, body: Buffer, tail: Buffer): boolean {
    this.frames.push(Buffer.concat([head, body, tail]).toString('utf8'));
    return !this.full;
  }

  whenWritable(resume: () => void): void {
    this.resumes.push(resume);
  }

  get waitingForRoom(): number {
    return this.resumes.length;
  }

  /** The socket has room again (or, with `stillFull`, says so but fills up at the next write). */
  drain(stillFull = false): void {
    this.full = stillFull;
    const resumes = this.resumes;
    this.resumes = [];
    for (const resume of resumes) resume();
  }
}

type EventData = { n: number; fail?: boolean };

function recorded(n: number, data: Partial<EventData> = {}, id = `event-${n}`): RecordedEvent {
  return {
    id,
    type: 'CounterIncremented',
    stream: 'counter-1',
    revision: BigInt(n),
    data: { n, ...data },
    metadata: { prevHash: null, hash: `hash-${n}` },
    position: { commit: BigInt(n), prepare: BigInt(n) },
    cursor: `cursor-${n}`,
    recordedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, n)),
  };
}

const dataOf = (event: RecordedEvent): EventData => event.data as EventData;

/** The part of GraphQLContext sharedSubscribe reads; `reference` marks the test's own executions (not counted). */
type TestContext = { viewer: Viewer; connection: SubscriptionConnection; reference?: boolean };

type Calls = { id: number; n: number; secret: number; boom: number; later: number };

/** The schema, its feeds (one per subscription, in the order they opened) and its resolvers' call counts. */
class Fixture {
  readonly feeds: TestFeed[] = [];
  readonly calls: Calls = { id: 0, n: 0, secret: 0, boom: 0, later: 0 };
  /** `later` answers with this promise for the events listed here, synchronously for the others. */
  readonly gates = new Map<string, Promise<string>>();
  readonly schema: GraphQLSchema;

  constructor() {
    const { calls, gates } = this;
    const event = new GraphQLObjectType<RecordedEvent, TestContext>({
      name: 'Event',
      fields: {
        id: {
          type: GraphQLString,
          resolve: (e, _args, ctx) => {
            if (!ctx.reference) calls.id += 1;
            return e.id;
          },
        },
        n: {
          type: GraphQLInt,
          resolve: (e, _args, ctx) => {
            if (!ctx.reference) calls.n += 1;
            return dataOf(e).n;
          },
        },
        secret: {
          type: GraphQLString,
          resolve: (e, _args, ctx) => {
            if (!ctx.reference) calls.secret += 1;
            return ctx.viewer.roles.includes('admin') ? `secret of ${e.id}` : null;
          },
        },
        boom: {
          type: GraphQLString,
          resolve: (e, _args, ctx) => {
            if (!ctx.reference) calls.boom += 1;
            if (dataOf(e).fail) throw new Error(`boom at ${e.id}`);
            return 'fine';
          },
        },
        later: {
          type: GraphQLString,
          resolve: (e, _args, ctx) => {
            if (!ctx.reference) calls.later += 1;
            return gates.get(e.id) ?? 'now';
          },
        },
      },
    });
    const openFeed = (field: string) => (_root: unknown, args: { after?: string | null }) => {
      if (args.after === 'refused') throw new Error(`no feed after ${args.after}`);
      const feed = new TestFeed(field, args.after ?? undefined);
      this.feeds.push(feed);
      return feed;
    };
    // Like the real `events` resolver: the event is the response's root, nothing else is read.
    const rootField = (field: string) => ({
      type: event,
      args: { after: { type: GraphQLString } },
      subscribe: openFeed(field),
      resolve: (e: RecordedEvent) => e,
    });
    this.schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
      subscription: new GraphQLObjectType({ name: 'Subscription', fields: { events: rootField('events'), other: rootField('other') } }),
    });
  }

  /** The feed of the `index`th subscription opened. */
  feed(index: number): TestFeed {
    const feed = this.feeds[index];
    if (feed === undefined) throw new Error(`no subscription #${index} was opened (${this.feeds.length} were)`);
    return feed;
  }

  /** Hands `event` (one object) to every open feed, as the shared tail does. */
  emit(event: RecordedEvent): void {
    for (const feed of this.feeds) feed.emit(event);
  }
}

type Subscriber = { roles?: Role[]; variables?: Record<string, unknown>; socket?: TestSocket };

function contextOf({ roles = ['observer'], socket }: Subscriber): TestContext {
  return {
    viewer: { accountId: 'account-1', userId: 'user-1', tokenId: 'token-1', roles, systemOperator: false },
    connection: {
      maxQueuedEvents: 100,
      close: () => {
        throw new Error('no test closes the socket');
      },
      ...(socket ? { direct: socket } : {}),
    },
  };
}

function argsOf(fixture: Fixture, query: string, subscriber: Subscriber): ExecutionArgs {
  return { schema: fixture.schema, document: parse(query), variableValues: subscriber.variables, contextValue: contextOf(subscriber) };
}

/** Arguments for the test's own executions: their resolver calls are not counted. */
function referenceArgs(fixture: Fixture, query: string, subscriber: Subscriber = {}): ExecutionArgs {
  const args = argsOf(fixture, query, subscriber);
  return { ...args, contextValue: { ...(args.contextValue as TestContext), reference: true } };
}

type Subscribe = ReturnType<typeof sharedSubscribe>;

async function open(
  subscribe: Subscribe,
  fixture: Fixture,
  query: string,
  subscriber: Subscriber = {},
): Promise<AsyncIterableIterator<ExecutionResult>> {
  const result = await subscribe(argsOf(fixture, query, subscriber));
  if (!(Symbol.asyncIterator in result)) throw new Error(`expected a subscription, got ${JSON.stringify(result)}`);
  return result;
}

async function openLive(subscribe: Subscribe, fixture: Fixture, query: string, subscriber: Subscriber): Promise<LiveDelivery> {
  const delivery = await open(subscribe, fixture, query, subscriber);
  if (!(delivery instanceof LiveDelivery)) throw new Error('expected a direct socket to get a LiveDelivery');
  return delivery;
}

type Subscriptions<S extends readonly unknown[]> = { [K in keyof S]: AsyncIterableIterator<ExecutionResult> };

/** One subscription per subscriber, opened in order (so `fixture.feed(i)` is the i-th one's). */
async function openEach<S extends readonly Subscriber[]>(
  subscribe: Subscribe,
  fixture: Fixture,
  query: string,
  subscribers: readonly [...S],
): Promise<Subscriptions<S>> {
  const opened: Array<AsyncIterableIterator<ExecutionResult>> = [];
  for (const subscriber of subscribers) opened.push(await open(subscribe, fixture, query, subscriber));
  return opened as unknown as Subscriptions<S>;
}

type Responses<T extends readonly unknown[]> = { [K in keyof T]: ExecutionResult };

/** Each subscription's next response once `emit` ran: what graphql-ws would be handed. */
async function nextOfEach<T extends ReadonlyArray<AsyncIterator<ExecutionResult>>>(
  subscriptions: readonly [...T],
  emit: () => void,
): Promise<Responses<T>> {
  const steps = subscriptions.map((s) => s.next());
  emit();
  const responses = (await Promise.all(steps)).map((step) => {
    if (step.done) throw new Error('the subscription ended instead of answering');
    return step.value;
  });
  return responses as unknown as Responses<T>;
}

const eventsOf = (subscribe: SubscriptionExecution = 'shared'): Subscribe => sharedSubscribe(new Set(['events']), subscribe);

/** What graphql-js alone answers for `event` (as graphql-js `subscribe` does per event: execute with the event as root). */
function expected(fixture: Fixture, query: string, event: RecordedEvent, subscriber: Subscriber = {}): Promise<ExecutionResult> {
  return Promise.resolve(execute({ ...referenceArgs(fixture, query, subscriber), rootValue: event }));
}

/** graphql-ws's `next` message for a result without errors (its onNext hook leaves those as they are). */
const nextFrame = (id: string, payload: ExecutionResult): string => JSON.stringify({ id, type: 'next', payload });

/** Lets every pending promise callback run (the end of this turn), without waiting for any time to pass. */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Whether `promise` has settled by the end of this turn. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await endOfTurn();
  return settled;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ID_AND_N = 'subscription { events { id n } }';

describe('sharedSubscribe (pulled by graphql-ws, no direct socket)', () => {
  it('executes each event once for every subscriber of one shape and hands each the same result', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const subscriptions = await openEach(subscribe, fixture, ID_AND_N, [{}, {}, {}]);
    expect(subscriptions.some((s) => s instanceof LiveDelivery)).toBe(false);

    for (const n of [1, 2]) {
      const [first, ...others] = await nextOfEach(subscriptions, () => fixture.emit(recorded(n)));
      expect(fixture.calls).toMatchObject({ id: n, n });
      expect(first).toEqual(await expected(fixture, ID_AND_N, recorded(n)));
      for (const other of others) expect(other).toBe(first);
    }
    for (const feed of fixture.feeds) expect(feed.open).toBe(true);
  });

  it('executes separately for a viewer with other roles, and each gets what its roles allow', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { events { id secret } }';
    // The same roles in another order are the same viewer rights: the two admins share too.
    const subscriptions = await openEach(subscribe, fixture, query, [
      { roles: ['observer'] },
      { roles: ['observer'] },
      { roles: ['observer', 'admin'] },
      { roles: ['admin', 'observer'] },
    ]);
    const [o1, o2, a1, a2] = await nextOfEach(subscriptions, () => fixture.emit(recorded(1)));
    expect(fixture.calls.secret).toBe(2);
    expect(o1).toEqual({ data: { events: { id: 'event-1', secret: null } } });
    expect(o2).toBe(o1);
    expect(a1).toEqual({ data: { events: { id: 'event-1', secret: 'secret of event-1' } } });
    expect(a2).toBe(a1);
  });

  it('executes separately for other values of a variable the selection uses, shared for equal values', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription Live($withN: Boolean!) { events { id n @include(if: $withN) } }';
    const subscriptions = await openEach(subscribe, fixture, query, [
      { variables: { withN: true } },
      { variables: { withN: false } },
      { variables: { withN: true } },
    ]);
    const [a, b, c] = await nextOfEach(subscriptions, () => fixture.emit(recorded(7)));
    expect(fixture.calls).toMatchObject({ id: 2, n: 1 });
    expect(a).toEqual({ data: { events: { id: 'event-7', n: 7 } } });
    expect(b).toEqual({ data: { events: { id: 'event-7' } } });
    expect(c).toBe(a);
  });

  it("shares across other values of the root field's arguments, literal or variable (they pick the events, not the response)", async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const literal = (after: string): string => `subscription { events(after: "${after}") { id n } }`;
    const variable = 'subscription ($after: String) { events(after: $after) { id n } }';
    const subscriptions = [
      await open(subscribe, fixture, literal('cursor-0')),
      await open(subscribe, fixture, literal('cursor-5')),
      await open(subscribe, fixture, variable, { variables: { after: 'cursor-1' } }),
      await open(subscribe, fixture, variable, { variables: { after: 'cursor-2' } }),
      await open(subscribe, fixture, variable),
    ] as const;
    // Each feed was opened with its own arguments.
    expect(fixture.feeds.map((f) => f.after)).toEqual(['cursor-0', 'cursor-5', 'cursor-1', 'cursor-2', undefined]);

    const responses = await nextOfEach(subscriptions, () => fixture.emit(recorded(9)));
    // One execution for the literal documents and one for the variable document: two texts, two shapes.
    expect(fixture.calls).toMatchObject({ id: 2, n: 2 });
    const [literal0, literal5, variable1, variable2, noVariable] = responses;
    expect(literal5).toBe(literal0);
    expect(variable2).toBe(variable1);
    expect(noVariable).toBe(variable1);
    for (const response of responses) expect(response).toEqual({ data: { events: { id: 'event-9', n: 9 } } });
  });

  it('executes a root field that is not in the shared set per subscriber, as graphql-js does', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { other { id n } }';
    const subscriptions = await openEach(subscribe, fixture, query, [{}, {}]);
    const [a, b] = await nextOfEach(subscriptions, () => fixture.emit(recorded(3)));
    expect(fixture.calls).toMatchObject({ id: 2, n: 2 });
    expect(a).toEqual(await expected(fixture, query, recorded(3)));
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });

  it("executes per subscriber in 'per-subscriber' mode, and for a direct socket too (no LiveDelivery)", async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf('per-subscriber');
    const subscriptions = await openEach(subscribe, fixture, ID_AND_N, [{}, { socket: new TestSocket('1') }]);
    expect(subscriptions.some((s) => s instanceof LiveDelivery)).toBe(false);
    const [a, b] = await nextOfEach(subscriptions, () => fixture.emit(recorded(4)));
    expect(fixture.calls).toMatchObject({ id: 2, n: 2 });
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });

  it('hands a response with errors to every subscriber of the shape, executed once', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { events { id boom } }';
    const subscriptions = await openEach(subscribe, fixture, query, [{}, {}]);
    const [a, b] = await nextOfEach(subscriptions, () => fixture.emit(recorded(2, { fail: true })));
    expect(fixture.calls.boom).toBe(1);
    expect(JSON.stringify(a)).toBe(JSON.stringify(await expected(fixture, query, recorded(2, { fail: true }))));
    expect(a.errors?.map((e) => e.message)).toEqual(['boom at event-2']);
    expect(b).toBe(a);
  });

  it("answers a subscription its source refuses with graphql-js's own error result, shared field or not, socket or not", async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    for (const query of ['subscription { events(after: "refused") { id } }', 'subscription { other(after: "refused") { id } }']) {
      const baseline = await graphqlSubscribe(referenceArgs(fixture, query));
      expect(baseline).toMatchObject({ errors: [{ message: 'no feed after refused' }] });
      for (const subscriber of [{}, { socket: new TestSocket('1') }]) {
        expect(JSON.stringify(await subscribe(argsOf(fixture, query, subscriber)))).toBe(JSON.stringify(baseline));
      }
    }
    expect(fixture.feeds).toEqual([]);
  });

  it('ends when the source ends, fails with the source, closes the source on return()', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const [ending, failing, returning] = await openEach(subscribe, fixture, ID_AND_N, [{}, {}, {}]);
    const [endingFeed, failingFeed, returningFeed] = [fixture.feed(0), fixture.feed(1), fixture.feed(2)];

    const ended = ending.next();
    endingFeed.end();
    await expect(ended).resolves.toEqual({ done: true, value: undefined });

    const failed = failing.next();
    const error = new Error('the store is gone');
    failingFeed.fail(error);
    await expect(failed).rejects.toBe(error);
    expect(failingFeed.returned).toBeGreaterThanOrEqual(1);

    const waiting = returning.next();
    await expect(returning.return?.()).resolves.toEqual({ done: true, value: undefined });
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    // Closed (mapEvents calls the source's return() again when its waiting next() comes back done: harmless).
    expect(returningFeed.returned).toBeGreaterThanOrEqual(1);
    expect(returningFeed.open).toBe(false);
  });
});

describe('shape groups', () => {
  /*
   * A group is private to sharedSubscribe; what shows it is alive is its memory of responses: the same
   * event object handed to a new subscriber of the shape is not executed again while the group lives,
   * and is executed afresh once the group was dropped.
   */
  type Opened = { subscription: AsyncIterableIterator<ExecutionResult>; feed: TestFeed; waiting: Promise<unknown> | undefined };
  const closers: Record<string, (opened: Opened) => Promise<unknown>> = {
    'return()': ({ subscription, waiting }) => Promise.all([subscription.return?.(), waiting]),
    'the source ending': ({ subscription, feed, waiting }) => {
      const step = waiting ?? subscription.next();
      feed.end();
      return step;
    },
    'the source failing': ({ subscription, feed, waiting }) => {
      const step = waiting ?? subscription.next();
      feed.fail(new Error('gone'));
      return step.catch(() => undefined);
    },
  };
  const cases = Object.keys(closers).flatMap((closer) => [
    [closer, 'pulled'],
    [closer, 'live delivery'],
  ]);

  it.each(cases)('lives while a subscription of its shape is open, dropped after the last closes by %s (%s)', async (closer, path) => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const close = closers[closer] as (opened: Opened) => Promise<unknown>;
    const event = recorded(1);
    /** A new subscriber of the shape, handed `event`: live ones keep graphql-ws's next() waiting. */
    const subscriberGets = async (): Promise<Opened> => {
      const subscription = await open(subscribe, fixture, ID_AND_N, path === 'pulled' ? {} : { socket: new TestSocket('op') });
      expect(subscription instanceof LiveDelivery).toBe(path !== 'pulled');
      const feed = fixture.feed(fixture.feeds.length - 1);
      const step = subscription.next();
      feed.emit(event);
      if (path === 'pulled') {
        await expect(step).resolves.toMatchObject({ done: false });
        return { subscription, feed, waiting: undefined };
      }
      return { subscription, feed, waiting: step };
    };

    const first = await subscriberGets();
    expect(fixture.calls.id).toBe(1);
    // A second subscriber while the first is open: the event's response is remembered.
    const second = await subscriberGets();
    expect(fixture.calls.id).toBe(1);
    // The first closes; the second keeps the group.
    await close(first);
    const third = await subscriberGets();
    expect(fixture.calls.id).toBe(1);
    // The last two close: the group is dropped, a new subscriber's response is computed again.
    await close(second);
    await close(third);
    expect(fixture.feeds.map((f) => f.open)).toEqual([false, false, false]);
    const fourth = await subscriberGets();
    expect(fixture.calls.id).toBe(2);
    await close(fourth);
  });
});

describe('LiveDelivery (direct socket)', () => {
  it("writes each event's frame byte for byte as graphql-ws would, with the subscription's id escaped, executing once per event", async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const ids = ['1', 'a"b', 'back\\slash \u2028 é'];
    const sockets = ids.map((id) => new TestSocket(id));
    const deliveries = await Promise.all(sockets.map((socket) => openLive(subscribe, fixture, ID_AND_N, { socket })));
    const steps = deliveries.map((d) => d.next());

    // What graphql-ws sends with graphql-js's own subscribe: the baseline, pulled event by event.
    const reference = await graphqlSubscribe(referenceArgs(fixture, ID_AND_N));
    if (!(Symbol.asyncIterator in reference)) throw new Error(`expected a subscription, got ${JSON.stringify(reference)}`);

    // An event whose response needs escaping too, and multi-byte UTF-8 (the JSON goes out as bytes).
    const events = [recorded(1), recorded(2, {}, 'quote " backslash \\ newline \n ü ✓ 😀'), recorded(3)];
    for (const event of events) fixture.emit(event);
    expect(fixture.calls).toMatchObject({ id: 3, n: 3 });

    const payloads: ExecutionResult[] = [];
    for (const _event of events) {
      const step = await reference.next();
      if (step.done) throw new Error('the reference subscription ended early');
      payloads.push(step.value);
    }
    expect(payloads).toEqual(await Promise.all(events.map((event) => expected(fixture, ID_AND_N, event))));
    for (const socket of sockets) {
      expect(socket.frames).toEqual(payloads.map((payload) => nextFrame(socket.operationId, payload)));
      expect(socket.frames.map((frame) => JSON.parse(frame) as unknown)).toEqual(
        payloads.map((payload) => ({ id: socket.operationId, type: 'next', payload })),
      );
    }
    for (const feed of fixture.feeds.slice(0, sockets.length)) expect(feed.sentCursors).toEqual(['cursor-1', 'cursor-2', 'cursor-3']);
    // graphql-ws's own next() keeps waiting while the frames go past it.
    for (const step of steps) expect(await settledNow(step)).toBe(false);
  });

  it('writes frames in event order when an earlier response is computed asynchronously, and computes it once', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { events { id later } }';
    const sockets = [new TestSocket('a'), new TestSocket('b')];
    for (const socket of sockets) void (await openLive(subscribe, fixture, query, { socket })).next();
    const gate = deferred<string>();
    fixture.gates.set('event-1', gate.promise);

    fixture.emit(recorded(1));
    fixture.emit(recorded(2));
    await endOfTurn();
    // Event 2's response is not computed ahead: the feed keeps it until event 1's is written.
    expect(fixture.calls.later).toBe(1);
    for (const socket of sockets) expect(socket.frames).toEqual([]);
    for (const feed of fixture.feeds) expect(feed.queue.map((e) => e.id)).toEqual(['event-2']);

    gate.resolve('eventually');
    await endOfTurn();
    expect(fixture.calls.later).toBe(2);
    const payloads = [await expected(fixture, query, recorded(1)), await expected(fixture, query, recorded(2))];
    expect(payloads.map((p) => p.data)).toEqual([
      { events: { id: 'event-1', later: 'eventually' } },
      { events: { id: 'event-2', later: 'now' } },
    ]);
    for (const socket of sockets) expect(socket.frames).toEqual(payloads.map((p) => nextFrame(socket.operationId, p)));
    for (const feed of fixture.feeds) expect(feed.sentCursors).toEqual(['cursor-1', 'cursor-2']);
  });

  it('hands a response with errors back through next(), writes no frame for it, and resumes in order at the next next()', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { events { id boom } }';
    const [socketA, socketB] = [new TestSocket('a'), new TestSocket('b')];
    const sockets = [socketA, socketB];
    const a = await openLive(subscribe, fixture, query, { socket: socketA });
    const b = await openLive(subscribe, fixture, query, { socket: socketB });

    const events = [recorded(1), recorded(2, { fail: true }), recorded(3)] as const;
    const [first, second] = await nextOfEach([a, b], () => {
      for (const event of events) fixture.emit(event);
    });
    expect(fixture.calls.boom).toBe(2);
    expect(JSON.stringify(first)).toBe(JSON.stringify(await expected(fixture, query, events[1])));
    expect(first.errors?.map((e) => e.message)).toEqual(['boom at event-2']);
    expect(second).toBe(first);
    const ok = await expected(fixture, query, events[0]);
    for (const socket of sockets) expect(socket.frames).toEqual([nextFrame(socket.operationId, ok)]);
    // Event 3 waits in the feed until graphql-ws, having sent the error response, asks for more.
    for (const feed of fixture.feeds) {
      expect(feed.queue.map((e) => e.id)).toEqual(['event-3']);
      expect(feed.sentCursors).toEqual(['cursor-1']);
    }

    const next = a.next();
    const third = await expected(fixture, query, events[2]);
    expect(socketA.frames).toEqual([nextFrame('a', ok), nextFrame('a', third)]);
    // Asking for more says graphql-ws sent the error response: event 2 counts as sent, before event 3.
    expect(fixture.feed(0).sentCursors).toEqual(['cursor-1', 'cursor-2', 'cursor-3']);
    // The other subscriber has not asked yet: still nothing after event 1.
    expect(socketB.frames).toEqual([nextFrame('b', ok)]);
    expect(await settledNow(next)).toBe(false);
    void b.next();
    expect(socketB.frames).toEqual([nextFrame('b', ok), nextFrame('b', third)]);
    expect(fixture.calls.boom).toBe(3);
  });

  it('stops taking while the socket is full and resumes in order once it has room, reporting only written events as sent', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const slow = new TestSocket('slow');
    const fast = new TestSocket('fast');
    const [slowDelivery, fastDelivery] = [
      await openLive(subscribe, fixture, ID_AND_N, { socket: slow }),
      await openLive(subscribe, fixture, ID_AND_N, { socket: fast }),
    ];
    const [slowFeed, fastFeed] = [fixture.feed(0), fixture.feed(1)];
    void slowDelivery.next();
    void fastDelivery.next();
    slow.full = true;

    const events = [1, 2, 3, 4].map((n) => recorded(n));
    for (const event of events) fixture.emit(event);
    const frames = await Promise.all(events.map(async (event) => nextFrame('slow', await expected(fixture, ID_AND_N, event))));

    // The write that filled the socket went out (it is queued on the socket); nothing after it.
    expect(slow.frames).toEqual(frames.slice(0, 1));
    expect(slowFeed.sentCursors).toEqual(['cursor-1']);
    expect(slowFeed.queue.map((e) => e.id)).toEqual(['event-2', 'event-3', 'event-4']);
    expect(slow.waitingForRoom).toBe(1);
    // The other subscriber is not held back, and the responses were computed once.
    expect(fast.frames).toHaveLength(4);
    expect(fastFeed.sentCursors).toEqual(['cursor-1', 'cursor-2', 'cursor-3', 'cursor-4']);
    expect(fixture.calls).toMatchObject({ id: 4, n: 4 });

    // Room for one more write: the socket fills again at event 2.
    slow.drain(true);
    expect(slow.frames).toEqual(frames.slice(0, 2));
    expect(slowFeed.sentCursors).toEqual(['cursor-1', 'cursor-2']);
    expect(slowFeed.queue.map((e) => e.id)).toEqual(['event-3', 'event-4']);

    slow.drain();
    expect(slow.frames).toEqual(frames);
    expect(slowFeed.sentCursors).toEqual(['cursor-1', 'cursor-2', 'cursor-3', 'cursor-4']);
    expect(slowFeed.queue).toEqual([]);
    expect(slow.waitingForRoom).toBe(0);

    // Live again: the next event is written as it comes.
    fixture.emit(recorded(5));
    expect(slow.frames).toHaveLength(5);
    expect(fixture.calls.id).toBe(5);
  });

  it('tells graphql-ws the end once the events already taken are written', async () => {
    const fixture = new Fixture();
    const subscribe = eventsOf();
    const query = 'subscription { events { id later } }';
    const socket = new TestSocket('1');
    const delivery = await openLive(subscribe, fixture, query, { socket });
    const feed = fixture.feed(0);
    const step = delivery.next();

    // Ends while event 1's response is computing (its sink let go, so the feed tells it at the next push).
    const gate = deferred<string>();
    fixture.gates.set('event-1', gate.promise);
    feed.emit(recorded(1));
    feed.end();
    expect(await settledNow(step)).toBe(false);

    gate.resolve('last');
    await expect(step).resolves.toEqual({ done: true, value: undefined });
    expect(socket.frames).toEqual([nextFrame('1', await expected(fixture, query, recorded(1)))]);
    expect(feed.sentCursors).toEqual(['cursor-1']);
    await expect(delivery.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('ends at once when the feed ends while its sink waits', async () => {
    const fixture = new Fixture();
    const delivery = await openLive(eventsOf(), fixture, ID_AND_N, { socket: new TestSocket('1') });
    const step = delivery.next();
    fixture.feed(0).end();
    await expect(step).resolves.toEqual({ done: true, value: undefined });
  });

  it("rejects graphql-ws's next() with the feed's failure, after the events already taken are written", async () => {
    const fixture = new Fixture();
    const query = 'subscription { events { id later } }';
    const socket = new TestSocket('1');
    const delivery = await openLive(eventsOf(), fixture, query, { socket });
    const feed = fixture.feed(0);
    const step = delivery.next();
    const gate = deferred<string>();
    fixture.gates.set('event-1', gate.promise);
    feed.emit(recorded(1));
    const error = new Error('the store is gone');
    feed.fail(error);
    expect(await settledNow(step)).toBe(false);

    gate.resolve('last');
    await expect(step).rejects.toBe(error);
    expect(socket.frames).toEqual([nextFrame('1', await expected(fixture, query, recorded(1)))]);
    expect(feed.returned).toBe(1);
    await expect(delivery.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('rejects at once when the feed fails while its sink waits', async () => {
    const fixture = new Fixture();
    const delivery = await openLive(eventsOf(), fixture, ID_AND_N, { socket: new TestSocket('1') });
    const step = delivery.next();
    const error = new Error('token revoked');
    fixture.feed(0).fail(error);
    await expect(step).rejects.toBe(error);
  });

  it('closes the feed on return(), ending the waiting next(), and writes nothing after', async () => {
    const fixture = new Fixture();
    const socket = new TestSocket('1');
    const delivery = await openLive(eventsOf(), fixture, ID_AND_N, { socket });
    const feed = fixture.feed(0);
    const step = delivery.next();
    feed.emit(recorded(1));

    await expect(delivery.return()).resolves.toEqual({ done: true, value: undefined });
    await expect(step).resolves.toEqual({ done: true, value: undefined });
    expect(feed.returned).toBe(1);
    expect(feed.open).toBe(false);
    feed.emit(recorded(2));
    await expect(delivery.next()).resolves.toEqual({ done: true, value: undefined });
    expect(socket.frames).toHaveLength(1);
  });

  it('refuses a second consumer while one waits', async () => {
    const fixture = new Fixture();
    const delivery = await openLive(eventsOf(), fixture, ID_AND_N, { socket: new TestSocket('1') });
    void delivery.next();
    await expect(delivery.next()).rejects.toThrow('a live delivery is read by one consumer at a time');
  });
});
