import { Field, ID, InputType, Int } from 'type-graphql';

/*
 * The input fields every component kind's edits share. Each kind's input type extends one of these
 * classes and type-graphql copies its fields into it; no operation takes these classes themselves,
 * so they never reach the schema. (schema/schema.graphql lists fields sorted: where a kind's own
 * fields come among the shared ones does not show.)
 */

/** What guards an edit of a component: the version the client last read and the revision it means to change. */
@InputType()
export abstract class ComponentEditInput {
  @Field(() => Int, { nullable: true, description: 'The `version` last read: VERSION_CONFLICT when it changed since.' })
  expectedVersion?: number | null;

  @Field(() => Int, { nullable: true, description: 'The revision meant to change: only HEAD (0, the default) can; others are NOT_HEAD.' })
  revision?: number | null;
}

/** A new component: its name and description. */
@InputType()
export abstract class CreateComponentInput {
  @Field(() => String, { description: '1 to 255 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 4096 characters.' })
  description?: string | null;
}

/** An edit of a component's name and description; fields left out stay as they are. */
@InputType()
export abstract class UpdateComponentInput extends ComponentEditInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}
