import { GraphQLError } from 'graphql';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { EventStoreUnavailableError, InvalidRequestError, StreamNotFoundError, VersionConflictError } from '../../src/eventStore/errors';
import { formatError, isUnexpected } from '../../src/graphql/errors';
import { ProjectionFailedError, ProjectionWaitTimeoutError } from '../../src/readModels/projectionRunner';

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
  });

  it("tells a writer its change was saved when the read models lag, with the reason but none of the failure's details", () => {
    // The detail may name another account's event and stream: it is for the log only.
    const detail = "applying ImageMapped (0b7c…) of 'mci-someone-elses' at revision 4: SQLITE_FULL: database or disk is full";
    const cases = [
      [
        new ProjectionFailedError('streamCatalog', detail),
        'a read model failed (the details are in the service log); it is retried and reads will show the change once it recovers',
      ],
      [
        new ProjectionFailedError(undefined, detail, 'storage_full'),
        'their disk is full; reads will show the change once space has been freed',
      ],
      [
        new ProjectionFailedError(undefined, detail, 'storage_read_only'),
        'their storage is read-only; reads will show the change once it is writable again',
      ],
      [
        new ProjectionFailedError('ledger', detail, 'storage_failed'),
        'their disk failed a write; they retry on their own and reads will show the change once they catch up',
      ],
      [
        new ProjectionFailedError(undefined, 'stopping', 'shutting_down'),
        'the service is shutting down; reads will show the change after it restarts',
      ],
    ] as const;
    for (const [error, reason] of cases) {
      const answer = formatted(fromResolver(error));
      expect(answer).toEqual({
        message: `the change was saved, but the read models could not be updated: ${reason}`,
        path: ['serverInfo'],
        extensions: { code: 'UNAVAILABLE' },
      });
      expect(isUnexpected(error)).toBe(false);
    }
    expect(formatted(fromResolver(new ProjectionWaitTimeoutError(10_000, ['streamCatalog'])))).toMatchObject({
      message:
        'the change was saved, but read models did not reach the requested position within 10000 ms (still behind: streamCatalog); reads will show it once they catch up',
      extensions: { code: 'UNAVAILABLE' },
    });
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
