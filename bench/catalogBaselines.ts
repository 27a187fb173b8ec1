import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSchema, GraphQLObjectType, parse, type ExecutionResult, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/*
 * The catalog benchmark's baselines: the same response shape served from in-memory data, by
 *   (a) Apollo Server 5 + express5 (what a plain Apollo service costs), and
 *   (b) a bare Node `http` server executing the query with graphql-jit (the practical limit).
 * Both use one small schema with the same type names, nullability and field shapes as ours for what
 * the catalog query selects, and resolvers that look objects up in in-memory maps, the way a
 * resolver looks them up in a store. The data is our service's own answer, taken apart.
 */

const SDL = /* GraphQL */ `
  type Query {
    serverTemplates(first: Int, after: String): ServerTemplateConnection!
  }
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
  type ServerTemplateConnection {
    nodes: [ServerTemplate!]!
    pageInfo: PageInfo!
  }
  type ServerTemplate {
    id: ID!
    name: String!
    description: String!
    version: Int!
    revision: Int!
    multiCloudImages: [TemplateMultiCloudImage!]!
  }
  type TemplateMultiCloudImage {
    isDefault: Boolean!
    position: Int!
    revision: Int!
    multiCloudImage: MultiCloudImage!
  }
  type MultiCloudImage {
    id: ID!
    name: String!
    version: Int!
    revision: Int!
    settings: [MultiCloudImageSetting!]!
  }
  type MultiCloudImageSetting {
    userData: String
    cloud: Cloud!
    image: Image!
    instanceType: InstanceType!
  }
  type Cloud {
    id: ID!
    name: String!
    provider: String!
  }
  enum Architecture {
    i386
    x86_64
  }
  enum ImageStatus {
    ACTIVE
    DEPRECATED
    OBSOLETE
  }
  type Image {
    id: ID!
    name: String!
    os: String!
    osVersion: String!
    architecture: Architecture!
    status: ImageStatus!
  }
  type InstanceType {
    id: ID!
    name: String!
    architectures: [Architecture!]!
  }
`;

type Json = Record<string, unknown>;

interface Template {
  readonly fields: Json;
  readonly multiCloudImages: ReadonlyArray<{ readonly fields: Json; readonly multiCloudImageId: string }>;
}
interface Setting {
  readonly userData: unknown;
  readonly cloudId: string;
  readonly imageId: string;
  readonly instanceTypeId: string;
}

/** The in-memory catalog: templates in order, and every object the nested fields point at, by id. */
export interface InMemoryCatalog {
  readonly templates: readonly Template[];
  readonly multiCloudImages: ReadonlyMap<string, { readonly fields: Json; readonly settings: readonly Setting[] }>;
  readonly clouds: ReadonlyMap<string, Json>;
  readonly images: ReadonlyMap<string, Json>;
  readonly instanceTypes: ReadonlyMap<string, Json>;
  readonly pageInfo: Json;
}

const scalars = (object: Json): Json =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => typeof value !== 'object' || value === null));

/** Takes our service's answer to the catalog query apart into maps (MCIs are keyed by id and revision: a template pins one). */
export function inMemoryCatalog(data: Json): InMemoryCatalog {
  const connection = data['serverTemplates'] as { nodes: Json[]; pageInfo: Json };
  const multiCloudImages = new Map<string, { fields: Json; settings: Setting[] }>();
  const clouds = new Map<string, Json>();
  const images = new Map<string, Json>();
  const instanceTypes = new Map<string, Json>();
  const templates = connection.nodes.map((node): Template => {
    const pins = (node['multiCloudImages'] as Json[]).map((pin) => {
      const mci = pin['multiCloudImage'] as Json;
      const key = `${String(mci['id'])}@${String(pin['revision'])}`;
      const settings = (mci['settings'] as Json[]).map((setting): Setting => {
        const cloud = setting['cloud'] as Json;
        const image = setting['image'] as Json;
        const instanceType = setting['instanceType'] as Json;
        clouds.set(String(cloud['id']), cloud);
        images.set(String(image['id']), image);
        instanceTypes.set(String(instanceType['id']), instanceType);
        return {
          userData: setting['userData'],
          cloudId: String(cloud['id']),
          imageId: String(image['id']),
          instanceTypeId: String(instanceType['id']),
        };
      });
      multiCloudImages.set(key, { fields: scalars(mci), settings });
      return { fields: scalars(pin), multiCloudImageId: key };
    });
    return { fields: scalars(node), multiCloudImages: pins };
  });
  return { templates, multiCloudImages, clouds, images, instanceTypes, pageInfo: connection.pageInfo };
}

