import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type PubSub } from 'type-graphql';
import { AccountResolver } from './accounts/accounts.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { VerifyResolver } from './audit/verify.resolver';
import { authChecker } from './auth';
import { CatalogResolver, ImageResolver, InstanceTypeResolver } from './catalog/catalog.resolver';
import { DeploymentResolver, ServerResolver } from './deployments/deployments.resolver';
import { EventsResolver } from './events/events.resolver';
import { ImportedComponentResolver, ImportedFromResolver, ImportsResolver } from './imports/imports.resolver';
import { AccountGroupResolver, PublicationResolver } from './marketplace/marketplace.resolver';
import { MultiCloudImageResolver, MultiCloudImageSettingResolver } from './multiCloudImages/multiCloudImages.resolver';
import { RightScriptResolver } from './rightScripts/rightScripts.resolver';
import { ChangeResolver } from './versionControl/change.resolver';
import { ServerInfoResolver } from './serverInfo.resolver';
import {
  MultiCloudImageUsageResolver,
  RightScriptBindingResolver,
  RightScriptUsageResolver,
  ServerTemplateResolver,
  TemplateMultiCloudImageResolver,
} from './serverTemplates/serverTemplates.resolver';
import { VersionControlResolver } from './versionControl/versionControl.resolver';
import { MergeResolver } from './versionControl/merge.resolver';

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
  ChangeResolver,
  // ServerTemplates
  ServerTemplateResolver,
  TemplateMultiCloudImageResolver,
  RightScriptBindingResolver,
  MultiCloudImageUsageResolver,
  RightScriptUsageResolver,
  // Deployments and servers
  DeploymentResolver,
  ServerResolver,
  // Change feed
  EventsResolver,
  // Audit: blame and verification
  AuditResolver,
  VerifyResolver,
  // Merge
  MergeResolver,
  // Marketplace: publications and account groups
  PublicationResolver,
  AccountGroupResolver,
  // Imports
  ImportsResolver,
  ImportedComponentResolver,
  ImportedFromResolver,
] as const;

const UNUSED_PUB_SUB: PubSub = {
  publish() {
    throw new Error('no PubSub: subscriptions declare their own subscribe function');
  },
  subscribe() {
    throw new Error('no PubSub: subscriptions declare their own subscribe function');
  },
};

/** Builds the executable schema from the type-graphql classes. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    // Subscriptions bring their own `subscribe` (the change feed follows the event store), but
    // type-graphql refuses to build any subscription without a PubSub: this one is never used.
    pubSub: UNUSED_PUB_SUB,
  });
}

/** The SDL committed as schema/schema.graphql, sorted so it diffs cleanly. */
export async function printApiSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}
