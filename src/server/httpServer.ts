import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerOptionsWithGateway } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { DEFAULT_MAX_QUEUED_EVENTS } from '../application/changeFeed';
import type { Viewer } from '../domain/accounts/roles';
import { ErrorCode } from '../domain/errors';
import type { GraphQLContext } from '../graphql/context';
import { LIVE_EVENTS_FIELD } from '../graphql/events/liveField';
import { formatError, isStoreFailure, isUnexpected } from '../graphql/errors';
import { buildApiSchema } from '../graphql/schema';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { readiness } from './health';
import { ShutdownGate, shuttingDownError } from './shutdown';
import { limitValidationRules, operationLimitsPlugin, webSocketOperation, type OperationLimits } from './operationLimits';
import { RateLimiter } from './rateLimit';
import { answerClientError, graphqlRequestInput, graphqlRequestInputErrors } from './requestLimits';
import { ResponseCache, responseCacheHooks, type ResponseCacheStats } from './responseCache';
import { sharedSubscribe, type SubscriptionExecution } from './sharedExecution';
import { serveGraphqlWs, type SocketWrites } from './webSocketTransport';

function unauthenticated(): GraphQLError {
  return new GraphQLError('authentication required: send a valid API token as "Authorization: Bearer <token>"', {
    extensions: { code: ErrorCode.UNAUTHENTICATED },
  });
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly port: number;
  /** Stops taking requests, lets in-flight ones finish, closes WebSockets. Does not close services. */
  stop(): Promise<void>;
  /** The response cache's counters (hits, misses, stores, bytes…); `undefined` when RESPONSE_CACHE_BYTES is 0. */
  responseCacheStats(): ResponseCacheStats | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/u;

export interface HttpServerOptions {
  /**
   * Milliseconds between WebSocket pings (graphql-ws's keep-alive); a client that doesn't answer one
   * within as long is dropped. Default 12 s; 0 turns pings off.
   */
  readonly keepAliveMs?: number;
  /**
   * Live events one change-feed subscription may hold for a client that reads slower than they are
   * written; past it the socket is closed (4008) with the cursor to resume from. Default 1,000.
   */
  readonly maxQueuedFeedEvents?: number;
  /** The mutation rate limiter's clock (monotonic milliseconds): tests move it instead of sleeping. */
  readonly rateLimitClock?: () => number;
  /**
   * Benchmarks only: an Apollo gateway that replaces graphql-js as the executor of HTTP operations
   * (bench/jitGateway.ts measures graphql-jit this way). Never set by the service.
   */
  readonly gateway?: (schema: GraphQLSchema) => ApolloServerOptionsWithGateway<GraphQLContext>['gateway'];
  /**
   * Benchmarks only: 'per-subscriber' executes every event once per subscriber, as graphql-js does
   * (src/server/sharedExecution.ts); the service shares it. Never set by the service.
   */
  readonly subscriptionExecution?: SubscriptionExecution;
  /**
   * Benchmarks only: 'per-message' writes every WebSocket message on its own and waits for it, as
   * graphql-ws's own binding does (src/server/webSocketTransport.ts). Never set by the service.
   */
  readonly socketWrites?: SocketWrites;
}

const DEFAULT_KEEP_ALIVE_MS = 12_000;

/** A GraphQL error as WebSocket clients see it: through the same mapper as HTTP, unexpected ones logged and masked. */
function formatSocketError(error: GraphQLError, logger: Logger): GraphQLFormattedError {
  // GraphQL's own errors (validation, variable coercion) and our coded ones carry no internals.
  if (!error.originalError) return error.toJSON();
  // graphql-ws wraps what a subscription's iterator threw without a path, so Apollo's unwrapping misses it.
  const original = error.path === undefined ? error.originalError : error;
  if (isUnexpected(original)) logger.error({ err: error.originalError }, 'unexpected error (masked for the client)');
  return formatError(error.toJSON(), original);
}

/**
 * Serves GraphQL over HTTP (`POST /graphql`) and WebSocket (graphql-ws at `/graphql`) on one port,
 * plus `/healthz` and `/readyz`.
 */
export async function startHttpServer(
  services: Services,
  schema?: GraphQLSchema,
  options: HttpServerOptions = {},
): Promise<RunningHttpServer> {
  const { config, logger } = services;
  const maxQueuedEvents = options.maxQueuedFeedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
  const apiSchema = schema ?? (await buildApiSchema());
  // One limiter for both doors: a token's mutations count the same over HTTP and WebSocket.
  const operationLimits: OperationLimits = {
    limits: config.queryLimits,
    limiter: new RateLimiter(config.mutationRateLimit, { ...(options.rateLimitClock ? { now: options.rateLimitClock } : {}) }),
  };
  const app = express();
  app.disable('x-powered-by');
  // First of all routes: once the stop began, nothing new gets in (see shutdown.ts).
  const shutdown = new ShutdownGate();
  app.use(shutdown.refuseWhenStopping);
  const httpServer: Server = createServer(app);
  httpServer.on('clientError', answerClientError);

  const webSocketRequest = webSocketOperation(
    apiSchema,
    operationLimits,
    (params) => services.accounts.authenticate(params?.['authorization']),
    unauthenticated,
  );
  const webSockets = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.maxBodyBytes, handleProtocols });
  const socketCleanup = serveGraphqlWs<Record<string, unknown>>(
    {
      schema: apiSchema,
      subscribe: sharedSubscribe(new Set([LIVE_EVENTS_FIELD]), options.subscriptionExecution),
      // The token is checked when the socket opens and again for every operation, so an operation
      // started after the token was revoked is refused.
      onConnect: (ctx) => services.accounts.authenticate(ctx.connectionParams?.['authorization']) !== undefined,
      // Refused once the stop began (see shutdown.ts); otherwise parsed and validated with the same
      // limits as HTTP, then checked for complexity and the rate limit.
      onSubscribe: (ctx, id, payload) => {
        if (shutdown.isStopping) {
          logger.info({ operationId: id }, 'refused a WebSocket operation: the server is shutting down');
          return [shuttingDownError()];
        }
        return webSocketRequest(ctx, id, payload);
      },
      context: (ctx, operationId): GraphQLContext => {
        const viewer = services.accounts.authenticate(ctx.connectionParams?.['authorization']);
        if (!viewer) throw unauthenticated();
        const requestId = randomUUID();
        const { socket } = ctx.extra;
        return {
          requestId,
          logger: logger.child({ requestId }),
          services,
          viewer,
          loaders: new Map(),
          connection: {
            maxQueuedEvents,
            close: (code, reason) => socket.close(code, reason),
            ...(ctx.extra.direct ? { direct: { operationId, ...ctx.extra.direct } } : {}),
          },
        };
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors?.length) return undefined;
        const requestLogger = (args.contextValue as GraphQLContext | undefined)?.logger ?? logger;
        return { ...result, errors: result.errors.map((error) => formatSocketError(error, requestLogger)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatSocketError(error, logger)),
    },
    webSockets,
    {
      keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      logger,
      ...(options.socketWrites ? { writes: options.socketWrites } : {}),
    },
  );
  shutdown.watch(webSockets);

  const responseCache = new ResponseCache(config.responseCacheBytes);
  const cache = responseCache.enabled
    ? responseCacheHooks(
        responseCache,
        services,
        () => services.projections.readModelsVersion,
        (res) => res.locals['viewer'] as Viewer,
      )
    : undefined;

  const apollo = new ApolloServer<GraphQLContext>({
    ...(options.gateway ? { gateway: options.gateway(apiSchema) } : { schema: apiSchema }),
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown: it stops HTTP first, then the projections and the store, in that order.
    stopOnTerminationSignals: false,
    validationRules: limitValidationRules(config.queryLimits),
    plugins: [
      // We give no cache hints: Apollo's cache-control plugin would only wrap every field resolver to
      // compute the policy 'no-store' for each answer. That header is kept, set once per answer below.
      ApolloServerPluginCacheControlDisabled(),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response }) {
              response.http.headers.set('cache-control', 'no-store');
            },
          };
        },
      },
      ...(cache ? [cache.plugin] : []),
      operationLimitsPlugin(operationLimits),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await socketCleanup.dispose();
            },
          };
        },
      },
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ contextValue, errors }) {
              for (const error of errors) {
                if (isUnexpected(error))
                  contextValue.logger.error({ err: error.originalError ?? error }, 'unexpected error (masked for the client)');
                else if (isStoreFailure(error))
                  contextValue.logger.error({ err: error.originalError }, 'the event store failed the request');
              }
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readiness(services);
    res.status(report.ready ? 200 : 503).json(report);
  });
  const requestInput = graphqlRequestInput(config);
  app.use(
    '/graphql',
    (req: Request, res: Response, next: NextFunction) => {
      const header = req.headers['x-request-id'];
      const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
      res.setHeader('x-request-id', requestId);
      res.locals['requestId'] = requestId;
      // Every GraphQL request is authenticated before it is even parsed. Unknown and revoked tokens
      // get the very same answer, so a response never tells whether a token once existed.
      const viewer = services.accounts.authenticate(req.headers.authorization);
      if (!viewer) {
        const error = unauthenticated();
        res
          .status(401)
          .setHeader('www-authenticate', 'Bearer realm="multicloud-images"')
          .json({ errors: [{ message: error.message, extensions: { code: ErrorCode.UNAUTHENTICATED } }] });
        return;
      }
      res.locals['viewer'] = viewer;
      next();
    },
    // Reading the body comes before the response cache (the body limit applies to hits), checking it after.
    ...requestInput.slice(0, 1),
    ...(cache ? [cache.middleware] : []),
    ...requestInput.slice(1),
    graphqlRequestInputErrors(config),
    expressMiddleware(apollo, {
      context: async ({ res }): Promise<GraphQLContext> => {
        const requestId = res.locals['requestId'] as string;
        const context: GraphQLContext = {
          requestId,
          logger: logger.child({ requestId }),
          services: cache ? cache.servicesFor(res) : services,
          viewer: res.locals['viewer'] as Viewer,
          loaders: new Map(),
        };
        cache?.register(res, context);
        return context;
      },
    }),
  );
  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}: GraphQL is at /graphql` });
  });
  // Whatever middleware error got past /graphql's own handler (graphqlRequestInputErrors answers the
  // body's): a clear status and message, never a stack trace.
  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unexpected HTTP error');
    const message = status === 500 ? 'internal error' : error.message;
    res
      .status(status)
      .json({ errors: [{ message, extensions: { code: status === 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_USER_INPUT } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    responseCacheStats: () => (responseCache.enabled ? responseCache.stats() : undefined),
    stop() {
      shutdown.begin();
      stopping ??= apollo.stop();
      return stopping;
    },
  };
}
