import 'reflect-metadata';
import { COMPONENT_KINDS } from '../../src/graphql/versionControl/componentKinds';
import { bearer, createMci, fails, ok, renameMci, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { EVENT_FIELDS, type FeedEvent } from '../support/ws';

/**
 * `events(after, first, filter)`: the account's change feed for integrators who poll, over real HTTP.
 * What an account sees: its own events, the shared catalog, its account stream only with the admin
 * role (never a token's hash), never another account's.
 */

interface FeedPage {
  nodes: FeedEvent[];
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const FEED = `query($after: String, $first: Int, $filter: EventFilter) {
  events(after: $after, first: $first, filter: $filter) { nodes { ${EVENT_FIELDS} } edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
}`;

async function page(url: string, variables: Record<string, unknown>, headers: Headers = ADMIN): Promise<FeedPage> {
  return (await ok<{ events: FeedPage }>(url, FEED, variables, headers)).events;
}

/** Every event of the feed after `after`, by pages of `first`, and the cursor the last page ended at. */
async function readAll(
  url: string,
  options: { after?: string; first?: number; filter?: Record<string, unknown> } = {},
  headers: Headers = ADMIN,
): Promise<{ events: FeedEvent[]; endCursor: string | null; pages: number }> {
  const events: FeedEvent[] = [];
  let after = options.after;
  let endCursor: string | null = after ?? null;
  for (let pages = 1; pages <= 1_000; pages++) {
    const current = await page(url, { after, first: options.first ?? 500, filter: options.filter }, headers);
    events.push(...current.nodes);
    endCursor = current.pageInfo.endCursor;
    if (!current.pageInfo.hasNextPage) return { events, endCursor, pages };
    after = current.pageInfo.endCursor ?? undefined;
  }
  throw new Error('the feed never ended');
}

describe('the change feed query', () => {
  let service: TestService;
  let other: { accountId: string; admin: Headers };
  let observer: Headers;
  let ours: string;
  let theirs: string;

  beforeAll(async () => {
    service = await startTestService();
    other = await secondAccount(service.url, 'Other Corp');
    observer = await tokenWithRoles(service.url, ['OBSERVER']);
    ours = await createMci(service.url, 'Ours');
    theirs = await createMci(service.url, 'Theirs', other.admin);
    await renameMci(service.url, ours, 'Ours, renamed');
    await renameMci(service.url, theirs, 'Theirs, renamed', other.admin);
  });
  afterAll(() => service.stop());

  it('pages through the log in order, with the events’ own cursors, without loss or repetition', async () => {
    const whole = await readAll(service.url, { first: 500 });
    const paged = await readAll(service.url, { first: 7 });
    expect(paged.pages).toBeGreaterThan(2);
    expect(paged.events.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
    expect(new Set(whole.events.map((e) => e.id)).size).toBe(whole.events.length);

    const first = await page(service.url, { first: 3 });
    expect(first.edges.map((e) => e.cursor)).toEqual(first.nodes.map((n) => n.cursor));
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.nodes[2]?.cursor });
    // An event's cursor resumes right after it, just like a page's endCursor.
    const fromSecond = await page(service.url, { after: first.nodes[1]?.cursor, first: 1 });
    expect(fromSecond.nodes.map((n) => n.id)).toEqual([first.nodes[2]?.id]);

    // The last page ends where the log ends; polling from there finds nothing until something happens.
    const idle = await page(service.url, { after: whole.endCursor });
    expect(idle).toEqual({ nodes: [], edges: [], pageInfo: { hasNextPage: false, endCursor: whole.endCursor } });
    await renameMci(service.url, ours, 'Ours, renamed again');
    const next = await page(service.url, { after: whole.endCursor });
    expect(next.nodes.map((n) => [n.type, n.componentId, n.data['name']])).toEqual([
      ['MultiCloudImageUpdated', ours, 'Ours, renamed again'],
    ]);
  });

  it('shows each event as the log recorded it: stream, component, revision, actor and hash chain', async () => {
    const { events } = await readAll(service.url, { filter: { componentIds: [ours] } });
    const [created, renamed] = events;
    expect(created).toMatchObject({
      type: 'MultiCloudImageCreated',
      streamId: `mci-${ours}`,
      componentId: ours,
      revision: 0,
      prevHash: null,
      actor: { id: expect.any(String) },
    });
    expect(renamed).toMatchObject({ type: 'MultiCloudImageUpdated', revision: 1, prevHash: created?.hash });
    expect(new Date(created?.occurredAt as string).getTime()).not.toBeNaN();
  });

  it('never shows another account’s events, and shows the shared catalog to everyone', async () => {
    const mine = await readAll(service.url);
    const theirsFeed = await readAll(service.url, {}, other.admin);
    const streams = (events: FeedEvent[]): Set<string> => new Set(events.map((e) => e.streamId));
    expect(streams(mine.events)).toContain(`mci-${ours}`);
    expect(streams(mine.events)).not.toContain(`mci-${theirs}`);
    expect(streams(mine.events)).not.toContain(`account-${other.accountId}`);
    expect(streams(theirsFeed.events)).toContain(`mci-${theirs}`);
    expect(streams(theirsFeed.events)).not.toContain(`mci-${ours}`);
    expect(streams(theirsFeed.events)).not.toContain('account-default');
    const catalog = (events: FeedEvent[]): string[] => events.filter((e) => e.streamId.startsWith('cloud-')).map((e) => e.id);
    expect(catalog(mine.events).length).toBeGreaterThan(0);
    expect(catalog(theirsFeed.events)).toEqual(catalog(mine.events));
  });

  it('shows the account stream (users, tokens) only to admins, and never a token’s hash', async () => {
    const admin = await readAll(service.url);
    const accountEvents = admin.events.filter((e) => e.streamId === 'account-default');
    expect(accountEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['AccountCreated', 'UserCreated', 'ApiTokenCreated']));
    for (const event of accountEvents) expect(event.data).not.toHaveProperty('tokenHash');
    expect(accountEvents.find((e) => e.type === 'ApiTokenCreated')?.data).toEqual(
      expect.objectContaining({ tokenId: expect.any(String), userId: expect.any(String), roles: expect.any(Array) }),
    );
    const seenByObserver = await readAll(service.url, {}, observer);
    expect(seenByObserver.events.filter((e) => e.streamId.startsWith('account-'))).toEqual([]);
    expect(seenByObserver.events.map((e) => e.id)).toEqual(admin.events.filter((e) => e.streamId !== 'account-default').map((e) => e.id));
  });

  it('filters by event types, component ids and kinds; every criterion given must match', async () => {
    const renames = await readAll(service.url, { filter: { types: ['MultiCloudImageUpdated'] } });
    expect(renames.events.length).toBeGreaterThan(0);
    expect(new Set(renames.events.map((e) => e.type))).toEqual(new Set(['MultiCloudImageUpdated']));
    expect(renames.events.every((e) => e.componentId === ours)).toBe(true);

    const one = await readAll(service.url, { filter: { componentIds: [ours] } });
    expect(new Set(one.events.map((e) => e.streamId))).toEqual(new Set([`mci-${ours}`]));
    const both = await readAll(service.url, { filter: { componentIds: [ours], types: ['MultiCloudImageCreated'] } });
    expect(both.events.map((e) => e.type)).toEqual(['MultiCloudImageCreated']);

    const mcis = await readAll(service.url, { filter: { kinds: ['MULTI_CLOUD_IMAGE'] } });
    expect(mcis.events.length).toBeGreaterThanOrEqual(one.events.length);
    expect(mcis.events.every((e) => e.streamId.startsWith('mci-'))).toBe(true);
    expect(mcis.events.some((e) => e.streamId === `mci-${theirs}`)).toBe(false);

    // An empty list matches nothing; a type nobody writes matches nothing either.
    expect((await readAll(service.url, { filter: { types: [] } })).events).toEqual([]);
    expect((await readAll(service.url, { filter: { types: ['NoSuchEvent'] } })).events).toEqual([]);
  });

  it('offers one component kind per registered kind', async () => {
    const { __type } = await ok<{ __type: { enumValues: Array<{ name: string }> } }>(
      service.url,
      `{ __type(name: "ComponentKind") { enumValues { name } } }`,
    );
    expect(__type.enumValues).toHaveLength(COMPONENT_KINDS.length);
    expect(__type.enumValues.map((v) => v.name)).toContain('MULTI_CLOUD_IMAGE');
  });

  it('answers NOT_FOUND for another account’s component id, exactly as for one that never existed', async () => {
    const foreign = await fails(service.url, FEED, { filter: { componentIds: [theirs] } });
    const ghost = await fails(service.url, FEED, { filter: { componentIds: ['00000000-0000-4000-8000-000000000000'] } });
    expect(foreign.code).toBe('NOT_FOUND');
    expect(foreign.message).toBe(ghost.message);
    expect(foreign.message).toBe('no such component');
  });

  it('refuses a bad cursor, page size or filter with BAD_USER_INPUT saying what was expected', async () => {
    expect(await fails(service.url, FEED, { after: 'not-a-cursor' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: "after: expected an event cursor returned by this service, got 'not-a-cursor'",
    });
    const historyCursor = Buffer.from('history:1').toString('base64url');
    expect(await fails(service.url, FEED, { after: historyCursor })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await fails(service.url, FEED, { first: 501 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'first: expected 0 to 500, got 501',
    });
    expect(await fails(service.url, FEED, { first: -1 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'first: expected 0 to 500, got -1',
    });
    const many = Array.from({ length: 101 }, (_, i) => `Type${i}`);
    expect(await fails(service.url, FEED, { filter: { types: many } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'filter.types: expected at most 100 entries, got 101',
    });
    expect(await fails(service.url, FEED, { filter: { types: ['x'.repeat(129)] } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'filter.types: expected event type names of 1 to 128 characters, got one of 129',
    });
  });

  it('counts the events after a cursor when asked', async () => {
    const whole = await readAll(service.url);
    const { events } = await ok<{ events: { totalCount: number } }>(service.url, `{ events(first: 1) { totalCount } }`);
    expect(events.totalCount).toBe(whole.events.length);
    const third = whole.events[2]?.cursor;
    const after = await ok<{ events: { totalCount: number } }>(
      service.url,
      `query($a: String) { events(after: $a, first: 0) { totalCount } }`,
      {
        a: third,
      },
    );
    expect(after.events.totalCount).toBe(whole.events.length - 3);
    const filtered = await ok<{ events: { totalCount: number } }>(
      service.url,
      `query($id: ID!) { events(filter: { componentIds: [$id] }) { totalCount } }`,
      { id: ours },
    );
    expect(filtered.events.totalCount).toBe((await readAll(service.url, { filter: { componentIds: [ours] } })).events.length);
  });

  it('tells a subscription sent over HTTP where it is served', async () => {
    const refused = await fails(service.url, `subscription { events { id } }`);
    expect(refused).toMatchObject({
      code: 'BAD_USER_INPUT',
      message:
        'subscription events is served over WebSocket (graphql-ws protocol) at /graphql; over HTTP, poll with query events(after, first, filter)',
    });
  });

  it('gives a revoked token nothing', async () => {
    const { createUser } = await ok<{ createUser: { id: string } }>(service.url, `mutation { createUser(name: "poller") { id } }`);
    const { createApiToken } = await ok<{ createApiToken: { id: string; token: string } }>(
      service.url,
      `mutation($u: ID!) { createApiToken(userId: $u, roles: [OBSERVER], name: "poller") { id token } }`,
      { u: createUser.id },
    );
    await page(service.url, { first: 1 }, bearer(createApiToken.token));
    await ok(service.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: createApiToken.id });
    expect(await fails(service.url, FEED, { first: 1 }, bearer(createApiToken.token))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
