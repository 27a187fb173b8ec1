import { EventEmitter } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import { getOperationAST, parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { withTimeout } from './async';
import { graphql, type GraphQLResponse } from './service';

/*
 * GraphQL over a real WebSocket (graphql-ws client on the `ws` package): subscribing to the change
 * feed, running any operation the way its kind requires, and a TCP proxy that can stop delivering to
 * the client, to play a client too slow to keep up.
 */

export const EVENT_FIELDS = 'cursor id type streamId componentId revision occurredAt actor { id } data hash prevHash';

export interface FeedEvent {
  cursor: string;
  id: string;
  type: string;
  streamId: string;
  componentId: string | null;
  revision: number;
  occurredAt: string;
  actor: { id: string } | null;
  data: Record<string, unknown>;
  hash: string;
  prevHash: string | null;
}

export const socketUrl = (httpUrl: string): string => `${httpUrl.replace(/^http/u, 'ws')}/graphql`;

function tokenOf(headers: Readonly<Record<string, string>>): string {
  return headers['authorization'] ?? '';
}

/** A graphql-ws client that never retries on its own: a test decides when to reconnect and from which cursor. */
export function socketClient(
  httpUrl: string,
  headers: Readonly<Record<string, string>>,
  on: { closed?: (event: { code: number; reason: string }) => void; connected?: (socket: WebSocket) => void } = {},
): Client {
  return createClient({
    url: socketUrl(httpUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: tokenOf(headers) },
    on: {
      closed: (event) => on.closed?.(event as { code: number; reason: string }),
      connected: (socket) => on.connected?.(socket as WebSocket),
    },
  });
}

export type SubscriptionEnd = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

/**
 * One `events` subscription, collecting what arrives. Waits are on conditions (bounded), never sleeps.
 *
 * Usage:
 *   const feed = subscribeToEvents(client, { after, filter: { types: ['ImageMapped'] } });
 *   await feed.waitFor((events) => events.length >= 3, 'three events');
 */
export class EventsSubscription {
  readonly events: FeedEvent[] = [];
  /** Results with `errors` (a refusal), in order. */
  readonly errorResults: Array<Array<{ message: string; extensions?: Record<string, unknown> }>> = [];
  end: SubscriptionEnd | undefined;
  private readonly changes = new EventEmitter();
  private readonly unsubscribe: () => void;

  constructor(client: Client, variables: { after?: string; filter?: Record<string, unknown> }, fields = EVENT_FIELDS) {
    this.changes.setMaxListeners(100);
    this.unsubscribe = client.subscribe<{ events: FeedEvent }>(
      {
        query: `subscription($after: String, $filter: EventFilter) { events(after: $after, filter: $filter) { ${fields} } }`,
        variables,
      },
      {
        next: (result) => {
          if (result.errors) this.errorResults.push(result.errors as Array<{ message: string; extensions?: Record<string, unknown> }>);
          if (result.data?.events) this.events.push(result.data.events);
          this.changes.emit('change');
        },
        error: (error) => {
          this.end = { kind: 'error', error };
          this.changes.emit('change');
        },
        complete: () => {
          this.end ??= { kind: 'complete' };
          this.changes.emit('change');
        },
      },
    );
  }

  /** Resolves once `check` holds for what arrived; fails after `ms`, saying what it waited for and what came. */
  waitFor(check: (events: readonly FeedEvent[]) => boolean, what: string, ms = 10_000): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve, reject) => {
        const look = (): void => {
          if (check(this.events)) {
            this.changes.off('change', look);
            resolve();
          } else if (this.end) {
            this.changes.off('change', look);
            reject(new Error(`subscription ended (${JSON.stringify(this.end)}) after ${this.events.length} events, waiting for ${what}`));
          }
        };
        this.changes.on('change', look);
        look();
      }),
      ms,
      `${what} (got ${this.events.length} events)`,
    );
  }

  /** Resolves with how the subscription ended. */
  ended(ms = 10_000): Promise<SubscriptionEnd> {
    return withTimeout(
      new Promise<SubscriptionEnd>((resolve) => {
        const look = (): void => {
          if (this.end) {
            this.changes.off('change', look);
            resolve(this.end);
          }
        };
        this.changes.on('change', look);
        look();
      }),
      ms,
      `the end of the subscription (got ${this.events.length} events)`,
    );
  }

  get lastCursor(): string | undefined {
    return this.events[this.events.length - 1]?.cursor;
  }

  close(): void {
    this.unsubscribe();
  }
}

export function subscribeToEvents(
  client: Client,
  variables: { after?: string; filter?: Record<string, unknown> } = {},
): EventsSubscription {
  return new EventsSubscription(client, variables);
}

/**
 * Runs an operation the way its kind is served: queries and mutations over HTTP, a subscription over a
 * WebSocket, answered with its first message (its first event, or its refusal).
 */
export async function execute(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Readonly<Record<string, string>> = {},
): Promise<GraphQLResponse> {
  if (getOperationAST(parse(query))?.operation !== 'subscription') return graphql(httpUrl, query, variables, { ...headers });
  const client = socketClient(httpUrl, headers);
  try {
    const body = await withTimeout(
      new Promise<GraphQLResponse['body']>((resolve, reject) => {
        client.subscribe(
          { query, variables },
          {
            next: (result) => resolve(result as GraphQLResponse['body']),
            error: (error) =>
              Array.isArray(error) ? resolve({ errors: error as NonNullable<GraphQLResponse['body']['errors']> }) : reject(error),
            complete: () => resolve({ data: null }),
          },
        );
      }),
      10_000,
      `the first message of ${query}`,
    );
    return { status: 101, body, headers: new Headers() };
  } finally {
    await client.dispose();
  }
}

/**
 * A TCP proxy in front of the service that can stop passing the server's bytes on to the client, as a
 * client that stopped reading would: the server's socket then fills up and its sends stall.
 */
export interface ThrottlingProxy {
  readonly url: string;
  /** Stops (until `resume`) reading from the server for every connection. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startThrottlingProxy(targetPort: number): Promise<ThrottlingProxy> {
  const upstreams = new Set<Socket>();
  const sockets = new Set<Socket>();
  let paused = false;
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(targetPort, '127.0.0.1');
    upstreams.add(upstream);
    sockets.add(client).add(upstream);
    if (paused) upstream.pause();
    // Hand-forwarded rather than piped: only this proxy pauses and resumes the upstream socket.
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => upstream.write(chunk));
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      upstreams.delete(upstream);
    };
    upstream.on('close', closeBoth).on('error', closeBoth);
    client.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pause() {
      paused = true;
      for (const upstream of upstreams) upstream.pause();
    },
    resume() {
      paused = false;
      for (const upstream of upstreams) upstream.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
