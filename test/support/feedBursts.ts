import { MAX_EVENTS_PER_APPEND } from '../../src/eventStore/appendRules';
import type { EventStore, NewEvent } from '../../src/eventStore/port';

/*
 * Bursts of change-feed events committed at once, to see what the feed's fan-out does with several
 * events that are ready in the same turn of the event loop. Over HTTP, concurrent mutations land in
 * one group commit only by chance; here the appends are queued on the service's own store in one
 * synchronous loop, so its group commit (src/eventStore/sqlite/groupCommit.ts: every append queued in
 * a turn goes into one transaction, up to 256 appends) writes them together, and the store's
 * subscriptions are woken once for all of them.
 */

/**
 * Renames MultiCloud Image `mciId` once per name, in one commit, as the API would: its last event's
 * metadata (account, actor) on each rename. Appends of at most MAX_EVENTS_PER_APPEND renames, all
 * queued in the same turn. Resolves once they are committed.
 */
export async function renamesInOneCommit(store: EventStore, mciId: string, names: readonly string[]): Promise<void> {
  const stream = `mci-${mciId}`;
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  if (!last) throw new Error(`no MultiCloud Image ${mciId} to rename`);
  const { hash: _hash, prevHash: _prevHash, ...metadata } = last.metadata;
  const events: NewEvent[] = names.map((name) => ({
    type: 'MultiCloudImageUpdated',
    data: { name },
    metadata: { ...metadata, occurredAt: new Date().toISOString() },
  }));
  const appends: Array<Promise<unknown>> = [];
  // No await in this loop: every append joins the same group.
  for (let from = 0; from < events.length; from += MAX_EVENTS_PER_APPEND) {
    appends.push(store.append(stream, events.slice(from, from + MAX_EVENTS_PER_APPEND), { expectedRevision: 'any' }));
  }
  await Promise.all(appends);
}
