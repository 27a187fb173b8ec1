import { EventStoreUnavailableError } from '../../src/eventStore/errors';
import type { EventStore } from '../../src/eventStore/port';

/*
 * The service's real store with its `append` wrapped: how tests put a failure or a concurrent writer
 * exactly between two appends of one command, with every other call going to the real store.
 */

/** `store`, with every append going through `append` (which may call the real one). */
export function storeWithAppend(
  store: EventStore,
  append: (real: EventStore['append'], ...args: Parameters<EventStore['append']>) => ReturnType<EventStore['append']>,
): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'append') {
        return ((stream, events, options) => append(target.append.bind(target), stream, events, options)) satisfies EventStore['append'];
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `store`, except that appends to `failing` streams fail as if the store went away. */
export function storeFailingOn(store: EventStore, failing: ReadonlySet<string>): EventStore {
  return storeWithAppend(store, async (append, stream, events, options) => {
    if (failing.has(stream)) throw new EventStoreUnavailableError(`injected outage appending to ${stream}`);
    return append(stream, events, options);
  });
}
