import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Viewer } from '../domain/accounts/roles';
import type { GraphQLContext } from '../graphql/context';
import type { Services } from '../services';

/*
 * A cache of whole HTTP answers to GraphQL queries, exact by construction.
 *
 * An answer to a query is a function of the operation (text, operation name, variables), the viewer
 * (account, user, token, roles) and the read models — as long as no resolver read the event store
 * directly (history, time travel, blame, the change feed, serverInfo). The read models change only in
 * the projection runner's transactions, and each one that commits moves the runner's
 * `readModelsVersion` before any request can run again. So the key holds that version: any write to
 * any read model (a mutation's read-your-writes wait included) makes every earlier key unreachable,
 * and a hit is the very answer the query would get now.
 *
 * What is stored: only answers to a `query` operation, status 200, without errors, produced while the
 * version didn't move (read before and after execution), by an execution that never touched
 * `services.store` (each request's context gets a view of the services that notices). Never mutations
 * or subscriptions: a hit can only be a key an earlier query stored.
 *
 * Where: after authentication (a revoked or unknown token is refused before the cache is asked) and
 * after the body is read, before the request's checks and Apollo. A hit skips the document checks
 * safely: the key holds the document text, the operation name and the variables — all the limits
 * (size, depth, aliases, complexity) depend on — and they passed when the answer was stored, under
 * this server's limits (the cache lives and dies with the server). The body-size limit applies
 * before the lookup, as do the request id and the 401.
 *
 * Memory: an LRU bounded by bytes (RESPONSE_CACHE_BYTES; 0 turns the cache off). Stale keys (older
 * versions) are never hit again and age out first.
 */

/** What a hit replays: the answer's bytes and the headers Apollo and express set for it (content type, ETag). */
interface Entry {
  readonly body: Buffer;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly bytes: number;
}

export interface ResponseCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly stores: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
}

/** Bytes an entry is charged beyond its body and key: the Map slot, the header pairs, the object. */
const ENTRY_OVERHEAD_BYTES = 256;

/** A least-recently-used map from key to answer, holding at most `maxBytes` (keys, bodies and overhead counted). */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  private hits = 0;
  private misses = 0;
  private stores = 0;
  private evictions = 0;

  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    // Most recently used last: re-inserting moves it to the end of the Map's order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry;
  }

  set(key: string, body: Buffer, headers: ReadonlyArray<readonly [string, string]>): void {
    const bytes = body.length + key.length * 2 + ENTRY_OVERHEAD_BYTES + headers.reduce((n, [k, v]) => n + k.length + v.length, 0);
    // One answer that would take more than a quarter of the cache would evict most of it for one key.
    if (bytes > this.maxBytes / 4) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.totalBytes -= previous.bytes;
    }
    this.entries.set(key, { body, headers, bytes });
    this.totalBytes += bytes;
    this.stores++;
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
      this.evictions++;
    }
  }

  stats(): ResponseCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      stores: this.stores,
      evictions: this.evictions,
      entries: this.entries.size,
      bytes: this.totalBytes,
    };
  }
}

/** What one cacheable request carries from the lookup to the store. */
interface Ticket {
  readonly key: string;
  /** `readModelsVersion` when the request arrived: the version its key names. */
  readonly version: number;
  touchedStore: boolean;
  /** Set by the Apollo plugin once the operation was a query and the answer has no errors. */
  cacheable: boolean;
}

const TICKET = Symbol('responseCacheTicket');

const BODY_MEMBERS = new Set(['query', 'operationName', 'variables']);

/**
 * The key of a POST body that can be cached, or `undefined`: anything but `{query, operationName?,
 * variables?}` (persisted queries, extensions, batches, malformed bodies) goes the normal way. One
 * JSON array, so no field can run into another. The `accept` header is in it: it picks the answer's
 * content type.
 */
