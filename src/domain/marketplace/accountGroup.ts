import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { checkName } from '../versionControl/text';

/*
 * An account group (domain.md, "Account groups"): an account owns it and invites other accounts; an
 * admin of an invited account accepts with the invitation's code, once, and its account becomes a
 * member. Members see the publications shared with the group. One aggregate per group, stream
 * `group-<id>`.
 *
 * The code is a secret shown once to the inviter, who hands it to the invited account out of band.
 * Like an API token it is stored only as its SHA-256 (`codeHash`, computed by the application: the
 * domain has no crypto), and the change feed never shows the hash.
 */

export const ACCOUNT_GROUP_STREAM_PREFIX = 'group-';
export const accountGroupStream = (id: string): string => `${ACCOUNT_GROUP_STREAM_PREFIX}${id}`;

/** Keeps one group's stream (read whole per command) to a size real sharing reaches. */
export const MAX_GROUP_MEMBERS = 1000;
/** Group ids are ours (UUIDs): a longer one can't name a group, and is refused before it is echoed. */
export const MAX_GROUP_ID_LENGTH = 128;

/**
 * What inviting into, or publishing to, a group the account doesn't own answers: the same for a
 * missing group, another account's, and one the account is only a member of, so it tells nobody
 * which groups exist.
 */
export const noOwnedGroup = (groupId: string): DomainError =>
  new DomainError(ErrorCode.NOT_FOUND, `no account group '${groupId}' owned by your account`);

export interface PendingInvitation {
  readonly invitationId: string;
  readonly accountId: string;
  readonly codeHash: string;
  readonly invitedAt: string;
}

export interface ActiveAccountGroup {
  readonly status: 'active';
  readonly id: string;
  readonly ownerAccountId: string;
  readonly name: string;
  /** Member account ids, in the order they joined. */
  readonly members: readonly string[];
  /** At most one per invited account: inviting again replaces the earlier code. */
  readonly invitations: readonly PendingInvitation[];
}

export type AccountGroupState = { readonly status: 'empty' } | ActiveAccountGroup;

export type AccountGroupEvent =
  | { type: 'AccountGroupCreated'; data: { groupId: string; ownerAccountId: string; name: string; createdAt: string } }
  | {
      type: 'AccountInvited';
      data: { groupId: string; invitationId: string; accountId: string; codeHash: string; invitedAt: string; replaces: string | null };
    }
  | { type: 'InvitationAccepted'; data: { groupId: string; invitationId: string; accountId: string; acceptedAt: string } };

export type AccountGroupEventType = AccountGroupEvent['type'];
export const ACCOUNT_GROUP_EVENT_TYPES: readonly AccountGroupEventType[] = ['AccountGroupCreated', 'AccountInvited', 'InvitationAccepted'];

export type AccountGroupCommand =
  | { type: 'CreateAccountGroup'; data: { groupId: string; accountId: string; name: string; createdAt: string } }
  | {
      type: 'InviteToAccountGroup';
      data: { groupId: string; accountId: string; invitedAccountId: string; invitationId: string; codeHash: string; invitedAt: string };
    }
  /** `accountId`: the accepting admin's account; `codeHash`: of the code they presented. */
  | { type: 'AcceptInvitation'; data: { accountId: string; codeHash: string; acceptedAt: string } };

export const NO_SUCH_INVITATION = 'no such invitation: the code is unknown, was already used, or was meant for another account';

/** The group as its owner may change it: anyone else's, or a missing one, is NOT_FOUND alike. */
function owned(state: AccountGroupState, accountId: string, groupId: string): ActiveAccountGroup {
  if (state.status !== 'active' || state.ownerAccountId !== accountId) throw noOwnedGroup(groupId);
  return state;
}

export const accountGroupDecider: Decider<AccountGroupState, AccountGroupCommand, AccountGroupEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateAccountGroup': {
        const { groupId, accountId, name, createdAt } = command.data;
        checkName(name);
        if (state.status !== 'empty') throw new DomainError(ErrorCode.BAD_USER_INPUT, `account group '${groupId}' already exists`);
        return [{ type: 'AccountGroupCreated', data: { groupId, ownerAccountId: accountId, name, createdAt } }];
      }
      case 'InviteToAccountGroup': {
        const { groupId, accountId, invitedAccountId, invitationId, codeHash, invitedAt } = command.data;
        const group = owned(state, accountId, groupId);
        // Whether the invited account exists is not checked: the answer would tell the inviter which
        // account ids exist. An invitation to no account is a code nobody can accept.
        if (invitedAccountId === group.ownerAccountId) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `accountId: the owner's account '${invitedAccountId}' is in its group already; invite another account`,
          );
        }
        if (group.members.includes(invitedAccountId)) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `accountId: account '${invitedAccountId}' is a member of account group '${group.id}' already`,
          );
        }
        if (
          group.members.length + group.invitations.length >= MAX_GROUP_MEMBERS &&
          !group.invitations.some((i) => i.accountId === invitedAccountId)
        ) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `account group '${group.id}' has ${group.members.length} members and ${group.invitations.length} open invitations: at most ${MAX_GROUP_MEMBERS} together`,
          );
        }
        const replaces = group.invitations.find((invitation) => invitation.accountId === invitedAccountId)?.invitationId ?? null;
        return [
          { type: 'AccountInvited', data: { groupId: group.id, invitationId, accountId: invitedAccountId, codeHash, invitedAt, replaces } },
        ];
      }
      case 'AcceptInvitation': {
        const { accountId, codeHash, acceptedAt } = command.data;
        // A used, replaced or unknown code and a code meant for another account all read the same: the
        // answer never confirms that a code (or the group) exists to someone it wasn't given to.
        const invitation = state.status === 'active' ? state.invitations.find((candidate) => candidate.codeHash === codeHash) : undefined;
        if (state.status !== 'active' || !invitation || invitation.accountId !== accountId)
          throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_INVITATION);
        return [{ type: 'InvitationAccepted', data: { groupId: state.id, invitationId: invitation.invitationId, accountId, acceptedAt } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown account group command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AccountGroupCreated': {
        const { groupId, ownerAccountId, name } = event.data;
        return { status: 'active', id: groupId, ownerAccountId, name, members: [], invitations: [] };
      }
      case 'AccountInvited': {
        if (state.status !== 'active') return state;
        const { invitationId, accountId, codeHash, invitedAt } = event.data;
        const others = state.invitations.filter((invitation) => invitation.accountId !== accountId);
        return { ...state, invitations: [...others, { invitationId, accountId, codeHash, invitedAt }] };
      }
      case 'InvitationAccepted': {
        if (state.status !== 'active') return state;
        const { invitationId, accountId } = event.data;
        return {
          ...state,
          members: state.members.includes(accountId) ? state.members : [...state.members, accountId],
          invitations: state.invitations.filter((invitation) => invitation.invitationId !== invitationId),
        };
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown account group event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
