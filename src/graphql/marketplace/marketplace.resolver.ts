import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { acceptInvitation, createAccountGroup, inviteToAccountGroup } from '../../application/marketplace/accountGroups';
import { deprecatePublication, publish, visiblePublication } from '../../application/marketplace/publications';
import { DomainError, ErrorCode } from '../../domain/errors';
import { MAX_CATEGORY_LENGTH, type PublishableKind } from '../../domain/marketplace/publication';
import type { PublicationFilter as PublicationFilterQuery } from '../../readModels/marketplaceQueries';
import { Account } from '../accounts/accounts.types';
import { commandContext, type GraphQLContext } from '../context';
import { boundedFilterId, decodePageCursor, pageSize, toConnection } from '../versionControl/pagination';
import {
  accountGroupLoader,
  accountGroupView,
  accountLoader,
  groupInvitationsLoader,
  groupMembersLoader,
  newestRevisionLoader,
  publicationView,
} from './marketplace.loaders';
import {
  AccountGroup,
  AccountGroupConnection,
  AccountGroupMember,
  Invitation,
  PendingInvitation,
  Publication,
  PublicationConnection,
  PublicationFilter,
  PublishInput,
} from './marketplace.types';

/*
 * The MultiCloud Marketplace over GraphQL: publications and account groups. Resolvers are thin: input
 * → application command → the object read back from the read model (the command waited for it).
 * Everything listed is scoped to what the viewer's account may see: a publication it may not see, or a
 * group it neither owns nor belongs to, is NOT_FOUND like one that doesn't exist.
 */

const PUBLICATION_CURSOR = 'publication';
const GROUP_CURSOR = 'accountGroup';
const SORT_KEY = /^\d{20}\.\d{20}$/u;

function filterOf(filter: PublicationFilter | null | undefined): PublicationFilterQuery {
  if (!filter) return {};
  if (typeof filter.category === 'string' && filter.category.length > MAX_CATEGORY_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `filter.category: expected at most ${MAX_CATEGORY_LENGTH} characters, got ${filter.category.length}`,
    );
  }
  return {
    ...(filter.kind ? { kind: filter.kind as PublishableKind } : {}),
    ...(filter.componentId ? { componentId: boundedFilterId('componentId', filter.componentId) } : {}),
    ...(filter.lineage ? { lineage: boundedFilterId('lineage', filter.lineage) } : {}),
    ...(typeof filter.category === 'string' ? { category: filter.category } : {}),
    ...(filter.newestOnly ? { newestOnly: true } : {}),
    ...(filter.includeDeprecated ? { includeDeprecated: true } : {}),
  };
}

@Resolver(() => Publication)
export class PublicationResolver {
  @Authorized('observer')
  @Query(() => PublicationConnection, {
    description: 'Publications the viewer’s account may see (PUBLIC, its own, its groups’), oldest first.',
  })
  publications(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => PublicationFilter, { nullable: true }) filter?: PublicationFilter | null,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): PublicationConnection {
    const page = ctx.services.queries.marketplace.page({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      filter: filterOf(filter),
      ...(after ? { afterSortKey: decodePageCursor(PUBLICATION_CURSOR, after, SORT_KEY) } : {}),
    });
    return toConnection(PUBLICATION_CURSOR, { ...page, items: page.publications }, (row) => row.sortKey, publicationView);
  }

  @Authorized('observer')
  @Query(() => Publication, { description: 'One publication the viewer’s account may see (deprecated ones too); NOT_FOUND otherwise.' })
  publication(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Publication {
    return publicationView(visiblePublication(ctx.services, ctx.viewer.accountId, id));
  }

  @Authorized('publisher')
  @Mutation(() => Publication, {
    description:
      'Publishes a committed revision of one of the account’s own components (ComponentPublished, or TemplatePublished for a ServerTemplate, which first publishes the MCI and RightScript revisions it pins that aren’t published yet). ALREADY_PUBLISHED, READ_ONLY (an import), NOT_FOUND, BAD_USER_INPUT.',
  })
  async publish(@Arg('input', () => PublishInput) input: PublishInput, @Ctx() ctx: GraphQLContext): Promise<Publication> {
    return publicationView(await publish(ctx.services, commandContext(ctx), input));
  }

  @Authorized('publisher')
  @Mutation(() => Publication, {
    description:
      'Deprecates one of the account’s publications (PublicationDeprecated): no longer its lineage’s newest; imports of it are untouched. Deprecating again changes nothing.',
  })
  async deprecatePublication(@Arg('publicationId', () => ID) publicationId: string, @Ctx() ctx: GraphQLContext): Promise<Publication> {
    return publicationView(await deprecatePublication(ctx.services, commandContext(ctx), publicationId));
  }

  @Authorized('observer')
  @FieldResolver(() => Account)
  async publisherAccount(@Root() publication: Publication, @Ctx() ctx: GraphQLContext): Promise<Account> {
    return (await accountLoader(ctx).load(publication.publisherAccountId)) ?? { id: publication.publisherAccountId, name: '' };
  }

  @Authorized('observer')
  @FieldResolver(() => Boolean, {
    description: 'True when this is its lineage’s newest non-deprecated revision the viewer’s account may see.',
  })
  async newest(@Root() publication: Publication, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    if (publication.deprecated) return false;
    return (await newestRevisionLoader(ctx).load(publication.lineage))?.revision === publication.revision;
  }

  @Authorized('observer')
  @FieldResolver(() => [AccountGroup], {
    nullable: true,
    description: 'The groups a GROUPS publication is shared with: shown to the publisher only (null to anyone else; empty for PUBLIC).',
  })
  async accountGroups(@Root() publication: Publication, @Ctx() ctx: GraphQLContext): Promise<AccountGroup[] | null> {
    if (publication.publisherAccountId !== ctx.viewer.accountId) return null;
    const rows = await accountGroupLoader(ctx).loadMany([...publication.accountGroupIds]);
    return rows.flatMap((row) => (row && !(row instanceof Error) ? [accountGroupView(ctx, row)] : []));
  }
}

