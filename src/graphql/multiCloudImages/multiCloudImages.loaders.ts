import DataLoader from 'dataloader';
import type {
  MultiCloudImageHead,
  MultiCloudImageRevisionRow,
  MultiCloudImageSettingRow,
  MultiCloudImageSnapshot,
} from '../../readModels/multiCloudImagesQueries';
import { perRequest, type GraphQLContext } from '../context';

/*
 * Per-request DataLoaders over the MultiCloud Image read models: every load of one request made in the
 * same tick becomes one read, and values come back in key order, one per key. Heads are scoped to
 * the viewer's account here, so nothing of another account can come out of them; the loaders keyed
 * by MCI id are only ever given ids a head load returned.
 */

function grouped<Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** The viewer's MCIs by id (null: missing, deleted or another account's). */
export function multiCloudImageHeadLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageHead | null> {
  return perRequest(
    ctx,
    'multiCloudImages.head',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const found = new Map(ctx.services.queries.multiCloudImages.headsByIds(ctx.viewer.accountId, ids).map((head) => [head.id, head]));
        return ids.map((id) => found.get(id) ?? null);
      }),
  );
}

/** HEAD's settings by MCI id, by cloud id. */
export function multiCloudImageSettingsLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageSettingRow[]> {
  return perRequest(
    ctx,
    'multiCloudImages.settings',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        grouped(ids, ctx.services.queries.multiCloudImages.settingsByMultiCloudImageIds(ids), (row) => row.multiCloudImageId),
      ),
  );
}

/** Committed revisions by MCI id, oldest first. */
export function multiCloudImageRevisionsLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageRevisionRow[]> {
  return perRequest(
    ctx,
    'multiCloudImages.revisions',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        grouped(ids, ctx.services.queries.multiCloudImages.revisionsByMultiCloudImageIds(ids), (row) => row.multiCloudImageId),
      ),
  );
}

export interface SnapshotKey {
  readonly id: string;
  readonly revision: number;
}

/** Committed revisions with their content, by (MCI id, revision); null when that revision doesn't exist. */
export function multiCloudImageSnapshotLoader(ctx: GraphQLContext): DataLoader<SnapshotKey, MultiCloudImageSnapshot | null, string> {
  return perRequest(
    ctx,
    'multiCloudImages.snapshot',
    () =>
      new DataLoader(
        async (keys: readonly SnapshotKey[]) => {
          const found = new Map(
            ctx.services.queries.multiCloudImages.snapshots(keys).map((row) => [`${row.multiCloudImageId}@${row.revision}`, row]),
          );
          return keys.map((key) => found.get(`${key.id}@${key.revision}`) ?? null);
        },
        { cacheKeyFn: (key) => `${key.id}@${key.revision}` },
      ),
  );
}
