import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { VISIBILITIES, type Visibility as DomainVisibility } from '../../domain/marketplace/publication';
import { Account } from '../accounts/accounts.types';
import { ComponentKind } from '../events/events.types';
import { PageInfo } from '../versionControl/versionControl.types';

/*
 * The marketplace GraphQL types: publications and account groups. Resolvers hand them plain objects
 * (`publicationView` and `accountGroupView` in marketplace.loaders.ts build them); `publisherAccount`,
 * `newest`, `accountGroups` of a publication and `owner`, `members`, `invitations` of a group are field
 * resolvers over per-request loaders.
 */

export const Visibility = Object.fromEntries(VISIBILITIES.map((visibility) => [visibility, visibility])) as {
  [V in DomainVisibility]: V;
};
export type Visibility = DomainVisibility;
registerEnumType(Visibility, {
  name: 'Visibility',
  description: 'Who may see a publication.',
  valuesConfig: {
    PUBLIC: { description: 'Every account.' },
    GROUPS: { description: 'The publisher and the owners and members of the account groups it is shared with.' },
  },
});

@ObjectType('PublishedDependency', {
  description: 'A revision a published ServerTemplate revision pins, and the publication that offers it.',
})
export class PublishedDependency {
  @Field(() => ComponentKind)
  kind!: string;

  @Field(() => ID)
  componentId!: string;

  @Field(() => Int)
  revision!: number;

  @Field(() => ID)
  publicationId!: string;
}

@ObjectType('Publication', {
  description:
    'A committed revision of an MCI, RightScript or ServerTemplate offered in the MultiCloud Marketplace. Never deleted; a deprecated one is no longer its lineage’s newest.',
})
export class Publication {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The published component (in the publisher’s account).' })
  componentId!: string;

  @Field(() => ComponentKind)
  kind!: string;

  @Field(() => Int, { description: 'The committed revision published.' })
  revision!: number;

  @Field(() => ID, { description: 'The publisher’s lineage: every publication of one lineage is a revision of the same component.' })
  lineage!: string;

  @Field(() => Visibility)
  visibility!: Visibility;

  @Field(() => Boolean)
  deprecated!: boolean;

  @Field(() => String)
  shortDescription!: string;

  @Field(() => String)
  longDescription!: string;

  @Field(() => [String])
  categories!: string[];

  @Field(() => Date)
  publishedAt!: Date;

  @Field(() => [PublishedDependency], {
    description: 'For a ServerTemplate: what its revision pins, and where each is published. Empty otherwise.',
  })
  dependencies!: PublishedDependency[];

  /** Not fields: the field resolvers read these. */
  publisherAccountId!: string;
  accountGroupIds!: readonly string[];
}

@ObjectType('PublicationEdge')
export class PublicationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Publication)
  node!: Publication;
}

@ObjectType('PublicationConnection', { description: 'Publications the viewer’s account may see, in the order they were published.' })
export class PublicationConnection {
  @Field(() => [Publication])
  nodes!: Publication[];

  @Field(() => [PublicationEdge])
  edges!: PublicationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@InputType('PublishInput')
export class PublishInput {
  @Field(() => ID, { description: 'An MCI, RightScript or ServerTemplate of the account, created or cloned there (not imported).' })
  componentId!: string;

  @Field(() => Int, { description: 'A committed revision (1, 2, …): HEAD (0) can’t be published.' })
  revision!: number;

  @Field(() => Visibility)
  visibility!: Visibility;

  @Field(() => [ID], { nullable: true, description: 'GROUPS: 1 to 50 groups the account owns. PUBLIC: none.' })
  accountGroupIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'At most 255 characters.' })
  shortDescription?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 16 KiB of UTF-8.' })
  longDescription?: string | null;

  @Field(() => [String], { nullable: true, description: 'At most 20, each 1 to 64 characters.' })
  categories?: string[] | null;
}

@InputType('PublicationFilter', { description: 'Every criterion given must match.' })
export class PublicationFilter {
  @Field(() => ComponentKind, { nullable: true })
  kind?: string | null;

  @Field(() => ID, { nullable: true })
  componentId?: string | null;

  @Field(() => ID, { nullable: true })
  lineage?: string | null;

  @Field(() => String, { nullable: true, description: 'Publications listing this category (exact match).' })
  category?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Only each lineage’s newest non-deprecated revision the viewer may see (deprecated ones are then never listed).',
  })
  newestOnly?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'List deprecated publications too (default false).' })
  includeDeprecated?: boolean | null;
}

@ObjectType('AccountGroupMember')
export class AccountGroupMember {
  @Field(() => Account)
  account!: Account;

  @Field(() => Date)
  joinedAt!: Date;
}

@ObjectType('PendingInvitation', { description: 'An invitation not accepted yet (its code is never shown again).' })
export class PendingInvitation {
  @Field(() => ID)
  invitationId!: string;

  @Field(() => ID, { description: 'The invited account.' })
  accountId!: string;

  @Field(() => Date)
  invitedAt!: Date;
}

@ObjectType('AccountGroup', { description: 'Accounts a publisher shares GROUPS publications with: its owner and its members.' })
export class AccountGroup {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Boolean, { description: 'True when the viewer’s account owns the group.' })
  isOwner!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  /** Not a field: `owner` resolves it. */
  ownerAccountId!: string;
}

@ObjectType('AccountGroupEdge')
export class AccountGroupEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AccountGroup)
  node!: AccountGroup;
}

@ObjectType('AccountGroupConnection', { description: 'The groups the viewer’s account owns or is a member of, oldest first.' })
export class AccountGroupConnection {
  @Field(() => [AccountGroup])
  nodes!: AccountGroup[];

  @Field(() => [AccountGroupEdge])
  edges!: AccountGroupEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType('Invitation', { description: 'An invitation into an account group. The code is shown here once and stored only hashed.' })
export class Invitation {
  @Field(() => String, { description: 'Single use; give it to an admin of the invited account, who passes it to acceptInvitation.' })
  code!: string;

  @Field(() => ID)
  invitationId!: string;

  @Field(() => ID, { description: 'The invited account.' })
  accountId!: string;

  @Field(() => AccountGroup)
  group!: AccountGroup;
}
