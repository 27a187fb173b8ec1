import DataLoader from 'dataloader';
import type {
  AccountGroupRow,
  GroupMemberRow,
  NewestRevision,
  PendingInvitationRow,
  PublicationRow,
} from '../../readModels/marketplaceQueries';
import { perRequest, type GraphQLContext } from '../context';
import { byIdLoader, componentRowsLoader } from '../versionControl/componentLoaders';
import type { AccountGroup, Publication } from './marketplace.types';

/*
 * Per-request DataLoaders over the marketplace read models: a page of publications or groups with
 * their nested objects costs one read per kind of nested object, however long the page.
 */

/** Account names by id (null: no such account). */
export function accountLoader(ctx: GraphQLContext): DataLoader<string, { id: string; name: string } | null> {
  return byIdLoader(
    ctx,
    'marketplace.account',
    (ids) => ctx.services.queries.marketplace.accountsByIds(ids),
    (row) => row.id,
    ([row]) => row ?? null,
  );
}

/** The newest non-deprecated revision of each lineage the viewer's account may see (null: none). */
export function newestRevisionLoader(ctx: GraphQLContext): DataLoader<string, NewestRevision | null> {
  return perRequest(
    ctx,
    'marketplace.newest',
    () =>
      new DataLoader<string, NewestRevision | null>(async (lineages) => {
        const newest = ctx.services.queries.marketplace.newestVisibleRevisions(ctx.viewer.accountId, lineages);
        return lineages.map((lineage) => newest.get(lineage) ?? null);
      }),
  );
}

/** Groups the viewer's account owns or belongs to, by id (null otherwise). */
export function accountGroupLoader(ctx: GraphQLContext): DataLoader<string, AccountGroupRow | null> {
  return byIdLoader(
    ctx,
    'marketplace.group',
    (ids) => ctx.services.queries.marketplace.accountGroupsByIds(ctx.viewer.accountId, ids),
    (row) => row.id,
    ([row]) => row ?? null,
  );
}

/** Members of groups, each group's in the order they joined. Only for groups the viewer owns: the resolver checks. */
export function groupMembersLoader(ctx: GraphQLContext): DataLoader<string, GroupMemberRow[]> {
  return componentRowsLoader(
    ctx,
    'marketplace.members',
    (ids) => ctx.services.queries.marketplace.membersOfGroups(ids),
    (row) => row.groupId,
  );
}

/** Pending invitations of groups. Only for groups the viewer owns: the resolver checks. */
export function groupInvitationsLoader(ctx: GraphQLContext): DataLoader<string, PendingInvitationRow[]> {
  return componentRowsLoader(
    ctx,
    'marketplace.invitations',
    (ids) => ctx.services.queries.marketplace.invitationsOfGroups(ids),
    (row) => row.groupId,
  );
}

export function publicationView(row: PublicationRow): Publication {
  return {
    id: row.id,
    componentId: row.componentId,
    kind: row.kind,
    revision: row.revision,
    lineage: row.lineage,
    visibility: row.visibility,
    deprecated: row.deprecated,
    shortDescription: row.shortDescription,
    longDescription: row.longDescription,
    categories: [...row.categories],
    publishedAt: row.publishedAt,
    dependencies: row.dependencies.map((dependency) => ({ ...dependency })),
    publisherAccountId: row.publisherAccountId,
    accountGroupIds: row.accountGroupIds,
  };
}

export function accountGroupView(ctx: GraphQLContext, row: AccountGroupRow): AccountGroup {
  return {
    id: row.id,
    name: row.name,
    isOwner: row.ownerAccountId === ctx.viewer.accountId,
    createdAt: row.createdAt,
    ownerAccountId: row.ownerAccountId,
  };
}
