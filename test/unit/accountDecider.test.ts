import { accountDecider, type AccountEvent } from '../../src/domain/accounts/account';
import { ROLES } from '../../src/domain/accounts/roles';
import { holdsAnyRight, type Viewer } from '../../src/domain/accounts/roles';
import { bearerToken, hashToken, newTokenSecret } from '../../src/application/tokens';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(accountDecider);
const token = { tokenId: 't1', name: 'first admin token', tokenHash: 'ab'.repeat(32) };
const created: AccountEvent[] = [
  { type: 'AccountCreated', data: { accountId: 'a1', name: 'Acme' } },
  { type: 'UserCreated', data: { userId: 'u1', name: 'admin' } },
  {
    type: 'ApiTokenCreated',
    data: { tokenId: 't1', userId: 'u1', name: 'first admin token', roles: [...ROLES], tokenHash: token.tokenHash },
  },
];

describe('account decider', () => {
  it('creates an account with an admin holding every role', () =>
    spec
      .given([])
      .when({
        type: 'CreateAccount',
        data: { accountId: 'a1', name: 'Acme', admin: { userId: 'u1', name: 'admin' }, token, systemOperator: false },
      })
      .then(created));

  it('grants the system operator right only when asked (the bootstrap)', () => {
    const events = accountDecider.decide(
      {
        type: 'CreateAccount',
        data: { accountId: 'a1', name: 'Acme', admin: { userId: 'u1', name: 'admin' }, token, systemOperator: true },
      },
      accountDecider.initialState(),
    );
    expect(events[2]).toEqual({ type: 'ApiTokenCreated', data: expect.objectContaining({ systemOperator: true }) });
  });

  it('refuses a second account on the same stream', () =>
    spec
      .given(created)
      .when({
        type: 'CreateAccount',
        data: { accountId: 'a1', name: 'Again', admin: { userId: 'u2', name: 'x' }, token, systemOperator: false },
      })
      .thenFails('BAD_USER_INPUT', /already exists/));

  it.each([
    ['blank', '   ', /blank name/],
    ['too long', 'x'.repeat(256), /got 256 characters/],
  ])('refuses a %s account name', (_what, name, message) =>
    spec
      .given([])
      .when({
        type: 'CreateAccount',
        data: { accountId: 'a1', name, admin: { userId: 'u1', name: 'admin' }, token, systemOperator: false },
      })
      .thenFails('BAD_USER_INPUT', message),
  );

  it('creates users, refusing blank names', () => {
    spec
      .given(created)
      .when({ type: 'CreateUser', data: { userId: 'u2', name: 'Dana' } })
      .then([{ type: 'UserCreated', data: { userId: 'u2', name: 'Dana' } }]);
    spec
      .given(created)
      .when({ type: 'CreateUser', data: { userId: 'u2', name: '' } })
      .thenFails('BAD_USER_INPUT', /user name/);
  });

  it('creates tokens for users of the account only, with their roles in canonical order and once each', () => {
    spec
      .given(created)
      .when({
        type: 'CreateApiToken',
        data: { tokenId: 't2', userId: 'u1', name: 'ci', roles: ['admin', 'designer', 'designer'], tokenHash: 'cd' },
      })
      .then([
        { type: 'ApiTokenCreated', data: { tokenId: 't2', userId: 'u1', name: 'ci', roles: ['designer', 'admin'], tokenHash: 'cd' } },
      ]);
    spec
      .given(created)
      .when({ type: 'CreateApiToken', data: { tokenId: 't2', userId: 'elsewhere', name: 'ci', roles: ['observer'], tokenHash: 'cd' } })
      .thenFails('NOT_FOUND', /user elsewhere not found/);
    spec
      .given(created)
      .when({ type: 'CreateApiToken', data: { tokenId: 't2', userId: 'u1', name: 'ci', roles: [], tokenHash: 'cd' } })
      .thenFails('BAD_USER_INPUT', /expected at least one of observer/);
  });

  it('revokes a token once; revoking again changes nothing; unknown tokens are not found', () => {
    spec
      .given(created)
      .when({ type: 'RevokeApiToken', data: { tokenId: 't1' } })
      .then([{ type: 'ApiTokenRevoked', data: { tokenId: 't1' } }]);
    spec
      .given([...created, { type: 'ApiTokenRevoked', data: { tokenId: 't1' } }])
      .when({ type: 'RevokeApiToken', data: { tokenId: 't1' } })
      .then([]);
    spec
      .given(created)
      .when({ type: 'RevokeApiToken', data: { tokenId: 'nope' } })
      .thenFails('NOT_FOUND', /API token nope not found/);
  });

  it('answers nothing but NOT_FOUND for an account that does not exist', () =>
    spec
      .given([])
      .when({ type: 'CreateUser', data: { userId: 'u2', name: 'Dana' } })
      .thenFails('NOT_FOUND', /account not found/));
});

describe('rights', () => {
  const viewer = (roles: Viewer['roles'], systemOperator = false): Viewer => ({
    accountId: 'a',
    userId: 'u',
    tokenId: 't',
    roles,
    systemOperator,
  });
  it('lets every role observe', () => {
    for (const role of ROLES) expect(holdsAnyRight(viewer([role]), ['observer'])).toBe(true);
  });
  it('asks for the exact role otherwise, and for the operator right where declared', () => {
    expect(holdsAnyRight(viewer(['observer']), ['designer'])).toBe(false);
    expect(holdsAnyRight(viewer(['designer']), ['designer'])).toBe(true);
    expect(holdsAnyRight(viewer(['admin']), ['designer'])).toBe(false);
    expect(holdsAnyRight(viewer([...ROLES]), ['systemOperator'])).toBe(false);
    expect(holdsAnyRight(viewer(['observer'], true), ['systemOperator'])).toBe(true);
  });
});

describe('token secrets', () => {
  it('are 256-bit, prefixed, and stored as a SHA-256 hex digest', () => {
    const secret = newTokenSecret();
    expect(secret).toMatch(/^mci_[A-Za-z0-9_-]{43}$/);
    expect(newTokenSecret()).not.toBe(secret);
    expect(hashToken(secret)).toMatch(/^[0-9a-f]{64}$/);
  });
  it('are read from a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(`Bearer ${'x'.repeat(257)}`)).toBeUndefined();
  });
});
