import { MULTI_CLOUD_IMAGE_KIND, type MultiCloudImageContent } from '../../domain/multiCloudImages/multiCloudImage';
import type { MultiCloudImageSnapshot } from '../../readModels/multiCloudImagesQueries';
import { componentViews } from '../versionControl/componentViews';
import { multiCloudImageHeadLoader, multiCloudImageSnapshotLoader } from './multiCloudImages.loaders';
import type { MultiCloudImage } from './multiCloudImages.types';

/*
 * The plain objects behind the MultiCloudImage GraphQL type (componentViews.ts: HEAD, a committed
 * revision, a past instant; another account's MCI is NOT_FOUND, exactly like a missing one). A
 * revision's or a past instant's settings are at hand and travel in the view; HEAD's are loaded in
 * batch by the `settings` field.
 */

const frozenSettings = (content: MultiCloudImageContent): Pick<MultiCloudImage, 'frozenSettings'> => ({
  frozenSettings: Object.values(content.settings),
});

const views = componentViews<MultiCloudImageContent, MultiCloudImageSnapshot, MultiCloudImage>({
  name: MULTI_CLOUD_IMAGE_KIND,
  heads: multiCloudImageHeadLoader,
  snapshots: multiCloudImageSnapshotLoader,
  queries: (ctx) => ctx.services.queries.multiCloudImages,
  frozenAtRevision: frozenSettings,
  frozenInPast: frozenSettings,
});

export const { notFound, headView, snapshotView, pastView, freshHeadView } = views;
export const loadMultiCloudImageView = views.loadView;
export const multiCloudImageContentAt = views.contentAt;
