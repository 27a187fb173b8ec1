import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PageInfo, ComponentRevision } from '../versionControl/versionControl.types';

/*
 * The deployment GraphQL types. Resolvers hand them plain objects (deployments.views.ts builds them);
 * `Deployment.servers`, `Server.deployment` and a server's `cloud`, `image` and `instanceType` are
 * field resolvers that go through per-request loaders.
 */

@ObjectType('Deployment', { description: 'A set of servers of one account.' })
export class Deployment {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, {
    description: 'The stream revision of the deployment (its number of events minus one): pass it back as `expectedVersion`.',
  })
  version!: number;
}

@ObjectType('Server', {
  description:
    'A server of a deployment, built from a ServerTemplate revision in one cloud. Its MCI chose its image and instance type when it was added; later changes to that MCI never reach it.',
})
export class Server {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Unique within its deployment.' })
  name!: string;

  /** Not fields: the field resolvers turn these ids into objects. */
  deploymentId!: string;
  cloudId!: string;
  imageId!: string;
  instanceTypeId!: string;

  @Field(() => ComponentRevision, {
    description: 'The MCI the server was built from, at the revision the template pinned (0: its HEAD then).',
  })
  multiCloudImage!: ComponentRevision;

  @Field(() => ComponentRevision, { description: 'The ServerTemplate revision the server was built from (0: its HEAD then).' })
  serverTemplate!: ComponentRevision;

  @Field(() => Int, {
    nullable: true,
    description:
      "The MCI's newest committed revision when it is newer than the one the server was built from (for a HEAD pin: newer than the newest one then); null otherwise. The server itself never changes with it.",
  })
  newerMultiCloudImageRevision!: number | null;
}

@ObjectType('DeploymentEdge')
export class DeploymentEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Deployment)
  node!: Deployment;
}

@ObjectType('DeploymentConnection', { description: "The account's deployments, oldest first." })
export class DeploymentConnection {
  @Field(() => [Deployment])
  nodes!: Deployment[];

  @Field(() => [DeploymentEdge])
  edges!: DeploymentEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
