import { ADMIN, graphql, type GraphQLResponse } from './service';

/*
 * Small steps many integration tests share: tokens with chosen roles, a second account, and
 * assertions on GraphQL answers. Everything goes through the public API over real HTTP.
 */

export type Headers = Readonly<Record<string, string>>;
export const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

/** Runs an operation that must succeed and returns its data (fails the test with the errors otherwise). */
export async function ok<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Headers = ADMIN,
): Promise<Data> {
  const response = await graphql<Data>(url, query, variables, { ...headers });
  if (response.body.errors?.length || !response.body.data) {
    throw new Error(`expected success, got ${response.status}: ${JSON.stringify(response.body.errors ?? response.body)}`);
  }
  return response.body.data;
}

/** Runs an operation that must fail and returns its first error (fails the test if it succeeded). */
export async function fails(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Headers = ADMIN,
): Promise<{ message: string; code: unknown; extensions: Record<string, unknown>; response: GraphQLResponse }> {
  const response = await graphql(url, query, variables, { ...headers });
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.body)}`);
  return { message: error.message, code: error.extensions?.['code'], extensions: error.extensions ?? {}, response };
}

/** A new user in the caller's account and a token for it with exactly these roles (GraphQL names, e.g. 'DESIGNER'). */
export async function tokenWithRoles(url: string, roles: readonly string[], admin: Headers = ADMIN): Promise<Headers> {
  const { createUser } = await ok<{ createUser: { id: string } }>(
    url,
    `mutation($name: String!) { createUser(name: $name) { id } }`,
    { name: `user ${roles.join('+')}` },
    admin,
  );
  const { createApiToken } = await ok<{ createApiToken: { token: string } }>(
    url,
    `mutation($userId: ID!, $roles: [Role!]!) { createApiToken(userId: $userId, roles: $roles, name: "test") { token } }`,
    { userId: createUser.id, roles },
    admin,
  );
  return bearer(createApiToken.token);
}

/** Another account, created by the system operator; returns the headers of its first admin. */
export async function secondAccount(url: string, name = 'Other Corp'): Promise<{ accountId: string; admin: Headers }> {
  const { createAccount } = await ok<{ createAccount: { account: { id: string }; adminToken: string } }>(
    url,
    `mutation($name: String!) { createAccount(name: $name) { account { id } adminToken } }`,
    { name },
  );
  return { accountId: createAccount.account.id, admin: bearer(createAccount.adminToken) };
}

/** A new MultiCloud Image with this name, created through the API; returns its id. */
export async function createMci(url: string, name: string, headers: Headers = ADMIN): Promise<string> {
  const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
    url,
    `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }`,
    { name },
    headers,
  );
  return createMultiCloudImage.id;
}

/** Renames a MultiCloud Image through the API: one more event in its stream. */
export async function renameMci(url: string, id: string, name: string, headers: Headers = ADMIN): Promise<void> {
  await ok(
    url,
    `mutation($id: ID!, $name: String!) { updateMultiCloudImage(input: { id: $id, name: $name }) { id } }`,
    { id, name },
    headers,
  );
}
