import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, ErrorCode } from '../domain/errors';
import {
  EventStoreClosedError,
  EventStoreUnavailableError,
  InvalidCursorError,
  InvalidRequestError,
  StreamNotFoundError,
  VersionConflictError,
  type UnavailableReason,
} from '../eventStore/errors';
import { ProjectionFailedError, ProjectionWaitTimeoutError } from '../readModels/projectionRunner';

/**
 * The one place errors become what clients see: a message and `extensions.code` from ErrorCode.
 * Errors we know are passed on with their message; anything else is logged by the caller with the
 * request id and reaches the client masked, so internals never leak.
 */
export function toClientError(error: unknown): { code: ErrorCode; message: string; details?: Record<string, unknown> } | undefined {
  if (error instanceof DomainError) return { code: error.code, message: error.message, details: { ...error.details } };
  if (error instanceof VersionConflictError) {
    return {
      code: ErrorCode.VERSION_CONFLICT,
      // Speaks of the client's expectedVersion, not of streams: the version to pass is `version`.
      message:
        typeof error.expected === 'bigint'
          ? `expectedVersion ${error.expected} is out of date: it is at version ${revisionOut(error.actual)} now; read it again and retry`
          : `expected it to ${error.expected === 'no_stream' ? 'not exist yet' : 'exist'}, but it is at version ${revisionOut(error.actual)}`,
      details: { expectedVersion: revisionOut(error.expected), actualVersion: revisionOut(error.actual) },
    };
  }
  if (error instanceof StreamNotFoundError) return { code: ErrorCode.NOT_FOUND, message: 'not found' };
  if (error instanceof InvalidRequestError || error instanceof InvalidCursorError)
    return { code: ErrorCode.BAD_USER_INPUT, message: error.message };
  if (error instanceof EventStoreUnavailableError && error.reason !== 'other') {
    return { code: ErrorCode.UNAVAILABLE, message: STORAGE_MESSAGES[error.reason] };
  }
  if (error instanceof EventStoreUnavailableError || error instanceof EventStoreClosedError) {
    return { code: ErrorCode.UNAVAILABLE, message: 'the event store is unavailable; try again shortly' };
  }
  if (error instanceof ProjectionFailedError) {
    // The details (event ids, streams — perhaps another account's — and the driver's words) are logged
    // by the runner; the client learns only that its change is saved and why reads lag.
    return {
      code: ErrorCode.UNAVAILABLE,
      message: `the change was saved, but the read models could not be updated: ${READ_MODEL_REASONS[error.why ?? 'other']}`,
    };
  }
  if (error instanceof ProjectionWaitTimeoutError) {
    return { code: ErrorCode.UNAVAILABLE, message: `the change was saved, but ${error.message}; reads will show it once they catch up` };
  }
  return undefined;
}

/** Why the read models lag behind a saved change, as a client is told it. */
const READ_MODEL_REASONS: Readonly<Record<NonNullable<ProjectionFailedError['why']> | 'other', string>> = {
  storage_full: 'their disk is full; reads will show the change once space has been freed',
  storage_read_only: 'their storage is read-only; reads will show the change once it is writable again',
  storage_failed: 'their disk failed a write; they retry on their own and reads will show the change once they catch up',
  shutting_down: 'the service is shutting down; reads will show the change after it restarts',
  other: 'a read model failed (the details are in the service log); it is retried and reads will show the change once it recovers',
};

/** What a client is told when the embedded store's disk refuses a write (no path, no driver text: those are logged). */
const STORAGE_MESSAGES: Readonly<Record<Exclude<UnavailableReason, 'other'>, string>> = {
  storage_full: "the event store can't write: its disk is full; nothing was saved; try again once space has been freed",
  storage_read_only: "the event store can't write: its storage is read-only; nothing was saved",
  storage_failed: "the event store can't write: its disk failed the write; nothing was saved; try again shortly",
};

function revisionOut(revision: bigint | string): number | string {
  return typeof revision === 'bigint' ? Number(revision) : revision;
}

/** Apollo's `formatError`: maps known errors, keeps GraphQL's own validation errors, masks the rest. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const known = toClientError(original);
  if (known) {
    return { ...formatted, message: known.message, extensions: { ...known.details, code: known.code } };
  }
  const request = requestErrorCode(formatted, original);
  if (request) {
    const { stacktrace: _stack, code: reason, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, code: request, ...(request === ErrorCode.BAD_USER_INPUT ? { reason } : {}) } };
  }
  const code = formatted.extensions?.['code'];
  if (
    (original instanceof GraphQLError && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') ||
    isGraphQLErrorWithCode(original)
  ) {
    // Parse, validation and bad-input errors from GraphQL itself: safe and useful as they are.
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  const requestId = formatted.extensions?.['requestId'];
  return {
    message: 'internal error',
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(requestId ? { requestId } : {}) },
  };
}

/**
 * Apollo's own codes for a request it could not run (unparsable, invalid against the schema, no such
 * operation): the client's input, so BAD_USER_INPUT from design.md's list, Apollo's precise code kept
 * as `extensions.reason`. A validation rule of ours (a limit) keeps its own code, e.g. QUERY_TOO_COMPLEX.
 * PERSISTED_QUERY_* stay as they are: automatic persisted query clients act on them.
 */
const APOLLO_REQUEST_CODES: ReadonlySet<unknown> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
]);
const CONTRACT_CODES: ReadonlySet<unknown> = new Set(Object.values(ErrorCode));

function requestErrorCode(formatted: GraphQLFormattedError, original: unknown): ErrorCode | undefined {
  if (!APOLLO_REQUEST_CODES.has(formatted.extensions?.['code'])) return undefined;
  const inner = original instanceof GraphQLError && original.originalError instanceof GraphQLError ? original.originalError : undefined;
  const own = inner?.extensions['code'];
  return CONTRACT_CODES.has(own) ? (own as ErrorCode) : ErrorCode.BAD_USER_INPUT;
}

/** The store failed underneath a request (disk full, read-only, unreachable): the client gets a short coded message, the log the details. */
export function isStoreFailure(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return original instanceof EventStoreUnavailableError;
}

/** True when the error will be masked: the server logs these in full, with the request id. */
export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (toClientError(original)) return false;
  return !isGraphQLErrorWithCode(original);
}

function isGraphQLErrorWithCode(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const code = error.extensions?.['code'];
  return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
}
