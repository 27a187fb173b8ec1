import type { CommandContext } from '../application/commandHandler';
import type { Viewer } from '../domain/accounts/roles';
import type { Logger } from '../logger';
import type { Services } from '../services';

/** Everything a resolver may use, built once per request (HTTP) or per operation (WebSocket). */
export interface GraphQLContext {
  readonly requestId: string;
  readonly logger: Logger;
  readonly services: Services;
  /** Who is calling: every GraphQL request is authenticated before it reaches a resolver. */
  readonly viewer: Viewer;
  /** Per-request caches keyed by the service that owns them (DataLoaders): never shared across requests. */
  readonly loaders: Map<string, unknown>;
  /** The WebSocket an operation came on (absent over HTTP): what a subscription needs to end it. */
  readonly connection?: SubscriptionConnection;
}

export interface SubscriptionConnection {
  /** Live events one subscription may hold for a client that reads slower than they come. */
  readonly maxQueuedEvents: number;
  /** Closes the socket with a WebSocket close code and a reason (at most 123 bytes). */
  close(code: number, reason: string): void;
  /**
   * Writes this operation's messages straight to its socket, past graphql-ws's per-message path
   * (src/server/liveDelivery.ts); absent where the transport has no such path.
   */
  readonly direct?: DirectDelivery;
}

export interface DirectDelivery {
  /** The operation's id on its socket. */
  readonly operationId: string;
  /** Queues one text message, `head` + `body` + `tail` (UTF-8); `false` once the socket is full (or closed). */
  write(head: Buffer, body: Buffer, tail: Buffer): boolean;
  /** Calls `resume` once a full socket has room again; never if it closes first. */
  whenWritable(resume: () => void): void;
}

/** Who acts, for the metadata of the events a mutation appends. */
export function commandContext(context: GraphQLContext): CommandContext {
  return { accountId: context.viewer.accountId, actorId: context.viewer.userId, correlationId: context.requestId };
}

/**
 * The request's instance of a per-request helper (typically a DataLoader), created on first use.
 *
 * Usage: const images = perRequest(context, 'images', () => new DataLoader(batchImages));
 */
export function perRequest<T>(context: GraphQLContext, key: string, create: () => T): T {
  let value = context.loaders.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    context.loaders.set(key, value);
  }
  return value;
}
