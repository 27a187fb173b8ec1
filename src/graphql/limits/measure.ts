import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../versionControl/pagination';

/*
 * What one operation would cost, measured on its document before anything runs. Fragments are
 * expanded, each measured once (a fragment's cost does not depend on where it is spread), so a
 * document that spreads fragments into fragments can't make the measuring itself explode.
 */

/** The size of an unpaged list (`settings`, `images`, `__Type.fields`…) when counting what a query may fetch. */
export const ASSUMED_LIST_SIZE = 10;

export interface OperationMeasures {
  /** Longest chain of nested fields: `{ a { b } }` is 2. */
  readonly depth: number;
  /** Aliased fields, counted as often as their fragment is spread. */
  readonly aliases: number;
  /** Fields at the top of the operation (aliases included), fragments expanded. */
  readonly rootFields: number;
  /** Fields it may resolve: each field 1, plus its sub-selection times its page size (`first`) or ASSUMED_LIST_SIZE for a list. */
  readonly complexity: number;
}

/** Looks up a fragment of the document by name (a ValidationContext's `getFragment`). */
export type FragmentLookup = (name: string) => FragmentDefinitionNode | null | undefined;

interface Sums {
  depth: number;
  aliases: number;
  rootFields: number;
  complexity: number;
}

const NOTHING: Sums = { depth: 0, aliases: 0, rootFields: 0, complexity: 0 };

/**
 * Measures one operation. `variables` (raw, as the client sent them) give `first: $n` its value;
 * without one the field's default page size counts.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: FragmentLookup,
  variables: Readonly<Record<string, unknown>> = {},
): OperationMeasures {
  // Per fragment name: its measures once known, `undefined` while it is being measured (a cycle,
  // which NoFragmentCyclesRule refuses anyway, then adds nothing).
  const fragments = new Map<string, Sums | undefined>();
  const defaults = variableDefaults(operation);
  const pageSizeOf = (value: ValueNode | undefined): number => {
    let size: unknown = DEFAULT_PAGE_SIZE;
    if (value?.kind === Kind.INT) size = Number(value.value);
    else if (value?.kind === Kind.VARIABLE) size = variables[value.name.value] ?? defaults.get(value.name.value) ?? DEFAULT_PAGE_SIZE;
    // Out-of-range sizes are the page-size check's to refuse, with its own clearer message.
    return typeof size === 'number' && Number.isSafeInteger(size) ? Math.min(Math.max(size, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  };

  const measureSet = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined): Sums => {
    const sums = { ...NOTHING };
    for (const selection of set.selections) {
      let inner: Sums;
      if (selection.kind === Kind.FIELD) {
        inner = measureField(selection, parent);
        sums.rootFields += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition ? compositeType(schema, selection.typeCondition.name.value) : parent;
        inner = measureSet(selection.selectionSet, typed);
        sums.rootFields += inner.rootFields;
      } else {
        inner = measureFragment(selection.name.value);
        sums.rootFields += inner.rootFields;
      }
      sums.depth = Math.max(sums.depth, inner.depth);
      sums.aliases += inner.aliases;
      sums.complexity += inner.complexity;
    }
    return sums;
  };

  const measureField = (field: FieldNode, parent: GraphQLCompositeType | undefined): Sums => {
    const definition = parent ? fieldDefinition(schema, parent, field.name.value) : undefined;
    const type = definition ? getNullableType(definition.type) : undefined;
    const named = definition ? getNamedType(definition.type) : undefined;
    const below = field.selectionSet ? measureSet(field.selectionSet, named && isCompositeType(named) ? named : undefined) : NOTHING;
    let items = 1;
    if (definition?.args.some((arg) => arg.name === 'first')) {
      items = pageSizeOf(field.arguments?.find((arg) => arg.name.value === 'first')?.value);
    } else if (type && isListType(type) && !parent?.name.endsWith('Connection')) {
      // A connection's own `nodes` and `edges` are already counted by its `first`.
      items = ASSUMED_LIST_SIZE;
    }
    return {
      depth: 1 + below.depth,
      aliases: (field.alias ? 1 : 0) + below.aliases,
      rootFields: 1,
      complexity: 1 + items * below.complexity,
    };
  };

  const measureFragment = (name: string): Sums => {
    if (fragments.has(name)) return fragments.get(name) ?? NOTHING;
    const definition = fragment(name);
    if (!definition) return NOTHING;
    fragments.set(name, undefined);
    const sums = measureSet(definition.selectionSet, compositeType(schema, definition.typeCondition.name.value));
    fragments.set(name, sums);
    return sums;
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const { depth, aliases, rootFields, complexity } = measureSet(operation.selectionSet, root);
  return { depth, aliases, rootFields, complexity };
}

function variableDefaults(operation: OperationDefinitionNode): Map<string, unknown> {
  const defaults = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue?.kind === Kind.INT) defaults.set(definition.variable.name.value, Number(definition.defaultValue.value));
  }
  return defaults;
}

function compositeType(schema: GraphQLSchema, name: string): GraphQLCompositeType | undefined {
  const type = schema.getType(name);
  return type && isCompositeType(type) ? type : undefined;
}

function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return 'getFields' in parent ? parent.getFields()[name] : undefined;
}
