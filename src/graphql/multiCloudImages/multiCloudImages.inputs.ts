import { Field, ID, InputType } from 'type-graphql';
import { ComponentEditInput, CreateComponentInput, UpdateComponentInput } from '../versionControl/componentInputs';

@InputType('CreateMultiCloudImageInput')
export class CreateMultiCloudImageInput extends CreateComponentInput {
  @Field(() => String, { description: '1 to 255 characters; best practice: the name of its image.' })
  declare name: string;
}

@InputType('UpdateMultiCloudImageInput', { description: 'Fields left out stay as they are.' })
export class UpdateMultiCloudImageInput extends UpdateComponentInput {}

@InputType('MapImageInput', { description: "Sets one cloud's setting, replacing the one it had." })
export class MapImageInput extends ComponentEditInput {
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
}
