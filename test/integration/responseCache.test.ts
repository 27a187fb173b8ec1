import { ResponseCache } from '../../src/server/responseCache';
import { bearer, createMci, fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';

/*
 * The response cache (RESPONSE_CACHE_BYTES): a hit is the very answer the query would get now, for
 * this viewer only, and nothing but successful queries read from the read models is ever stored.
 * Everything goes over real HTTP to the real service; the server's counters say whether a request
 * was a hit.
 */

const LIST = `query List($first: Int) { multiCloudImages(first: $first) { totalCount nodes { id name version } } }`;
const VIEWER = `{ viewer { user { id } account { id } roles } }`;

interface Listed {
  multiCloudImages: { totalCount: number; nodes: Array<{ id: string; name: string; version: number }> };
}

async function raw(
  url: string,
  body: unknown,
  headers: Headers = ADMIN,
): Promise<{ status: number; text: string; headers: globalThis.Headers }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('response cache', () => {
  let service: TestService;
  const stats = () => service.http.responseCacheStats() as NonNullable<ReturnType<TestService['http']['responseCacheStats']>>;

  beforeEach(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await service.stop();
  });

  it('answers a repeated query from the cache with the same bytes and headers, and a fresh request id', async () => {
    await createMci(service.url, 'Base');
    const first = await raw(service.url, { query: LIST, variables: { first: 10 } });
    const before = stats();
    const second = await raw(service.url, { query: LIST, variables: { first: 10 } }, { ...ADMIN, 'x-request-id': 'second-request' });
    expect(stats().hits).toBe(before.hits + 1);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    for (const header of ['content-type', 'cache-control', 'etag', 'content-length']) {
      expect(second.headers.get(header)).toBe(first.headers.get(header));
    }
    expect(second.headers.get('cache-control')).toBe('no-store');
    expect(second.headers.get('x-request-id')).toBe('second-request');
    expect(first.headers.get('x-request-id')).not.toBe('second-request');
  });

  it('shows a mutation’s writes to the mutation’s caller and everyone after it', async () => {
    const id = await createMci(service.url, 'Before');
    const observer = await tokenWithRoles(service.url, ['OBSERVER']);
    for (const headers of [ADMIN, observer])
      expect((await ok<Listed>(service.url, LIST, {}, headers)).multiCloudImages.nodes[0]?.name).toBe('Before');
    // Cached now for both viewers; the rename's read-your-writes wait moves the read models on.
    const hitsBefore = stats().hits;
    await ok(service.url, LIST, {}, observer);
    expect(stats().hits).toBe(hitsBefore + 1);
    const { updateMultiCloudImage } = await ok<{ updateMultiCloudImage: { name: string } }>(
      service.url,
      `mutation($id: ID!) { updateMultiCloudImage(input: { id: $id, name: "After" }) { name } }`,
      { id },
    );
    expect(updateMultiCloudImage.name).toBe('After');
    const hitsAfterWrite = stats().hits;
    for (const headers of [ADMIN, observer])
      expect((await ok<Listed>(service.url, LIST, {}, headers)).multiCloudImages.nodes[0]?.name).toBe('After');
    expect(stats().hits).toBe(hitsAfterWrite);
  });

  it('never serves one account’s answer to another account', async () => {
    await createMci(service.url, 'Ours');
    const other = await secondAccount(service.url);
    await createMci(service.url, 'Theirs', other.admin);
    for (let i = 0; i < 2; i++) {
      expect((await ok<Listed>(service.url, LIST)).multiCloudImages.nodes.map((n) => n.name)).toEqual(['Ours']);
      expect((await ok<Listed>(service.url, LIST, {}, other.admin)).multiCloudImages.nodes.map((n) => n.name)).toEqual(['Theirs']);
    }
    const viewers = await Promise.all([ok(service.url, VIEWER), ok(service.url, VIEWER, {}, other.admin)]);
    expect(viewers[0]).not.toEqual(viewers[1]);
  });

  it('never serves one user’s answer to another user of the account, nor one role’s to another', async () => {
    const observer = await tokenWithRoles(service.url, ['OBSERVER']);
    const designer = await tokenWithRoles(service.url, ['DESIGNER']);
    // The admin's answer to `users` is cached first; the observer must still be refused.
    const users = `{ users { id } }`;
    await ok(service.url, users);
    await ok(service.url, users);
    const refused = await fails(service.url, users, {}, observer);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain("needs the 'admin' right");
    const seen = new Map<string, unknown>();
    for (const [name, headers] of [
      ['admin', ADMIN],
      ['observer', observer],
      ['designer', designer],
    ] as const) {
      await ok(service.url, VIEWER, {}, headers);
      seen.set(name, await ok(service.url, VIEWER, {}, headers));
    }
    const ids = [...seen.values()].map((v) => (v as { viewer: { user: { id: string } } }).viewer.user.id);
    expect(new Set(ids).size).toBe(3);
    expect((seen.get('observer') as { viewer: { roles: string[] } }).viewer.roles).toEqual(['OBSERVER']);
    expect((seen.get('designer') as { viewer: { roles: string[] } }).viewer.roles).toEqual(['DESIGNER']);
  });

  it('refuses a revoked token before the cache, even for an answer it cached', async () => {
    const { createUser } = await ok<{ createUser: { id: string } }>(service.url, `mutation { createUser(name: "leaver") { id } }`);
    const { createApiToken } = await ok<{ createApiToken: { token: string; id: string } }>(
      service.url,
      `mutation($u: ID!) { createApiToken(userId: $u, roles: [OBSERVER], name: "t") { token id } }`,
      { u: createUser.id },
    );
    const leaver = bearer(createApiToken.token);
    await ok(service.url, LIST, {}, leaver);
    await ok(service.url, LIST, {}, leaver);
    await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: createApiToken.id });
    const hits = stats().hits;
    const refused = await raw(service.url, { query: LIST }, leaver);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(stats().hits).toBe(hits);
  });

  it('never caches mutations, answers with errors, or answers that read the event store', async () => {
    const create = { query: `mutation { createMultiCloudImage(input: { name: "Twice" }) { id } }` };
    const head = await service.services.store.headPosition();
    const [a, b] = [await raw(service.url, create), await raw(service.url, create)];
    expect(JSON.parse(a.text).data.createMultiCloudImage.id).not.toBe(JSON.parse(b.text).data.createMultiCloudImage.id);
    expect((await service.services.store.headPosition())?.commit).toBe((head?.commit ?? 0n) + 2n);

    const missing = `{ multiCloudImage(id: "no-such-image") { id } }`;
    for (let i = 0; i < 2; i++) expect((await fails(service.url, missing)).code).toBe('NOT_FOUND');

    const storeReads = [`{ serverInfo { position } }`, `query($id: ID!) { history(id: $id) { totalCount } }`];
    const id = JSON.parse(a.text).data.createMultiCloudImage.id as string;
    for (const query of storeReads) for (let i = 0; i < 2; i++) await ok(service.url, query, { id });
    expect(stats().hits).toBe(0);
    expect(stats().stores).toBe(0);
  });

  it('keys on the variables and the operation: a cached small page lets no over-complex page through', async () => {
    await createMci(service.url, 'One');
    await createMci(service.url, 'Two');
    const pages = await Promise.all([1, 2].map((first) => ok<Listed>(service.url, LIST, { first })));
    expect(pages.map((p) => p.multiCloudImages.nodes.length)).toEqual([1, 2]);
    await ok(service.url, LIST, { first: 1 });
    expect(stats().hits).toBe(1);
    const limited = await startTestService({ MAX_QUERY_COMPLEXITY: '50' });
    try {
      await ok(limited.url, LIST, { first: 5 });
      await ok(limited.url, LIST, { first: 5 });
      expect(limited.http.responseCacheStats()?.hits).toBe(1);
      const tooComplex = await fails(limited.url, LIST, { first: 500 });
      expect(tooComplex.code).toBe('QUERY_TOO_COMPLEX');
      expect(tooComplex.response.status).toBe(400);
    } finally {
      await limited.stop();
    }
    const twoOperations = `query A { viewer { roles } } query B { viewer { systemOperator } }`;
    const a = await raw(service.url, { query: twoOperations, operationName: 'A' });
    const b = await raw(service.url, { query: twoOperations, operationName: 'B' });
    expect(JSON.parse(a.text).data.viewer).toHaveProperty('roles');
    expect(JSON.parse(b.text).data.viewer).toEqual({ systemOperator: true });
  });

  it('still applies the body limit and the request checks on the way to a cached answer', async () => {
    await ok(service.url, LIST);
    await ok(service.url, LIST);
    const tooLarge = await raw(service.url, { query: LIST, variables: { padding: 'x'.repeat(2 * 1024 * 1024) } });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).errors[0].extensions.reason).toBe('BODY_TOO_LARGE');
    const extra = await raw(service.url, { query: LIST, extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(64) } } });
    expect(extra.status).toBe(400);
  });

  it('is off with RESPONSE_CACHE_BYTES=0 and answers the same', async () => {
    const off = await startTestService({ RESPONSE_CACHE_BYTES: '0' });
    try {
      await createMci(off.url, 'Plain');
      const [first, second] = [await raw(off.url, { query: LIST }), await raw(off.url, { query: LIST })];
      expect(second.text).toBe(first.text);
      expect(second.headers.get('cache-control')).toBe('no-store');
      expect(off.http.responseCacheStats()).toBeUndefined();
    } finally {
      await off.stop();
    }
  });
});

