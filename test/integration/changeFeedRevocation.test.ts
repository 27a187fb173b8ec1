import { randomUUID } from 'node:crypto';
import { subscribeToFeed, TOKEN_REVOKED_MESSAGE } from '../../src/application/changeFeed';
import { accountStream } from '../../src/domain/accounts/account';
import type { Viewer } from '../../src/domain/accounts/roles';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import type { NewEvent } from '../../src/eventStore/port';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';

/**
 * A subscription is refused at once when its token was revoked before it started (the read models the
 * request was authenticated against may lag the log). The account stream is read newest first, a page
 * at a time, back to the token's creation: these accounts hold more events than one page.
 */

const OTHER_EVENTS = 250;

describe('the change feed refuses a token revoked before the subscription started', () => {
  let store: SqliteEventStore;
  const accountId = randomUUID();
  const viewerOf = (tokenId: string): Viewer => ({ accountId, userId: 'u-1', tokenId, roles: ['admin'], systemOperator: false });
  const tokenCreated = (tokenId: string): NewEvent => ({
    type: 'ApiTokenCreated',
    data: { tokenId, userId: 'u-1', name: tokenId, roles: ['admin'], tokenHash: 'h' },
  });
  const users = (count: number): NewEvent[] =>
    Array.from({ length: count }, (_, i) => ({ type: 'UserCreated', data: { userId: `u-${i + 2}`, name: `user ${i + 2}` } }));
  const stopFeed = async (tokenId: string): Promise<void> => {
    const feed = await subscribeToFeed(store, viewerOf(tokenId), { selection: {}, maxQueuedEvents: 10, onTooSlow: () => undefined });
    await feed.return?.();
  };

  beforeAll(async () => {
    store = openSqliteEventStore({ path: ':memory:' });
    await store.append(
      accountStream(accountId),
      [
        { type: 'AccountCreated', data: { accountId, name: 'acme' } },
        { type: 'UserCreated', data: { userId: 'u-1', name: 'admin' } },
        tokenCreated('revoked-early'),
        tokenCreated('kept'),
        ...users(OTHER_EVENTS),
        { type: 'ApiTokenRevoked', data: { tokenId: 'revoked-early' } },
        ...users(OTHER_EVENTS),
        tokenCreated('revoked-late'),
        ...users(OTHER_EVENTS),
        { type: 'ApiTokenRevoked', data: { tokenId: 'revoked-late' } },
        tokenCreated('newest'),
      ],
      { expectedRevision: 'no_stream' },
    );
  });

  afterAll(async () => {
    await store.close();
  });

  it.each(['revoked-early', 'revoked-late'])('refuses token %s with UNAUTHENTICATED', async (tokenId) => {
    const refusal = subscribeToFeed(store, viewerOf(tokenId), { selection: {}, maxQueuedEvents: 10, onTooSlow: () => undefined });
    await expect(refusal).rejects.toThrow(DomainError);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED, message: TOKEN_REVOKED_MESSAGE });
  });

  it.each(['kept', 'newest'])('accepts token %s, created long before or just now and never revoked', async (tokenId) => {
    await expect(stopFeed(tokenId)).resolves.toBeUndefined();
  });

  it('refuses a token of an account the log does not hold', async () => {
    const stranger: Viewer = { ...viewerOf('kept'), accountId: randomUUID() };
    await expect(
      subscribeToFeed(store, stranger, { selection: {}, maxQueuedEvents: 10, onTooSlow: () => undefined }),
    ).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
      message: TOKEN_REVOKED_MESSAGE,
    });
  });
});
