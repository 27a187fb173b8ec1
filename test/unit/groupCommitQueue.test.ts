import { GroupCommitQueue, type GroupOutcome } from '../../src/eventStore/sqlite/groupCommit';

/*
 * The queue under the embedded store's group commit, with a plain function as the "transaction": what
 * forms a group, in which order requests reach it, and how callers are settled.
 */

const settle = <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('GroupCommitQueue', () => {
  it('hands the requests of one turn to one commit, in arrival order, and settles each with its own outcome', async () => {
    const groups: string[][] = [];
    const queue = new GroupCommitQueue<string, string>(
      (requests) => {
        groups.push([...requests]);
        return requests.map((r): GroupOutcome<string> =>
          r === 'bad' ? { ok: false, error: new Error(`refused ${r}`) } : { ok: true, value: r.toUpperCase() },
        );
      },
      () => 1,
    );
    const outcomes = await Promise.all(['a', 'bad', 'c'].map((r) => settle(queue.submit(r))));
    expect(groups).toEqual([['a', 'bad', 'c']]);
    expect(outcomes).toEqual([
      { ok: true, value: 'A' },
      { ok: false, error: new Error('refused bad') },
      { ok: true, value: 'C' },
    ]);
    expect(queue.stats()).toEqual({ groups: 1, appends: 3, largestGroup: 3 });
  });

  it('rejects every request of a group when the commit throws, and carries on with the next group', async () => {
    let fail = true;
    const queue = new GroupCommitQueue<string, string>(
      (requests) => {
        if (fail) throw new Error('commit failed');
        return requests.map((r) => ({ ok: true, value: r }));
      },
      () => 1,
    );
    const failed = await Promise.all(['a', 'b'].map((r) => settle(queue.submit(r))));
    expect(failed).toEqual([
      { ok: false, error: new Error('commit failed') },
      { ok: false, error: new Error('commit failed') },
    ]);
    fail = false;
    await expect(queue.submit('c')).resolves.toBe('c');
    expect(queue.stats()).toEqual({ groups: 1, appends: 1, largestGroup: 1 });
  });

  it('rejects the whole group when the commit answers for fewer requests than it was given', async () => {
    const queue = new GroupCommitQueue<string, string>(
      () => [{ ok: true, value: 'only one' }],
      () => 1,
    );
    const outcomes = await Promise.all(['a', 'b'].map((r) => settle(queue.submit(r))));
    expect(outcomes).toEqual([
      { ok: false, error: new Error('group commit: expected 2 outcomes, got 1') },
      { ok: false, error: new Error('group commit: expected 2 outcomes, got 1') },
    ]);
  });

  it('closes a group at maxBytes, but lets a single larger request form a group of its own', async () => {
    const groups: number[][] = [];
    const queue = new GroupCommitQueue<number, number>(
      (requests) => {
        groups.push([...requests]);
        return requests.map((r) => ({ ok: true, value: r }));
      },
      (size) => size,
      { maxAppends: 100, maxBytes: 10 },
    );
    await Promise.all([4, 5, 3, 50, 2].map((size) => queue.submit(size)));
    expect(groups).toEqual([[4, 5], [3], [50], [2]]);
  });

  it('writes everything queued at once on flushNow, without waiting for the next turn', async () => {
    const groups: string[][] = [];
    const queue = new GroupCommitQueue<string, string>(
      (requests) => {
        groups.push([...requests]);
        return requests.map((r) => ({ ok: true, value: r }));
      },
      () => 1,
      { maxAppends: 2, maxBytes: 100 },
    );
    const pending = ['a', 'b', 'c'].map((r) => queue.submit(r));
    queue.flushNow();
    expect(groups).toEqual([['a', 'b'], ['c']]);
    await expect(Promise.all(pending)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('refuses a group size below one', () => {
    expect(
      () =>
        new GroupCommitQueue<string, string>(
          () => [],
          () => 1,
          { maxAppends: 0, maxBytes: 10 },
        ),
    ).toThrow('group commit maxAppends: expected a positive integer, got 0');
  });
});
