import type { PinnedKind } from '../domain/serverTemplates/serverTemplate.types';
import type { EventStore } from '../eventStore/port';
import { KeyedLock } from './keyedLock';

/*
 * Deleting a component and pinning it live on different streams, and the event store appends one
 * stream at a time: "nothing pins it, so delete" (a read model) and "it is active, so pin it" (its own
 * stream) can each be true when checked and both be written. Within one process, a lock per pinned
 * component makes the two steps of each side one step: a delete holds it from its IN_USE check to its
 * append, a template command that pins the component holds it from reading the component to appending
 * the pin. Whichever comes second sees the other's write: the pin finds the component deleted
 * (NOT_FOUND), or the delete finds the pin (IN_USE).
 *
 * The locks are per event store object, i.e. per process writing to that store. The embedded store is
 * written by one process (its DATA_DIR), so for it the race is closed. Several service instances on one
 * EventStoreDB don't share these locks: there a pin and a delete racing through different instances
 * can still both land (the pin then stays readable and shows in `usedBy`, see usage.ts).
 */

const locksByStore = new WeakMap<EventStore, KeyedLock>();

/** The pin locks of the process writing to `store`. */
export function pinLocksOf(store: EventStore): KeyedLock {
  let locks = locksByStore.get(store);
  if (!locks) {
    locks = new KeyedLock();
    locksByStore.set(store, locks);
  }
  return locks;
}

/** A component that templates pin. */
export interface PinnedComponent {
  readonly kind: PinnedKind;
  readonly id: string;
}

/** The lock key of a component that templates pin. */
export const pinLockKey = (kind: PinnedKind, id: string): string => `${kind}:${id}`;

/**
 * Runs `work` (a delete, or a template command that pins) holding the locks of the given components.
 *
 * Usage: await withPinLocks(services.store, [{ kind: 'MultiCloudImage', id }], () => editComponent(…));
 */
export function withPinLocks<T>(store: EventStore, components: readonly PinnedComponent[], work: () => Promise<T>): Promise<T> {
  return pinLocksOf(store).run(
    components.map(({ kind, id }) => pinLockKey(kind, id)),
    work,
  );
}
