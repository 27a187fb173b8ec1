import type { GraphQLSchema } from 'graphql';
import { ROLES, type Right } from '../../src/domain/accounts/roles';
import { buildApiSchema } from '../../src/graphql/schema';
import { tokenWithRoles, type Headers } from '../support/api';
import { buildCall, operationKey, rootOperations } from '../support/operations';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { execute } from '../support/ws';

/**
 * The right each operation needs (domain.md, "Accounts, users, roles"). An operation missing here
 * fails the first test: every new operation gets its row, and so its place in the matrix below.
 */
const REQUIRED: Readonly<Record<string, Right>> = {
  // queries
  serverInfo: 'observer',
  viewer: 'observer',
  users: 'admin',
  apiTokens: 'admin',
  clouds: 'observer',
  cloud: 'observer',
  multiCloudImages: 'observer',
  multiCloudImage: 'observer',
  history: 'observer',
  diff: 'observer',
  componentAt: 'observer',
  // queries: RightScripts
  rightScripts: 'observer',
  rightScript: 'observer',
  // queries: ServerTemplates
  serverTemplates: 'observer',
  serverTemplate: 'observer',
  // queries: deployments
  deployments: 'observer',
  deployment: 'observer',
  // queries: change feed
  events: 'observer',
  // queries: audit
  verifyHistory: 'observer',
  blame: 'observer',
  // queries: merge
  mergePreview: 'observer',
  // queries: marketplace
  publications: 'observer',
  publication: 'observer',
  accountGroups: 'observer',
  // mutations
  createAccount: 'systemOperator',
  createUser: 'admin',
  createApiToken: 'admin',
  revokeApiToken: 'admin',
  registerCloud: 'systemOperator',
  registerImage: 'systemOperator',
  registerInstanceType: 'systemOperator',
  deprecateImage: 'systemOperator',
  createMultiCloudImage: 'designer',
  updateMultiCloudImage: 'designer',
  mapImage: 'designer',
  unmapImage: 'designer',
  commitMultiCloudImage: 'designer',
  cloneMultiCloudImage: 'designer',
  deleteMultiCloudImage: 'designer',
  // mutations: RightScripts
  createRightScript: 'designer',
  updateRightScript: 'designer',
  commitRightScript: 'designer',
  cloneRightScript: 'designer',
  deleteRightScript: 'designer',
  // mutations: ServerTemplates
  createServerTemplate: 'designer',
  updateServerTemplate: 'designer',
  addTemplateMultiCloudImage: 'designer',
  removeTemplateMultiCloudImage: 'designer',
  setDefaultTemplateMultiCloudImage: 'designer',
  pinTemplateMultiCloudImage: 'designer',
  bindRightScript: 'designer',
  unbindRightScript: 'designer',
  commitServerTemplate: 'designer',
  cloneServerTemplate: 'designer',
  deleteServerTemplate: 'designer',
  // mutations: deployments
  createDeployment: 'actor',
  addServer: 'actor',
  updateServer: 'actor',
  // mutations: merge
  merge: 'designer',
  // mutations: marketplace
  publish: 'publisher',
  deprecatePublication: 'publisher',
  createAccountGroup: 'publisher',
  inviteToAccountGroup: 'publisher',
  acceptInvitation: 'admin',
  // mutations: imports
  importPublication: 'library',
  // subscriptions
  'subscription events': 'observer',
};

type Principal = { name: string; rights: readonly Right[]; headers: Headers };

describe('role matrix: every operation × every role', () => {
  let service: TestService;
  let schema: GraphQLSchema;
  const principals: Principal[] = [];

  beforeAll(async () => {
    service = await startTestService();
    schema = await buildApiSchema();
    for (const role of ROLES) {
      principals.push({ name: role, rights: [role], headers: await tokenWithRoles(service.url, [role.toUpperCase()]) });
    }
    principals.push({
      name: 'every role',
      rights: ROLES,
      headers: await tokenWithRoles(
        service.url,
        ROLES.map((r) => r.toUpperCase()),
      ),
    });
    principals.push({ name: 'system operator', rights: [...ROLES, 'systemOperator'], headers: ADMIN });
  });
  afterAll(() => service.stop());

  it('has a declared right for every operation of the schema', () => {
    expect(rootOperations(schema).map(operationKey).sort()).toEqual(Object.keys(REQUIRED).sort());
  });

  it('refuses exactly the principals without the right, with FORBIDDEN and nothing written', async () => {
    const verdicts: string[] = [];
    const expected: string[] = [];
    for (const operation of rootOperations(schema)) {
      const required = REQUIRED[operationKey(operation)] as Right;
      const { query, variables } = buildCall(operation);
      for (const principal of principals) {
        const allowed = required === 'observer' || principal.rights.includes(required);
        const before = await service.services.store.headPosition();
        // Subscriptions run over a WebSocket, answered by their first message.
        const response = await execute(service.url, query, variables, { ...principal.headers });
        const code = response.body.errors?.[0]?.extensions?.['code'];
        const refused = code === 'FORBIDDEN';
        verdicts.push(`${operation.name} × ${principal.name}: ${refused ? 'FORBIDDEN' : 'let through'}`);
        expected.push(`${operation.name} × ${principal.name}: ${allowed ? 'let through' : 'FORBIDDEN'}`);
        if (refused) {
          expect(response.body.errors?.[0]?.message).toMatch(new RegExp(`needs the '${required}' right`));
          expect(await service.services.store.headPosition()).toEqual(before);
        }
        // Whatever else happened (a generated id is NOT_FOUND, a generated name is fine…), no crash.
        expect(code).not.toBe('INTERNAL_SERVER_ERROR');
      }
    }
    expect(verdicts).toEqual(expected);
  });
});
