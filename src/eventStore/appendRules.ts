import { randomUUID } from 'node:crypto';
import { InvalidRequestError, VersionConflictError } from './errors';
import { assertJson, NotJsonError, type JsonValue } from './json';
import type { EventMetadataInput, ExpectedRevision, NewEvent, ReadStreamOptions } from './port';
import { MAX_READ_COUNT } from './port';

/*
 * Rules every adapter applies before and during an append, kept here so both adapters refuse the same
 * input with the same message and decide conflicts and idempotent retries identically.
 */

export const MAX_STREAM_NAME_LENGTH = 256;
export const MAX_EVENT_TYPE_LENGTH = 128;
export const MAX_EVENTS_PER_APPEND = 1_000;
/** Serialized data + metadata of one event. Generous: a 1 MiB document plus its envelope fits. */
export const MAX_EVENT_BYTES = 2 * 1024 * 1024;
/** Serialized size of one whole append (EventStoreDB must run with a max append size at least this). */
export const MAX_APPEND_BYTES = 8 * 1024 * 1024;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** An event checked and serialized once, ready for an adapter to seal and write. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: EventMetadataInput;
  /** `JSON.stringify(data)`, computed once; adapters store it as is. */
  readonly dataJson: string;
  /** `JSON.stringify(metadata)` (the caller's metadata, before the store adds the chain), computed once. */
  readonly metadataJson: string;
  /** The caller chose the id. A generated id can't be stored yet, so such a batch can't be a retry. */
  readonly idFromCaller: boolean;
}

export function validateStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidRequestError(`stream name: expected a non-empty string, got ${JSON.stringify(stream) ?? String(stream)}`);
  }
  if (stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidRequestError(`stream name: expected at most ${MAX_STREAM_NAME_LENGTH} characters, got ${stream.length}`);
  }
  if (CONTROL_CHARACTERS.test(stream)) throw new InvalidRequestError('stream name: control characters are not allowed');
  if (stream.startsWith('$')) {
    throw new InvalidRequestError(`stream name: names starting with '$' are reserved for the store, got '${stream}'`);
  }
  return stream;
}

function validateEventType(type: unknown, index: number): string {
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidRequestError(`event ${index} type: expected a non-empty string, got ${JSON.stringify(type) ?? String(type)}`);
  }
  if (type.length > MAX_EVENT_TYPE_LENGTH) {
    throw new InvalidRequestError(`event ${index} type: expected at most ${MAX_EVENT_TYPE_LENGTH} characters, got ${type.length}`);
  }
  if (CONTROL_CHARACTERS.test(type) || /\s/u.test(type)) {
    throw new InvalidRequestError(`event ${index} type: white space and control characters are not allowed`);
  }
  if (type.startsWith('$')) throw new InvalidRequestError(`event ${index} type: types starting with '$' are reserved for the store`);
  return type;
}

function validateEventId(id: unknown, index: number): string {
  if (id === undefined) return randomUUID();
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidRequestError(`event ${index} id: expected a UUID, got ${JSON.stringify(id) ?? String(id)}`);
  }
  return id.toLowerCase();
}

function jsonOrThrow(value: unknown, path: string): JsonValue {
  try {
    return assertJson(value, path);
  } catch (error) {
    if (error instanceof NotJsonError) throw new InvalidRequestError(error.message);
    throw error;
  }
}

/** Checks a whole append request; throws `InvalidRequestError` before anything is written. */
export function prepareAppend(
  stream: unknown,
  events: readonly NewEvent[],
  expectedRevision: unknown,
): { stream: string; events: PreparedEvent[]; expectedRevision: ExpectedRevision } {
  const name = validateStreamName(stream);
  const expected = validateExpectedRevision(expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidRequestError('events: expected a non-empty array of events');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidRequestError(`events: expected at most ${MAX_EVENTS_PER_APPEND} per append, got ${events.length}`);
  }
  let totalBytes = 0;
  const ids = new Set<string>();
  const prepared = events.map((event: NewEvent, index): PreparedEvent => {
    if (typeof event !== 'object' || event === null) throw new InvalidRequestError(`event ${index}: expected an object`);
    const id = validateEventId(event.id, index);
    if (ids.has(id)) throw new InvalidRequestError(`event ${index} id: ${id} appears twice in one append`);
    ids.add(id);
    const type = validateEventType(event.type, index);
    const data = jsonOrThrow(event.data, `event ${index} data`);
    const metadataValue = jsonOrThrow(event.metadata ?? {}, `event ${index} metadata`);
    if (typeof metadataValue !== 'object' || metadataValue === null || Array.isArray(metadataValue)) {
      throw new InvalidRequestError(`event ${index} metadata: expected an object`);
    }
    const metadata = metadataValue as EventMetadataInput;
    if ('hash' in metadata || 'prevHash' in metadata) {
      throw new InvalidRequestError(`event ${index} metadata: 'hash' and 'prevHash' are set by the store`);
    }
    const dataJson = JSON.stringify(data);
    const metadataJson = JSON.stringify(metadata);
    const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (bytes > MAX_EVENT_BYTES) {
      throw new InvalidRequestError(`event ${index}: expected at most ${MAX_EVENT_BYTES} bytes of data and metadata, got ${bytes}`);
    }
    totalBytes += bytes;
    return { id, type, data, metadata, dataJson, metadataJson, idFromCaller: event.id !== undefined };
  });
  if (totalBytes > MAX_APPEND_BYTES) {
    throw new InvalidRequestError(`events: expected at most ${MAX_APPEND_BYTES} bytes in one append, got ${totalBytes}`);
  }
  return { stream: name, events: prepared, expectedRevision: expected };
}

