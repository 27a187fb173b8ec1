import { unknownRevision } from '../../application/components';
import { DomainError, ErrorCode } from '../../domain/errors';
import { RIGHT_SCRIPT_KIND, type ActiveRightScript, type RightScriptContent } from '../../domain/rightScripts/rightScript';
import { assertRevisionNumber, isHead } from '../../domain/versionControl/revisions';
import type { RightScriptHead, RightScriptSnapshot } from '../../readModels/rightScriptsQueries';
import type { GraphQLContext } from '../context';
import { rightScriptHeadLoader, rightScriptSnapshotLoader } from './rightScripts.loaders';
import type { RightScript } from './rightScripts.types';

/*
 * The plain objects behind the RightScript GraphQL type: HEAD from its head row, a committed revision
 * from its snapshot, a past instant from a folded state. Every lookup is scoped to the viewer's
 * account: another account's script is NOT_FOUND, exactly like a missing one.
 */

export const rightScriptNotFound = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, 'no such RightScript');

function identity(head: RightScriptHead): Omit<RightScript, 'name' | 'description' | 'revision' | 'behind'> {
  return {
    kind: RIGHT_SCRIPT_KIND,
    id: head.id,
    version: head.version,
    lineage: head.lineage,
    readOnly: false,
    clonedFrom: head.clonedFrom,
    latestRevision: head.latestRevision,
  };
}

/** HEAD: its source and inputs are loaded in batch by their fields. */
export function headView(head: RightScriptHead): RightScript {
  // A HEAD is behind only when a newer revision of its lineage exists elsewhere (imports come later).
  return { ...identity(head), name: head.name, description: head.description, revision: 0, behind: false };
}

export function snapshotView(head: RightScriptHead, snapshot: RightScriptSnapshot): RightScript {
  return {
    ...identity(head),
    name: snapshot.content.name,
    description: snapshot.content.description,
    revision: snapshot.revision,
    behind: snapshot.revision < head.latestRevision,
    frozen: snapshot.content,
  };
}

/** The script as it was at some instant (time travel): HEAD as it stood then, with the revisions committed by then. */
export function pastView(state: ActiveRightScript, version: number): RightScript {
  return {
    kind: RIGHT_SCRIPT_KIND,
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
    frozen: state.head,
    revisionsUpTo: state.latestRevision,
  };
}

/** The viewer's RightScript at `revision` (omitted or 0: HEAD). */
export async function loadRightScriptView(ctx: GraphQLContext, id: string, revision: number | null | undefined): Promise<RightScript> {
  if (revision !== undefined && revision !== null) assertRevisionNumber(revision);
  const head = await rightScriptHeadLoader(ctx).load(id);
  if (!head) throw rightScriptNotFound();
  if (isHead(revision)) return headView(head);
  const snapshot = await rightScriptSnapshotLoader(ctx).load({ id, revision: revision as number });
  if (!snapshot) throw unknownRevision(RIGHT_SCRIPT_KIND, id, revision as number, head.latestRevision);
  return snapshotView(head, snapshot);
}

/** The viewer's RightScript at HEAD straight from the read model, bypassing this request's loader cache: what a mutation returns. */
export function freshHeadView(ctx: GraphQLContext, id: string): RightScript {
  const [head] = ctx.services.queries.rightScripts.headsByIds(ctx.viewer.accountId, [id]);
  if (!head) throw rightScriptNotFound();
  return headView(head);
}

/** The content diff compares: HEAD's from the head row's folded state, a revision's from its snapshot. */
export async function rightScriptContentAt(
  ctx: GraphQLContext,
  id: string,
  revision: number | null | undefined,
): Promise<RightScriptContent> {
  if (isHead(revision)) {
    const content = ctx.services.queries.rightScripts.headContents(ctx.viewer.accountId, [id]).get(id);
    if (!content) throw rightScriptNotFound();
    return content;
  }
  const view = await loadRightScriptView(ctx, id, revision);
  if (!view.frozen) throw unknownRevision(RIGHT_SCRIPT_KIND, id, view.revision, view.latestRevision);
  return view.frozen;
}
