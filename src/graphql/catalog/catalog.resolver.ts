import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { deprecateImage, registerCloud, registerImage, registerInstanceType } from '../../application/catalogCommands';
import type { CloudInfo } from '../../domain/catalog/cloud';
import { DomainError, ErrorCode } from '../../domain/errors';
import { commandContext, type GraphQLContext } from '../context';
import { RegisterCloudInput, RegisterImageInput, RegisterInstanceTypeInput } from './catalog.inputs';
import { cloudImagesLoader, cloudInstanceTypesLoader, cloudLoader } from './catalog.loaders';
import { Cloud, Image, ImageStatus, InstanceType } from './catalog.types';

/*
 * The cloud catalog: everyone signed in reads it (it is shared by all accounts); only the system
 * operator writes it. Resolvers are thin: input → application command → changed object; nested
 * objects come through the per-request loaders.
 */

/** The cloud an image or instance type belongs to: the log guarantees it is registered. */
async function owningCloud(ctx: GraphQLContext, what: string, cloudId: string): Promise<CloudInfo> {
  const cloud = await cloudLoader(ctx).load(cloudId);
  if (!cloud) throw new Error(`${what} names cloud '${cloudId}', which the catalog read model does not hold`);
  return cloud;
}

@Resolver(() => Cloud)
export class CatalogResolver {
  @Authorized('observer')
  @Query(() => [Cloud], { description: 'Every registered cloud, by provider then id.' })
  clouds(@Ctx() ctx: GraphQLContext): CloudInfo[] {
    const clouds = ctx.services.queries.catalog.allClouds();
    // Later loads of these clouds (e.g. Image.cloud) in this request need no further read.
    const loader = cloudLoader(ctx);
    for (const cloud of clouds) loader.prime(cloud.id, cloud);
    return clouds;
  }

  @Authorized('observer')
  @Query(() => Cloud, { description: 'One cloud; NOT_FOUND when no cloud has this id.' })
  async cloud(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    const cloud = await cloudLoader(ctx).load(id);
    if (!cloud) throw new DomainError(ErrorCode.NOT_FOUND, `cloud: expected the id of a registered cloud, got '${id}'`);
    return cloud;
  }

  @Authorized('observer')
  @FieldResolver(() => [Image], { description: "The images of the cloud's resource pool, by name." })
  images(@Root() cloud: CloudInfo, @Ctx() ctx: GraphQLContext): Promise<Image[]> {
    return cloudImagesLoader(ctx).load(cloud.id);
  }

  @Authorized('observer')
  @FieldResolver(() => [InstanceType], { description: 'The instance types the cloud offers, by name.' })
  instanceTypes(@Root() cloud: CloudInfo, @Ctx() ctx: GraphQLContext): Promise<InstanceType[]> {
    return cloudInstanceTypesLoader(ctx).load(cloud.id);
  }

  @Authorized('systemOperator')
  @Mutation(() => Cloud, { description: 'Registers a cloud (system operator). BAD_USER_INPUT when the id is taken.' })
  registerCloud(@Arg('input', () => RegisterCloudInput) input: RegisterCloudInput, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    return registerCloud(ctx.services, commandContext(ctx), { cloudId: input.id, name: input.name, provider: input.provider });
  }

  @Authorized('systemOperator')
  @Mutation(() => Image, {
    description:
      'Registers an image in a cloud (system operator). NOT_FOUND for an unknown cloud; BAD_USER_INPUT when the id is used in any cloud.',
  })
  registerImage(@Arg('input', () => RegisterImageInput) input: RegisterImageInput, @Ctx() ctx: GraphQLContext): Promise<Image> {
    const { cloudId, id, name, os, osVersion, architecture } = input;
    return registerImage(ctx.services, commandContext(ctx), { cloudId, id, name, os, osVersion, architecture });
  }

  @Authorized('systemOperator')
  @Mutation(() => InstanceType, {
    description:
      'Registers an instance type in a cloud (system operator). NOT_FOUND for an unknown cloud; BAD_USER_INPUT when the id is used in any cloud.',
  })
  registerInstanceType(
    @Arg('input', () => RegisterInstanceTypeInput) input: RegisterInstanceTypeInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<InstanceType> {
    const { cloudId, id, name, architectures } = input;
    return registerInstanceType(ctx.services, commandContext(ctx), { cloudId, id, name, architectures });
  }

  @Authorized('systemOperator')
  @Mutation(() => Image, {
    description: 'Moves an image to DEPRECATED (still works, warns) or OBSOLETE (no new mappings or launches) (system operator).',
  })
  deprecateImage(
    @Arg('cloudId', () => ID) cloudId: string,
    @Arg('imageId', () => ID) imageId: string,
    @Arg('status', () => ImageStatus) status: ImageStatus,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Image> {
    return deprecateImage(ctx.services, commandContext(ctx), { cloudId, imageId, status });
  }
}

@Resolver(() => Image)
export class ImageResolver {
  @Authorized('observer')
  @FieldResolver(() => Cloud, { description: 'The cloud whose resource pool holds the image.' })
  cloud(@Root() image: Image, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    return owningCloud(ctx, `image '${image.id}'`, image.cloudId);
  }
}

@Resolver(() => InstanceType)
export class InstanceTypeResolver {
  @Authorized('observer')
  @FieldResolver(() => Cloud, { description: 'The cloud that offers the instance type.' })
  cloud(@Root() type: InstanceType, @Ctx() ctx: GraphQLContext): Promise<CloudInfo> {
    return owningCloud(ctx, `instance type '${type.id}'`, type.cloudId);
  }
}
