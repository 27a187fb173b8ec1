import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { GraphQLError } from 'graphql';
import type { Config } from '../config';
import { ErrorCode } from '../domain/errors';
import { checkDocumentSize } from '../graphql/limits/documentSize';
import { badRequest } from '../graphql/limits/errors';
import { parseOperationRequest } from '../graphql/limits/requestInput';

/*
 * The HTTP door of /graphql, before Apollo: every request that can't be a GraphQL operation is
 * answered here with a JSON GraphQL-style error ({"errors": [{message, extensions: {code, reason}}]})
 * and a 4xx status, so a client always learns what was expected and what arrived.
 */

const JSON_TYPE = /^application\/(?:graphql-response\+)?json\s*(?:;|$)/iu;

/** Reads, parses and checks a GraphQL request body (POST) or query string (GET); refuses with a coded 4xx. */
export function graphqlRequestInput(config: Config): RequestHandler[] {
  const parseJson = express.json({ limit: config.maxBodyBytes, strict: false, type: () => true });
  return [
    (req, res, next) => {
      if (req.method !== 'POST' && req.method !== 'GET') {
        // Apollo's express integration would answer 500 ("req.body is not set") for any other method.
        res.setHeader('allow', 'GET, POST');
        sendError(res, 405, badRequest('METHOD_NOT_ALLOWED', `method: expected POST (or GET for a query), got ${req.method}`));
        return;
      }
      if (req.method === 'POST') {
        const type = req.headers['content-type'];
        if (typeof type !== 'string' || !JSON_TYPE.test(type)) {
          sendError(
            res,
            415,
            badRequest(
              'UNSUPPORTED_MEDIA_TYPE',
              `content-type: expected application/json, got ${typeof type === 'string' ? `'${type.slice(0, 100)}'` : 'none'}`,
            ),
          );
          return;
        }
        parseJson(req, res, next);
        return;
      }
      // A GET carries no body, but Apollo's express integration answers 500 unless `req.body` is set.
      req.body ??= {};
      next();
    },
    (req, res, next) => {
      const refusal = req.method === 'POST' ? checkBody(req, config) : req.method === 'GET' ? checkQueryString(req, config) : undefined;
      if (refusal) sendError(res, 400, refusal);
      else next();
    },
  ];
}

function checkBody(req: Request, config: Config): GraphQLError | undefined {
  // body-parser turns an empty body into {}: tell the client it sent nothing, not that `query` is missing.
  if (req.headers['content-length'] === '0' || (req.body === undefined && !req.headers['transfer-encoding'])) {
    return badRequest('EMPTY_BODY', 'request body: expected a JSON object {"query": "…"}, got an empty body');
  }
  if (isPersistedQueryLookup(req.body)) return undefined;
  const request = parseOperationRequest(req.body);
  return 'query' in request ? checkDocumentSize(request.query, config.queryLimits) : request;
}

/**
 * An automatic persisted query sends only the hash first; Apollo answers PERSISTED_QUERY_NOT_FOUND
 * and the client sends the document, which is checked then (and a cached one was checked when it came).
 */
function isPersistedQueryLookup(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'query' in body) return false;
  const extensions = (body as { extensions?: unknown }).extensions;
  return (
    typeof extensions === 'object' && extensions !== null && typeof (extensions as { persistedQuery?: unknown }).persistedQuery === 'object'
  );
}

/** GET carries the operation in the query string; without `query` Apollo answers (its landing page, or its own error). */
function checkQueryString(req: Request, config: Config): GraphQLError | undefined {
  const { query, variables, operationName } = req.query as Record<string, unknown>;
  if (query === undefined) return undefined;
  let parsedVariables: unknown = undefined;
  if (typeof variables === 'string') {
    try {
      parsedVariables = JSON.parse(variables);
    } catch {
      return badRequest('INVALID_JSON', 'variables: expected a JSON-encoded object in the query string, got text that is not JSON');
    }
  } else if (variables !== undefined) {
    return badRequest('INVALID_REQUEST', 'variables: expected one JSON-encoded object in the query string');
  }
  const request = parseOperationRequest({ query, variables: parsedVariables, operationName });
  return 'query' in request ? checkDocumentSize(request.query, config.queryLimits) : request;
}

/**
 * Errors of reading the body (too large, not JSON, unsupported charset or encoding, aborted), as
 * body-parser reports them: a 4xx with a coded message; anything else goes on to the app's handler.
 */
export function graphqlRequestInputErrors(config: Config) {
  return (error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction): void => {
    const status = error.status;
    if (typeof status !== 'number' || status < 400 || status >= 500) {
      next(error);
      return;
    }
    sendError(res, status, bodyError(error.type, error.message, config));
  };
}

function bodyError(type: string | undefined, message: string, config: Config): GraphQLError {
  switch (type) {
    case 'entity.too.large':
      return badRequest('BODY_TOO_LARGE', `request body: expected at most ${config.maxBodyBytes} bytes, got more`);
    case 'entity.parse.failed':
      return badRequest('INVALID_JSON', `request body: expected JSON, got text that does not parse: ${message.slice(0, 200)}`);
    case 'charset.unsupported':
      return badRequest('UNSUPPORTED_MEDIA_TYPE', `content-type: expected charset utf-8, got another: ${message.slice(0, 200)}`);
    case 'encoding.unsupported':
      return badRequest(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-encoding: expected identity, gzip, deflate or br, got another: ${message.slice(0, 200)}`,
      );
    default:
      return badRequest('INVALID_REQUEST', `request body: could not be read (${message.slice(0, 200)})`);
  }
}

/** A GraphQL-style error body, as Apollo would send it. */
export function sendError(res: Response, status: number, error: GraphQLError): void {
  if (res.headersSent) return;
  const code = typeof error.extensions['code'] === 'string' ? error.extensions['code'] : ErrorCode.BAD_USER_INPUT;
  res.status(status).json({ errors: [{ message: error.message, extensions: { ...error.extensions, code } }] });
}

/**
 * The HTTP server's `clientError` listener: requests Node refuses before any route sees them (a URL
 * or headers over its 16 KiB, a malformed request line) get the same kind of JSON error body as
 * everything else, instead of Node's bare status line.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'request headers and URL: expected at most 16 KiB, got more (send the operation in a POST body)']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'request: expected it complete within the server’s request timeout, got it too slowly']
        : [400, 'MALFORMED_HTTP', `request: expected HTTP/1.1, got a malformed request (${error.code ?? 'unknown'})`];
  const body = JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT, reason } }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
