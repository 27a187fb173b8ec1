import { fold } from '../../src/domain/decider';
import {
  accountGroupDecider,
  MAX_GROUP_MEMBERS,
  type AccountGroupCommand,
  type AccountGroupEvent,
} from '../../src/domain/marketplace/accountGroup';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(accountGroupDecider);
const OWNER = 'acme';
const GUEST = 'globex';
const THIRD = 'initech';
const GROUP = 'g-1';
const AT = '2026-01-02T03:04:05.000Z';

const created: AccountGroupEvent = {
  type: 'AccountGroupCreated',
  data: { groupId: GROUP, ownerAccountId: OWNER, name: 'Partners', createdAt: AT },
};
const invited = (accountId: string, invitationId: string, codeHash: string, replaces: string | null = null): AccountGroupEvent => ({
  type: 'AccountInvited',
  data: { groupId: GROUP, invitationId, accountId, codeHash, invitedAt: AT, replaces },
});
const accepted = (accountId: string, invitationId: string): AccountGroupEvent => ({
  type: 'InvitationAccepted',
  data: { groupId: GROUP, invitationId, accountId, acceptedAt: AT },
});
const invite = (invitedAccountId: string, invitationId = 'inv-new', codeHash = 'hash-new', accountId = OWNER): AccountGroupCommand => ({
  type: 'InviteToAccountGroup',
  data: { groupId: GROUP, accountId, invitedAccountId, invitationId, codeHash, invitedAt: AT },
});
const accept = (accountId: string, codeHash: string): AccountGroupCommand => ({
  type: 'AcceptInvitation',
  data: { accountId, codeHash, acceptedAt: AT },
});

describe('account group decider', () => {
  it('creates a group owned by the account; the name is checked; a second create of the same id is refused', () => {
    spec
      .given([])
      .when({ type: 'CreateAccountGroup', data: { groupId: GROUP, accountId: OWNER, name: 'Partners', createdAt: AT } })
      .then([created]);
    spec
      .given([])
      .when({ type: 'CreateAccountGroup', data: { groupId: GROUP, accountId: OWNER, name: '  ', createdAt: AT } })
      .thenFails('BAD_USER_INPUT', /blank name/);
    spec
      .given([])
      .when({ type: 'CreateAccountGroup', data: { groupId: GROUP, accountId: OWNER, name: 'x'.repeat(256), createdAt: AT } })
      .thenFails('BAD_USER_INPUT', /expected 1 to 255 characters, got 256/);
    spec
      .given([created])
      .when({ type: 'CreateAccountGroup', data: { groupId: GROUP, accountId: OWNER, name: 'Again', createdAt: AT } })
      .thenFails('BAD_USER_INPUT', /already exists/);
  });

  it('invites an account: the owner only (anyone else and a missing group are NOT_FOUND alike)', () => {
    spec
      .given([created])
      .when(invite(GUEST, 'inv-1', 'h1'))
      .then([invited(GUEST, 'inv-1', 'h1')]);
    spec
      .given([created])
      .when(invite(THIRD, 'inv-1', 'h1', GUEST))
      .thenFails('NOT_FOUND', /^no account group 'g-1' owned by your account$/);
    spec
      .given([])
      .when(invite(GUEST))
      .thenFails('NOT_FOUND', /^no account group 'g-1' owned by your account$/);
  });

  it('inviting again replaces the open invitation: the earlier code no longer works', () => {
    spec
      .given([created, invited(GUEST, 'inv-1', 'h1')])
      .when(invite(GUEST, 'inv-2', 'h2'))
      .then([invited(GUEST, 'inv-2', 'h2', 'inv-1')]);
    spec
      .given([created, invited(GUEST, 'inv-1', 'h1'), invited(GUEST, 'inv-2', 'h2', 'inv-1')])
      .when(accept(GUEST, 'h1'))
      .thenFails('NOT_FOUND', /^no such invitation/);
    spec
      .given([created, invited(GUEST, 'inv-1', 'h1'), invited(GUEST, 'inv-2', 'h2', 'inv-1')])
      .when(accept(GUEST, 'h2'))
      .then([accepted(GUEST, 'inv-2')]);
  });

  it('refuses inviting the owner or a member', () => {
    spec
      .given([created])
      .when(invite(OWNER))
      .thenFails('BAD_USER_INPUT', /the owner's account 'acme' is in its group already/);
    spec
      .given([created, invited(GUEST, 'inv-1', 'h1'), accepted(GUEST, 'inv-1')])
      .when(invite(GUEST))
      .thenFails('BAD_USER_INPUT', /account 'globex' is a member of account group 'g-1' already/);
  });

  it('bounds members and open invitations together', () => {
    const full: AccountGroupEvent[] = [created];
    for (let i = 0; i < MAX_GROUP_MEMBERS; i++) full.push(invited(`a${i}`, `inv-${i}`, `h${i}`));
    spec
      .given(full)
      .when(invite('one-more'))
      .thenFails('BAD_USER_INPUT', /0 members and 1000 open invitations: at most 1000 together/);
    // Replacing an open invitation doesn't grow the group.
    spec
      .given(full)
      .when(invite('a7', 'inv-x', 'hx'))
      .then([invited('a7', 'inv-x', 'hx', 'inv-7')]);
  });

  it('accepts with the code meant for the account, once; any other code or account is NOT_FOUND alike', () => {
    const open = [created, invited(GUEST, 'inv-1', 'h1')];
    spec
      .given(open)
      .when(accept(GUEST, 'h1'))
      .then([accepted(GUEST, 'inv-1')]);
    spec
      .given(open)
      .when(accept(THIRD, 'h1'))
      .thenFails('NOT_FOUND', /^no such invitation: the code is unknown, was already used, or was meant for another account$/);
    spec
      .given(open)
      .when(accept(GUEST, 'h-wrong'))
      .thenFails('NOT_FOUND', /^no such invitation/);
    spec
      .given([...open, accepted(GUEST, 'inv-1')])
      .when(accept(GUEST, 'h1'))
      .thenFails('NOT_FOUND', /^no such invitation/);
    spec
      .given([])
      .when(accept(GUEST, 'h1'))
      .thenFails('NOT_FOUND', /^no such invitation/);
  });

  it('folds members in the order they joined and keeps only open invitations', () => {
    const state = fold(accountGroupDecider, [
      created,
      invited(GUEST, 'inv-1', 'h1'),
      invited(THIRD, 'inv-2', 'h2'),
      accepted(THIRD, 'inv-2'),
      accepted(GUEST, 'inv-1'),
    ]);
    expect(state).toEqual({
      status: 'active',
      id: GROUP,
      ownerAccountId: OWNER,
      name: 'Partners',
      members: [THIRD, GUEST],
      invitations: [],
    });
  });
});