describe('ResponseCache (LRU by bytes)', () => {
  const body = (bytes: number): Buffer => Buffer.alloc(bytes, 'a');

  it('evicts the least recently used answers once over its bytes, counting keys and overhead', () => {
    const cache = new ResponseCache(10_000);
    cache.set('a', body(2_000), []);
    cache.set('b', body(2_000), []);
    cache.set('c', body(2_000), []);
    expect(cache.get('a')?.body.length).toBe(2_000); // a is now the most recently used
    cache.set('d', body(2_000), []);
    cache.set('e', body(2_000), []);
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('e')).toBeDefined();
    expect(cache.stats().evictions).toBeGreaterThanOrEqual(1);
  });

  it('refuses an answer larger than a quarter of the cache, and replaces an answer stored again', () => {
    const cache = new ResponseCache(10_000);
    cache.set('big', body(3_000), []);
    expect(cache.get('big')).toBeUndefined();
    cache.set('k', body(100), [['content-type', 'application/json']]);
    cache.set('k', body(200), [['content-type', 'application/json']]);
    expect(cache.get('k')?.body.length).toBe(200);
    expect(cache.stats().entries).toBe(1);
  });

  it('is disabled at 0 bytes', () => {
    expect(new ResponseCache(0).enabled).toBe(false);
  });
});
