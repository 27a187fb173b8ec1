import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { TOKEN_REVOKED_MESSAGE } from '../../src/application/changeFeed';
import { newTokenSecret } from '../../src/application/tokens';
import { ok } from '../support/api';
import { ADMIN, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../support/service';
import { socketClient, socketUrl, subscribeToEvents } from '../support/ws';

/*
 * Failed authentication tells nothing about the token: an unknown, a revoked and a malformed token (or
 * none) get byte-identical answers over HTTP and the same refusal on a WebSocket. A revoked token stops
 * working from the moment its revocation is answered: the next HTTP request, the next operation on a
 * socket opened before, and a subscription already running on it.
 * (Stored only hashed: accounts.test.ts scans every byte of DATA_DIR for the secret.)
 */

const VIEWER = `{ viewer { user { id } } }`;

/** A user with a token of these roles; its id, to revoke it, and its secret. */
async function newToken(url: string, roles: string[]): Promise<{ id: string; token: string }> {
  const { createUser } = await ok<{ createUser: { id: string } }>(url, `mutation { createUser(name: "holder") { id } }`);
  const { createApiToken } = await ok<{ createApiToken: { id: string; token: string } }>(
    url,
    `mutation($u: ID!, $roles: [Role!]!) { createApiToken(userId: $u, roles: $roles, name: "t") { id token } }`,
    { u: createUser.id, roles },
  );
  return createApiToken;
}

const revoke = (url: string, id: string): Promise<unknown> => ok(url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id });

/** Everything of an HTTP answer a client can tell apart, except the headers that differ per response (date, request id). */
async function rawAnswer(url: string, authorization: string | undefined): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': 'same-for-all',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify({ query: VIEWER }),
  });
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive'));
  return { status: response.status, headers, body: await response.text() };
}

describe('API tokens', () => {
  let service: TestService;
  const clients: Client[] = [];
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await service.stop();
  });

  it('answers an unknown, a revoked, a malformed and a missing token with byte-identical 401s', async () => {
    const revoked = await newToken(service.url, ['OBSERVER']);
    expect((await rawAnswer(service.url, `Bearer ${revoked.token}`)).status).toBe(200);
    await revoke(service.url, revoked.id);

    const variants: Record<string, string | undefined> = {
      unknown: `Bearer ${newTokenSecret()}`,
      revoked: `Bearer ${revoked.token}`,
      'one character off a live one': `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}x`,
      'too long': `Bearer ${'a'.repeat(300)}`,
      'not a bearer token': `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`,
      'no token after Bearer': 'Bearer ',
      'two tokens': `Bearer ${TEST_ADMIN_TOKEN} ${TEST_ADMIN_TOKEN}`,
      missing: undefined,
    };
    const answers = Object.fromEntries(
      await Promise.all(Object.entries(variants).map(async ([name, header]) => [name, await rawAnswer(service.url, header)] as const)),
    );
    const reference = answers['unknown'] as Record<string, unknown>;
    expect(reference).toMatchObject({
      status: 401,
      headers: expect.objectContaining({ 'www-authenticate': 'Bearer realm="multicloud-images"', 'x-request-id': 'same-for-all' }),
    });
    expect(JSON.parse(reference['body'] as string)).toEqual({
      errors: [
        {
          message: 'authentication required: send a valid API token as "Authorization: Bearer <token>"',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
    for (const [name, answer] of Object.entries(answers)) expect({ name, answer }).toEqual({ name, answer: reference });
  });

  it('refuses an unknown, a revoked, a malformed and a missing token alike on a WebSocket (close 4403, same reason)', async () => {
    const revoked = await newToken(service.url, ['OBSERVER']);
    await revoke(service.url, revoked.id);
    const closes = await Promise.all(
      [`Bearer ${newTokenSecret()}`, `Bearer ${revoked.token}`, `Bearer ${'a'.repeat(300)}`, 'Bearer ', ''].map(
        (authorization) =>
          new Promise<{ code: number; reason: string }>((resolve) => {
            const client = socketClient(service.url, { authorization }, { closed: ({ code, reason }) => resolve({ code, reason }) });
            clients.push(client);
            client.subscribe({ query: VIEWER }, { next: () => undefined, error: () => undefined, complete: () => undefined });
          }),
      ),
    );
    expect(closes[0]?.code).toBe(4403);
    for (const close of closes) expect(close).toEqual(closes[0]);
  });

  it('stops a revoked token at once: the next HTTP request, the next operation on an open socket, and its running subscription', async () => {
    const holder = await newToken(service.url, ['OBSERVER']);
    const headers = { authorization: `Bearer ${holder.token}` };
    // Not lazy: the socket stays open when no operation runs on it, so it is the same socket throughout.
    const client = createClient({
      url: socketUrl(service.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams: { authorization: headers.authorization },
      on: { closed: () => (socketClosed = true) },
    });
    let socketClosed = false;
    clients.push(client);
    const feed = subscribeToEvents(client, {});
    await feed.waitFor((events) => events.length > 0, 'the replay to start');
    const runOnce = (): Promise<unknown> =>
      new Promise((resolve) => {
        client.subscribe({ query: VIEWER }, { next: resolve, error: resolve, complete: () => undefined });
      });
    expect(await runOnce()).toMatchObject({ data: { viewer: { user: { id: expect.any(String) } } } });

    await revoke(service.url, holder.id);

    expect((await rawAnswer(service.url, headers.authorization)).status).toBe(401);
    expect(await runOnce()).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(await feed.ended()).toEqual({
      kind: 'error',
      error: [expect.objectContaining({ message: TOKEN_REVOKED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } })],
    });
    expect(socketClosed).toBe(false);
    // Other tokens are untouched.
    expect((await rawAnswer(service.url, ADMIN['authorization'])).status).toBe(200);
  });
});
