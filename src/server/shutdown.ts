import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { WebSocketServer } from 'ws';
import { ErrorCode } from '../domain/errors';

/** Close code and reason every open WebSocket gets when the service stops (1001: "going away"). */
export const SHUTDOWN_CLOSE_CODE = 1001;
export const SHUTDOWN_CLOSE_REASON = 'server shutting down';

export const SHUTTING_DOWN_MESSAGE = 'the server is shutting down: this request was not run; send it again once the service is back';

/** The refusal of a WebSocket operation that arrives once the stop began, as graphql-ws sends it. */
export function shuttingDownError(): GraphQLError {
  return new GraphQLError(SHUTTING_DOWN_MESSAGE, { extensions: { code: ErrorCode.UNAVAILABLE } });
}

/**
 * The door's side of a graceful stop. Once `begin()` is called, a request that arrives is refused
 * (503, `UNAVAILABLE`, `Connection: close`) before it is parsed, so nothing it asked for happens;
 * requests already inside run to the end and are answered; every WebSocket is closed with 1001
 * "server shutting down", and one that opens meanwhile is closed at once. A socket's close is a
 * handshake: until the client's close frame arrives it may still send operations, which graphql-ws
 * would run; `onSubscribe` refuses them with `shuttingDownError()` while `isStopping`. Draining the sockets and
 * waiting for the requests inside is Apollo's drain plugin's job, which runs after this.
 *
 * Usage:
 *   const gate = new ShutdownGate();
 *   app.use(gate.refuseWhenStopping);  gate.watch(webSockets);
 *   stop = () => { gate.begin(); return apollo.stop(); }
 */
export class ShutdownGate {
  private stopping = false;
  private readonly socketServers = new Set<WebSocketServer>();

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Express middleware: put it before every route. */
  readonly refuseWhenStopping = (_req: Request, res: Response, next: NextFunction): void => {
    if (!this.stopping) return next();
    res
      .status(503)
      .setHeader('connection', 'close')
      .json({ errors: [{ message: SHUTTING_DOWN_MESSAGE, extensions: { code: ErrorCode.UNAVAILABLE } }] });
  };

  /** Closes this server's WebSockets when the stop begins, and any that open after. */
  watch(server: WebSocketServer): void {
    this.socketServers.add(server);
    server.on('connection', (socket) => {
      if (this.stopping) socket.close(SHUTDOWN_CLOSE_CODE, SHUTDOWN_CLOSE_REASON);
    });
  }

  begin(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const server of this.socketServers) for (const socket of server.clients) socket.close(SHUTDOWN_CLOSE_CODE, SHUTDOWN_CLOSE_REASON);
  }
}
