import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { QueryLimits } from '../config';
import type { Viewer } from '../domain/accounts/roles';
import { ErrorCode } from '../domain/errors';
import type { GraphQLContext } from '../graphql/context';
import { checkDocumentSize } from '../graphql/limits/documentSize';
import { badRequest } from '../graphql/limits/errors';
import { mutationFieldCount } from '../graphql/limits/mutationFields';
import { parseOperationRequest } from '../graphql/limits/requestInput';
import { complexityRule, operationShapeRule } from '../graphql/limits/rules';
import type { RateDecision, RateLimiter } from './rateLimit';

/*
 * The per-operation checks that need what the client sent with the document (the page sizes its
 * variables ask for, the token that sends it): complexity and the mutation rate limit. Over HTTP an
 * Apollo plugin runs them once the operation is known; over WebSocket our own `onSubscribe` runs the
 * whole pipeline (size, parse, the same validation rules, these checks), so both doors refuse alike.
 */

export interface OperationLimits {
  readonly limits: QueryLimits;
  readonly limiter: RateLimiter;
}

/** The rules Apollo runs after graphql-js's own: the document-only limits. */
export function limitValidationRules(limits: QueryLimits) {
  return [operationShapeRule(limits)];
}

/** Complexity with the request's variables, then the rate limit: refuses the whole request before anything runs. */
export function operationLimitsPlugin({ limits, limiter }: OperationLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          const variables = request.variables ?? {};
          const [tooComplex] = validate(schema, document, [complexityRule(limits, variables)]);
          if (tooComplex) throw withStatus(tooComplex, 400);
          const refusal = rateLimit(limiter, contextValue.viewer, document, operation, variables);
          if (refusal) {
            const retryAfter = refusal.extensions['retryAfterSeconds'];
            throw withStatus(refusal, 429, typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {});
          }
        },
      };
    },
  };
}

function rateLimit(
  limiter: RateLimiter,
  viewer: Viewer,
  document: DocumentNode,
  operation: OperationDefinitionNode | undefined,
  variables: Readonly<Record<string, unknown>>,
): GraphQLError | undefined {
  if (!operation || !limiter.enabled) return undefined;
  const units = mutationFieldCount(document, operation, variables);
  const decision = limiter.take(viewer.tokenId, units);
  return decision.allowed ? undefined : rateLimited(decision, units, limiter);
}

/** RATE_LIMITED, with when to retry (`extensions.retryAfterSeconds`) unless waiting can't help. */
export function rateLimited(decision: Exclude<RateDecision, { allowed: true }>, units: number, limiter: RateLimiter): GraphQLError {
  const { perMinute, burst } = limiter.settings;
  const limit = `${perMinute} mutations a minute per API token, at most ${burst} at once`;
  if (decision.retryAfterSeconds === undefined) {
    return new GraphQLError(
      `rate limited: this request runs ${units} mutations, more than one token may run at once (${limit}); send them in smaller requests`,
      { extensions: { code: ErrorCode.RATE_LIMITED, mutations: units, available: decision.available, perMinute, burst } },
    );
  }
  return new GraphQLError(
    `rate limited: this request runs ${units} mutation${units === 1 ? '' : 's'} and this token may run ${decision.available} now (${limit}); retry in ${decision.retryAfterSeconds} s`,
    {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryAfterSeconds: decision.retryAfterSeconds,
        mutations: units,
        available: decision.available,
        perMinute,
        burst,
      },
    },
  );
}

function withStatus(error: GraphQLError, status: number, headers: Record<string, string> = {}): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, http: { status, headers: new HeaderMap(Object.entries(headers)) } },
  });
}

/**
 * graphql-ws's `onSubscribe`: authenticates, then parses and validates the payload with the HTTP
 * rules, checks complexity and the rate limit, and hands graphql-ws the execution arguments. Each
 * refusal is an `error` message for that operation with a coded error; the socket stays open.
 */
export function webSocketOperation(
  schema: GraphQLSchema,
  { limits, limiter }: OperationLimits,
  authenticate: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Viewer | undefined,
  unauthenticated: () => GraphQLError,
) {
  return (
    ctx: { readonly connectionParams?: Readonly<Record<string, unknown>> },
    _id: string,
    payload: unknown,
  ): ExecutionArgs | readonly GraphQLError[] => {
    const viewer = authenticate(ctx.connectionParams);
    if (!viewer) return [unauthenticated()];
    const request = parseOperationRequest(payload);
    if (request instanceof GraphQLError) return [request];
    const tooLarge = checkDocumentSize(request.query, limits);
    if (tooLarge) return [tooLarge];
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      if (error instanceof GraphQLError) return [asBadInput(error, 'GRAPHQL_PARSE_FAILED')];
      throw error;
    }
    const invalid = validate(schema, document, [...specifiedRules, ...limitValidationRules(limits)]);
    if (invalid.length > 0) return invalid.map((error) => asBadInput(error, 'GRAPHQL_VALIDATION_FAILED'));
    const tooComplex = validate(schema, document, [complexityRule(limits, request.variables)]);
    if (tooComplex.length > 0) return tooComplex;
    const operation = getOperationAST(document, request.operationName);
    if (!operation) {
      return [
        badRequest(
          'OPERATION_RESOLUTION_FAILURE',
          request.operationName === undefined
            ? 'operationName: expected one when the document holds several operations, got none'
            : `operationName: expected the name of an operation in the document, got '${request.operationName.slice(0, 100)}'`,
        ),
      ];
    }
    // Coerced here, not in execute, so a wrong variable is a coded error like over HTTP.
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables, { maxErrors: 20 });
    if (coerced.errors) return coerced.errors.map((error) => asBadInput(error));
    const limited = rateLimit(limiter, viewer, document, operation, request.variables);
    if (limited) return [limited];
    return { schema, document, operationName: request.operationName, variableValues: request.variables };
  };
}

/** graphql-js's own parse, validation and coercion errors carry no code: they are the client's input. */
function asBadInput(error: GraphQLError, reason?: string): GraphQLError {
  if (typeof error.extensions['code'] === 'string') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT, ...(reason ? { reason } : {}) },
  });
}
