import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { hashToken } from '../../src/application/tokens';
import { bearer, fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, graphql, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../support/service';

const VIEWER = `{ viewer { user { id name } account { id name } roles systemOperator } }`;

/** Every byte the service wrote to DATA_DIR (databases and their WAL files), as text. */
function everythingOnDisk(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((name) => name !== 'bootstrap-token')
    .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
    .join('\n');
}

async function streamLength(service: TestService, stream: string): Promise<number> {
  return (await service.services.store.readStream(stream)).length;
}

describe('first start (bootstrap)', () => {
  it('creates account Default and an admin token in DATA_DIR/bootstrap-token (0600), logged by path only, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mci-bootstrap-'));
    try {
      const first = await startTestService({ DATA_DIR: dataDir, BOOTSTRAP_TOKEN: '' });
      let token: string;
      try {
        const file = join(dataDir, 'bootstrap-token');
        expect(statSync(file).mode & 0o777).toBe(0o600);
        token = readFileSync(file, 'utf8').trim();
        expect(token).toMatch(/^mci_/);
        const { viewer } = await ok<{ viewer: Record<string, unknown> }>(first.url, VIEWER, {}, bearer(token));
        expect(viewer).toEqual({
          user: { id: expect.any(String), name: 'admin' },
          account: { id: 'default', name: 'Default' },
          roles: ['OBSERVER', 'DESIGNER', 'LIBRARY', 'PUBLISHER', 'ACTOR', 'ADMIN'],
          systemOperator: true,
        });
        expect(first.logs.some((line) => line['file'] === file)).toBe(true);
        expect(JSON.stringify(first.logs)).not.toContain(token);
        expect(everythingOnDisk(dataDir)).not.toContain(token);
      } finally {
        await first.stop();
      }

      const second = await startTestService({ DATA_DIR: dataDir, BOOTSTRAP_TOKEN: '' });
      try {
        expect(readFileSync(join(dataDir, 'bootstrap-token'), 'utf8').trim()).toBe(token);
        expect(await streamLength(second, 'account-default')).toBe(3);
        await ok(second.url, VIEWER, {}, bearer(token));
        expect(JSON.stringify(second.logs)).not.toMatch(/first start/);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('uses BOOTSTRAP_TOKEN as the admin token when set, writing no file', async () => {
    const service = await startTestService();
    try {
      await ok(service.url, VIEWER, {}, ADMIN);
      expect(() => statSync(join(service.dataDir, 'bootstrap-token'))).toThrow(/ENOENT/);
    } finally {
      await service.stop();
    }
  });
});

describe('accounts, users and tokens over HTTP', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('refuses requests without a valid token with 401 UNAUTHENTICATED, the same for unknown and revoked tokens', async () => {
    const missing = await graphql(service.url, VIEWER);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="multicloud-images"');
    expect(missing.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');

    const unknown = await graphql(service.url, VIEWER, {}, bearer('mci_not-a-real-token'));
    const designer = await tokenWithRoles(service.url, ['DESIGNER']);
    const { apiTokens } = await ok<{ apiTokens: Array<{ id: string; name: string }> }>(service.url, `{ apiTokens { id name } }`);
    const newest = apiTokens[apiTokens.length - 1] as { id: string };
    await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }`, { id: newest.id });
    const revoked = await graphql(service.url, VIEWER, {}, designer);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual(unknown.body);
    expect(await revoked.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
    expect(unknown.body.errors?.[0]?.message).toBe('authentication required: send a valid API token as "Authorization: Bearer <token>"');
  });

  it('creates a token whose roles are exactly those asked for, its secret shown once and stored only hashed', async () => {
    const { createUser } = await ok<{ createUser: { id: string; name: string } }>(
      service.url,
      `mutation { createUser(name: "Dana") { id name } }`,
    );
    const { createApiToken } = await ok<{ createApiToken: { id: string; token: string; roles: string[] } }>(
      service.url,
      `mutation($u: ID!) { createApiToken(userId: $u, roles: [OBSERVER, DESIGNER], name: "laptop") { id token roles } }`,
      { u: createUser.id },
    );
    expect(createApiToken.roles).toEqual(['OBSERVER', 'DESIGNER']);
    const { viewer } = await ok<{ viewer: { user: { name: string }; roles: string[]; systemOperator: boolean } }>(
      service.url,
      VIEWER,
      {},
      bearer(createApiToken.token),
    );
    expect(viewer).toMatchObject({ user: { name: 'Dana' }, roles: ['OBSERVER', 'DESIGNER'], systemOperator: false });
    expect(everythingOnDisk(service.dataDir)).not.toContain(createApiToken.token);
    expect(everythingOnDisk(service.dataDir)).toContain(hashToken(createApiToken.token));
    const { apiTokens } = await ok<{ apiTokens: Array<Record<string, unknown>> }>(
      service.url,
      `{ apiTokens { id name roles userId revokedAt } }`,
    );
    expect(apiTokens).toContainEqual({
      id: createApiToken.id,
      name: 'laptop',
      roles: ['OBSERVER', 'DESIGNER'],
      userId: createUser.id,
      revokedAt: null,
    });
  });

  it('refuses admin operations to a token without the admin role (FORBIDDEN), writing nothing', async () => {
    const designer = await tokenWithRoles(service.url, ['DESIGNER']);
    const before = await streamLength(service, 'account-default');
    const refused = await fails(service.url, `mutation { createUser(name: "Eve") { id } }`, {}, designer);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe("Mutation.createUser needs the 'admin' right; this token has 'designer'");
    expect(await streamLength(service, 'account-default')).toBe(before);
  });

  it('lets only the system operator create accounts', async () => {
    const other = await secondAccount(service.url, 'Globex');
    const { viewer } = await ok<{ viewer: { account: { id: string; name: string }; systemOperator: boolean } }>(
      service.url,
      VIEWER,
      {},
      other.admin,
    );
    expect(viewer.account).toEqual({ id: other.accountId, name: 'Globex' });
    expect(viewer.systemOperator).toBe(false);
    const refused = await fails(service.url, `mutation { createAccount(name: "Nope") { account { id } } }`, {}, other.admin);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/needs the 'systemOperator' right/);
  });

  it('validates names and roles with BAD_USER_INPUT, writing nothing', async () => {
    const before = await streamLength(service, 'account-default');
    const blank = await fails(service.url, `mutation { createUser(name: "  ") { id } }`);
    expect(blank).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'user name: expected 1 to 255 characters (not only spaces), got a blank name',
    });
    const long = await fails(service.url, `mutation($n: String!) { createAccount(name: $n) { account { id } } }`, { n: 'x'.repeat(256) });
    expect(long).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'account name: expected 1 to 255 characters (not only spaces), got 256 characters',
    });
    const { createUser } = await ok<{ createUser: { id: string } }>(service.url, `mutation { createUser(name: "Roleless") { id } }`);
    const after = await streamLength(service, 'account-default');
    const noRoles = await fails(service.url, `mutation($u: ID!) { createApiToken(userId: $u, roles: [], name: "x") { id } }`, {
      u: createUser.id,
    });
    expect(noRoles).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^roles: expected at least one of/) });
    expect(after).toBe(before + 1);
    expect(await streamLength(service, 'account-default')).toBe(after);
  });

  it("never reaches another account's users or tokens: NOT_FOUND, nothing written", async () => {
    const other = await secondAccount(service.url, 'Initech');
    const { viewer } = await ok<{ viewer: { user: { id: string } } }>(service.url, VIEWER);
    const { apiTokens } = await ok<{ apiTokens: Array<{ id: string }> }>(service.url, `{ apiTokens { id } }`);
    const defaultTokenId = (apiTokens[0] as { id: string }).id;
    const before = await streamLength(service, 'account-default');
    const theirBefore = await streamLength(service, `account-${other.accountId}`);

    const token = await fails(
      service.url,
      `mutation($u: ID!) { createApiToken(userId: $u, roles: [ADMIN], name: "x") { id } }`,
      { u: viewer.user.id },
      other.admin,
    );
    expect(token).toMatchObject({ code: 'NOT_FOUND', message: `user ${viewer.user.id} not found` });
    const revoke = await fails(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: defaultTokenId }, other.admin);
    expect(revoke).toMatchObject({ code: 'NOT_FOUND', message: `API token ${defaultTokenId} not found` });
    const { apiTokens: theirs } = await ok<{ apiTokens: Array<{ id: string }> }>(service.url, `{ apiTokens { id } }`, {}, other.admin);
    expect(theirs.map((t) => t.id)).not.toContain(defaultTokenId);
    const { users } = await ok<{ users: Array<{ id: string }> }>(service.url, `{ users { id } }`, {}, other.admin);
    expect(users.map((u) => u.id)).not.toContain(viewer.user.id);

    expect(await streamLength(service, 'account-default')).toBe(before);
    expect(await streamLength(service, `account-${other.accountId}`)).toBe(theirBefore);
    await ok(service.url, VIEWER, {}, ADMIN);
  });
});

describe('tokens on WebSockets', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const socketUrl = (): string => `${service.url.replace('http', 'ws')}/graphql`;

  async function runOnce(client: ReturnType<typeof createClient>, query: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let value: unknown;
      client.subscribe({ query }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
    });
  }

  it('refuses a connection without a valid token (close 4403)', async () => {
    const client = createClient({
      url: socketUrl(),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: 'Bearer nope' },
    });
    try {
      const error = await runOnce(client, VIEWER).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 4403 });
    } finally {
      await client.dispose();
    }
  });

  it('refuses operations started after the token was revoked, on a socket opened before', async () => {
    const designer: Headers = await tokenWithRoles(service.url, ['DESIGNER']);
    const token = (designer['authorization'] as string).slice('Bearer '.length);
    const client = createClient({
      url: socketUrl(),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    try {
      expect(await runOnce(client, VIEWER)).toMatchObject({ data: { viewer: { roles: ['DESIGNER'] } } });
      const { apiTokens } = await ok<{ apiTokens: Array<{ id: string }> }>(service.url, `{ apiTokens { id } }`);
      await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, {
        id: (apiTokens[apiTokens.length - 1] as { id: string }).id,
      });
      const refused = await runOnce(client, VIEWER).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^authentication required/), extensions: { code: 'UNAUTHENTICATED' } }),
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('serves operations to a valid token', async () => {
    const client = createClient({
      url: socketUrl(),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    try {
      expect(await runOnce(client, VIEWER)).toMatchObject({ data: { viewer: { account: { name: 'Default' } } } });
    } finally {
      await client.dispose();
    }
  });
});
