import { DomainError, ErrorCode } from '../../domain/errors';
import { MAX_NAME_LENGTH } from '../../domain/versionControl/text';

/*
 * Connection arguments shared by every list of the API: `first` (default 50, at most 500) and an
 * opaque `after` cursor. A cursor is base64url of "<kind>:<key>", so a cursor of one list handed to
 * another is refused with a clear message instead of silently pointing elsewhere.
 */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `first: expected 0 to ${MAX_PAGE_SIZE}, got ${size}`);
  }
  return size;
}

export function encodePageCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

/** The key inside a cursor of `kind`; BAD_USER_INPUT for anything else. */
export function decodePageCursor(kind: string, cursor: string, keyPattern: RegExp): string {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/u.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = decoded.startsWith(`${kind}:`) ? decoded.slice(kind.length + 1) : undefined;
  if (key === undefined || !keyPattern.test(key)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `after: expected a cursor returned by this list, got '${cursor.slice(0, 80)}'`);
  }
  return key;
}

/** A Relay connection's fields from one page of items, each with its cursor key. */
export function toConnection<Item, Node>(
  kind: string,
  page: { readonly items: readonly Item[]; readonly hasNextPage: boolean; readonly totalCount: number },
  keyOf: (item: Item) => string,
  nodeOf: (item: Item) => Node,
): {
  nodes: Node[];
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
} {
  const edges = page.items.map((item) => ({ cursor: encodePageCursor(kind, keyOf(item)), node: nodeOf(item) }));
  return {
    nodes: edges.map((edge) => edge.node),
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges[edges.length - 1]?.cursor ?? null },
    totalCount: page.totalCount,
  };
}

/** A list's `filter.nameContains`: names are at most 255 characters, so a longer text can't match anything. Refuse it clearly. */
export function boundedFilterText(text: string): string {
  if (text.length > MAX_NAME_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `filter.nameContains: expected at most ${MAX_NAME_LENGTH} characters, got ${text.length}`,
    );
  }
  return text;
}

const MAX_FILTER_ID_LENGTH = 128;

/** Ids are at most 128 characters: a longer id in a list's filter can't match anything. Refuse it clearly. */
export function boundedFilterId(field: string, id: string): string {
  if (id.length > MAX_FILTER_ID_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `filter.${field}: expected an id of at most ${MAX_FILTER_ID_LENGTH} characters, got ${id.length}`,
    );
  }
  return id;
}
