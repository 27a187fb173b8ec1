import type DataLoader from 'dataloader';
import type {
  MultiCloudImageHead,
  MultiCloudImageRevisionRow,
  MultiCloudImageSettingRow,
  MultiCloudImageSnapshot,
} from '../../readModels/multiCloudImagesQueries';
import type { GraphQLContext } from '../context';
import {
  componentHeadLoader,
  componentRowsLoader,
  componentSnapshotLoader,
  type ComponentRevisionKey,
} from '../versionControl/componentLoaders';

/*
 * Per-request DataLoaders over the MultiCloud Image read models (componentLoaders.ts: one read per
 * request tick, values in key order). Heads are scoped to the viewer's account, so nothing of another
 * account can come out of them; the loaders keyed by MCI id are only ever given ids a head load
 * returned.
 */

/** The viewer's MCIs by id (null: missing, deleted or another account's). */
export function multiCloudImageHeadLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageHead | null> {
  return componentHeadLoader(ctx, 'multiCloudImages.head', ctx.services.queries.multiCloudImages);
}

/** HEAD's settings by MCI id, by cloud id. */
export function multiCloudImageSettingsLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageSettingRow[]> {
  return componentRowsLoader(
    ctx,
    'multiCloudImages.settings',
    (ids) => ctx.services.queries.multiCloudImages.settingsByMultiCloudImageIds(ids),
    (row) => row.multiCloudImageId,
  );
}

/** Committed revisions by MCI id, oldest first. */
export function multiCloudImageRevisionsLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageRevisionRow[]> {
  return componentRowsLoader(
    ctx,
    'multiCloudImages.revisions',
    (ids) => ctx.services.queries.multiCloudImages.revisionsByMultiCloudImageIds(ids),
    (row) => row.multiCloudImageId,
  );
}

export type SnapshotKey = ComponentRevisionKey;

/** Committed revisions with their content, by (MCI id, revision); null when that revision doesn't exist. */
export function multiCloudImageSnapshotLoader(ctx: GraphQLContext): DataLoader<SnapshotKey, MultiCloudImageSnapshot | null, string> {
  return componentSnapshotLoader(ctx, 'multiCloudImages.snapshot', ctx.services.queries.multiCloudImages, (row) => row.multiCloudImageId);
}