export function validateExpectedRevision(expected: unknown): ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return expected;
  if (typeof expected === 'bigint' && expected >= 0n) return expected;
  throw new InvalidRequestError(
    `expectedRevision: expected a revision >= 0n, 'no_stream', 'stream_exists' or 'any', got ${typeof expected === 'bigint' ? `${expected}n` : (JSON.stringify(expected) ?? String(expected))}`,
  );
}

/** Throws the conflict a real append would hit, given the stream's current last revision. */
export function assertExpectedRevision(stream: string, expected: ExpectedRevision, current: bigint | undefined): void {
  const actual = current ?? 'no_stream';
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === undefined) ||
    (expected === 'stream_exists' && current !== undefined) ||
    (typeof expected === 'bigint' && current === expected);
  if (!ok) throw new VersionConflictError(stream, expected, actual);
}

/**
 * Where an idempotent retry of this append would have landed, if it can be told from the expected
 * revision alone: the batch must sit right after it. For `any`/`stream_exists` the caller locates the
 * first id in the stream instead.
 */
export function retryStartRevision(expected: ExpectedRevision): bigint | undefined {
  if (expected === 'no_stream') return 0n;
  if (typeof expected === 'bigint') return expected + 1n;
  return undefined;
}

/** Whether looking for an earlier run of this batch can find anything (its first id came from the caller). */
export function couldBeRetry(events: readonly PreparedEvent[]): boolean {
  return events[0]?.idFromCaller === true;
}

export type ReplayVerdict = 'replay' | 'not_written' | 'partial';

/**
 * Compares an append's event ids with the ids stored from the revision it would have started at.
 * All equal: the append already happened (an idempotent retry). None stored there or the first differs:
 * it did not. Some but not all: the retry does not match what was written, which is a conflict.
 */
export function compareWithStored(batchIds: readonly string[], storedIds: readonly string[]): ReplayVerdict {
  if (storedIds.length === 0 || storedIds[0] !== batchIds[0]) return 'not_written';
  if (storedIds.length === batchIds.length && storedIds.every((id, i) => id === batchIds[i])) return 'replay';
  return 'partial';
}

export interface NormalizedReadStream {
  readonly direction: 'forwards' | 'backwards';
  readonly fromRevision: bigint | undefined;
  readonly maxCount: number;
}

export function normalizeReadStream(stream: unknown, options: ReadStreamOptions | undefined): NormalizedReadStream {
  validateStreamName(stream);
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidRequestError(`direction: expected 'forwards' or 'backwards', got ${JSON.stringify(direction)}`);
  }
  const fromRevision = options?.fromRevision;
  if (fromRevision !== undefined && (typeof fromRevision !== 'bigint' || fromRevision < 0n)) {
    throw new InvalidRequestError(`fromRevision: expected a bigint >= 0n, got ${String(fromRevision)}`);
  }
  return { direction, fromRevision, maxCount: normalizeMaxCount(options?.maxCount, Number.MAX_SAFE_INTEGER) };
}

export function normalizeMaxCount(maxCount: unknown, fallback: number = MAX_READ_COUNT): number {
  if (maxCount === undefined) return fallback;
  if (typeof maxCount !== 'number' || !Number.isInteger(maxCount) || maxCount < 1) {
    throw new InvalidRequestError(`maxCount: expected a positive integer, got ${String(maxCount)}`);
  }
  return maxCount;
}
