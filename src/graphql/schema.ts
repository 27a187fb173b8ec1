import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from './accounts/accounts.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { authChecker } from './auth';
import { CatalogResolver, ImageResolver, InstanceTypeResolver } from './catalog/catalog.resolver';
import { DeploymentResolver } from './deployments/deployments.resolver';
import { EventsResolver } from './events/events.resolver';
import { MultiCloudImageResolver, MultiCloudImageSettingResolver } from './multiCloudImages/multiCloudImages.resolver';
import { RightScriptResolver } from './rightScripts/rightScripts.resolver';
import { ServerInfoResolver } from './serverInfo.resolver';
import { ServerTemplateResolver } from './serverTemplates/serverTemplates.resolver';
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
  // RightScripts
  RightScriptResolver,
  // ServerTemplates
  ServerTemplateResolver,
  // Deployments and servers
  DeploymentResolver,
  // Change feed
  EventsResolver,
  // Audit: blame and verification
  AuditResolver,
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
