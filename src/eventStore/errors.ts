import type { ExpectedRevision } from './port';

/** Base class of every error the event-store port raises; adapters translate driver errors into these. */
export abstract class EventStoreError extends Error {
  abstract readonly code: EventStoreErrorCode;
}

export type EventStoreErrorCode = 'VERSION_CONFLICT' | 'STREAM_NOT_FOUND' | 'INVALID_REQUEST' | 'INVALID_CURSOR' | 'UNAVAILABLE' | 'CLOSED';

export function describeRevision(revision: ExpectedRevision | bigint | 'no_stream'): string {
  return typeof revision === 'bigint' ? `revision ${revision}` : revision;
}

/** The stream was not where the append expected it. `actual` is its true revision at that moment. */
export class VersionConflictError extends EventStoreError {
  readonly code = 'VERSION_CONFLICT';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream '${stream}': expected ${describeRevision(expected)}, but it is at ${describeRevision(actual)}`);
    this.name = 'VersionConflictError';
  }
}

export class StreamNotFoundError extends EventStoreError {
  readonly code = 'STREAM_NOT_FOUND';
  constructor(readonly stream: string) {
    super(`stream '${stream}' has no events`);
    this.name = 'StreamNotFoundError';
  }
}

/** The request itself is malformed (bad stream name, non-JSON data, bad cursor…); nothing was written. */
export class InvalidRequestError extends EventStoreError {
  readonly code = 'INVALID_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

export class InvalidCursorError extends EventStoreError {
  readonly code = 'INVALID_CURSOR';
  constructor(
    readonly cursor: string,
    reason: string,
  ) {
    super(`cursor '${cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor}' is not valid here: ${reason}`);
    this.name = 'InvalidCursorError';
  }
}

/**
 * Why a store can't serve, when the adapter knows, for the client's message: its storage is full,
 * read-only or failed a write (an embedded store: the append was rolled back, nothing was written), or anything else.
 */
export type UnavailableReason = 'storage_full' | 'storage_read_only' | 'storage_failed' | 'other';

/** The store can't be reached or failed underneath us; the operation may be retried. */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'UNAVAILABLE';
  readonly reason: UnavailableReason;
  constructor(message: string, options?: { cause?: unknown; reason?: UnavailableReason }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
    this.reason = options?.reason ?? 'other';
  }
}

export class EventStoreClosedError extends EventStoreError {
  readonly code = 'CLOSED';
  constructor() {
    super('the event store is closed');
    this.name = 'EventStoreClosedError';
  }
}
