import DataLoader from 'dataloader';
import type { MultiCloudImageContent } from '../../domain/multiCloudImages/multiCloudImage';
import type { RightScriptContent } from '../../domain/rightScripts/rightScript';
import type {
  ComponentUse,
  PinnedKind,
  ServerTemplateHead,
  ServerTemplateRevisionRow,
  ServerTemplateSnapshot,
  TemplatePin,
  TemplateRevisionKey,
} from '../../readModels/serverTemplatesQueries';
import { perRequest, type GraphQLContext } from '../context';

/*
 * Per-request DataLoaders over the ServerTemplate read models (and the few reads of the MCI and
 * RightScript read models a template's fields need): every load of one request made in the same tick
 * becomes one read, and values come back in key order, one per key. Heads and HEAD contents are scoped
 * to the viewer's account here; the loaders keyed by template id are only ever given ids a head load
 * returned, and those keyed by component id only ids such a template pins.
 */

const revisionKey = (key: TemplateRevisionKey): string => `${key.id}@${key.revision}`;

function grouped<Key, Row>(keys: readonly Key[], rows: readonly Row[], keyOf: (key: Key) => string, rowKey: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>(keys.map((key) => [keyOf(key), []]));
  for (const row of rows) groups.get(rowKey(row))?.push(row);
  return keys.map((key) => groups.get(keyOf(key)) ?? []);
}

/** The viewer's templates by id (null: missing, deleted or another account's). */
export function serverTemplateHeadLoader(ctx: GraphQLContext): DataLoader<string, ServerTemplateHead | null> {
  return perRequest(
    ctx,
    'serverTemplates.head',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const found = new Map(ctx.services.queries.serverTemplates.headsByIds(ctx.viewer.accountId, ids).map((head) => [head.id, head]));
        return ids.map((id) => found.get(id) ?? null);
      }),
  );
}

/** Committed revisions by template id, oldest first. */
export function serverTemplateRevisionsLoader(ctx: GraphQLContext): DataLoader<string, ServerTemplateRevisionRow[]> {
  return perRequest(
    ctx,
    'serverTemplates.revisions',
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        grouped(
          ids,
          ctx.services.queries.serverTemplates.revisionsByTemplateIds(ids),
          (id) => id,
          (row) => row.serverTemplateId,
        ),
      ),
  );
}

/** Committed revisions with their content, by (template id, revision); null when that revision doesn't exist. */
export function serverTemplateSnapshotLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, ServerTemplateSnapshot | null, string> {
  return perRequest(
    ctx,
    'serverTemplates.snapshot',
    () =>
      new DataLoader(
        async (keys: readonly TemplateRevisionKey[]) => {
          const found = new Map(
            ctx.services.queries.serverTemplates.snapshots(keys).map((row) => [`${row.serverTemplateId}@${row.revision}`, row]),
          );
          return keys.map((key) => found.get(revisionKey(key)) ?? null);
        },
        { cacheKeyFn: revisionKey },
      ),
  );
}

/** What a template revision (0: HEAD) pins: MCIs in list order, then RightScripts by sequence and position. */
export function templatePinsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, TemplatePin[], string> {
  return perRequest(
    ctx,
    'serverTemplates.pins',
    () =>
      new DataLoader(
        async (keys: readonly TemplateRevisionKey[]) =>
          grouped(
            keys,
            ctx.services.queries.serverTemplates.pins(keys),
            revisionKey,
            (row) => `${row.serverTemplateId}@${row.templateRevision}`,
          ),
        { cacheKeyFn: revisionKey },
      ),
  );
}

/** The cloud ids a template revision (0: HEAD) can deploy to, sorted. */
export function supportedCloudsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, string[], string> {
  return perRequest(
    ctx,
    'serverTemplates.supportedClouds',
    () =>
      new DataLoader(
        async (keys: readonly TemplateRevisionKey[]) =>
          grouped(
            keys,
            ctx.services.queries.serverTemplates.supportedClouds(keys),
            revisionKey,
            (row) => `${row.serverTemplateId}@${row.templateRevision}`,
          ).map((rows) => rows.map((row) => row.cloudId).sort()),
        { cacheKeyFn: revisionKey },
      ),
  );
}

/** The cloud ids of MCI revisions (0: HEAD), for contents the pins table doesn't hold (time travel). */
export function multiCloudImageCloudsLoader(ctx: GraphQLContext): DataLoader<TemplateRevisionKey, string[], string> {
  return perRequest(
    ctx,
    'serverTemplates.multiCloudImageClouds',
    () =>
      new DataLoader(
        async (keys: readonly TemplateRevisionKey[]) =>
          grouped(
            keys,
            ctx.services.queries.serverTemplates.multiCloudImageClouds(keys),
            revisionKey,
            (row) => `${row.multiCloudImageId}@${row.revision}`,
          ).map((rows) => rows.map((row) => row.cloudId)),
        { cacheKeyFn: revisionKey },
      ),
  );
}

/** The template revisions (0: HEAD) of the viewer's account pinning each component of one kind. */
export function usedByLoader(ctx: GraphQLContext, kind: PinnedKind): DataLoader<string, ComponentUse[]> {
  return perRequest(
    ctx,
    `serverTemplates.usedBy.${kind}`,
    () =>
      new DataLoader(async (ids: readonly string[]) =>
        grouped(
          ids,
          ctx.services.queries.serverTemplates.usedBy(ctx.viewer.accountId, kind, ids),
          (id) => id,
          (row) => row.componentId,
        ),
      ),
  );
}

/** HEAD's content of the viewer's MCIs by id (null: missing or deleted): whether a HEAD pin floats. */
export function multiCloudImageHeadContentLoader(ctx: GraphQLContext): DataLoader<string, MultiCloudImageContent | null> {
  return perRequest(
    ctx,
    'serverTemplates.multiCloudImageHeadContent',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const found = ctx.services.queries.multiCloudImages.headContents(ctx.viewer.accountId, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
  );
}

/** HEAD's content of the viewer's RightScripts by id (null: missing or deleted): whether a HEAD pin floats. */
export function rightScriptHeadContentLoader(ctx: GraphQLContext): DataLoader<string, RightScriptContent | null> {
  return perRequest(
    ctx,
    'serverTemplates.rightScriptHeadContent',
    () =>
      new DataLoader(async (ids: readonly string[]) => {
        const found = ctx.services.queries.rightScripts.headContents(ctx.viewer.accountId, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
  );
}
