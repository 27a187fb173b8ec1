import { Field, ID, InputType } from 'type-graphql';
import { Architecture } from './catalog.types';

@InputType({ description: 'A new cloud: a provider region.' })
export class RegisterCloudInput {
  @Field(() => ID, { description: "Chosen by the operator, e.g. `aws-us-east-1`: letters, digits, '.', '_', ':' or '-'." })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'E.g. `AWS`.' })
  provider!: string;
}

@InputType({ description: "A new image in a cloud's resource pool; it starts ACTIVE." })
export class RegisterImageInput {
  @Field(() => ID)
  cloudId!: string;

  @Field(() => ID, { description: 'Unique across all clouds, e.g. `aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7`.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  os!: string;

  @Field(() => String)
  osVersion!: string;

  @Field(() => Architecture)
  architecture!: Architecture;
}

@InputType({ description: 'A new instance type in a cloud.' })
export class RegisterInstanceTypeInput {
  @Field(() => ID)
  cloudId!: string;

  @Field(() => ID, { description: 'Unique across all clouds, e.g. `aws-us-east-1/small`.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [Architecture])
  architectures!: Architecture[];
}
