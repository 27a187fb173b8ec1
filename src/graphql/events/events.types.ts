import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { FeedSelection } from '../../application/changeFeed';
import { COMPONENT_KINDS } from '../versionControl/componentKinds';
import { EventEdge, PageInfo, RecordedEventType } from '../versionControl/versionControl.types';

/*
 * The change feed in the API: its filter, the component kinds it filters on (one enum value per kind
 * registered in componentKinds.ts, so a new kind is filterable without touching this file) and its page.
 */

/** `MultiCloudImage` → `MULTI_CLOUD_IMAGE`. */
function enumValueOf(kind: string): string {
  return kind.replace(/([a-z0-9])([A-Z])/gu, '$1_$2').toUpperCase();
}

/** Enum value → the kind's GraphQL type name, e.g. `MULTI_CLOUD_IMAGE: 'MultiCloudImage'`. */
export const ComponentKind: Readonly<Record<string, string>> = Object.fromEntries(
  COMPONENT_KINDS.map(({ component }) => [enumValueOf(component.kind), component.kind]),
);
registerEnumType(ComponentKind, {
  name: 'ComponentKind',
  description: 'A kind of versioned component.',
  valuesConfig: Object.fromEntries(
    COMPONENT_KINDS.map(({ component }) => [
      enumValueOf(component.kind),
      { description: `${component.kind}s (their streams are \`${component.streamPrefix}<id>\`).` },
    ]),
  ),
});

/** The stream prefix of each kind, by the GraphQL type name the enum carries. */
export const STREAM_PREFIX_OF_KIND: ReadonlyMap<string, string> = new Map(
  COMPONENT_KINDS.map(({ component }) => [component.kind, component.streamPrefix]),
);

@InputType('EventFilter', {
  description:
    'Which events of the feed to deliver. Every criterion given must match; an omitted (or null) one matches everything, an empty list nothing.',
})
export class EventFilter {
  @Field(() => [String], { nullable: true, description: 'Exact event types, e.g. `ImageMapped`, `RevisionCommitted`. At most 100.' })
  types?: string[] | null;

  @Field(() => [ID], {
    nullable: true,
    description:
      'Only the events of these components (of any kind). At most 100; NOT_FOUND for an id that is not a component of the account.',
  })
  componentIds?: string[] | null;

  @Field(() => [ComponentKind], { nullable: true, description: 'Only the events of components of these kinds.' })
  kinds?: string[] | null;
}

@ObjectType('ChangeFeed', {
  description:
    'A page of the change feed, oldest first. Edge cursors are the events’ own `cursor`s; `endCursor` is where to continue (it may lie past the last event, past events this account does not see).',
})
export class ChangeFeed {
  @Field(() => [RecordedEventType])
  nodes!: RecordedEventType[];

  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** What was asked, for `totalCount` (counted only when selected: it scans the log). Not a field. */
  query!: { readonly after: string | undefined; readonly selection: FeedSelection };
}
