import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { Role } from '../../domain/accounts/roles';

/** GraphQL names the roles in upper case; the domain keeps domain.md's lower-case names. */
export enum RoleName {
  OBSERVER = 'observer',
  DESIGNER = 'designer',
  LIBRARY = 'library',
  PUBLISHER = 'publisher',
  ACTOR = 'actor',
  ADMIN = 'admin',
}
registerEnumType(RoleName, {
  name: 'Role',
  description: 'Rights within an account; every role implies OBSERVER.',
  valuesConfig: {
    OBSERVER: { description: 'Read everything in the account.' },
    DESIGNER: { description: 'Create, edit, commit, clone, merge and delete components.' },
    LIBRARY: { description: 'Import from the marketplace.' },
    PUBLISHER: { description: 'Publish, deprecate, manage account groups.' },
    ACTOR: { description: 'Deployments and servers.' },
    ADMIN: { description: 'Users, API tokens, accepting group invitations.' },
  },
});

export const toRoleNames = (roles: readonly Role[]): RoleName[] => roles.map((role) => role as RoleName);

@ObjectType()
export class Account {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({ description: 'Who the API token of this request belongs to, and what it may do.' })
export class ViewerInfo {
  @Field(() => User)
  user!: User;

  @Field(() => Account)
  account!: Account;

  @Field(() => [RoleName])
  roles!: RoleName[];

  @Field(() => Boolean, { description: 'May register catalog entries and create accounts.' })
  systemOperator!: boolean;
}

@ObjectType({ description: 'A new account and the token of its first admin: the token is shown this once.' })
export class CreatedAccount {
  @Field(() => Account)
  account!: Account;

  @Field(() => String)
  adminToken!: string;
}

@ObjectType({ description: 'A new API token: `token` is the secret, shown this once and stored only as a hash.' })
export class CreatedApiToken {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  token!: string;

  @Field(() => [RoleName])
  roles!: RoleName[];
}

@ObjectType({ description: 'An API token as the account sees it later: never its secret.' })
export class ApiToken {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => [RoleName])
  roles!: RoleName[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}
