import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { DirectDelivery } from '../graphql/context';
import type { Logger } from '../logger';

/*
 * graphql-ws (the protocol) on `ws` sockets (the transport): our own binding of graphql-ws's
 * `makeServer`, in place of the library's `useServer`, for what a server with a thousand subscribers
 * needs from the transport:
 *
 * - Pipelined sends. A message is handed to the socket and the next one may follow at once, while the
 *   socket holds less than SEND_HIGH_WATER_MARK unsent bytes; past that, a send waits until the
 *   kernel took its bytes. So a slow client still pushes back (its subscription's queue fills, and the
 *   change feed closes it with 4008, as before), but a fast one no longer waits a callback per event.
 * - Writes coalesced (WriteCoalescer). The first message a socket gets in a turn corks it; it is
 *   uncorked once the turn's work is done (`setImmediate`), so all the messages a socket got in that
 *   turn leave in one write: one system call per socket per turn, however many events the turn fanned
 *   out. A cork never counts as back-pressure: one holding a full write's worth is flushed at once.
 * - Errors in our log, not on the console: a frame over the size limit (ws closes it with 1009) or a
 *   socket error is a warning with the request id of nobody; an internal error closes the socket with
 *   4500 and a reason that says nothing of the internals.
 *
 * Keep-alive is graphql-ws's own scheme: a ping every `keepAliveMs`, and a client that has not
 * answered by the next one is dropped.
 */

/** What graphql-ws's context carries for each socket. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** Writes that bypass graphql-ws's per-message path (live deliveries: src/server/liveDelivery.ts); absent in 'per-message' mode. */
  readonly direct?: DirectWrites;
}

/**
 * Protocol messages written straight to one socket, with the same coalescing and back-pressure as
 * graphql-ws's own: what an operation's `DirectDelivery` needs, less its operation id. `write` frames
 * head + body + tail as one text message in one buffer (`textFrame`), so a body shared by many
 * sockets is encoded once; it returns false, having written nothing, on a closed socket.
 */
export type DirectWrites = Omit<DirectDelivery, 'operationId'>;

/**
 * An unmasked text frame (RFC 6455 §5.2: a server's frames are never masked) holding `parts` in order.
 * ws writes whole frames, synchronously, when it compresses nothing (permessage-deflate is off), so a
 * frame written straight to the socket never lands inside one of its own.
 */
export function textFrame(head: Buffer, body: Buffer, tail: Buffer): Buffer {
  const length = head.length + body.length + tail.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN, text
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  let offset = headerLength;
  offset += head.copy(frame, offset);
  offset += body.copy(frame, offset);
  tail.copy(frame, offset);
  return frame;
}

/** Unsent bytes a socket may hold before a send waits for the kernel to take them. */
export const SEND_HIGH_WATER_MARK = 64 * 1024;

/** Delivery as before this binding (one write and one callback per message); for the fan-out benchmark. */
export type SocketWrites = 'coalesced' | 'per-message';

export interface WebSocketTransportOptions {
  readonly keepAliveMs: number;
  readonly logger: Logger;
  readonly writes?: SocketWrites;
}

export interface WebSocketTransport {
  /** Closes every socket with 1001 and stops the WebSocket server. */
  dispose(): Promise<void>;
}

/**
 * Corks a socket on its first write and uncorks it once the turn of the event loop is done, so every
 * message it got in the turn leaves in one write. The delay is the rest of the turn, nothing more.
 */
export class WriteCoalescer {
  private corked: Socket[] = [];
  private readonly held = new WeakSet<Socket>();

  hold(socket: Socket): void {
    if (this.held.has(socket)) return;
    this.held.add(socket);
    socket.cork();
    if (this.corked.push(socket) === 1) setImmediate(() => this.release());
  }

  /** Uncorks `socket` now (what it holds is a full write's worth); a later write in the turn corks it again. */
  flush(socket: Socket): void {
    if (!this.held.delete(socket)) return;
    if (socket.writableCorked > 0) socket.uncork();
  }

