import { Field, ID, InputType, Int } from 'type-graphql';

@InputType('CreateServerTemplateInput', { description: 'A template starts with one MultiCloud Image, its default.' })
export class CreateServerTemplateInput {
  @Field(() => String, { description: '1 to 255 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 4096 characters.' })
  description?: string | null;

  @Field(() => ID, { description: 'An MCI of the account: the first attached, and so the default.' })
  multiCloudImageId!: string;

  @Field(() => Int, { nullable: true, description: 'The MCI revision to pin; omitted or 0: its HEAD.' })
  multiCloudImageRevision?: number | null;
}

@InputType('UpdateServerTemplateInput', { description: 'Fields left out stay as they are.' })
export class UpdateServerTemplateInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: 'The `version` last read: VERSION_CONFLICT when it changed since.' })
  expectedVersion?: number | null;

  @Field(() => Int, { nullable: true, description: 'The revision meant to change: only HEAD (0, the default) can; others are NOT_HEAD.' })
  revision?: number | null;
}
