import { Field, ID, InputType, Int } from 'type-graphql';

@InputType('AddServerInput', {
  description:
    "The MCI is `multiCloudImageId` (one of the template's, covering the cloud), else the template's default if it covers the cloud, else the first attached MCI that does; the server takes that MCI setting's image and instance type unless `imageId` / `instanceTypeId` are given.",
})
export class AddServerInput {
  @Field(() => ID)
  deploymentId!: string;

  @Field(() => String, { description: '1 to 255 characters, unique within the deployment.' })
  name!: string;

  @Field(() => ID)
  serverTemplateId!: string;

  @Field(() => Int, { nullable: true, description: 'A committed revision; omitted or 0: HEAD.' })
  serverTemplateRevision?: number | null;

  @Field(() => ID, { description: "One of the template's supported clouds." })
  cloudId!: string;

  @Field(() => ID, { nullable: true })
  multiCloudImageId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Any image of the cloud, even one in no MCI; not OBSOLETE.' })
  imageId?: string | null;

  @Field(() => ID, { nullable: true, description: "An instance type of the cloud that runs the image's architecture." })
  instanceTypeId?: string | null;

  @Field(() => Int, { nullable: true, description: "The deployment's `version` last read: VERSION_CONFLICT when it changed since." })
  expectedVersion?: number | null;
}

@InputType('UpdateServerInput', { description: 'Fields left out stay as they are.' })
export class UpdateServerInput {
  @Field(() => ID)
  deploymentId!: string;

  @Field(() => ID)
  serverId!: string;

  @Field(() => ID, {
    nullable: true,
    description:
      "Another MCI of the server's template revision, covering its cloud: the server takes that setting's image and instance type unless given.",
  })
  multiCloudImageId?: string | null;

  @Field(() => ID, { nullable: true, description: "Any image of the server's cloud; a new one must not be OBSOLETE." })
  imageId?: string | null;

  @Field(() => ID, { nullable: true })
  instanceTypeId?: string | null;

  @Field(() => Int, { nullable: true, description: "The deployment's `version` last read: VERSION_CONFLICT when it changed since." })
  expectedVersion?: number | null;
}
