import { randomUUID } from 'node:crypto';
import { accountDecider, accountStream, type AccountCommand, type AccountEvent, type AccountState } from '../domain/accounts/account';
import type { Role, Viewer } from '../domain/accounts/roles';
import type { RecordedEvent } from '../eventStore/port';
import type { AccountQueries } from '../readModels/accountsQueries';
import type { ProjectionRunner } from '../readModels/projectionRunner';
import type { CommandContext, CommandHandler, HandledCommand } from './commandHandler';
import { parseDomainEvent } from './parseEvent';
import { bearerToken, hashToken, newTokenSecret } from './tokens';

const ACCOUNT_EVENT_TYPES = ['AccountCreated', 'UserCreated', 'ApiTokenCreated', 'ApiTokenRevoked'] as const;
export const parseAccountEvent = (recorded: RecordedEvent): AccountEvent => parseDomainEvent<AccountEvent>(recorded, ACCOUNT_EVENT_TYPES);

export interface CreatedAccount {
  readonly accountId: string;
  readonly adminUserId: string;
  readonly adminTokenId: string;
  /** The admin token's secret: returned once, stored nowhere. */
  readonly adminToken: string;
}

export interface CreatedToken {
  readonly tokenId: string;
  readonly secret: string;
  readonly roles: readonly Role[];
}

/**
 * Accounts, users and tokens: the commands behind the account mutations and the bootstrap, and the
 * authentication of every request. Each command waits for the read models to show its events, so a
 * revoked token is refused from the very next request.
 */
export class AccountService {
  constructor(
    private readonly commands: CommandHandler,
    private readonly projections: ProjectionRunner,
    private readonly queries: AccountQueries,
  ) {}

  /** The viewer behind an `Authorization` header value, or `undefined` (missing, malformed, unknown or revoked alike). */
  authenticate(authorization: unknown): Viewer | undefined {
    const token = bearerToken(authorization);
    return token === undefined ? undefined : this.queries.viewerByTokenHash(hashToken(token));
  }

  async createAccount(
    input: { name: string; adminName?: string; accountId?: string; token?: string; systemOperator?: boolean },
    context: Omit<CommandContext, 'accountId'>,
  ): Promise<CreatedAccount> {
    const accountId = input.accountId ?? randomUUID();
    const adminUserId = randomUUID();
    const adminTokenId = randomUUID();
    const adminToken = input.token ?? newTokenSecret();
    await this.run(
      accountId,
      {
        type: 'CreateAccount',
        data: {
          accountId,
          name: input.name,
          admin: { userId: adminUserId, name: input.adminName ?? 'admin' },
          token: { tokenId: adminTokenId, name: 'first admin token', tokenHash: hashToken(adminToken) },
          systemOperator: input.systemOperator === true,
        },
      },
      { ...context, accountId },
      'no_stream',
    );
    return { accountId, adminUserId, adminTokenId, adminToken };
  }

  async createUser(name: string, context: CommandContext): Promise<string> {
    const userId = randomUUID();
    await this.run(context.accountId, { type: 'CreateUser', data: { userId, name } }, context);
    return userId;
  }

  async createApiToken(input: { userId: string; roles: readonly Role[]; name: string }, context: CommandContext): Promise<CreatedToken> {
    const tokenId = randomUUID();
    const secret = newTokenSecret();
    const handled = await this.run(
      context.accountId,
      {
        type: 'CreateApiToken',
        data: { tokenId, userId: input.userId, name: input.name, roles: input.roles, tokenHash: hashToken(secret) },
      },
      context,
    );
    const created = handled.state.status === 'active' ? handled.state.tokens[tokenId] : undefined;
    return { tokenId, secret, roles: created?.roles ?? [] };
  }

  async revokeApiToken(tokenId: string, context: CommandContext): Promise<void> {
    await this.run(context.accountId, { type: 'RevokeApiToken', data: { tokenId } }, context);
  }

  private async run(
    accountId: string,
    command: AccountCommand,
    context: CommandContext,
    expectedRevision?: 'no_stream',
  ): Promise<HandledCommand<AccountState, AccountEvent>> {
    const handled = await this.commands.handle({
      stream: accountStream(accountId),
      decider: accountDecider,
      parseEvent: parseAccountEvent,
      command,
      context,
      // Users and tokens are independent of each other: deciding again on a newer state is safe.
      ...(expectedRevision ? { expectedRevision } : { retriesOnConflict: 3 }),
    });
    await this.projections.waitForPosition(handled.position);
    return handled;
  }
}
