import { unknownRevision } from '../../application/components';
import { DomainError, ErrorCode } from '../../domain/errors';
import {
  SERVER_TEMPLATE_KIND,
  type ActiveServerTemplate,
  type ServerTemplateContent,
} from '../../domain/serverTemplates/serverTemplate.types';
import { assertRevisionNumber, isHead } from '../../domain/versionControl/revisions';
import type { ServerTemplateHead, ServerTemplateSnapshot } from '../../readModels/serverTemplatesQueries';
import type { GraphQLContext } from '../context';
import { serverTemplateHeadLoader, serverTemplateSnapshotLoader } from './serverTemplates.loaders';
import type { ServerTemplate } from './serverTemplates.types';

/*
 * The plain objects behind the ServerTemplate GraphQL type: HEAD from its head row, a committed
 * revision from its snapshot, a past instant from a folded state. Every lookup is scoped to the
 * viewer's account: another account's template is NOT_FOUND, exactly like a missing one.
 */

export const serverTemplateNotFound = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, 'no such ServerTemplate');

function identity(head: ServerTemplateHead): Omit<ServerTemplate, 'name' | 'description' | 'revision' | 'behind'> {
  return {
    kind: SERVER_TEMPLATE_KIND,
    id: head.id,
    version: head.version,
    lineage: head.lineage,
    readOnly: false,
    clonedFrom: head.clonedFrom,
    latestRevision: head.latestRevision,
  };
}

/** HEAD: what it pins is loaded in batch by its fields. */
export function headView(head: ServerTemplateHead): ServerTemplate {
  // A HEAD is behind only when a newer revision of its lineage exists elsewhere (imports come later).
  return { ...identity(head), name: head.name, description: head.description, revision: 0, behind: false };
}

export function snapshotView(head: ServerTemplateHead, snapshot: ServerTemplateSnapshot): ServerTemplate {
  return {
    ...identity(head),
    name: snapshot.content.name,
    description: snapshot.content.description,
    revision: snapshot.revision,
    behind: snapshot.revision < head.latestRevision,
  };
}

/** The template as it was at some instant (time travel): HEAD as it stood then, with the revisions committed by then. */
export function pastView(state: ActiveServerTemplate, version: number): ServerTemplate {
  return {
    kind: SERVER_TEMPLATE_KIND,
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
    frozenContent: state.head,
    revisionsUpTo: state.latestRevision,
  };
}

/** The viewer's template at `revision` (omitted or 0: HEAD). */
export async function loadServerTemplateView(
  ctx: GraphQLContext,
  id: string,
  revision: number | null | undefined,
): Promise<ServerTemplate> {
  if (revision !== undefined && revision !== null) assertRevisionNumber(revision);
  const head = await serverTemplateHeadLoader(ctx).load(id);
  if (!head) throw serverTemplateNotFound();
  if (isHead(revision)) return headView(head);
  const snapshot = await serverTemplateSnapshotLoader(ctx).load({ id, revision: revision as number });
  if (!snapshot) throw unknownRevision(SERVER_TEMPLATE_KIND, id, revision as number, head.latestRevision);
  return snapshotView(head, snapshot);
}

/** The viewer's template at HEAD straight from the read model, bypassing this request's loader cache: what a mutation returns. */
export function freshHeadView(ctx: GraphQLContext, id: string): ServerTemplate {
  const [head] = ctx.services.queries.serverTemplates.headsByIds(ctx.viewer.accountId, [id]);
  if (!head) throw serverTemplateNotFound();
  return headView(head);
}

/** The content diff compares: HEAD's from the head row's folded state, a revision's from its snapshot. */
export async function serverTemplateContentAt(
  ctx: GraphQLContext,
  id: string,
  revision: number | null | undefined,
): Promise<ServerTemplateContent> {
  if (isHead(revision)) {
    const content = ctx.services.queries.serverTemplates.headContents(ctx.viewer.accountId, [id]).get(id);
    if (!content) throw serverTemplateNotFound();
    return content;
  }
  const view = await loadServerTemplateView(ctx, id, revision);
  const snapshot = await serverTemplateSnapshotLoader(ctx).load({ id, revision: view.revision });
  if (!snapshot) throw unknownRevision(SERVER_TEMPLATE_KIND, id, view.revision, view.latestRevision);
  return snapshot.content;
}
