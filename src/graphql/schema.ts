import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ServerInfoResolver } from './serverInfo.resolver';

/** Every resolver of the API; the schema is built from these. */
export const resolvers = [ServerInfoResolver] as const;

/** Builds the executable schema from the type-graphql classes. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers, validate: false });
}

/** The SDL committed as schema/schema.graphql, sorted so it diffs cleanly. */
export async function printApiSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}
