import { InvalidRequestError } from './errors';
import type { EventFilter } from './port';

export const MAX_FILTER_ENTRIES = 100;

export interface NormalizedFilter {
  readonly streamPrefixes: readonly string[] | undefined;
  readonly eventTypes: ReadonlySet<string> | undefined;
}

function entries(list: unknown, name: string): string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new InvalidRequestError(`filter.${name}: expected an array of strings`);
  if (list.length > MAX_FILTER_ENTRIES) {
    throw new InvalidRequestError(`filter.${name}: expected at most ${MAX_FILTER_ENTRIES} entries, got ${list.length}`);
  }
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > 256) {
      throw new InvalidRequestError(`filter.${name}: expected non-empty strings of at most 256 characters, got ${JSON.stringify(entry)}`);
    }
  }
  return list as string[];
}

/**
 * Checks a filter. An empty list matches nothing (a caller that filters on "no types" asked for no
 * events); an omitted list matches everything.
 */
export function normalizeFilter(filter: EventFilter | undefined): NormalizedFilter {
  if (filter === undefined) return { streamPrefixes: undefined, eventTypes: undefined };
  if (typeof filter !== 'object' || filter === null) throw new InvalidRequestError('filter: expected an object');
  const types = entries(filter.eventTypes, 'eventTypes');
  return { streamPrefixes: entries(filter.streamPrefixes, 'streamPrefixes'), eventTypes: types && new Set(types) };
}

export function matchesFilter(filter: NormalizedFilter, stream: string, type: string): boolean {
  if (filter.eventTypes !== undefined && !filter.eventTypes.has(type)) return false;
  if (filter.streamPrefixes !== undefined && !filter.streamPrefixes.some((prefix) => stream.startsWith(prefix))) return false;
  return true;
}
