import { JSONResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MERGE_CHOICES, type MergeChoice as DomainMergeChoice } from '../../domain/versionControl/merge';
import { Change, VersionedComponent } from './versionControl.types';

/*
 * Merge in the API (domain.md, "Merge"): what a merge would do (`mergePreview`), what it did
 * (`MergeResult`), and how the caller settles conflicts (`MergeResolutionInput`). The source is a
 * `RevisionRef`, as diff takes it.
 */

export const MergeChoice = Object.fromEntries(MERGE_CHOICES.map((choice) => [choice, choice])) as { [C in DomainMergeChoice]: C };
export type MergeChoice = DomainMergeChoice;
registerEnumType(MergeChoice, {
  name: 'MergeChoice',
  description: 'How a conflict is settled.',
  valuesConfig: {
    OURS: { description: "Keep the target HEAD's value." },
    THEIRS: { description: "Take the source revision's value." },
  },
});

@InputType('MergeResolutionInput', { description: 'Settles the conflict at `path` (as `conflicts` names it).' })
export class MergeResolutionInput {
  @Field(() => String, { description: 'At most 1,024 characters.' })
  path!: string;

  @Field(() => MergeChoice)
  choice!: MergeChoice;
}

@ObjectType('MergeBase', {
  description:
    'The common ancestor a merge compares against: a committed revision, or (revision 0) a HEAD as it stood at stream version `version` when it was cloned or merged from.',
})
export class MergeBase {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  revision!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'For a HEAD (revision 0): the stream version it stood at; null for a committed revision.',
  })
  version!: number | null;
}

@ObjectType('MergeConflict', { description: 'A field both sides changed, differently, since the base. Values are JSON; null: absent.' })
export class MergeConflict {
  @Field(() => String)
  path!: string;

  @Field(() => JSONResolver, { nullable: true })
  base!: unknown;

  @Field(() => JSONResolver, { nullable: true })
  ours!: unknown;

  @Field(() => JSONResolver, { nullable: true })
  theirs!: unknown;

  @Field(() => MergeChoice, { nullable: true, description: 'How it was settled; null in a preview.' })
  resolution!: MergeChoice | null;
}

@ObjectType('MergePreview', { description: 'What merging the source into the target HEAD would do; nothing is written.' })
export class MergePreview {
  @Field(() => MergeBase)
  base!: MergeBase;

  @Field(() => [Change], { description: 'What the merge would change in the target HEAD (conflicting fields keep their HEAD value here).' })
  changes!: Change[];

  @Field(() => [MergeConflict], { description: 'Each must be resolved (OURS or THEIRS) for the merge to apply.' })
  conflicts!: MergeConflict[];

  @Field(() => Boolean, { description: 'The source is the target or already one of its ancestors: there is nothing to merge.' })
  alreadyMerged!: boolean;
}

@ObjectType('MergeResult', { description: 'A merge applied to the target HEAD (MergeApplied), or nothing to merge.' })
export class MergeResult {
  @Field(() => VersionedComponent, { description: 'The target at HEAD after the merge.' })
  component!: VersionedComponent;

  @Field(() => [MergeConflict], { description: 'The conflicts the resolutions settled, each with its resolution.' })
  conflicts!: MergeConflict[];

  @Field(() => MergeBase)
  base!: MergeBase;

  @Field(() => [Change], { description: 'What the merge changed in the target HEAD.' })
  changes!: Change[];

  @Field(() => Boolean, {
    description: 'True when the source is the target or already one of its ancestors: nothing to merge, nothing was written.',
  })
  alreadyMerged!: boolean;
}
