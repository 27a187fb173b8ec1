import { Field, ID, InputType, Int } from 'type-graphql';
import { CreateComponentInput, UpdateComponentInput } from '../versionControl/componentInputs';

@InputType('CreateServerTemplateInput', { description: 'A template starts with one MultiCloud Image, its default.' })
export class CreateServerTemplateInput extends CreateComponentInput {
  @Field(() => ID, { description: 'An MCI of the account: the first attached, and so the default.' })
  multiCloudImageId!: string;

  @Field(() => Int, { nullable: true, description: 'The MCI revision to pin; omitted or 0: its HEAD.' })
  multiCloudImageRevision?: number | null;
}

@InputType('UpdateServerTemplateInput', { description: 'Fields left out stay as they are.' })
export class UpdateServerTemplateInput extends UpdateComponentInput {}
