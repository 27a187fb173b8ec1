import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The running service: which build, which event store, how far the log goes.' })
export class ServerInfo {
  @Field(() => String, { description: 'The service version (package.json).' })
  version!: string;

  @Field(() => String, { description: "The event store adapter: 'sqlite' or 'eventstoredb'." })
  eventStore!: string;

  @Field(() => String, { nullable: true, description: 'Cursor of the newest event in the log; null while the log is empty.' })
  position!: string | null;
}
