import { Field, InputType } from 'type-graphql';
import { CreateComponentInput, UpdateComponentInput } from '../versionControl/componentInputs';
import { RightScriptInputType } from './rightScripts.types';

@InputType('RightScriptInputDefinition', { description: 'An input of a RightScript as a client defines it.' })
export class RightScriptInputDefinition {
  @Field(() => String, {
    description: 'An upper-case letter, then up to 63 upper-case letters, digits or `_` (e.g. `APP_PORT`); unique in the script.',
  })
  name!: string;

  @Field(() => RightScriptInputType)
  type!: RightScriptInputType;

  @Field(() => String, {
    nullable: true,
    description:
      'Omitted or null: no default. Must read as its type (e.g. `8080` for NUMBER, `["a","b"]` for LIST); at most 4 KiB in UTF-8.',
  })
  default?: string | null;
}

@InputType('CreateRightScriptInput')
export class CreateRightScriptInput extends CreateComponentInput {
  @Field(() => String, { nullable: true, description: 'The script body; at most 256 KiB in UTF-8. Omitted: empty.' })
  source?: string | null;

  @Field(() => [RightScriptInputDefinition], { nullable: true, description: 'At most 100, names unique; listed back by name.' })
  inputs?: RightScriptInputDefinition[] | null;
}

@InputType('UpdateRightScriptInput', { description: 'Fields left out stay as they are; `inputs` replaces the whole list.' })
export class UpdateRightScriptInput extends UpdateComponentInput {
  @Field(() => String, { nullable: true, description: 'At most 256 KiB in UTF-8.' })
  source?: string | null;

  @Field(() => [RightScriptInputDefinition], { nullable: true, description: 'The whole new list of inputs (at most 100).' })
  inputs?: RightScriptInputDefinition[] | null;
}
