import type { Client } from 'graphql-ws';
import { ok, tokenWithRoles, type Headers } from '../support/api';
import { withTimeout } from '../support/async';
import { ADMIN, graphql, startTestService, type TestService } from '../support/service';
import { socketClient } from '../support/ws';

/*
 * The per-token mutation rate limit over real HTTP and WebSocket, with a small limit (60 a minute,
 * burst 3) and the limiter's clock in the test's hands: time moves when the test says, never by sleeping.
 */

const clock = { now: 0 };
let service: TestService;
beforeAll(async () => {
  service = await startTestService(
    { RATE_LIMIT_MUTATIONS_PER_MINUTE: '60', RATE_LIMIT_MUTATIONS_BURST: '3' },
    { rateLimitClock: () => clock.now },
  );
});
afterAll(() => service.stop());

const deployments = (count: number) =>
  `mutation { ${Array.from({ length: count }, (_, i) => `d${i}: createDeployment(name: "rate ${i}") { id }`).join(' ')} }`;

async function refusedWithNothingWritten(query: string, headers: Headers) {
  const before = await service.services.store.headPosition();
  const response = await graphql(service.url, query, undefined, { ...headers });
  expect(await service.services.store.headPosition()).toEqual(before);
  return response;
}

/** A fresh token (its own bucket) for each test, made with the admin token while the admin's bucket is full. */
async function freshToken(): Promise<Headers> {
  clock.now += 60_000;
  const headers = await tokenWithRoles(service.url, ['ACTOR']);
  clock.now += 60_000;
  return headers;
}

describe('the mutation rate limit', () => {
  it('counts every mutation field, aliases included, and refuses the whole request past the burst with 429 and Retry-After', async () => {
    const actor = await freshToken();
    await ok(service.url, deployments(2), {}, actor);
    const refused = await refusedWithNothingWritten(deployments(2), actor);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toEqual({
      errors: [
        {
          message:
            'rate limited: this request runs 2 mutations and this token may run 1 now (60 mutations a minute per API token, at most 3 at once); retry in 1 s',
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1, mutations: 2, available: 1, perMinute: 60, burst: 3 },
        },
      ],
    });
    await ok(service.url, deployments(1), {}, actor);
    expect((await refusedWithNothingWritten(deployments(1), actor)).body.errors?.[0]?.extensions).toMatchObject({
      retryAfterSeconds: 1,
      available: 0,
    });
    clock.now += 1_000;
    await ok(service.url, deployments(1), {}, actor);
  });

  it('does not limit queries, nor other tokens', async () => {
    const other = await freshToken();
    const actor = await freshToken();
    await ok(service.url, deployments(3), {}, actor);
    for (let i = 0; i < 20; i++) await ok(service.url, '{ deployments { totalCount } }', {}, actor);
    await ok(service.url, deployments(3), {}, other);
    expect((await refusedWithNothingWritten(deployments(1), actor)).status).toBe(429);
  });

  it('says when a request runs more mutations than a full bucket holds: waiting would not help', async () => {
    const actor = await freshToken();
    const refused = await refusedWithNothingWritten(deployments(4), actor);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.body.errors?.[0]).toEqual({
      message:
        'rate limited: this request runs 4 mutations, more than one token may run at once (60 mutations a minute per API token, at most 3 at once); send them in smaller requests',
      extensions: { code: 'RATE_LIMITED', mutations: 4, available: 3, perMinute: 60, burst: 3 },
    });
  });

  it('charges only the mutation fields that run: @skip and @include honoured', async () => {
    const actor = await freshToken();
    const skipped = `mutation($run: Boolean!) { ${Array.from({ length: 5 }, (_, i) => `d${i}: createDeployment(name: "s${i}") @include(if: $run) { id }`).join(' ')} one: createDeployment(name: "one") { id } }`;
    const data = await ok<Record<string, unknown>>(service.url, skipped, { run: false }, actor);
    expect(Object.keys(data)).toEqual(['one']);
    await ok(service.url, deployments(2), {}, actor);
  });

  it('shares one bucket per token between HTTP and WebSocket, answering RATE_LIMITED over the socket too', async () => {
    const actor = await freshToken();
    const client: Client = socketClient(service.url, actor);
    try {
      const run = (query: string) =>
        withTimeout(
          new Promise<{ data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> }>((resolve, reject) => {
            let result: { data?: unknown } | undefined;
            client.subscribe(
              { query },
              {
                next: (value) => (result = value),
                error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
                complete: () => resolve(result ?? {}),
              },
            );
          }),
          10_000,
          'a mutation over WebSocket',
        );
      expect((await run(deployments(2))).errors).toBeUndefined();
      await ok(service.url, deployments(1), {}, actor);
      const before = await service.services.store.headPosition();
      expect((await run(deployments(1))).errors?.[0]?.extensions).toEqual({
        code: 'RATE_LIMITED',
        retryAfterSeconds: 1,
        mutations: 1,
        available: 0,
        perMinute: 60,
        burst: 3,
      });
      expect(await service.services.store.headPosition()).toEqual(before);
    } finally {
      await client.dispose();
    }
  });
});

describe('the rate limit switched off', () => {
  it('lets any number of mutations through at RATE_LIMIT_MUTATIONS_PER_MINUTE=0', async () => {
    const off = await startTestService(
      { RATE_LIMIT_MUTATIONS_PER_MINUTE: '0', RATE_LIMIT_MUTATIONS_BURST: '1' },
      { rateLimitClock: () => 0 },
    );
    try {
      for (let i = 0; i < 3; i++) await ok(off.url, deployments(5), {}, ADMIN);
    } finally {
      await off.stop();
    }
  });
});