  private release(): void {
    const sockets = this.corked;
    this.corked = [];
    for (const socket of sockets) {
      // Flushed early, or listed twice: once is enough.
      if (!this.held.delete(socket)) continue;
      // end() and destroy() already dropped the cork; uncorking again is harmless either way.
      if (socket.writableCorked > 0) socket.uncork();
    }
  }
}

function sendWaiting(socket: WebSocket, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(data, (error) => (error ? reject(error) : resolve()));
  });
}

export function serveGraphqlWs<P extends Record<string, unknown>>(
  options: ServerOptions<P, SocketExtra>,
  webSockets: WebSocketServer,
  { keepAliveMs, logger, writes = 'coalesced' }: WebSocketTransportOptions,
): WebSocketTransport {
  const server = makeServer<P, SocketExtra>(options);
  const coalescer = new WriteCoalescer();

  webSockets.once('error', (error) => {
    logger.error({ err: error }, 'the WebSocket server failed; closing every socket');
    for (const client of webSockets.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });

  webSockets.on('connection', (socket, request) => {
    const raw = request.socket;
    socket.once('error', (error) => {
      // ws closes the socket itself after a protocol error (1009 for a frame over maxPayload, 1002…).
      logger.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'a WebSocket client broke the protocol');
    });

    let pongWait: NodeJS.Timeout | undefined;
    const pings =
      keepAliveMs > 0 && Number.isFinite(keepAliveMs)
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
            socket.once('pong', () => {
              clearTimeout(pongWait);
              pongWait = undefined;
            });
            socket.ping();
          }, keepAliveMs)
        : undefined;

    const send =
      writes === 'per-message'
        ? (data: string): Promise<void> | undefined => (socket.readyState === socket.OPEN ? sendWaiting(socket, data) : undefined)
        : (data: string): Promise<void> | undefined => {
            if (socket.readyState !== socket.OPEN) return undefined;
            coalescer.hold(raw);
            if (roomFor(raw)) {
              // A failed write errors the socket, which closes it: nothing to do per message.
              socket.send(data);
              return undefined;
            }
            return sendWaiting(socket, data);
          };

    /**
     * Whether the socket may take more: what the kernel has not taken stays under the high-water mark.
     * Bytes held back by our own cork say nothing about the client, so they never count: a cork
     * holding a full write's worth is flushed now instead.
     */
    const roomFor = (socket: Socket): boolean => {
      if (socket.writableCorked > 0 && socket.writableLength >= SEND_HIGH_WATER_MARK) coalescer.flush(socket);
      return socket.writableLength < SEND_HIGH_WATER_MARK;
    };
    let resumers: Array<() => void> = [];
    const direct: DirectWrites = {
      write(head, body, tail) {
        if (socket.readyState !== socket.OPEN) return false;
        coalescer.hold(raw);
        // A failed write errors the socket, and ws closes it.
        raw.write(textFrame(head, body, tail));
        return roomFor(raw);
      },
      whenWritable(resume) {
        if (socket.readyState !== socket.OPEN) return;
        if (raw.writableLength < SEND_HIGH_WATER_MARK) setImmediate(resume);
        // The socket said it was full when it took a write, so it says when it has emptied.
        else if (resumers.push(resume) === 1) {
          raw.once('drain', () => {
            const waiting = resumers;
            resumers = [];
            for (const waiter of waiting) waiter();
          });
        }
      },
    };
    const extra: SocketExtra = writes === 'coalesced' ? { socket, request, direct } : { socket, request };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: Buffer) => {
            handle(data.toString('utf8')).catch((error: unknown) => {
              logger.error({ err: error }, 'unexpected error handling a WebSocket message; closing the socket');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );

    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(pings);
      closed(code, reason.toString('utf8')).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected error closing a WebSocket');
      });
    });
  });

  return {
    async dispose() {
      for (const client of webSockets.clients) client.close(1001, 'Going away');
      webSockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
