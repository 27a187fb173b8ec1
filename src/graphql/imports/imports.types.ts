import { Field, ID, Int, ObjectType } from 'type-graphql';

/*
 * The imports' GraphQL types. `importedFrom` on every VersionedComponent is an `ImportedFrom`, built
 * from the component's origin; its `publisherAccount` resolves through a per-request loader.
 */

@ObjectType('ImportedFrom', {
  description: 'Where an imported (read-only) component came from: the publication and the publisher’s revision it copies.',
})
export class ImportedFrom {
  @Field(() => ID)
  publicationId!: string;

  /** Not a field: `publisherAccount` loads its name. */
  publisherAccountId!: string;

  @Field(() => ID, { description: 'The publisher’s component (not readable from this account: import or clone the copy instead).' })
  componentId!: string;

  @Field(() => Int, { description: 'The publisher’s committed revision this copy holds (its own revision 1).' })
  revision!: number;
}
