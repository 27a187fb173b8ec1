import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SEQUENCES, type Sequence as DomainSequence, type ServerTemplateContent } from '../../domain/serverTemplates/serverTemplate.types';
import { PageInfo, VersionedComponent } from '../versionControl/versionControl.types';

/*
 * The ServerTemplate GraphQL types. Resolvers hand them plain objects (serverTemplates.views.ts builds
 * them); `multiCloudImages`, `rightScripts`, `supportedClouds`, `floating` and `revisions` are field
 * resolvers that go through the per-request loaders.
 */

export const Sequence = Object.fromEntries(SEQUENCES.map((sequence) => [sequence, sequence])) as { [S in DomainSequence]: S };
export type Sequence = DomainSequence;
registerEnumType(Sequence, {
  name: 'Sequence',
  description: 'When a bound RightScript runs on a server.',
  valuesConfig: {
    BOOT: { description: 'While the server boots, in order.' },
    OPERATIONAL: { description: 'On demand while it runs.' },
    DECOMMISSION: { description: 'While it shuts down, in order.' },
  },
});

@ObjectType('ServerTemplate', {
  implements: VersionedComponent,
  description:
    'A ServerTemplate: attached MultiCloud Images (exactly one default) and RightScripts bound in BOOT, OPERATIONAL and DECOMMISSION sequences, each pinned to a committed revision or to HEAD (0).',
})
export class ServerTemplate extends VersionedComponent {
  /** Not a field: the newest committed revision, for `behind`. */
  latestRevision!: number;
  /**
   * Not a field: the content shown, when it is not in the pins table (the template as it stood at a
   * past instant); undefined: the pins of (id, revision) are loaded in batch.
   */
  frozenContent?: ServerTemplateContent;
  /** Not a field: time travel shows only the revisions committed by then. */
  revisionsUpTo?: number;
}

@ObjectType('TemplateMultiCloudImage', { description: 'An MCI attached to a ServerTemplate, at the revision it is pinned to.' })
export class TemplateMultiCloudImage {
  /** Not a field: the pinned MCI, resolved by `multiCloudImage`. */
  multiCloudImageId!: string;

  @Field(() => Int, { description: 'The pinned revision of the MCI; 0: its HEAD.' })
  revision!: number;

  @Field(() => Boolean)
  isDefault!: boolean;

  @Field(() => Int, { description: 'Its place in the list of attached MCIs, from 1.' })
  position!: number;
}

@ObjectType('RightScriptBinding', {
  description: 'A RightScript bound in a sequence of a ServerTemplate, at the revision it is pinned to.',
})
export class RightScriptBinding {
  /** Not a field: the pinned script, resolved by `rightScript`. */
  rightScriptId!: string;

  @Field(() => Int, { description: 'The pinned revision of the RightScript; 0: its HEAD.' })
  revision!: number;

  @Field(() => Sequence)
  sequence!: Sequence;

  @Field(() => Int, { description: 'Its place in the sequence, from 1: the order it runs in.' })
  position!: number;
}

@ObjectType('ServerTemplateEdge')
export class ServerTemplateEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ServerTemplate)
  node!: ServerTemplate;
}

@ObjectType('ServerTemplateConnection', { description: "The account's ServerTemplates at HEAD, oldest first." })
export class ServerTemplateConnection {
  @Field(() => [ServerTemplate])
  nodes!: ServerTemplate[];

  @Field(() => [ServerTemplateEdge])
  edges!: ServerTemplateEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many match the filter in all.' })
  totalCount!: number;
}

@InputType('ServerTemplateFilter')
export class ServerTemplateFilter {
  @Field(() => String, { nullable: true, description: 'Only names containing this text (case-insensitive).' })
  nameContains?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Only ServerTemplates that can deploy to this cloud: one of the MCI revisions their HEAD pins maps it.',
  })
  cloudId?: string | null;
}
