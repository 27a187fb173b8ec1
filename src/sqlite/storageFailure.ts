/*
 * Which SQLite failures are the disk's, not the code's: the event store and the read models tell
 * clients the same short reason for them ("its disk is full"), and keep the driver's words for the log.
 */

/** A write the disk refused: it was full, read-only, or failed the I/O. */
export type StorageFailure = 'storage_full' | 'storage_read_only' | 'storage_failed';

/** The driver's `SQLITE_…` code of `error`, or `undefined` for anything that isn't a SQLite error. */
export function sqliteCodeOf(error: unknown): string | undefined {
  // Duck-typed rather than `instanceof`: the driver's error class may come from another realm
  // (it is bound once per process to the first copy of the module that loaded it).
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** The storage failure `error` (or an error it was caused by) reports, or `undefined` when it is something else. */
export function storageFailureOf(error: unknown): StorageFailure | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = sqliteCodeOf(current);
    if (code === 'SQLITE_FULL') return 'storage_full';
    if (code?.startsWith('SQLITE_READONLY')) return 'storage_read_only';
    if (code?.startsWith('SQLITE_IOERR')) return 'storage_failed';
    if (typeof current !== 'object' || current === null) return undefined;
  }
  return undefined;
}
