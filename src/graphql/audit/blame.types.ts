import { JSONResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RecordedEventType } from '../versionControl/versionControl.types';

/*
 * Blame in the API: for every field of a component at a revision, the event that last changed it
 * (the same `Event` the history lists, so its hash chain can be checked) and the commit that first
 * included that change.
 */

@ObjectType('BlameEntry', { description: 'One field of the component and the event that last changed its value.' })
export class BlameEntry {
  @Field(() => String, { description: 'The field, named as diff names it, e.g. `settings.aws-us-east-1.image` or `inputs.PORT.default`.' })
  path!: string;

  @Field(() => JSONResolver, { nullable: true, description: 'Its value at the revision blamed.' })
  value!: unknown;

  @Field(() => RecordedEventType, {
    description: 'The event that last changed the value (an event setting the value it already had does not count).',
  })
  event!: RecordedEventType;

  @Field(() => Int, {
    nullable: true,
    description: 'The committed revision that first included that change; null while the change is only on HEAD.',
  })
  committedIn!: number | null;
}

@ObjectType('Blame', { description: 'Who set each field of a component at a revision, when, and in which commit.' })
export class Blame {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The component kind, e.g. `MultiCloudImage`, `ServerTemplate`, `RightScript`.' })
  kind!: string;

  @Field(() => Int, { description: 'The revision blamed: 0 for HEAD.' })
  revision!: number;

  @Field(() => [BlameEntry], { description: 'Every field present at that revision, in the order the kind lists them.' })
  fields!: BlameEntry[];
}
