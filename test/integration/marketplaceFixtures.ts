import { ok, tokenWithRoles, type Headers } from '../support/api';
import { ADMIN } from '../support/service';

/*
 * What the marketplace integration tests share: the operations they call and small steps (publish,
 * make a group, invite and accept) through the public API over real HTTP.
 */

export const PUBLICATION_FIELDS = `
  id componentId kind revision lineage visibility deprecated shortDescription longDescription categories publishedAt newest
  publisherAccount { id name } accountGroups { id name } dependencies { kind componentId revision publicationId }`;

export interface PublicationView {
  id: string;
  componentId: string;
  kind: string;
  revision: number;
  lineage: string;
  visibility: 'PUBLIC' | 'GROUPS';
  deprecated: boolean;
  shortDescription: string;
  longDescription: string;
  categories: string[];
  publishedAt: string;
  newest: boolean;
  publisherAccount: { id: string; name: string };
  accountGroups: Array<{ id: string; name: string }> | null;
  dependencies: Array<{ kind: string; componentId: string; revision: number; publicationId: string }>;
}

export const PUBLISH = `mutation($input: PublishInput!) { publish(input: $input) { ${PUBLICATION_FIELDS} } }`;
export const DEPRECATE = `mutation($id: ID!) { deprecatePublication(publicationId: $id) { ${PUBLICATION_FIELDS} } }`;
export const PUBLICATION = `query($id: ID!) { publication(id: $id) { ${PUBLICATION_FIELDS} } }`;
export const PUBLICATIONS = `query($filter: PublicationFilter, $first: Int, $after: String) {
  publications(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { ${PUBLICATION_FIELDS} } } }`;

export const GROUP_FIELDS = `id name isOwner createdAt owner { id name } members { account { id name } joinedAt } invitations { invitationId accountId invitedAt }`;
export interface GroupView {
  id: string;
  name: string;
  isOwner: boolean;
  createdAt: string;
  owner: { id: string; name: string };
  members: Array<{ account: { id: string; name: string }; joinedAt: string }> | null;
  invitations: Array<{ invitationId: string; accountId: string; invitedAt: string }> | null;
}
export const CREATE_GROUP = `mutation($name: String!) { createAccountGroup(name: $name) { ${GROUP_FIELDS} } }`;
export const INVITE = `mutation($groupId: ID!, $accountId: ID!) { inviteToAccountGroup(groupId: $groupId, accountId: $accountId) { code invitationId accountId group { ${GROUP_FIELDS} } } }`;
export const ACCEPT = `mutation($code: String!) { acceptInvitation(code: $code) { ${GROUP_FIELDS} } }`;
export const GROUPS = `query($first: Int, $after: String) { accountGroups(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${GROUP_FIELDS} } } }`;

export interface PublishArgs {
  componentId: string;
  revision?: number | null;
  visibility?: 'PUBLIC' | 'GROUPS';
  accountGroupIds?: string[] | null;
  shortDescription?: string | null;
  longDescription?: string | null;
  categories?: string[] | null;
}

export const publishInput = (args: PublishArgs): Record<string, unknown> => ({ visibility: 'PUBLIC', revision: 1, ...args });

export async function publishAs(url: string, args: PublishArgs, headers: Headers = ADMIN): Promise<PublicationView> {
  return (await ok<{ publish: PublicationView }>(url, PUBLISH, { input: publishInput(args) }, headers)).publish;
}

export async function createGroup(url: string, name: string, headers: Headers = ADMIN): Promise<GroupView> {
  return (await ok<{ createAccountGroup: GroupView }>(url, CREATE_GROUP, { name }, headers)).createAccountGroup;
}

export async function invite(url: string, groupId: string, accountId: string, headers: Headers = ADMIN): Promise<string> {
  return (await ok<{ inviteToAccountGroup: { code: string } }>(url, INVITE, { groupId, accountId }, headers)).inviteToAccountGroup.code;
}

/** Invites `member` into `groupId` (owned by `owner`) and accepts as `member`'s admin. */
export async function join(
  url: string,
  groupId: string,
  member: { accountId: string; admin: Headers },
  owner: Headers = ADMIN,
): Promise<void> {
  const code = await invite(url, groupId, member.accountId, owner);
  await ok(url, ACCEPT, { code }, member.admin);
}

export async function publicationsAs(url: string, headers: Headers, filter: Record<string, unknown> = {}): Promise<PublicationView[]> {
  return (await ok<{ publications: { nodes: PublicationView[] } }>(url, PUBLICATIONS, { filter, first: 500 }, headers)).publications.nodes;
}

/** A token of the default account with only the publisher role (publish, deprecate, groups). */
export const publisherToken = (url: string): Promise<Headers> => tokenWithRoles(url, ['PUBLISHER']);
