import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { ROLES, type Role } from './roles';

/*
 * An account with its users and API tokens: one aggregate (stream `account-<id>`). Tokens are stored
 * only as a hash of their secret: the secret is shown once, to whoever created the token, and never
 * enters an event.
 */

export interface User {
  readonly id: string;
  readonly name: string;
}

export interface ApiToken {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly systemOperator: boolean;
  readonly revoked: boolean;
}

export interface ActiveAccount {
  readonly status: 'active';
  readonly id: string;
  readonly name: string;
  readonly users: Readonly<Record<string, User>>;
  readonly tokens: Readonly<Record<string, ApiToken>>;
}

export type AccountState = { readonly status: 'none' } | ActiveAccount;

export interface NewToken {
  readonly tokenId: string;
  readonly name: string;
  /** SHA-256 of the secret, hex: the only trace of the secret the service keeps. */
  readonly tokenHash: string;
}

export type AccountEvent =
  | { type: 'AccountCreated'; data: { accountId: string; name: string } }
  | { type: 'UserCreated'; data: { userId: string; name: string } }
  | {
      type: 'ApiTokenCreated';
      data: { tokenId: string; userId: string; name: string; roles: Role[]; tokenHash: string; systemOperator?: boolean };
    }
  | { type: 'ApiTokenRevoked'; data: { tokenId: string } };

export type AccountCommand =
  | {
      type: 'CreateAccount';
      data: {
        accountId: string;
        name: string;
        admin: { userId: string; name: string };
        token: NewToken;
        /** Only the first-start bootstrap grants the system operator right. */
        systemOperator: boolean;
      };
    }
  | { type: 'CreateUser'; data: { userId: string; name: string } }
  | { type: 'CreateApiToken'; data: NewToken & { userId: string; roles: readonly Role[] } }
  | { type: 'RevokeApiToken'; data: { tokenId: string } };

export const accountStream = (accountId: string): string => `account-${accountId}`;

export const MAX_NAME_LENGTH = 255;

function checkName(what: string, name: string): void {
  if (name.trim().length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `${what} name: expected 1 to ${MAX_NAME_LENGTH} characters (not only spaces), got ${name.trim().length === 0 ? 'a blank name' : `${name.length} characters`}`,
    );
  }
}

function active(state: AccountState): ActiveAccount {
  // A command can only reach an account through a token of that account, so a missing one is a bug
  // or a forged id: either way, nothing to reveal.
  if (state.status !== 'active') throw new DomainError(ErrorCode.NOT_FOUND, 'account not found');
  return state;
}

function tokenCreated(token: NewToken, userId: string, roles: readonly Role[], systemOperator: boolean): AccountEvent {
  return {
    type: 'ApiTokenCreated',
    data: {
      tokenId: token.tokenId,
      userId,
      name: token.name,
      roles: [...roles],
      tokenHash: token.tokenHash,
      ...(systemOperator ? { systemOperator } : {}),
    },
  };
}

export const accountDecider: Decider<AccountState, AccountCommand, AccountEvent> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateAccount': {
        const { accountId, name, admin, token, systemOperator } = command.data;
        checkName('account', name);
        checkName('user', admin.name);
        checkName('token', token.name);
        if (state.status === 'active') throw new DomainError(ErrorCode.BAD_USER_INPUT, `account ${accountId} already exists`);
        return [
          { type: 'AccountCreated', data: { accountId, name } },
          { type: 'UserCreated', data: { userId: admin.userId, name: admin.name } },
          tokenCreated(token, admin.userId, ROLES, systemOperator),
        ];
      }
      case 'CreateUser': {
        const account = active(state);
        checkName('user', command.data.name);
        if (account.users[command.data.userId])
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `user ${command.data.userId} already exists`);
        return [{ type: 'UserCreated', data: { ...command.data } }];
      }
      case 'CreateApiToken': {
        const account = active(state);
        const { userId, roles } = command.data;
        checkName('token', command.data.name);
        if (!account.users[userId]) throw new DomainError(ErrorCode.NOT_FOUND, `user ${userId} not found`);
        if (roles.length === 0) {
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `roles: expected at least one of ${ROLES.join(', ')}, got none`);
        }
        if (account.tokens[command.data.tokenId])
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `token ${command.data.tokenId} already exists`);
        // Stored in the canonical order, once each: the token's rights don't depend on how they were listed.
        const granted = ROLES.filter((role) => roles.includes(role));
        return [tokenCreated(command.data, userId, granted, false)];
      }
      case 'RevokeApiToken': {
        const account = active(state);
        const token = account.tokens[command.data.tokenId];
        if (!token) throw new DomainError(ErrorCode.NOT_FOUND, `API token ${command.data.tokenId} not found`);
        if (token.revoked) return [];
        return [{ type: 'ApiTokenRevoked', data: { tokenId: token.id } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown account command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AccountCreated':
        return { status: 'active', id: event.data.accountId, name: event.data.name, users: {}, tokens: {} };
      case 'UserCreated':
        if (state.status !== 'active') return state;
        return { ...state, users: { ...state.users, [event.data.userId]: { id: event.data.userId, name: event.data.name } } };
      case 'ApiTokenCreated': {
        if (state.status !== 'active') return state;
        const { tokenId, userId, name, roles, systemOperator } = event.data;
        const token: ApiToken = { id: tokenId, userId, name, roles, systemOperator: systemOperator === true, revoked: false };
        return { ...state, tokens: { ...state.tokens, [tokenId]: token } };
      }
      case 'ApiTokenRevoked': {
        if (state.status !== 'active') return state;
        const token = state.tokens[event.data.tokenId];
        if (!token) return state;
        return { ...state, tokens: { ...state.tokens, [token.id]: { ...token, revoked: true } } };
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown account event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
