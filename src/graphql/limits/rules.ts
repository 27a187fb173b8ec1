import type { GraphQLError, ValidationRule } from 'graphql';
import type { QueryLimits } from '../../config';
import { measureOperation } from './measure';
import { tooComplex } from './errors';

/*
 * The limits as graphql-js validation rules, so HTTP (Apollo's `validationRules`) and WebSocket
 * (our graphql-ws `onSubscribe`) refuse the same documents with the same errors.
 */

/**
 * Depth, aliases and root fields: they depend on the document alone, so Apollo may cache the verdict
 * with the parsed document.
 */
export function operationShapeRule(limits: QueryLimits): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const measured = measureOperation(context.getSchema(), operation, (name) => context.getFragment(name));
      for (const error of shapeErrors(measured, limits, operation)) context.reportError(error);
      return false;
    },
  });
}

/** Complexity depends on the page sizes the variables ask for: built per request with them. */
export function complexityRule(limits: QueryLimits, variables: Readonly<Record<string, unknown>> = {}): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const { complexity } = measureOperation(context.getSchema(), operation, (name) => context.getFragment(name), variables);
      if (complexity > limits.maxComplexity) {
        context.reportError(
          tooComplex(
            'complexity',
            complexity,
            limits.maxComplexity,
            `fields it may resolve (each field 1, its sub-selection times its page size \`first\`)`,
            operation,
          ),
        );
      }
      return false;
    },
  });
}

function shapeErrors(
  measured: ReturnType<typeof measureOperation>,
  limits: QueryLimits,
  operation: Parameters<typeof tooComplex>[4],
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  if (measured.depth > limits.maxDepth) {
    errors.push(tooComplex('depth', measured.depth, limits.maxDepth, 'nesting depth of fields (fragments expanded)', operation));
  }
  if (measured.rootFields > limits.maxRootFields) {
    errors.push(tooComplex('rootFields', measured.rootFields, limits.maxRootFields, 'top-level fields (aliases included)', operation));
  }
  if (measured.aliases > limits.maxAliases) {
    errors.push(tooComplex('aliases', measured.aliases, limits.maxAliases, 'aliased fields (fragments expanded)', operation));
  }
  return errors;
}
