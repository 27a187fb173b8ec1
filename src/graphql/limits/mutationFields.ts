import { Kind, type DirectiveNode, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/*
 * How many mutations an operation will run: the rate limit charges each top-level mutation field
 * (every alias is one more run), fragments expanded and `@skip` / `@include` honoured as graphql-js
 * executes them.
 */

/** Mutation fields `operation` will run with these (raw) variables; 0 for queries and subscriptions. */
export function mutationFieldCount(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): number {
  if (operation.operation !== 'mutation') return 0;
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
    ),
  );
  const included = (directives: readonly DirectiveNode[] | undefined): boolean =>
    !directives?.some((directive) => {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') return false;
      const argument = directive.arguments?.find((arg) => arg.name.value === 'if')?.value;
      const condition =
        argument?.kind === Kind.BOOLEAN
          ? argument.value
          : argument?.kind === Kind.VARIABLE
            ? variables[argument.name.value] === true
            : true;
      return name === 'skip' ? condition : !condition;
    });
  // Each fragment counted once and remembered (spreads of spreads could otherwise multiply the work);
  // `undefined` marks one being counted, so a cycle (which validation refuses anyway) adds nothing.
  const counted = new Map<string, number | undefined>();
  const count = (set: SelectionSetNode): number => {
    let fields = 0;
    for (const selection of set.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) fields += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        fields += count(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || counted.has(name)) {
          fields += counted.get(name) ?? 0;
          continue;
        }
        counted.set(name, undefined);
        const inFragment = count(fragment.selectionSet);
        counted.set(name, inFragment);
        fields += inFragment;
      }
    }
    return fields;
  };
  return count(operation.selectionSet);
}
