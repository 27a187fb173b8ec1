import DataLoader from 'dataloader';
import type { CloudInfo, Image, InstanceType } from '../../domain/catalog/cloud';
import { perRequest, type GraphQLContext } from '../context';

/*
 * Per-request DataLoaders over the catalog read models: every `load` of one request that happens in
 * the same tick becomes one read, and values come back in key order, one per key (null when absent).
 * The values are the plain objects the Cloud, Image and InstanceType GraphQL types resolve
 * (see catalog.types.ts).
 *
 * Usage (a field typed Image): `return imageLoader(ctx).load(setting.imageId);`
 */

function byId<T extends { id: string }>(keys: readonly string[], rows: readonly T[]): Array<T | null> {
  const found = new Map(rows.map((row) => [row.id, row]));
  return keys.map((key) => found.get(key) ?? null);
}

function groupedBy<T extends { cloudId: string }>(keys: readonly string[], rows: readonly T[]): T[][] {
  const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(row.cloudId)?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** Clouds by id. */
export function cloudLoader(ctx: GraphQLContext): DataLoader<string, CloudInfo | null> {
  return perRequest(
    ctx,
    'catalog.cloud',
    () => new DataLoader(async (ids: readonly string[]) => byId(ids, ctx.services.queries.catalog.cloudsByIds(ids))),
  );
}

/** Images by id (image ids are unique across clouds). */
export function imageLoader(ctx: GraphQLContext): DataLoader<string, Image | null> {
  return perRequest(
    ctx,
    'catalog.image',
    () => new DataLoader(async (ids: readonly string[]) => byId(ids, ctx.services.queries.catalog.imagesByIds(ids))),
  );
}

/** Instance types by id (instance type ids are unique across clouds). */
export function instanceTypeLoader(ctx: GraphQLContext): DataLoader<string, InstanceType | null> {
  return perRequest(
    ctx,
    'catalog.instanceType',
    () => new DataLoader(async (ids: readonly string[]) => byId(ids, ctx.services.queries.catalog.instanceTypesByIds(ids))),
  );
}

/** Each cloud's images, by cloud id (an unknown cloud has none). */
export function cloudImagesLoader(ctx: GraphQLContext): DataLoader<string, Image[]> {
  return perRequest(
    ctx,
    'catalog.cloudImages',
    () =>
      new DataLoader(async (cloudIds: readonly string[]) => groupedBy(cloudIds, ctx.services.queries.catalog.imagesByCloudIds(cloudIds))),
  );
}

/** Each cloud's instance types, by cloud id (an unknown cloud has none). */
export function cloudInstanceTypesLoader(ctx: GraphQLContext): DataLoader<string, InstanceType[]> {
  return perRequest(
    ctx,
    'catalog.cloudInstanceTypes',
    () =>
      new DataLoader(async (cloudIds: readonly string[]) =>
        groupedBy(cloudIds, ctx.services.queries.catalog.instanceTypesByCloudIds(cloudIds)),
      ),
  );
}
