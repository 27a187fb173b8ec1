import { unknownRevision } from '../../application/components';
import { DomainError, ErrorCode } from '../../domain/errors';
import {
  MULTI_CLOUD_IMAGE_KIND,
  type ActiveMultiCloudImage,
  type MultiCloudImageContent,
} from '../../domain/multiCloudImages/multiCloudImage';
import { assertRevisionNumber, isHead } from '../../domain/versionControl/revisions';
import type { MultiCloudImageHead, MultiCloudImageSnapshot } from '../../readModels/multiCloudImagesQueries';
import type { GraphQLContext } from '../context';
import { multiCloudImageHeadLoader, multiCloudImageSnapshotLoader } from './multiCloudImages.loaders';
import type { MultiCloudImage } from './multiCloudImages.types';

/*
 * The plain objects behind the MultiCloudImage GraphQL type: HEAD from its head row, a committed
 * revision from its snapshot, a past instant from a folded state. Every lookup is scoped to the
 * viewer's account: another account's MCI is NOT_FOUND, exactly like a missing one.
 */

export const notFound = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, 'no such MultiCloudImage');

function identity(head: MultiCloudImageHead): Omit<MultiCloudImage, 'name' | 'description' | 'revision' | 'behind'> {
  return {
    kind: MULTI_CLOUD_IMAGE_KIND,
    id: head.id,
    version: head.version,
    lineage: head.lineage,
    readOnly: false,
    clonedFrom: head.clonedFrom,
    latestRevision: head.latestRevision,
  };
}

/** HEAD: its settings are loaded in batch by the `settings` field. */
export function headView(head: MultiCloudImageHead): MultiCloudImage {
  // A HEAD is behind only when a newer revision of its lineage exists elsewhere (imports come later).
  return { ...identity(head), name: head.name, description: head.description, revision: 0, behind: false };
}

export function snapshotView(head: MultiCloudImageHead, snapshot: MultiCloudImageSnapshot): MultiCloudImage {
  return {
    ...identity(head),
    name: snapshot.content.name,
    description: snapshot.content.description,
    revision: snapshot.revision,
    behind: snapshot.revision < head.latestRevision,
    frozenSettings: Object.values(snapshot.content.settings),
  };
}

/** The MCI as it was at some instant (time travel): HEAD as it stood then, with the revisions committed by then. */
export function pastView(state: ActiveMultiCloudImage, version: number): MultiCloudImage {
  return {
    kind: MULTI_CLOUD_IMAGE_KIND,
    id: state.id,
    name: state.head.name,
    description: state.head.description,
    revision: 0,
    version,
    lineage: state.lineage,
    readOnly: false,
    clonedFrom: state.clonedFrom,
    behind: false,
    latestRevision: state.latestRevision,
    frozenSettings: Object.values(state.head.settings),
    revisionsUpTo: state.latestRevision,
  };
}

/** The viewer's MCI at `revision` (omitted or 0: HEAD). */
export async function loadMultiCloudImageView(
  ctx: GraphQLContext,
  id: string,
  revision: number | null | undefined,
): Promise<MultiCloudImage> {
  if (revision !== undefined && revision !== null) assertRevisionNumber(revision);
  const head = await multiCloudImageHeadLoader(ctx).load(id);
  if (!head) throw notFound();
  if (isHead(revision)) return headView(head);
  const snapshot = await multiCloudImageSnapshotLoader(ctx).load({ id, revision: revision as number });
  if (!snapshot) throw unknownRevision(MULTI_CLOUD_IMAGE_KIND, id, revision as number, head.latestRevision);
  return snapshotView(head, snapshot);
}

/** The viewer's MCI at HEAD straight from the read model, bypassing this request's loader cache: what a mutation returns. */
export function freshHeadView(ctx: GraphQLContext, id: string): MultiCloudImage {
  const [head] = ctx.services.queries.multiCloudImages.headsByIds(ctx.viewer.accountId, [id]);
  if (!head) throw notFound();
  return headView(head);
}

/** The content diff compares: HEAD's from the head row's folded state, a revision's from its snapshot. */
export async function multiCloudImageContentAt(
  ctx: GraphQLContext,
  id: string,
  revision: number | null | undefined,
): Promise<MultiCloudImageContent> {
  if (isHead(revision)) {
    const content = ctx.services.queries.multiCloudImages.headContents(ctx.viewer.accountId, [id]).get(id);
    if (!content) throw notFound();
    return content;
  }
  const view = await loadMultiCloudImageView(ctx, id, revision);
  const snapshot = await multiCloudImageSnapshotLoader(ctx).load({ id, revision: view.revision });
  if (!snapshot) throw unknownRevision(MULTI_CLOUD_IMAGE_KIND, id, view.revision, view.latestRevision);
  return snapshot.content;
}
