import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import type { QueryLimits } from '../../config';
import { tooComplex } from './errors';

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * How deep braces, brackets and parentheses may nest before parsing: graphql-js parses recursively,
 * and a few thousand levels overflow the stack. Four levels per allowed field depth leave room for
 * arguments and input objects; anything deeper would fail the depth rule anyway.
 */
export function maxNesting(limits: QueryLimits): number {
  return limits.maxDepth * 4;
}

/**
 * Refuses a document too large to parse safely, counting tokens and nesting in one pass of the
 * lexer (which is iterative). Undefined when it is within bounds, or when it is not lexically valid
 * GraphQL: the parser then reports that syntax error with its position.
 */
export function checkDocumentSize(source: string, limits: QueryLimits): GraphQLError | undefined {
  const lexer = new Lexer(new Source(source));
  const nestingLimit = maxNesting(limits);
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      tokens += 1;
      if (tokens > limits.maxTokens)
        return tooComplex('tokens', tokens, limits.maxTokens, 'tokens in the document (counted until one over the limit)');
      if (OPENING.has(token.kind)) {
        nesting += 1;
        if (nesting > nestingLimit) {
          return tooComplex('nesting', nesting, nestingLimit, 'nesting of braces, brackets and parentheses');
        }
      } else if (CLOSING.has(token.kind)) nesting -= 1;
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return undefined;
}