function catalogSchema(catalog: InMemoryCatalog): GraphQLSchema {
  const found = <T>(map: ReadonlyMap<string, T>, id: string): T => {
    const value = map.get(id);
    if (value === undefined) throw new Error(`no ${id}`);
    return value;
  };
  return withResolvers(buildSchema(SDL), {
    Query: {
      serverTemplates: (_root: unknown, args: { first?: number | null }) => ({
        nodes: catalog.templates.slice(0, args.first ?? 50),
        pageInfo: catalog.pageInfo,
      }),
    },
    ServerTemplate: {
      id: (t: Template) => t.fields['id'],
      name: (t: Template) => t.fields['name'],
      description: (t: Template) => t.fields['description'],
      version: (t: Template) => t.fields['version'],
      revision: (t: Template) => t.fields['revision'],
      multiCloudImages: (t: Template) => t.multiCloudImages,
    },
    TemplateMultiCloudImage: {
      isDefault: (p: Template['multiCloudImages'][number]) => p.fields['isDefault'],
      position: (p: Template['multiCloudImages'][number]) => p.fields['position'],
      revision: (p: Template['multiCloudImages'][number]) => p.fields['revision'],
      multiCloudImage: (p: Template['multiCloudImages'][number]) => found(catalog.multiCloudImages, p.multiCloudImageId),
    },
    MultiCloudImage: {
      id: (m: { fields: Json }) => m.fields['id'],
      name: (m: { fields: Json }) => m.fields['name'],
      version: (m: { fields: Json }) => m.fields['version'],
      revision: (m: { fields: Json }) => m.fields['revision'],
      settings: (m: { settings: readonly Setting[] }) => m.settings,
    },
    MultiCloudImageSetting: {
      cloud: (s: Setting) => found(catalog.clouds, s.cloudId),
      image: (s: Setting) => found(catalog.images, s.imageId),
      instanceType: (s: Setting) => found(catalog.instanceTypes, s.instanceTypeId),
    },
  });
}

/** graphql-js's own way of giving an SDL schema resolvers: set `resolve` on each field (the rest use the default resolver). */
function withResolvers(
  schema: GraphQLSchema,
  resolvers: Record<string, Record<string, (source: never, args: never) => unknown>>,
): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) throw new Error(`no object type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new Error(`no field ${typeName}.${fieldName}`);
      field.resolve = resolve as unknown as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  return schema;
}

export interface Baseline {
  readonly url: string;
  stop(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`));
  });
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** (a) Apollo Server 5 with express5, as its documentation sets it up. */
export async function startApolloBaseline(catalog: InMemoryCatalog): Promise<Baseline> {
  const apollo = new ApolloServer({ schema: catalogSchema(catalog) });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = createServer(app);
  const url = await listen(server);
  return {
    url,
    async stop() {
      await close(server);
      await apollo.stop();
    },
  };
}

/** (b) Node's http server, the body read by hand, the query compiled once by graphql-jit and its own JSON serializer. */
export async function startJitBaseline(catalog: InMemoryCatalog): Promise<Baseline> {
  const schema = catalogSchema(catalog);
  const compiled = new Map<string, CompiledQuery>();
  const answer = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables?: Json;
      operationName?: string;
    };
    let plan = compiled.get(query);
    if (!plan) {
      const result = compileQuery(schema, parse(query), operationName);
      if (!isCompiledQuery(result)) {
        answer(res, 400, JSON.stringify(result));
        return;
      }
      plan = result;
      compiled.set(query, plan);
    }
    const result = (await plan.query(undefined, {}, variables ?? {})) as ExecutionResult;
    answer(res, 200, `${plan.stringify(result)}\n`);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, JSON.stringify({ errors: [{ message: String(error) }] })));
  });
  const url = await listen(server);
  return { url, stop: () => close(server) };
}
