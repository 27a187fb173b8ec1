import { InvalidRequestError, InvalidCursorError } from './errors';
import type { EventStoreKind, LogPosition } from './port';

/*
 * Cursors are opaque to clients: base64url of "<adapter>:<commit>:<prepare>". The adapter tag makes a
 * cursor from one store refused by another with a clear message instead of silently pointing elsewhere.
 */

const MAX_CURSOR_LENGTH = 128;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/u;

export function encodeCursor(kind: EventStoreKind, position: LogPosition): string {
  return Buffer.from(`${kind}:${position.commit}:${position.prepare}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: EventStoreKind, cursor: unknown): LogPosition {
  if (typeof cursor !== 'string' || cursor.length === 0) {
    throw new InvalidRequestError(
      `cursor: expected a non-empty string returned by this service, got ${JSON.stringify(cursor) ?? String(cursor)}`,
    );
  }
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/u.test(cursor)) {
    throw new InvalidCursorError(cursor, 'expected a cursor returned by this service');
  }
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const [tag, commit, prepare] = parts;
  if (parts.length !== 3 || commit === undefined || prepare === undefined || !DECIMAL.test(commit) || !DECIMAL.test(prepare)) {
    throw new InvalidCursorError(cursor, 'expected a cursor returned by this service');
  }
  if (tag !== kind) throw new InvalidCursorError(cursor, `it was issued by the ${tag ?? 'unknown'} event store, this is ${kind}`);
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