export function cacheKey(body: unknown, viewer: Viewer, version: number, accept: string | undefined): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query, operationName, variables } = body as Record<string, unknown>;
  if (typeof query !== 'string') return undefined;
  for (const member in body) if (!BODY_MEMBERS.has(member)) return undefined;
  return JSON.stringify([
    version,
    viewer.accountId,
    viewer.userId,
    viewer.tokenId,
    viewer.roles,
    viewer.systemOperator,
    accept ?? null,
    operationName ?? null,
    variables ?? null,
    query,
  ]);
}

/** Headers the cache never replays: set per request (the request id), or computed again by express. */
const PER_REQUEST_HEADERS = new Set(['x-request-id', 'content-length']);

/**
 * The response cache's parts for the HTTP server: the middleware that answers hits (and arms misses to
 * be stored), the Apollo plugin that says whether an answer may be stored, and the context wrapper
 * that notices event-store reads.
 */
export interface ResponseCacheHooks {
  /** After authentication (res.locals.viewer) and the body parser, before the request checks and Apollo. */
  readonly middleware: RequestHandler;
  readonly plugin: ApolloServerPlugin<GraphQLContext>;
  /** The services a request's resolvers get: the same, except that reading `store` marks the answer uncacheable. */
  servicesFor(res: Response): Services;
  /** Call with the context built for the request, so the plugin can find its ticket. */
  register(res: Response, context: GraphQLContext): void;
}

export function responseCacheHooks(
  cache: ResponseCache,
  services: Services,
  readModelsVersion: () => number,
  viewerOf: (res: Response) => Viewer,
): ResponseCacheHooks {
  const ticketOf = (res: Response): Ticket | undefined => res.locals['responseCacheTicket'] as Ticket | undefined;
  return {
    middleware(req: Request, res: Response, next: NextFunction): void {
      if (req.method !== 'POST') return next();
      const version = readModelsVersion();
      const accept = req.headers.accept;
      const key = cacheKey(req.body, viewerOf(res), version, accept);
      if (key === undefined) return next();
      const hit = cache.get(key);
      if (hit) {
        for (const [name, value] of hit.headers) res.setHeader(name, value);
        res.status(200).send(hit.body);
        return;
      }
      const ticket: Ticket = { key, version, touchedStore: false, cacheable: false };
      res.locals['responseCacheTicket'] = ticket;
      // Apollo's express integration answers with one res.send(string): that is the answer to keep.
      const send = res.send.bind(res);
      res.send = (payload?: unknown) => {
        const result = send(payload);
        if (ticket.cacheable && res.statusCode === 200 && typeof payload === 'string') {
          const headers: Array<[string, string]> = [];
          for (const [name, value] of Object.entries(res.getHeaders())) {
            if (!PER_REQUEST_HEADERS.has(name) && typeof value === 'string') headers.push([name, value]);
          }
          cache.set(ticket.key, Buffer.from(payload, 'utf8'), headers);
        }
        return result;
      };
      next();
    },
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, operation, response }) {
            const ticket = (contextValue as unknown as Record<symbol, Ticket | undefined>)[TICKET];
            if (!ticket) return;
            ticket.cacheable =
              operation?.operation === 'query' &&
              response.body.kind === 'single' &&
              response.body.singleResult.errors === undefined &&
              response.body.singleResult.data !== undefined &&
              response.body.singleResult.data !== null &&
              (response.http.status === undefined || response.http.status === 200) &&
              !ticket.touchedStore &&
              readModelsVersion() === ticket.version;
          },
        };
      },
    },
    servicesFor(res: Response): Services {
      const ticket = ticketOf(res);
      if (!ticket) return services;
      // A view of the shared services whose `store` getter marks the answer: whatever read the log
      // itself may have seen events the read models (and so the key) don't show yet.
      return Object.create(services, {
        store: {
          enumerable: true,
          get() {
            ticket.touchedStore = true;
            return services.store;
          },
        },
      }) as Services;
    },
    register(res: Response, context: GraphQLContext): void {
      const ticket = ticketOf(res);
      // On the context itself: Apollo runs each operation on a shallow copy of it, own symbols included.
      if (ticket) (context as unknown as Record<symbol, Ticket>)[TICKET] = ticket;
    },
  };
}
