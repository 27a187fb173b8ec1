import { GraphQLError } from 'graphql';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { EventStoreUnavailableError, InvalidRequestError, StreamNotFoundError, VersionConflictError } from '../../src/eventStore/errors';
import { formatError, isUnexpected } from '../../src/graphql/errors';
import { ProjectionFailedError } from '../../src/readModels/projectionRunner';

/** A resolver error as graphql-js hands it to Apollo: a GraphQLError wrapping what was thrown. */
function fromResolver(thrown: Error): GraphQLError {
  return new GraphQLError(thrown.message, { path: ['serverInfo'], originalError: thrown });
}
const formatted = (error: GraphQLError) =>
  formatError({ message: error.message, path: ['serverInfo'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);

describe('the one error mapper', () => {
  it('passes domain errors on with their code, message and details', () => {
    const error = fromResolver(new DomainError(ErrorCode.MERGE_CONFLICT, 'two conflicts', { conflicts: [{ path: 'name' }] }));
    expect(formatted(error)).toEqual({
      message: 'two conflicts',
      path: ['serverInfo'],
      extensions: { code: 'MERGE_CONFLICT', conflicts: [{ path: 'name' }] },
    });
    expect(isUnexpected(error)).toBe(false);
  });

  it('maps store errors to contract codes', () => {
    expect(formatted(fromResolver(new VersionConflictError('mci-1', 3n, 5n)))).toMatchObject({
      message: 'expectedVersion 3 is out of date: it is at version 5 now; read it again and retry',
      extensions: { code: 'VERSION_CONFLICT', expectedVersion: 3, actualVersion: 5 },
    });
    expect(formatted(fromResolver(new StreamNotFoundError('mci-secret')))).toMatchObject({
      message: 'not found',
      extensions: { code: 'NOT_FOUND' },
    });
    expect(formatted(fromResolver(new InvalidRequestError('stream name: …'))).extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(formatted(fromResolver(new EventStoreUnavailableError('grpc details')))).toMatchObject({
      message: 'the event store is unavailable; try again shortly',
      extensions: { code: 'UNAVAILABLE' },
    });
    expect(formatted(fromResolver(new ProjectionFailedError('streamCatalog', 'boom'))).message).toBe(
      "the change was saved, but read model 'streamCatalog' is not up to date: boom",
    );
  });

  it('masks anything else and flags it for logging', () => {
    const error = fromResolver(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(formatted(error)).toEqual({ message: 'internal error', path: ['serverInfo'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(isUnexpected(error)).toBe(true);
  });

  it('answers Apollo’s request errors as BAD_USER_INPUT with Apollo’s code as the reason, without stack traces', () => {
    const error = new GraphQLError('Syntax Error: Expected Name', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(formatError({ message: error.message, extensions: { code: 'GRAPHQL_PARSE_FAILED', stacktrace: ['at x'] } }, error)).toEqual({
      message: 'Syntax Error: Expected Name',
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(isUnexpected(error)).toBe(false);
  });

  it('gives a failed validation rule of ours its own code (a limit: QUERY_TOO_COMPLEX)', () => {
    const rule = new GraphQLError('query too complex', { extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth' } });
    const wrapped = new GraphQLError(rule.message, {
      originalError: rule,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' },
    });
    expect(formatError({ message: rule.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' } }, wrapped)).toEqual({
      message: 'query too complex',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth' },
    });
  });

  it('keeps the persisted-query codes automatic persisted query clients act on', () => {
    const error = new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(formatError({ message: error.message, extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }, error)).toEqual({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });
  });
});
