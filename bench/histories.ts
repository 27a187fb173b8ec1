import { contentHash } from '../src/application/components';
import { STARTER_CATALOG, STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../src/application/starterCatalog';
import {
  multiCloudImageDecider,
  type MultiCloudImageEvent,
  type MultiCloudImageSetting,
  type MultiCloudImageState,
} from '../src/domain/multiCloudImages/multiCloudImage';
import type { EventStore, NewEvent } from '../src/eventStore/port';
import { prng } from './dataset';

/*
 * Long histories, fast: the events a designer's edits would leave on an MCI (mappings over the starter
 * clouds, renames, commits with the real content hash), built by folding with the domain's own
 * `evolve` so every event is valid for its state, and appended straight through the adapter in batches
 * of up to 1,000 events per append (each still hash-chained and checked against its expected revision).
 * Skipping the command path is what makes 100,000-event streams and million-event logs quick to build;
 * what reads them (folds, projections) can't tell the difference.
 */

const IMAGES = Object.values(STARTER_IMAGE_NAMES);
const USER_DATA = [null, '#!/bin/bash\nyum -y update\n', '#cloud-config\npackages:\n  - nginx\n', 'RS_ENV=production\n'];
/** Most events per append the port allows. */
export const APPEND_BATCH = 1_000;

export interface HistoryOptions {
  /** Events to generate after the MCI's current state (`from`). */
  readonly count: number;
  readonly accountId: string;
  /** The MCI's state before these events (initial when the stream is new: a creation event comes first). */
  readonly from?: MultiCloudImageState;
  /** `occurredAt` of the first event, and the step between events. */
  readonly startMs: number;
  readonly stepMs: number;
  readonly seed: number;
  /** Also commit at every this many events, so even a short history has revisions. */
  readonly commitEvery?: number;
}

/** `count` events of MCI `id` (with its creation when `from` is empty); returns them and the state they fold to. */
export function mciHistory(id: string, options: HistoryOptions): { events: NewEvent[]; state: MultiCloudImageState } {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let state = options.from ?? multiCloudImageDecider.initialState();
  const events: NewEvent[] = [];
  const push = (event: MultiCloudImageEvent): void => {
    state = multiCloudImageDecider.evolve(state, event);
    const occurredAt = new Date(options.startMs + events.length * options.stepMs).toISOString();
    events.push({
      type: event.type,
      data: event.data as never,
      metadata: { accountId: options.accountId, actorId: 'bench-history', correlationId: `history-${id}`, occurredAt, schemaVersion: 1 },
    });
  };
  if (state.status === 'empty') {
    push({
      type: 'MultiCloudImageCreated',
      data: { multiCloudImageId: id, accountId: options.accountId, lineage: id, name: `History ${id.slice(0, 8)}`, description: '' },
    });
  }
  while (events.length < options.count) {
    if (state.status !== 'active') throw new Error(`MCI ${id} is ${state.status}: a history continues only an active MCI`);
    const commitNow = options.commitEvery !== undefined && events.length % options.commitEvery === options.commitEvery - 1;
    const roll = commitNow ? 1 : random();
    const mapped = Object.values(state.head.settings);
    if (!commitNow && (roll < 0.55 || mapped.length === 0)) {
      const cloud = pick(STARTER_CATALOG);
      const setting: MultiCloudImageSetting = {
        cloudId: cloud.id,
        imageId: starterImageId(cloud.id, pick(IMAGES)),
        // 32-bit images run only on small instance types.
        instanceTypeId: starterInstanceTypeId(cloud.id, 'small'),
        kernelImageId: null,
        ramdiskImageId: null,
        userData: pick(USER_DATA),
      };
      push({ type: 'ImageMapped', data: { ...setting, replaced: state.head.settings[cloud.id] ?? null } });
    } else if (roll < 0.65 && mapped.length > 1) {
      const removed = pick(mapped);
      push({ type: 'ImageUnmapped', data: { cloudId: removed.cloudId, removed } });
    } else if (roll < 0.85) {
      push({ type: 'MultiCloudImageUpdated', data: { description: `Edit ${events.length} of ${id.slice(0, 8)}` } });
    } else {
      const revision = state.latestRevision + 1;
      const at = new Date(options.startMs + events.length * options.stepMs).toISOString();
      push({
        type: 'RevisionCommitted',
        data: {
          revision,
          message: `Release ${revision}`,
          contentHash: contentHash(state.head),
          committedAt: at,
          committedBy: 'bench-history',
        },
      });
    }
  }
  return { events, state };
}

/** Appends `events` at the end of `stream` (at `expected`), up to `APPEND_BATCH` per append; returns the next expected revision. */
export async function appendInBatches(
  store: EventStore,
  stream: string,
  events: readonly NewEvent[],
  expected: bigint | 'no_stream',
): Promise<bigint | 'no_stream'> {
  let at = expected;
  for (let i = 0; i < events.length; i += APPEND_BATCH) {
    const appended = await store.append(stream, events.slice(i, i + APPEND_BATCH), { expectedRevision: at });
    at = appended.nextExpectedRevision;
  }
  return at;
}
