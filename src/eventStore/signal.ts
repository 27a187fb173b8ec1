/**
 * A wake-up call for readers waiting at the end of the log. `wait()` registers synchronously, so a
 * reader that found nothing new and then waits can't miss a commit that happens in between (both run
 * in the same turn of the event loop; commits happen in other turns).
 */
export class CommitSignal {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  /** Wakes everyone currently waiting. */
  notify(): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }
}

/** A promise with its resolver, for "resolve once, later" signals such as caught-up. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
