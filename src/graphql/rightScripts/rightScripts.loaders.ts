import type DataLoader from 'dataloader';
import type { RightScriptInput } from '../../domain/rightScripts/rightScript';
import type { RightScriptHead, RightScriptRevisionRow, RightScriptSnapshot } from '../../readModels/rightScriptsQueries';
import type { GraphQLContext } from '../context';
import {
  byIdLoader,
  componentHeadLoader,
  componentRowsLoader,
  componentSnapshotLoader,
  type ComponentRevisionKey,
} from '../versionControl/componentLoaders';

/*
 * Per-request DataLoaders over the RightScript read models (componentLoaders.ts: one read per request
 * tick, values in key order). Heads are scoped to the viewer's account, so nothing of another account
 * can come out of them; the loaders keyed by script id are only ever given ids a head load returned.
 */

/** The viewer's RightScripts by id (null: missing, deleted or another account's). */
export function rightScriptHeadLoader(ctx: GraphQLContext): DataLoader<string, RightScriptHead | null> {
  return componentHeadLoader(ctx, 'rightScripts.head', ctx.services.queries.rightScripts);
}

/** HEAD's source by script id. */
export function rightScriptSourceLoader(ctx: GraphQLContext): DataLoader<string, string> {
  return byIdLoader(
    ctx,
    'rightScripts.source',
    (ids) => ctx.services.queries.rightScripts.sourcesByRightScriptIds(ids),
    (row) => row.rightScriptId,
    ([row]) => (row ? row.source : ''),
  );
}

/** HEAD's inputs by script id, by name. */
export function rightScriptInputsLoader(ctx: GraphQLContext): DataLoader<string, readonly RightScriptInput[]> {
  return byIdLoader(
    ctx,
    'rightScripts.inputs',
    (ids) => ctx.services.queries.rightScripts.inputsByRightScriptIds(ids),
    (row) => row.rightScriptId,
    ([row]): readonly RightScriptInput[] => (row ? row.inputs : []),
  );
}

/** Committed revisions by script id, oldest first. */
export function rightScriptRevisionsLoader(ctx: GraphQLContext): DataLoader<string, RightScriptRevisionRow[]> {
  return componentRowsLoader(
    ctx,
    'rightScripts.revisions',
    (ids) => ctx.services.queries.rightScripts.revisionsByRightScriptIds(ids),
    (row) => row.rightScriptId,
  );
}

export type RightScriptSnapshotKey = ComponentRevisionKey;

/** Committed revisions with their content, by (script id, revision); null when that revision doesn't exist. */
export function rightScriptSnapshotLoader(ctx: GraphQLContext): DataLoader<RightScriptSnapshotKey, RightScriptSnapshot | null, string> {
  return componentSnapshotLoader(ctx, 'rightScripts.snapshot', ctx.services.queries.rightScripts, (row) => row.rightScriptId);
}
