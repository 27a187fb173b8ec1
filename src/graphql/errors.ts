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
  if (error instanceof EventStoreUnavailableError || error instanceof EventStoreClosedError) {
    return { code: ErrorCode.UNAVAILABLE, message: 'the event store is unavailable; try again shortly' };
  }
  if (error instanceof ProjectionFailedError || error instanceof ProjectionWaitTimeoutError) {
    return { code: ErrorCode.UNAVAILABLE, message: `the change was saved, but ${error.message}` };
  }
  return undefined;
}

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
