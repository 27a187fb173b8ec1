import { getMetadataStorage } from 'type-graphql';
import { ROLES } from '../../src/domain/accounts/roles';
import { buildApiSchema } from '../../src/graphql/schema';

/**
 * Every query, mutation, subscription and field resolver declares the right it needs with
 * `@Authorized(...)`: an operation added without one fails here, before it can ship readable by anyone.
 */
describe('declared rights', () => {
  beforeAll(() => buildApiSchema());

  it('covers every resolver of the schema with a known role or the system operator right', () => {
    const storage = getMetadataStorage();
    const declared = new Map(storage.authorizedFields.map((a) => [`${a.target.name}.${a.fieldName}`, a.roles as string[]]));
    const resolvers = [
      ...storage.queries.map((r) => ({ kind: 'Query', r })),
      ...storage.mutations.map((r) => ({ kind: 'Mutation', r })),
      ...storage.subscriptions.map((r) => ({ kind: 'Subscription', r })),
      ...storage.fieldResolvers.map((r) => ({ kind: 'field', r })),
    ];
    expect(resolvers.length).toBeGreaterThan(3);
    const missing = resolvers
      .filter(({ r }) => {
        const rights = declared.get(`${r.target.name}.${r.methodName}`);
        return rights === undefined || rights.length === 0;
      })
      .map(({ kind, r }) => `${kind} ${r.target.name}.${r.methodName}`);
    expect(missing).toEqual([]);
    const known = new Set<string>([...ROLES, 'systemOperator']);
    const unknown = [...declared].filter(([, rights]) => rights.some((right) => !known.has(right)));
    expect(unknown).toEqual([]);
  });
});
