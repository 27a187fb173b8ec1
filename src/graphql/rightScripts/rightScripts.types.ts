import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { INPUT_TYPES, type RightScriptContent, type RightScriptInputType as DomainInputType } from '../../domain/rightScripts/rightScript';
import { PageInfo, VersionedComponent } from '../versionControl/versionControl.types';

/*
 * The RightScript GraphQL types. Resolvers hand them plain objects (rightScripts.views.ts builds
 * them); `source`, `inputs` and `revisions` are field resolvers that go through the per-request
 * loaders, or read the content a view already holds (a committed revision, time travel).
 */

export const RightScriptInputType = Object.fromEntries(INPUT_TYPES.map((type) => [type, type])) as { [K in DomainInputType]: K };
export type RightScriptInputType = DomainInputType;
registerEnumType(RightScriptInputType, {
  name: 'RightScriptInputType',
  description:
    "How an input's value (and default) reads: TEXT anything, NUMBER a finite decimal number, BOOLEAN `true` or `false`, LIST a JSON array of strings.",
});

@ObjectType('RightScript', {
  implements: VersionedComponent,
  description: 'A RightScript: a script body (`source`) and the inputs it reads as environment variables.',
})
export class RightScript extends VersionedComponent {
  /** Not a field: the newest committed revision, for `behind`. */
  latestRevision!: number;
  /** Not a field: the content of the revision shown when already at hand (a snapshot, time travel); undefined: HEAD's, loaded in batch. */
  frozen?: RightScriptContent;
  /** Not a field: time travel shows only the revisions committed by then. */
  revisionsUpTo?: number;
}

@ObjectType('RightScriptInput', { description: 'An input of a RightScript: an environment variable the script reads.' })
export class RightScriptInput {
  @Field(() => String, {
    description: 'An environment variable name: an upper-case letter, then up to 63 upper-case letters, digits or `_`.',
  })
  name!: string;

  @Field(() => RightScriptInputType)
  type!: RightScriptInputType;

  @Field(() => String, { nullable: true, description: 'The value when a server sets none; null: no default. At most 4 KiB in UTF-8.' })
  default!: string | null;
}

@ObjectType('RightScriptEdge')
export class RightScriptEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RightScript)
  node!: RightScript;
}

@ObjectType('RightScriptConnection', { description: "The account's RightScripts at HEAD, oldest first." })
export class RightScriptConnection {
  @Field(() => [RightScript])
  nodes!: RightScript[];

  @Field(() => [RightScriptEdge])
  edges!: RightScriptEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many match the filter in all.' })
  totalCount!: number;
}

@InputType('RightScriptFilter')
export class RightScriptFilter {
  @Field(() => String, { nullable: true, description: 'Only names containing this text (case-insensitive).' })
  nameContains?: string | null;
}
