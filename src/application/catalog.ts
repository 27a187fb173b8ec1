import { cloudDecider, cloudStream, type CloudEvent, type RegisteredCloud } from '../domain/catalog/cloud';
import { fold } from '../domain/decider';
import { StreamNotFoundError } from '../eventStore/errors';
import type { EventStore, RecordedEvent } from '../eventStore/port';
import { parseDomainEvent } from './parseEvent';

const CLOUD_EVENT_TYPES = ['CloudRegistered', 'ImageRegistered', 'InstanceTypeRegistered', 'ImageDeprecated'] as const;

export const parseCloudEvent = (recorded: RecordedEvent): CloudEvent => parseDomainEvent<CloudEvent>(recorded, CLOUD_EVENT_TYPES);

/**
 * A cloud as its own stream says it is now: the facts a command about images needs (which images and
 * instance types exist, their architectures and status). Read from the log, not the read models, so a
 * decision never rests on a projection that lags. `undefined` when the cloud is not registered.
 */
export async function loadCloud(store: EventStore, cloudId: string): Promise<RegisteredCloud | undefined> {
  let recorded: RecordedEvent[];
  try {
    recorded = await store.readStream(cloudStream(cloudId));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  const state = fold(cloudDecider, recorded.map(parseCloudEvent));
  return state.status === 'registered' ? state : undefined;
}
