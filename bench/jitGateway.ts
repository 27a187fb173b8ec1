import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { printSchema, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/*
 * graphql-jit as Apollo's executor, through the gateway interface Apollo Server 5 still accepts: Apollo
 * parses, validates and runs its plugins as before; only execution is replaced by a function compiled
 * once per document and operation. For the catalog benchmark only (HttpServerOptions.gateway): it
 * measured no faster on our schema, and a resolver's DomainError comes back as Apollo's "Internal
 * server error" instead of its code, so it is not part of the service (bench/README.md).
 */

export type GatewayInterface = ApolloServerOptionsWithGateway<Record<string, unknown>>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

/** Compiled operations kept, least recently used dropped first: one per distinct document a client sends. */
const MAX_COMPILED = 500;

export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = new Map<string, CompiledQuery>();
  const executor: GatewayExecutor = async (request) => {
    const key = `${request.queryHash}\u0000${request.operationName ?? ''}`;
    let query = compiled.get(key);
    if (query) {
      compiled.delete(key);
    } else {
      const result = compileQuery(request.schema, request.document, request.operationName ?? undefined);
      if (!isCompiledQuery(result)) return result;
      query = result;
      if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    }
    compiled.set(key, query);
    return query.query(undefined, request.context, request.request.variables ?? {});
  };
  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}
