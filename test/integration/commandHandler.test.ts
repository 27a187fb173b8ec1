import { randomUUID } from 'node:crypto';
import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import { DomainError } from '../../src/domain/errors';
import { StreamNotFoundError, VersionConflictError } from '../../src/eventStore/errors';
import type { EventStore } from '../../src/eventStore/port';
import { esdbTestServerSetup, sqliteFileSetup } from '../contract/eventStoreSetups';
import { counterDecider, parseCounterEvent, type CounterCommand, type CounterState } from '../support/counterAggregate';

const context: CommandContext = { accountId: 'acc-1', actorId: 'user-1', correlationId: 'req-1' };
const NOW = new Date('2026-11-26T10:00:00.000Z');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the command to fail');
    },
    (error: unknown) => error,
  );
}

describe.each([sqliteFileSetup(), esdbTestServerSetup()])('command handler on $name', (setup) => {
  let store: EventStore;
  let handler: CommandHandler;
  let stream: string;
  const run = (command: CounterCommand, extra: Partial<Parameters<CommandHandler['handle']>[0]> = {}) =>
    handler.handle({ stream, decider: counterDecider, parseEvent: parseCounterEvent, command, context, ...extra });
  /**
   * The same, through a handler of its own: a writer in another process. One handler runs the commands
   * of one stream in turn, so only writers with handlers of their own can race each other.
   */
  const runElsewhere = (command: CounterCommand, extra: Partial<Parameters<CommandHandler['handle']>[0]> = {}) =>
    new CommandHandler(store, () => NOW).handle({
      stream,
      decider: counterDecider,
      parseEvent: parseCounterEvent,
      command,
      context,
      ...extra,
    });
  const stored = async () => (await store.readStream(stream)).map((e) => e.type);

  beforeAll(() => setup.beforeAll());
  afterAll(() => setup.afterAll());
  beforeEach(async () => {
    store = await setup.open();
    handler = new CommandHandler(store, () => NOW);
    stream = `counter-${randomUUID()}`;
  });
  afterEach(() => store.close());

  it('loads, decides and appends, returning the new state, revision and position', async () => {
    const created = await run({ type: 'Open', limit: 10 }, { expectedRevision: 'no_stream' });
    expect(created).toMatchObject({ state: { status: 'open', value: 0, limit: 10 }, revision: 0n, replayed: false });
    const incremented = await run({ type: 'Increment', by: 3 }, { expectedRevision: 0n });
    expect(incremented.state).toEqual({ status: 'open', value: 3, limit: 10 });
    expect(incremented.events).toEqual([{ type: 'CounterIncremented', data: { by: 3 } }]);
    expect(incremented.revision).toBe(1n);
    const [, last] = await store.readStream(stream);
    expect(incremented.cursor).toBe(last?.cursor);
    expect(last?.metadata).toMatchObject({
      accountId: 'acc-1',
      actorId: 'user-1',
      correlationId: 'req-1',
      causationId: 'req-1',
      occurredAt: '2026-11-26T10:00:00.000Z',
      schemaVersion: 1,
    });
  });

  it('writes nothing when the decider refuses', async () => {
    const error = await rejection(run({ type: 'Increment', by: 1 }));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('appends nothing when the decision is empty', async () => {
    await run({ type: 'Open', limit: 10 });
    const touched = await run({ type: 'Touch' });
    expect(touched).toMatchObject({ events: [], revision: 0n });
    expect(await stored()).toEqual(['CounterOpened']);
  });

  it('refuses a stale expected version before deciding, and writes nothing', async () => {
    await run({ type: 'Open', limit: 10 });
    await run({ type: 'Increment', by: 1 });
    const error = await rejection(run({ type: 'Increment', by: 1 }, { expectedRevision: 0n }));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({ expected: 0n, actual: 1n });
    const missing = await rejection(run({ type: 'Increment', by: 1 }, { expectedRevision: 'no_stream' }));
    expect(missing).toMatchObject({ expected: 'no_stream', actual: 1n });
    expect(await stored()).toEqual(['CounterOpened', 'CounterIncremented']);
  });

  it('applies every concurrent command in some serial order when retries are allowed', async () => {
    await run({ type: 'Open', limit: 100 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => runElsewhere({ type: 'Increment', by: 1 }, { retriesOnConflict: 10 })),
    );
    const final = await run({ type: 'Touch' });
    expect(final.state).toEqual({ status: 'open', value: 10, limit: 100 });
    expect(new Set(results.map((r) => r.revision)).size).toBe(10);
  });

  it('re-decides on the newer state, so a rule checked against it still holds under contention', async () => {
    await run({ type: 'Open', limit: 3 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => runElsewhere({ type: 'Increment', by: 1 }, { retriesOnConflict: 10 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const failed of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(failed.reason).toMatchObject({ code: 'BAD_USER_INPUT', message: 'limit 3 reached' });
    }
    expect((await run({ type: 'Touch' })).state).toMatchObject({ value: 3 });
  });

  it('builds a command from the state it decides on, again for every retry', async () => {
    await run({ type: 'Open', limit: 100 });
    const seen: number[][] = [];
    // Each writer steps by one more than the value it saw: only right if the step is re-derived
    // from the state that the retry actually decides on.
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, writer) => {
        seen[writer] = [];
        return new CommandHandler(store, () => NOW).handle({
          stream,
          decider: counterDecider,
          parseEvent: parseCounterEvent,
          context,
          retriesOnConflict: 10,
          command: (state: CounterState): CounterCommand => {
            const value = state.status === 'open' ? state.value : -1;
            seen[writer]?.push(value);
            return { type: 'Increment', by: value + 1 };
          },
        });
      }),
    );
    const values = results.map((r) => (r.state.status === 'open' ? r.state.value : -1)).sort((a, b) => a - b);
    // 0 → 1 → 3 → 7 → 15: each step doubled the value it was derived from, plus one.
    expect(values).toEqual([1, 3, 7, 15]);
    expect(seen.flat().length).toBeGreaterThanOrEqual(4);
  });

  it('reports the conflict without retries', async () => {
    await run({ type: 'Open', limit: 100 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => runElsewhere({ type: 'Increment', by: 1 })));
    const conflicts = outcomes.filter((o) => o.status === 'rejected');
    expect(conflicts.length).toBeGreaterThanOrEqual(1);
    for (const conflict of conflicts) expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    expect((await run({ type: 'Touch' })).state).toMatchObject({ value: 5 - conflicts.length });
  });

  it('runs the commands one handler gets for one stream in turn: no conflict, one serial order, no retries needed', async () => {
    await run({ type: 'Open', limit: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => run({ type: 'Increment', by: 1 })));
    expect(results.map((r) => r.revision as bigint).sort((a, b) => Number(a - b))).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(i + 1)),
    );
    expect((await run({ type: 'Touch' })).state).toMatchObject({ value: 10 });
  });

  describe('idempotency keys', () => {
    const key = (input: unknown) => ({ idempotency: { key: 'op-42', input } });

    it('returns the first result for the same key and input, appending nothing more', async () => {
      await run({ type: 'Open', limit: 10 });
      const first = await run({ type: 'Increment', by: 2 }, key({ by: 2 }));
      const again = await run({ type: 'Increment', by: 2 }, key({ by: 2 }));
      expect(again).toMatchObject({ replayed: true, revision: first.revision, cursor: first.cursor, events: first.events });
      expect(again.state).toEqual({ status: 'open', value: 2, limit: 10 });
      expect(await stored()).toEqual(['CounterOpened', 'CounterIncremented']);
    });

    it('refuses the same key with a different input, writing nothing', async () => {
      await run({ type: 'Open', limit: 10 });
      await run({ type: 'Increment', by: 2 }, key({ by: 2 }));
      const error = await rejection(run({ type: 'Increment', by: 3 }, key({ by: 3 })));
      expect(error).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: "idempotency key 'op-42' was already used for a different request: use a new key for a new operation",
      });
      expect(await stored()).toEqual(['CounterOpened', 'CounterIncremented']);
    });

    it('appends once when the same request races itself', async () => {
      await run({ type: 'Open', limit: 10 });
      const results = await Promise.all(Array.from({ length: 5 }, () => runElsewhere({ type: 'Increment', by: 1 }, key({ by: 1 }))));
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.cursor)).size).toBe(1);
      expect(await stored()).toEqual(['CounterOpened', 'CounterIncremented']);
    });

    it('does not mix keys of different accounts', async () => {
      await run({ type: 'Open', limit: 10 });
      await run({ type: 'Increment', by: 1 }, key({ by: 1 }));
      const other = await handler.handle({
        stream,
        decider: counterDecider,
        parseEvent: parseCounterEvent,
        command: { type: 'Increment', by: 1 },
        context: { ...context, accountId: 'acc-2' },
        ...key({ by: 1 }),
      });
      expect(other.replayed).toBe(false);
      expect(await stored()).toEqual(['CounterOpened', 'CounterIncremented', 'CounterIncremented']);
    });

    it('refuses an empty or oversized key', async () => {
      await expect(run({ type: 'Open', limit: 1 }, { idempotency: { key: '', input: {} } })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });
      await expect(run({ type: 'Open', limit: 1 }, { idempotency: { key: 'k'.repeat(129), input: {} } })).rejects.toThrow(
        /1 to 128 printable/,
      );
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });
  });
});
