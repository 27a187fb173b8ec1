import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { importPublication } from '../../application/imports';
import { Account } from '../accounts/accounts.types';
import { commandContext, type GraphQLContext } from '../context';
import { accountLoader, newestRevisionLoader } from '../marketplace/marketplace.loaders';
import { freshHeadView as multiCloudImageHeadView } from '../multiCloudImages/multiCloudImages.views';
import { freshHeadView as rightScriptHeadView } from '../rightScripts/rightScripts.views';
import { freshHeadView as serverTemplateHeadView } from '../serverTemplates/serverTemplates.views';
import { VersionedComponent } from '../versionControl/versionControl.types';
import { ImportedFrom } from './imports.types';

/*
 * Imports over GraphQL: the `importPublication` mutation, and what every component kind shows of an
 * import (`importedFrom`, and `behind` against the marketplace). The fields are resolved on the
 * VersionedComponent interface, so MultiCloudImage, RightScript and ServerTemplate all inherit them.
 * A page of imports asks the marketplace once for `behind` and the accounts once for publisher names
 * (the per-request loaders batch them).
 */

@Resolver(() => VersionedComponent)
export class ImportedComponentResolver {
  @Authorized('observer')
  @FieldResolver(() => ImportedFrom, {
    nullable: true,
    description: 'For an import (read-only): the publication and publisher revision it copies; null for any other component.',
  })
  importedFrom(@Root() component: VersionedComponent): ImportedFrom | null {
    const { origin } = component;
    if (!origin) return null;
    return {
      publicationId: origin.publicationId,
      publisherAccountId: origin.publisherAccountId,
      componentId: origin.componentId,
      revision: origin.revision,
    };
  }

  @Authorized('observer')
  // The field and its description are VersionedComponent's; this resolves it for imports.
  @FieldResolver(() => Boolean)
  async behind(@Root() component: VersionedComponent, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const { origin } = component;
    if (!origin) return component.behind;
    const newest = await newestRevisionLoader(ctx).load(origin.lineage);
    return newest !== null && newest.revision > origin.revision;
  }
}

@Resolver(() => ImportedFrom)
export class ImportedFromResolver {
  @Authorized('observer')
  @FieldResolver(() => Account, { description: 'The account that published it.' })
  async publisherAccount(@Root() importedFrom: ImportedFrom, @Ctx() ctx: GraphQLContext): Promise<Account> {
    // Accounts are never deleted; a name the read model lacks shows empty rather than failing the page.
    return (await accountLoader(ctx).load(importedFrom.publisherAccountId)) ?? { id: importedFrom.publisherAccountId, name: '' };
  }
}

@Resolver()
export class ImportsResolver {
  @Authorized('library')
  @Mutation(() => VersionedComponent, {
    description:
      'Imports a publication the account may see into a read-only component (ComponentImported, then its revision 1) that keeps its origin; a template brings the MCI and RightScript revisions it pins, reusing copies the account already has. Importing a revision the account already has returns that copy. NOT_FOUND when the publication is not visible; BAD_USER_INPUT for the account’s own publication.',
  })
  async importPublication(@Arg('publicationId', () => ID) publicationId: string, @Ctx() ctx: GraphQLContext): Promise<VersionedComponent> {
    const imported = await importPublication(ctx.services, commandContext(ctx), publicationId);
    switch (imported.kind) {
      case 'MultiCloudImage':
        return multiCloudImageHeadView(ctx, imported.id);
      case 'RightScript':
        return rightScriptHeadView(ctx, imported.id);
      case 'ServerTemplate':
        return serverTemplateHeadView(ctx, imported.id);
      default: {
        const unknown: never = imported.kind;
        throw new Error(`unknown imported kind ${JSON.stringify(unknown)}`);
      }
    }
  }
}
