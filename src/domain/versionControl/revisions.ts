import { DomainError, ErrorCode } from '../errors';

/*
 * Revision numbering shared by every versioned component kind (domain.md, "Version control"): one
 * editable HEAD, numbered 0, and immutable committed revisions 1, 2, 3 … numbered densely and never
 * reused.
 */

export const HEAD_REVISION = 0;

/** A committed revision's number: a whole number from 1. */
export type CommittedRevision = number;

/** GraphQL clients may omit a revision or send 0: both mean HEAD. */
export function isHead(revision: number | null | undefined): boolean {
  return revision === undefined || revision === null || revision === HEAD_REVISION;
}

/** The number the next commit gets, given the newest committed one (0 when none was committed yet). */
export function nextRevision(latestRevision: number): CommittedRevision {
  return latestRevision + 1;
}

/**
 * Refuses an edit aimed at a committed revision: only HEAD can change. `revision` is what the client
 * said it is editing (omitted or 0 for HEAD).
 */
export function assertHead(revision: number | null | undefined, componentId: string): void {
  if (isHead(revision)) return;
  throw new DomainError(
    ErrorCode.NOT_HEAD,
    `only HEAD (revision 0) of '${componentId}' can change; revision ${String(revision)} is committed and immutable: edit HEAD, or clone revision ${String(revision)} to edit a copy of it`,
  );
}

/** Refuses a revision number that can't exist (negative or fractional) before anything looks it up. */
export function assertRevisionNumber(revision: number, what = 'revision'): void {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected 0 (HEAD) or a committed revision number 1, 2, 3 …, got ${revision}`);
  }
}
