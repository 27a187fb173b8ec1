import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
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
 *   out. While the server is busy writing (BUSY_WRITES_PER_SECOND), live events may wait a little
 *   longer (LIVE_FLUSH_INTERVAL_MS) on a socket written to a moment ago, so a steady stream to many
 *   sockets costs one write per few events rather than one each.
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

/** Protocol messages written straight to one socket, with the same coalescing and back-pressure as graphql-ws's own. */
export interface DirectWrites {
  /**
   * Queues one text message made of `head`, `body` and `tail` (UTF-8), framed here in one buffer: a
   * body shared by many sockets is encoded once. False once the socket holds SEND_HIGH_WATER_MARK unsent
   * bytes or more, or is closed (then nothing was written).
   */
  write(head: Buffer, body: Buffer, tail: Buffer): boolean;
  /** Calls `resume` once the socket has room again (soon, if it has room now); never if it closes first. */
  whenWritable(resume: () => void): void;
}

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

/**
 * How long a socket's live events may wait for more to join them in one write, when its last write
 * left less than this ago: at most this much latency, for a fraction of the system calls.
 */
export const LIVE_FLUSH_INTERVAL_MS = 25;

/**
 * Socket writes a second past which the server counts as busy writing, and live events start waiting
 * to share writes: below it, a write per event costs little and no event waits.
 */
export const BUSY_WRITES_PER_SECOND = 10_000;

/** Unsent bytes a socket may hold before a send waits for the kernel to take them. */
export const SEND_HIGH_WATER_MARK = 64 * 1024;

/** Delivery as before this binding (one write and one callback per message); for the fan-out benchmark. */
export type SocketWrites = 'coalesced' | 'per-message';

export interface WebSocketTransportOptions {
  readonly keepAliveMs: number;
  readonly logger: Logger;
  readonly writes?: SocketWrites;
  /** LIVE_FLUSH_INTERVAL_MS unless given (0: every write leaves at the end of its turn). */
  readonly liveFlushIntervalMs?: number;
}

export interface WebSocketTransport {
  /** Closes every socket with 1001 and stops the WebSocket server. */
  dispose(): Promise<void>;
}

/** Per socket: whether it is corked, whether what it holds may wait, and when its writes last left. */
interface Held {
  corked: boolean;
  /** In the list `release` goes through. */
  listed: boolean;
  mayWait: boolean;
  lastFlush: number;
}

/** How often the coalescer reconsiders whether the server is busy writing. */
export const BUSY_WINDOW_MS = 100;

/**
 * Corks a socket on its first write and uncorks it once the turn of the event loop is done, so every
 * message it got in the turn leaves in one write. While the server is busy writing (more than
 * `busyWritesPerSecond` socket writes a second over the last BUSY_WINDOW_MS), live events (`mayWait`)
 * may wait longer: a socket whose writes left less than `intervalMs` ago stays corked until then, so
 * under a steady stream to many sockets one write carries several events, and a quiet socket's first
 * event leaves at once. A server that is not busy adds no wait. Anything else written to a socket
 * (replies, pings, closes) leaves at the end of its turn, with whatever waits.
 */
export class WriteCoalescer {
  private readonly sockets = new WeakMap<Socket, Held>();
  private corked: Socket[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowWrites = 0;
  private busy = false;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly busyWritesPerSecond: number = BUSY_WRITES_PER_SECOND,
  ) {}

  hold(socket: Socket, mayWait: boolean): void {
    let held = this.sockets.get(socket);
    if (!held) this.sockets.set(socket, (held = { corked: false, listed: false, mayWait, lastFlush: Number.NEGATIVE_INFINITY }));
    if (held.corked) {
      held.mayWait &&= mayWait;
    } else {
      held.corked = true;
      held.mayWait = mayWait;
      socket.cork();
      // A socket flushed early in this turn may still be listed: once is enough.
      if (!held.listed) {
        held.listed = true;
        this.corked.push(socket);
      }
    }
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.release();
    });
  }

  /** Uncorks `socket` now: what it holds is a full write's worth (it stays in the list; release skips it). */
  flush(socket: Socket): void {
    const held = this.sockets.get(socket);
    if (!held?.corked) return;
    held.corked = false;
    held.lastFlush = this.now();
    this.windowWrites += 1;
    if (socket.writableCorked > 0) socket.uncork();
  }

  /** Whether live events should wait now: the writes of the last window, per second, over the threshold. */
  private isBusy(now: number): boolean {
    const elapsed = now - this.windowStart;
    if (elapsed >= BUSY_WINDOW_MS) {
      this.busy = elapsed < 2 * BUSY_WINDOW_MS && (this.windowWrites * 1000) / elapsed > this.busyWritesPerSecond;
      this.windowStart = now;
      this.windowWrites = 0;
    }
    return this.busy;
  }

  private release(): void {
    const now = this.now();
    const busy = this.isBusy(now);
    const waiting: Socket[] = [];
    let due = Number.POSITIVE_INFINITY;
    for (const socket of this.corked) {
      const held = this.sockets.get(socket) as Held;
      if (!held.corked) {
        held.listed = false;
        continue;
      }
      if (busy && held.mayWait && now - held.lastFlush < this.intervalMs && !socket.destroyed) {
        waiting.push(socket);
        due = Math.min(due, held.lastFlush + this.intervalMs);
        continue;
      }
      held.listed = false;
      held.corked = false;
      held.lastFlush = now;
      this.windowWrites += 1;
      // end() and destroy() already dropped the cork; uncorking again is harmless either way.
      if (socket.writableCorked > 0) socket.uncork();
    }
    this.corked = waiting;
    if (waiting.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.release();
        },
        Math.max(1, Math.ceil(due - now)),
      );
      // Never what keeps the process alive: a socket that closes drops what it held anyway.
      this.timer.unref();
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
  { keepAliveMs, logger, writes = 'coalesced', liveFlushIntervalMs = LIVE_FLUSH_INTERVAL_MS }: WebSocketTransportOptions,
): WebSocketTransport {
  const server = makeServer<P, SocketExtra>(options);
  const coalescer = new WriteCoalescer(liveFlushIntervalMs);

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
            coalescer.hold(raw, false);
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
        coalescer.hold(raw, true);
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
