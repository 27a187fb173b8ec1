import { ErrorCode } from '../../src/domain/errors';
import { EventStoreUnavailableError, VersionConflictError } from '../../src/eventStore/errors';
import { translateSqliteError } from '../../src/eventStore/sqlite/sqliteEventStore';
import { formatError, isStoreFailure, isUnexpected, toClientError } from '../../src/graphql/errors';
import { storageFailureOf } from '../../src/sqlite/storageFailure';

/*
 * The embedded store's disk failures, from the driver's error code to what a client reads. Driver
 * errors are plain objects with a `code` here: the adapter duck-types them, as better-sqlite3's class
 * may come from another realm (jest's module registry is one).
 */

const sqliteError = (code: string, message = 'driver words'): object => ({ code, message, name: 'SqliteError' });

describe('storage failures of the SQLite store', () => {
  it.each([
    ['SQLITE_FULL', 'storage_full', "appending to 'mci-1': the disk is full"],
    ['SQLITE_READONLY', 'storage_read_only', "appending to 'mci-1': the data directory is read-only"],
    ['SQLITE_READONLY_DBMOVED', 'storage_read_only', "appending to 'mci-1': the data directory is read-only"],
    ['SQLITE_IOERR_WRITE', 'storage_failed', "appending to 'mci-1': the disk failed a read or write (SQLITE_IOERR_WRITE)"],
    ['SQLITE_BUSY', 'other', "appending to 'mci-1': the database is locked by another process"],
  ])('%s becomes EventStoreUnavailableError with reason %s', (code, reason, message) => {
    const translated = translateSqliteError(sqliteError(code), "appending to 'mci-1'");
    expect(translated).toBeInstanceOf(EventStoreUnavailableError);
    expect(translated).toMatchObject({ reason, message, code: 'UNAVAILABLE' });
  });

  it('passes port errors and non-SQLite errors through unchanged', () => {
    const conflict = new VersionConflictError('mci-1', 2n, 3n);
    expect(translateSqliteError(conflict, 'x')).toBe(conflict);
    const other = new TypeError('not ours');
    expect(translateSqliteError(other, 'x')).toBe(other);
  });

  it.each([
    ['storage_full', "the event store can't write: its disk is full; nothing was saved; try again once space has been freed"],
    ['storage_read_only', "the event store can't write: its storage is read-only; nothing was saved"],
    ['storage_failed', "the event store can't write: its disk failed the write; nothing was saved; try again shortly"],
    ['other', 'the event store is unavailable; try again shortly'],
  ] as const)('tells the client UNAVAILABLE for %s, without paths or driver text', (reason, message) => {
    const error = new EventStoreUnavailableError("appending to 'mci-1' in /data/events.sqlite: driver words", { reason });
    expect(toClientError(error)).toEqual({ code: ErrorCode.UNAVAILABLE, message });
    expect(formatError({ message: error.message, path: ['mapImage'] }, error)).toEqual({
      message,
      path: ['mapImage'],
      extensions: { code: 'UNAVAILABLE' },
    });
    // Not masked, yet logged: the operator needs the details the client is spared.
    expect(isUnexpected(error)).toBe(false);
    expect(isStoreFailure(error)).toBe(true);
  });

  it("finds the disk at fault through wrapping errors (a read model's apply wraps the driver error), and nothing else", () => {
    expect(storageFailureOf(new Error('applying Noted', { cause: sqliteError('SQLITE_FULL') }))).toBe('storage_full');
    expect(storageFailureOf(new Error('outer', { cause: new Error('inner', { cause: sqliteError('SQLITE_IOERR_FSYNC') }) }))).toBe(
      'storage_failed',
    );
    expect(storageFailureOf(sqliteError('SQLITE_READONLY_DIRECTORY'))).toBe('storage_read_only');
    expect(storageFailureOf(sqliteError('SQLITE_BUSY'))).toBeUndefined();
    expect(storageFailureOf(sqliteError('SQLITE_CONSTRAINT_TRIGGER'))).toBeUndefined();
    expect(storageFailureOf(new Error('not the disk'))).toBeUndefined();
    expect(storageFailureOf('SQLITE_FULL')).toBeUndefined();
  });
});
