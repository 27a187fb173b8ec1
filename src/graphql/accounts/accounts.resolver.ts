import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { ApiTokenRow } from '../../readModels/accountsQueries';
import { commandContext, type GraphQLContext } from '../context';
import { ApiToken, CreatedAccount, CreatedApiToken, RoleName, toRoleNames, User, ViewerInfo } from './accounts.types';

@Resolver()
export class AccountResolver {
  @Authorized('observer')
  @Query(() => ViewerInfo, { description: 'The caller: its user, account and the roles of the token in use.' })
  viewer(@Ctx() { services, viewer }: GraphQLContext): ViewerInfo {
    const account = services.queries.accounts.account(viewer.accountId);
    const user = services.queries.accounts.user(viewer.accountId, viewer.userId);
    if (!account || !user) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'the account of this token no longer exists');
    return {
      user: { id: user.id, name: user.name },
      account: { id: account.id, name: account.name },
      roles: toRoleNames(viewer.roles),
      systemOperator: viewer.systemOperator,
    };
  }

  @Authorized('admin')
  @Query(() => [User], { description: "The users of the caller's account." })
  users(@Ctx() { services, viewer }: GraphQLContext): User[] {
    return services.queries.accounts.users(viewer.accountId).map(({ id, name }) => ({ id, name }));
  }

  @Authorized('admin')
  @Query(() => [ApiToken], { description: "The API tokens of the caller's account, revoked ones included; never their secrets." })
  apiTokens(@Ctx() { services, viewer }: GraphQLContext): ApiToken[] {
    return services.queries.accounts.apiTokens(viewer.accountId).map(toApiToken);
  }

  @Authorized('systemOperator')
  @Mutation(() => CreatedAccount, { description: 'A new account with an admin user; returns that admin’s first token (shown once).' })
  async createAccount(@Arg('name', () => String) name: string, @Ctx() context: GraphQLContext): Promise<CreatedAccount> {
    const created = await context.services.accounts.createAccount({ name }, commandContext(context));
    return { account: { id: created.accountId, name }, adminToken: created.adminToken };
  }

  @Authorized('admin')
  @Mutation(() => User, { description: "A new user in the caller's account (it can act once it has a token)." })
  async createUser(@Arg('name', () => String) name: string, @Ctx() context: GraphQLContext): Promise<User> {
    const id = await context.services.accounts.createUser(name, commandContext(context));
    return { id, name };
  }

  @Authorized('admin')
  @Mutation(() => CreatedApiToken, { description: 'A new API token for a user of the account; the secret is returned this once.' })
  async createApiToken(
    @Arg('userId', () => ID) userId: string,
    @Arg('roles', () => [RoleName]) roles: RoleName[],
    @Arg('name', () => String) name: string,
    @Ctx() context: GraphQLContext,
  ): Promise<CreatedApiToken> {
    const created = await context.services.accounts.createApiToken({ userId, roles, name }, commandContext(context));
    return { id: created.tokenId, token: created.secret, roles: toRoleNames(created.roles) };
  }

  @Authorized('admin')
  @Mutation(() => ApiToken, { description: 'Revokes a token of the account: refused from the next request on.' })
  async revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ApiToken> {
    await context.services.accounts.revokeApiToken(id, commandContext(context));
    const token = context.services.queries.accounts.apiToken(context.viewer.accountId, id);
    if (!token) throw new DomainError(ErrorCode.NOT_FOUND, `API token ${id} not found`);
    return toApiToken(token);
  }
}

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    userId: row.userId,
    roles: toRoleNames(row.roles),
    createdAt: new Date(row.createdAt),
    revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt),
  };
}
