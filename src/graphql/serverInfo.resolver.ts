import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { SERVICE_VERSION } from '../version';
import type { GraphQLContext } from './context';
import { ServerInfo } from './serverInfo.type';

@Resolver(() => ServerInfo)
export class ServerInfoResolver {
  @Authorized('observer')
  @Query(() => ServerInfo, { description: 'Which build is running on which event store, and the position of the log.' })
  async serverInfo(@Ctx() { services }: GraphQLContext): Promise<ServerInfo> {
    const head = await services.store.headPosition();
    return { version: SERVICE_VERSION, eventStore: services.store.kind, position: head ? services.store.cursorOf(head) : null };
  }
}
