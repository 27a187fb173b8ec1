import type { GraphQLError } from 'graphql';
import { badRequest } from './errors';

/*
 * What every GraphQL request carries, checked before the document is parsed, the same way for HTTP
 * bodies and WebSocket `subscribe` payloads: the shapes GraphQL-over-HTTP defines, and text that can
 * be stored as it arrived.
 */

/** Variables may nest (input objects, lists) no deeper than this; our deepest input type needs 4. */
export const MAX_VARIABLE_NESTING = 32;

export interface OperationRequest {
  readonly query: string;
  readonly operationName: string | undefined;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** The request's operation, or a BAD_USER_INPUT error saying which member is wrong and what arrived. */
export function parseOperationRequest(body: unknown): OperationRequest | GraphQLError {
  if (Array.isArray(body)) {
    return badRequest(
      'BATCHING_NOT_SUPPORTED',
      `request body: expected one operation as a JSON object {"query": "…"}, got an array of ${body.length} (batched operations are not supported: send them one by one)`,
    );
  }
  if (typeof body !== 'object' || body === null) {
    return badRequest('INVALID_REQUEST', `request body: expected a JSON object {"query": "…"}, got ${describe(body)}`);
  }
  const { query, operationName, variables } = body as Record<string, unknown>;
  if (typeof query !== 'string' || query.trim() === '') {
    return badRequest('MISSING_QUERY', `query: expected a non-empty string holding a GraphQL document, got ${describe(query)}`);
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return badRequest('INVALID_REQUEST', `operationName: expected a string or null, got ${describe(operationName)}`);
  }
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return badRequest('INVALID_REQUEST', `variables: expected a JSON object or null, got ${describe(variables)}`);
  }
  const text = checkText('query', query) ?? checkValue('variables', variables ?? {});
  if (text) return text;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? {}) as Record<string, unknown> };
}

/**
 * Text must be well-formed Unicode: a lone UTF-16 surrogate (which JSON's `\ud800` escape can
 * produce) has no UTF-8 form, so the read models would store U+FFFD instead of what was sent. Any
 * other character, NUL, right-to-left marks and emoji included, is stored and returned as it came.
 */
function checkText(path: string, text: string): GraphQLError | undefined {
  const lone = /\p{Surrogate}/u.exec(text);
  if (!lone) return undefined;
  const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
  return badRequest(
    'MALFORMED_TEXT',
    `${path}: expected well-formed Unicode text, got a lone surrogate U+${unit} at character ${lone.index + 1} (encode text as UTF-8, or escape a character outside the BMP as a surrogate pair)`,
  );
}

/** Walks the variables without recursion, so no nesting can overflow the stack; bounds their depth. */
function checkValue(root: string, value: unknown): GraphQLError | undefined {
  const pending: Array<{ path: string; value: unknown; depth: number }> = [{ path: root, value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value === 'string') {
      const error = checkText(next.path, next.value);
      if (error) return error;
    } else if (typeof next.value === 'object' && next.value !== null) {
      if (next.depth >= MAX_VARIABLE_NESTING) {
        return badRequest('INVALID_REQUEST', `${next.path}: expected values nested at most ${MAX_VARIABLE_NESTING} deep, got deeper`);
      }
      for (const [key, item] of Object.entries(next.value)) {
        // Keys are echoed in messages: a long one is cut, so an answer never grows with the input.
        const path = Array.isArray(next.value) ? `${next.path}[${key}]` : `${next.path}.${shorten(key)}`;
        const error = checkText(`${next.path} (a key)`, key);
        if (error) return error;
        pending.push({ path, value: item, depth: next.depth + 1 });
      }
    }
  }
  return undefined;
}

function shorten(key: string): string {
  const characters = Array.from(key);
  return characters.length > 64 ? `${characters.slice(0, 64).join('')}…` : key;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}
