import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/*
 * Operations generated from the schema itself, so the role matrix and the tenant-isolation tests
 * cover every operation there is, including ones added later.
 */

export interface RootOperation {
  readonly kind: 'query' | 'mutation' | 'subscription';
  readonly name: string;
  readonly field: GraphQLField<unknown, unknown>;
}

export function rootOperations(schema: GraphQLSchema): RootOperation[] {
  const of = (kind: RootOperation['kind'], fields: Record<string, GraphQLField<unknown, unknown>> | undefined): RootOperation[] =>
    Object.values(fields ?? {}).map((field) => ({ kind, name: field.name, field }));
  return [
    ...of('query', schema.getQueryType()?.getFields()),
    ...of('mutation', schema.getMutationType()?.getFields()),
    ...of('subscription', schema.getSubscriptionType()?.getFields()),
  ];
}

/** Unique across kinds (a query and a subscription may share a name, as `events` does). */
export function operationKey(operation: RootOperation): string {
  return operation.kind === 'subscription' ? `subscription ${operation.name}` : operation.name;
}

/**
 * Picks the value of an ID argument or input field by its name (`id`, `multiCloudImageId`, `input.userId`…);
 * `undefined` falls back to a fresh random id.
 */
export type IdChooser = (path: string, operation: string) => string | undefined;

/** A document and variables that pass GraphQL validation: every required argument, nothing optional. */
export function buildCall(
  operation: RootOperation,
  chooseId: IdChooser = () => undefined,
): { query: string; variables: Record<string, unknown> } {
  const definitions: string[] = [];
  const uses: string[] = [];
  const variables: Record<string, unknown> = {};
  for (const arg of operation.field.args) {
    if (!isNonNullType(arg.type) && !wantsId(arg, operation.name, chooseId)) continue;
    definitions.push(`$${arg.name}: ${String(arg.type)}`);
    uses.push(`${arg.name}: $${arg.name}`);
    variables[arg.name] = sample(arg.type, arg.name, operation.name, chooseId);
  }
  const returns = getNamedType(operation.field.type);
  const selection = isScalarType(returns) || isEnumType(returns) ? '' : ' { __typename }';
  const header = definitions.length ? `(${definitions.join(', ')})` : '';
  const args = uses.length ? `(${uses.join(', ')})` : '';
  return { query: `${operation.kind}${header} { ${operation.name}${args}${selection} }`, variables };
}

/** An optional argument is passed when the chooser picks an id for it, or for an ID inside it (`filter.componentIds`). */
function wantsId(arg: GraphQLArgument, operation: string, chooseId: IdChooser): boolean {
  return idPathsOf(arg).some((path) => chooseId(path, operation) !== undefined);
}

function sample(type: GraphQLInputType, path: string, operation: string, chooseId: IdChooser): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sample(inner.ofType as GraphQLInputType, path, operation, chooseId)];
  if (isEnumType(inner)) return inner.getValues()[0]?.name;
  if (isInputObjectType(inner)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      const fieldPath = `${path}.${field.name}`;
      const isId = getNamedType(field.type).name === 'ID';
      if (isNonNullType(field.type) || (isId && chooseId(fieldPath, operation) !== undefined)) {
        value[field.name] = sample(field.type, fieldPath, operation, chooseId);
      }
    }
    return value;
  }
  switch (inner.name) {
    case 'ID':
      return chooseId(path, operation) ?? randomUUID();
    case 'String':
      return 'generated probe';
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    case 'JSON':
    case 'JSONObject':
      return {};
    default:
      throw new Error(`no sample for scalar ${inner.name} (argument ${path} of ${operation}): add one here`);
  }
}

/** Does the operation take an ID anywhere in its arguments (inputs included)? */
export function idPaths(operation: RootOperation): string[] {
  return operation.field.args.flatMap(idPathsOf);
}

function idPathsOf(arg: GraphQLArgument): string[] {
  const paths: string[] = [];
  const walk = (type: GraphQLInputType, path: string, seen: Set<string>): void => {
    const named = getNamedType(type);
    if (named.name === 'ID') paths.push(path);
    if (isInputObjectType(named) && !seen.has(named.name)) {
      for (const field of Object.values(named.getFields())) walk(field.type, `${path}.${field.name}`, new Set([...seen, named.name]));
    }
  };
  walk(arg.type, arg.name, new Set());
  return paths;
}
