import type DataLoader from 'dataloader';
import type { MultiCloudImageContent } from '../../domain/multiCloudImages/multiCloudImage';
import type { RightScriptContent } from '../../domain/rightScripts/rightScript';
import type { PinnedKind } from '../../domain/serverTemplates/serverTemplate.types';
import type {
  ComponentUse,
  ServerTemplateHead,
  ServerTemplateRevisionRow,
  ServerTemplateSnapshot,
  TemplatePin,
  TemplateRevisionKey,
} from '../../readModels/serverTemplatesQueries';
import type { GraphQLContext } from '../context';
import {
  byRevisionLoader,
  componentHeadContentLoader,
  componentHeadLoader,
  componentRowsLoader,
  componentSnapshotLoader,
} from '../versionControl/componentLoaders';

/*
 * Per-request DataLoaders over the ServerTemplate read models (and the few reads of the MCI and
 * RightScript read models a template's fields need): every load of one request made in the same tick
 * becomes one read, and values come back in key order, one per key. Heads and HEAD contents are scoped
 * to the viewer's account here; the loaders keyed by template id are only ever given ids a head load
 * returned, and those keyed by component id only ids such a template pins.
 */

/** The viewer's templates by id (null: missing, deleted or another account's). */
export function serverTemplateHeadLoader(ctx: GraphQLContext): DataLoader<string, ServerTemplateHead | null> {
  return componentHeadLoader(ctx, 'serverTemplates.head', ctx.services.queries.serverTemplates);
}

/** Committed revisions by template id, oldest first. */
export function serverTemplateRevisionsLoader(ctx: GraphQLContext): DataLoader<string, ServerTemplateRevisionRow[]> {
  return componentRowsLoader(
    ctx,
    'serverTemplates.revisions',
    (ids) => ctx.services.queries.serverTemplates.revisionsByTemplateIds(ids),
    (row) => row.serverTemplateId,
  );
}

/** Committed revisions with their content, by (template id, revision); null when that revision doesn't exist. */
export function serverTemplateSnapshotLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, ServerTemplateSnapshot | null, string> {
  return componentSnapshotLoader(ctx, 'serverTemplates.snapshot', ctx.services.queries.serverTemplates, (row) => row.serverTemplateId);
}

/** What a template revision (0: HEAD) pins: MCIs in list order, then RightScripts by sequence and position. */
export function templatePinsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, TemplatePin[], string> {
  return byRevisionLoader(
    ctx,
    'serverTemplates.pins',
    (keys) => ctx.services.queries.serverTemplates.pins(keys),
    (row) => ({ id: row.serverTemplateId, revision: row.templateRevision }),
    (rows) => rows,
  );
}

/** The cloud ids a template revision (0: HEAD) can deploy to, sorted. */
export function supportedCloudsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, string[], string> {
  return byRevisionLoader(
    ctx,
    'serverTemplates.supportedClouds',
    (keys) => ctx.services.queries.serverTemplates.supportedClouds(keys),
    (row) => ({ id: row.serverTemplateId, revision: row.templateRevision }),
    (rows) => rows.map((row) => row.cloudId).sort(),
  );
}

/** The cloud ids of MCI revisions (0: HEAD), for contents the pins table doesn't hold (time travel). */
export function multiCloudImageCloudsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, string[], string> {
  return byRevisionLoader(
    ctx,
    'serverTemplates.multiCloudImageClouds',
    (keys) => ctx.services.queries.serverTemplates.multiCloudImageClouds(keys),
    (row) => ({ id: row.multiCloudImageId, revision: row.revision }),
    (rows) => rows.map((row) => row.cloudId),
  );
}

/** The template revisions (0: HEAD) of the viewer's account pinning each component of one kind. */
export function usedByLoader(ctx: GraphQLContext, kind: PinnedKind): DataLoader<string, ComponentUse[]> {
  return componentRowsLoader(
    ctx,
    `serverTemplates.usedBy.${kind}`,
    (ids) => ctx.services.queries.serverTemplates.usedBy(ctx.viewer.accountId, kind, ids),
    (row) => row.componentId,
  );
}

/** HEAD's content of the viewer's MCIs by id (null: missing or deleted): whether a HEAD pin floats. */
export function multiCloudImageHeadContentLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageContent | null> {
  return componentHeadContentLoader(ctx, 'serverTemplates.multiCloudImageHeadContent', ctx.services.queries.multiCloudImages);
}

/** HEAD's content of the viewer's RightScripts by id (null: missing or deleted): whether a HEAD pin floats. */
export function rightScriptHeadContentLoader(ctx: GraphQLContext): DataLoader<string, RightScriptContent | null> {
  return componentHeadContentLoader(ctx, 'serverTemplates.rightScriptHeadContent', ctx.services.queries.rightScripts);
}
