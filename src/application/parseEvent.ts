import type { DomainEvent } from '../domain/decider';
import type { RecordedEvent } from '../eventStore/port';

/**
 * Events read from a store are `unknown` until parsed: this checks that the type is one the aggregate
 * knows and that the data is an object. The data's fields were checked by the decider that wrote them
 * and the stream's hash chain guards them since, so their shape is trusted from here on.
 */
export function parseDomainEvent<E extends DomainEvent>(recorded: RecordedEvent, types: readonly E['type'][]): E {
  if (!(types as readonly string[]).includes(recorded.type)) {
    throw new Error(
      `stream ${recorded.stream} revision ${recorded.revision}: expected one of ${types.join(', ')}, got event type '${recorded.type}'`,
    );
  }
  const data: unknown = recorded.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(
      `stream ${recorded.stream} revision ${recorded.revision}: expected ${recorded.type} data to be an object, got ${JSON.stringify(data)}`,
    );
  }
  return { type: recorded.type, data } as E;
}
