import DataLoader from 'dataloader';
import type { ComponentHead, ComponentQueries } from '../../readModels/componentQueries';
import { perRequest, type GraphQLContext } from '../context';

/*
 * The per-request DataLoaders of the component kinds. Every load of one request made in the same tick
 * becomes one read, and values come back in key order, one per key. Each loader has a name
 * (`<kind>.head`, …) so that it is one instance per request whichever module asks for it. Heads and
 * HEAD contents are scoped to the viewer's account; the other reads take ids a head load returned.
 */

/** A committed revision of a component (0: its HEAD, where a read keeps HEAD's rows too). */
export interface ComponentRevisionKey {
  readonly id: string;
  readonly revision: number;
}

export const revisionKey = (key: ComponentRevisionKey): string => `${key.id}@${key.revision}`;

const onlyRow = <Row>([row]: Row[]): Row | null => row ?? null;

/** One `read` a batch; each key's value is made of the rows naming it, in the order read (none: an empty list). */
function groupingLoader<Key, Row, Value>(
  ctx: GraphQLContext,
  name: string,
  keyOf: (key: Key) => string,
  read: (keys: readonly Key[]) => Iterable<Row>,
  rowKey: (row: Row) => string,
  valueOf: (rows: Row[]) => Value,
): DataLoader<Key, Value, string> {
  return perRequest(
    ctx,
    name,
    () =>
      new DataLoader(
        async (keys: readonly Key[]) => {
          const groups = new Map<string, Row[]>(keys.map((key) => [keyOf(key), []]));
          for (const row of read(keys)) groups.get(rowKey(row))?.push(row);
          return keys.map((key) => valueOf(groups.get(keyOf(key)) ?? []));
        },
        { cacheKeyFn: keyOf },
      ),
  );
}

/** Values by component id, made of the rows `read` returns for each. */
export function byIdLoader<Row, Value>(
  ctx: GraphQLContext,
  name: string,
  read: (ids: readonly string[]) => Iterable<Row>,
  idOf: (row: Row) => string,
  valueOf: (rows: Row[]) => Value,
): DataLoader<string, Value> {
  return groupingLoader(ctx, name, (id: string) => id, read, idOf, valueOf);
}

/** Values by (id, revision), made of the rows `read` returns for each. */
export function byRevisionLoader<Row, Value>(
  ctx: GraphQLContext,
  name: string,
  read: (keys: readonly ComponentRevisionKey[]) => Iterable<Row>,
  revisionOf: (row: Row) => ComponentRevisionKey,
  valueOf: (rows: Row[]) => Value,
): DataLoader<ComponentRevisionKey, Value, string> {
  return groupingLoader(ctx, name, revisionKey, read, (row) => revisionKey(revisionOf(row)), valueOf);
}

/** Rows by component id, in the order `read` returns them (e.g. committed revisions, oldest first). */
export function componentRowsLoader<Row>(
  ctx: GraphQLContext,
  name: string,
  read: (ids: readonly string[]) => Row[],
  componentOf: (row: Row) => string,
): DataLoader<string, Row[]> {
  return byIdLoader(ctx, name, read, componentOf, (rows) => rows);
}

/** The viewer's components of one kind by id (null: missing, deleted or another account's). */
export function componentHeadLoader(
  ctx: GraphQLContext,
  name: string,
  queries: Pick<ComponentQueries<unknown, unknown, unknown>, 'headsByIds'>,
): DataLoader<string, ComponentHead | null> {
  return byIdLoader(
    ctx,
    name,
    (ids) => queries.headsByIds(ctx.viewer.accountId, ids),
    (head) => head.id,
    onlyRow,
  );
}

/** HEAD's whole content of the viewer's components of one kind by id (null: missing, deleted or another account's). */
export function componentHeadContentLoader<Content>(
  ctx: GraphQLContext,
  name: string,
  queries: Pick<ComponentQueries<Content, unknown, unknown>, 'headContents'>,
): DataLoader<string, Content | null> {
  return byIdLoader(
    ctx,
    name,
    (ids) => queries.headContents(ctx.viewer.accountId, ids),
    ([id]) => id,
    ([entry]) => (entry ? entry[1] : null),
  );
}

/** Committed revisions with their content, by (component id, revision); null when that revision doesn't exist. */
export function componentSnapshotLoader<Snapshot extends { readonly revision: number }>(
  ctx: GraphQLContext,
  name: string,
  queries: Pick<ComponentQueries<unknown, unknown, Snapshot>, 'snapshots'>,
  componentOf: (snapshot: Snapshot) => string,
): DataLoader<ComponentRevisionKey, Snapshot | null, string> {
  return byRevisionLoader(
    ctx,
    name,
    (keys) => queries.snapshots(keys),
    (row) => ({ id: componentOf(row), revision: row.revision }),
    onlyRow,
  );
}
