import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from './accounts/accounts.resolver';
import { authChecker } from './auth';
import { CatalogResolver, ImageResolver, InstanceTypeResolver } from './catalog/catalog.resolver';
import { MultiCloudImageResolver, MultiCloudImageSettingResolver } from './multiCloudImages/multiCloudImages.resolver';
import { ServerInfoResolver } from './serverInfo.resolver';
import { VersionControlResolver } from './versionControl/versionControl.resolver';

/** Every resolver of the API; the schema is built from these. Add a resolver class here to expose it. */
export const resolvers = [
  ServerInfoResolver,
  AccountResolver,
  CatalogResolver,
  ImageResolver,
  InstanceTypeResolver,
  MultiCloudImageResolver,
  MultiCloudImageSettingResolver,
  VersionControlResolver,
] as const;

/** Builds the executable schema from the type-graphql classes. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
  });
}

/** The SDL committed as schema/schema.graphql, sorted so it diffs cleanly. */
export async function printApiSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}