@Resolver(() => AccountGroup)
export class AccountGroupResolver {
  @Authorized('observer')
  @Query(() => AccountGroupConnection, { description: 'The account groups the viewer’s account owns or is a member of, oldest first.' })
  accountGroups(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Default 50, at most 500.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): AccountGroupConnection {
    const page = ctx.services.queries.marketplace.accountGroupsPage({
      accountId: ctx.viewer.accountId,
      first: pageSize(first),
      ...(after ? { afterSortKey: decodePageCursor(GROUP_CURSOR, after, SORT_KEY) } : {}),
    });
    return toConnection(
      GROUP_CURSOR,
      { ...page, items: page.groups },
      (row) => row.sortKey,
      (row) => accountGroupView(ctx, row),
    );
  }

  @Authorized('publisher')
  @Mutation(() => AccountGroup, { description: 'A new account group owned by the viewer’s account (AccountGroupCreated).' })
  async createAccountGroup(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<AccountGroup> {
    const written = await createAccountGroup(ctx.services, commandContext(ctx), name);
    return freshGroup(ctx, written.groupId);
  }

  @Authorized('publisher')
  @Mutation(() => Invitation, {
    description:
      'Invites an account into a group the viewer’s account owns (AccountInvited) and returns the single-use code, shown only here. Inviting an account again replaces its open invitation. BAD_USER_INPUT for a member or the owner; NOT_FOUND for a group that isn’t the viewer’s.',
  })
  async inviteToAccountGroup(
    @Arg('groupId', () => ID) groupId: string,
    @Arg('accountId', () => ID) accountId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Invitation> {
    const invited = await inviteToAccountGroup(ctx.services, commandContext(ctx), { groupId, accountId });
    return { code: invited.code, invitationId: invited.invitationId, accountId, group: freshGroup(ctx, groupId) };
  }

  @Authorized('admin')
  @Mutation(() => AccountGroup, {
    description:
      'Accepts an invitation for the viewer’s account, which becomes a member (InvitationAccepted). An unknown, used or replaced code, and one for another account, are NOT_FOUND alike.',
  })
  async acceptInvitation(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext): Promise<AccountGroup> {
    const written = await acceptInvitation(ctx.services, commandContext(ctx), code);
    return freshGroup(ctx, written.groupId);
  }

  @Authorized('observer')
  @FieldResolver(() => Account)
  async owner(@Root() group: AccountGroup, @Ctx() ctx: GraphQLContext): Promise<Account> {
    return (await accountLoader(ctx).load(group.ownerAccountId)) ?? { id: group.ownerAccountId, name: '' };
  }

  @Authorized('observer')
  @FieldResolver(() => [AccountGroupMember], { nullable: true, description: 'Shown to the owner only (null to members).' })
  async members(@Root() group: AccountGroup, @Ctx() ctx: GraphQLContext): Promise<AccountGroupMember[] | null> {
    if (!group.isOwner) return null;
    const members = await groupMembersLoader(ctx).load(group.id);
    const accounts = await accountLoader(ctx).loadMany(members.map((member) => member.accountId));
    return members.map((member, index) => {
      const account = accounts[index];
      return { account: account && !(account instanceof Error) ? account : { id: member.accountId, name: '' }, joinedAt: member.joinedAt };
    });
  }

  @Authorized('observer')
  @FieldResolver(() => [PendingInvitation], {
    nullable: true,
    description: 'Invitations not accepted yet: shown to the owner only (null to members).',
  })
  async invitations(@Root() group: AccountGroup, @Ctx() ctx: GraphQLContext): Promise<PendingInvitation[] | null> {
    if (!group.isOwner) return null;
    return (await groupInvitationsLoader(ctx).load(group.id)).map(({ invitationId, accountId, invitedAt }) => ({
      invitationId,
      accountId,
      invitedAt,
    }));
  }
}

/** A group the viewer's account owns or just joined, read back after its command waited for the read model. */
function freshGroup(ctx: GraphQLContext, groupId: string): AccountGroup {
  const [row] = ctx.services.queries.marketplace.accountGroupsByIds(ctx.viewer.accountId, [groupId]);
  if (!row) throw new Error(`account group ${groupId} is not in the read model after its command was projected`);
  return accountGroupView(ctx, row);
}
