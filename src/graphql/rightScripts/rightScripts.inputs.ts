import { Field, ID, InputType, Int } from 'type-graphql';
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
export class CreateRightScriptInput {
  @Field(() => String, { description: '1 to 255 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 4096 characters.' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'The script body; at most 256 KiB in UTF-8. Omitted: empty.' })
  source?: string | null;

  @Field(() => [RightScriptInputDefinition], { nullable: true, description: 'At most 100, names unique; listed back by name.' })
  inputs?: RightScriptInputDefinition[] | null;
}

@InputType('UpdateRightScriptInput', { description: 'Fields left out stay as they are; `inputs` replaces the whole list.' })
export class UpdateRightScriptInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 256 KiB in UTF-8.' })
  source?: string | null;

  @Field(() => [RightScriptInputDefinition], { nullable: true, description: 'The whole new list of inputs (at most 100).' })
  inputs?: RightScriptInputDefinition[] | null;

  @Field(() => Int, { nullable: true, description: 'The `version` last read: VERSION_CONFLICT when it changed since.' })
  expectedVersion?: number | null;

  @Field(() => Int, { nullable: true, description: 'The revision meant to change: only HEAD (0, the default) can; others are NOT_HEAD.' })
  revision?: number | null;
}
