import { Field, ID, InputType, Int } from 'type-graphql';

@InputType('CreateMultiCloudImageInput')
export class CreateMultiCloudImageInput {
  @Field(() => String, { description: '1 to 255 characters; best practice: the name of its image.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 4096 characters.' })
  description?: string | null;
}

@InputType('UpdateMultiCloudImageInput', { description: 'Fields left out stay as they are.' })
export class UpdateMultiCloudImageInput {
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

@InputType('MapImageInput', { description: "Sets one cloud's setting, replacing the one it had." })
export class MapImageInput {
  @Field(() => ID)
  multiCloudImageId!: string;

  @Field(() => ID)
  cloudId!: string;

  @Field(() => ID, { description: 'An image of that cloud, not OBSOLETE.' })
  imageId!: string;

  @Field(() => ID, { description: "An instance type of that cloud that runs the image's architecture." })
  instanceTypeId!: string;

  @Field(() => ID, { nullable: true })
  kernelImageId?: string | null;

  @Field(() => ID, { nullable: true })
  ramdiskImageId?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 16 KiB in UTF-8.' })
  userData?: string | null;

  @Field(() => Int, { nullable: true, description: 'The `version` last read: VERSION_CONFLICT when it changed since.' })
  expectedVersion?: number | null;

  @Field(() => Int, { nullable: true, description: 'The revision meant to change: only HEAD (0, the default) can; others are NOT_HEAD.' })
  revision?: number | null;
}
