import { KeyedLock } from '../../src/application/keyedLock';

/** A promise and the function that settles it, to order steps by hand. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('KeyedLock', () => {
  it('runs work on the same key one at a time, in the order it was asked for', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const first = latch();
    const a = lock.run(['k'], async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
    });
    const b = lock.run(['k'], async () => {
      log.push('b runs');
    });
    await new Promise((resolve) => setImmediate(resolve)); // every pending microtask has run
    expect(lock.holdersAndWaiters('k')).toBe(2);
    expect(log).toEqual(['a starts']);
    first.open();
    await Promise.all([a, b]);
    expect(log).toEqual(['a starts', 'a ends', 'b runs']);
    expect(lock.holdersAndWaiters('k')).toBe(0);
  });

  it('lets work on other keys run meanwhile', async () => {
    const lock = new KeyedLock();
    const held = latch();
    const a = lock.run(['x'], () => held.promise);
    await expect(lock.run(['y'], async () => 'y ran')).resolves.toBe('y ran');
    held.open();
    await a;
  });

  it('releases the keys when the work throws', async () => {
    const lock = new KeyedLock();
    await expect(lock.run(['k'], () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(lock.holdersAndWaiters('k')).toBe(0);
    await expect(lock.run(['k'], async () => 'next')).resolves.toBe('next');
  });

  it('releases every key it took when the work throws before returning a promise', async () => {
    const lock = new KeyedLock();
    const thrower = (): Promise<never> => {
      throw new Error('thrown at once');
    };
    await expect(lock.run(['a', 'b'], thrower)).rejects.toThrow('thrown at once');
    expect([lock.holdersAndWaiters('a'), lock.holdersAndWaiters('b')]).toEqual([0, 0]);
    await expect(lock.run(['b', 'a'], async () => 'both free')).resolves.toBe('both free');
  });

  it('never deadlocks two callers that need overlapping keys given in opposite orders', async () => {
    const lock = new KeyedLock();
    const runs = Array.from({ length: 20 }, (_, i) => lock.run(i % 2 === 0 ? ['a', 'b'] : ['b', 'a', 'b'], async () => i));
    await expect(Promise.all(runs)).resolves.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(lock.holdersAndWaiters('a') + lock.holdersAndWaiters('b')).toBe(0);
  });
});
