/*
 * An in-process lock per key (a stream, a pinned component): the one tool the application uses to make
 * a read and the append that depends on it one step within this process. Across processes the event
 * store's expected revisions remain the only guard.
 */

/** Mutual exclusion per key, in the order callers asked; no key is held across two `run` calls. */
export class KeyedLock {
  private readonly entries = new Map<string, { tail: Promise<void>; count: number }>();

  /**
   * Runs `work` while holding every key in `keys`. Keys are taken in sorted order, so two callers
   * that need overlapping sets never wait for each other in a cycle.
   *
   * Usage: await lock.run(['MultiCloudImage:42'], () => deleteIt());
   */
  async run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.acquire(key));
      return await work();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** How many callers hold or wait for `key` (0 when free): lets a test see a caller blocked on it. */
  holdersAndWaiters(key: string): number {
    return this.entries.get(key)?.count ?? 0;
  }

  private async acquire(key: string): Promise<() => void> {
    const entry = this.entries.get(key) ?? { tail: Promise.resolve(), count: 0 };
    this.entries.set(key, entry);
    const previous = entry.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    entry.tail = previous.then(() => mine);
    entry.count++;
    await previous;
    return () => {
      release();
      entry.count--;
      if (entry.count === 0 && this.entries.get(key) === entry) this.entries.delete(key);
    };
  }
}
