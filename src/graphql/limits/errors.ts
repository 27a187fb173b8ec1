import { GraphQLError, type ASTNode } from 'graphql';
import { ErrorCode } from '../../domain/errors';

/** Which bound an operation broke; clients find it in `extensions.limit` (README, "Limits"). */
export type LimitName = 'tokens' | 'nesting' | 'depth' | 'complexity' | 'aliases' | 'rootFields';

/**
 * QUERY_TOO_COMPLEX, saying what was measured against which bound, in the message for people and in
 * `extensions` (`limit`, `measured`, `maximum`) for programs.
 */
export function tooComplex(limit: LimitName, measured: number, maximum: number, what: string, nodes?: ASTNode): GraphQLError {
  return new GraphQLError(`query too complex: ${what}: expected at most ${maximum}, got ${format(measured)}`, {
    ...(nodes ? { nodes } : {}),
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, measured: Number.isFinite(measured) ? measured : Number.MAX_VALUE, maximum },
  });
}

/** BAD_USER_INPUT for a request the server can't take as sent; `reason` names the precise problem. */
export function badRequest(reason: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason } });
}

function format(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : `more than ${Number.MAX_SAFE_INTEGER}`;
}
