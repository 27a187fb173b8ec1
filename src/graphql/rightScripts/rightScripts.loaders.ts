import DataLoader from 'dataloader';
import type { RightScriptInput } from '../../domain/rightScripts/rightScript';
import type { RightScriptHead, RightScriptRevisionRow, RightScriptSnapshot } from '../../readModels/rightScriptsQueries';
import { perRequest, type GraphQLContext } from '../context';

/*
 * Per-request DataLoaders over the RightScript read models: every load of one request made in the same
 * tick becomes one read, and values come back in key order, one per key. Heads are scoped to the
 * viewer's account here, so nothing of another account can come out of them; the loaders keyed by
 * script id are only ever given ids a head load returned.
 */

function byKey<Row, Value>(
  keys: readonly string[],
  rows: readonly Row[],
  keyOf: (row: Row) => string,
  valueOf: (row: Row) => Value,
  missing: Value,
): Value[] {
  const found = new Map(rows.map((row) => [keyOf(row), valueOf(row)]));
  return keys.map((key) => (found.has(key) ? (found.get(key) as Value) : missing));
}

/** The viewer's RightScripts by id (null: missing, deleted or another account's). */
export function rightScriptHeadLoader(ctx: GraphQLContext): DataLoader<string, RightScriptHead | null> {
  return perRequest(
    ctx,
    'rightScripts.head',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        byKey(
          ids,
          ctx.services.queries.rightScripts.headsByIds(ctx.viewer.accountId, ids),
          (head) => head.id,
          (head) => head,
          null,
        ),
      ),
  );
}

/** HEAD's source by script id. */
export function rightScriptSourceLoader(ctx: GraphQLContext): DataLoader<string, string> {
  return perRequest(
    ctx,
    'rightScripts.source',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        byKey(
          ids,
          ctx.services.queries.rightScripts.sourcesByRightScriptIds(ids),
          (row) => row.rightScriptId,
          (row) => row.source,
          '',
        ),
      ),
  );
}

/** HEAD's inputs by script id, by name. */
export function rightScriptInputsLoader(ctx: GraphQLContext): DataLoader<string, readonly RightScriptInput[]> {
  return perRequest(
    ctx,
    'rightScripts.inputs',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        byKey<{ rightScriptId: string; inputs: RightScriptInput[] }, readonly RightScriptInput[]>(
          ids,
          ctx.services.queries.rightScripts.inputsByRightScriptIds(ids),
          (row) => row.rightScriptId,
          (row) => row.inputs,
          [],
        ),
      ),
  );
}

/** Committed revisions by script id, oldest first. */
export function rightScriptRevisionsLoader(ctx: GraphQLContext): DataLoader<string, RightScriptRevisionRow[]> {
  return perRequest(
    ctx,
    'rightScripts.revisions',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const groups = new Map<string, RightScriptRevisionRow[]>(ids.map((id) => [id, []]));
        for (const row of ctx.services.queries.rightScripts.revisionsByRightScriptIds(ids)) groups.get(row.rightScriptId)?.push(row);
        return ids.map((id) => groups.get(id) ?? []);
      }),
  );
}

export interface RightScriptSnapshotKey {
  readonly id: string;
  readonly revision: number;
}

/** Committed revisions with their content, by (script id, revision); null when that revision doesn't exist. */
export function rightScriptSnapshotLoader(ctx: GraphQLContext): DataLoader<RightScriptSnapshotKey, RightScriptSnapshot | null, string> {
  return perRequest(
    ctx,
    'rightScripts.snapshot',
    () =>
      new DataLoader(
        async (keys: readonly RightScriptSnapshotKey[]) => {
          const found = new Map(
            ctx.services.queries.rightScripts.snapshots(keys).map((row) => [`${row.rightScriptId}@${row.revision}`, row]),
          );
          return keys.map((key) => found.get(`${key.id}@${key.revision}`) ?? null);
        },
        { cacheKeyFn: (key) => `${key.id}@${key.revision}` },
      ),
  );
}
