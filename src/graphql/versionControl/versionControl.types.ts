import { JSONResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { CHANGE_KINDS, type ChangeKind as DomainChangeKind } from '../../domain/versionControl/change';
import type { ImportOrigin } from '../../domain/versionControl/versioned';

/*
 * What every versioned component kind shares in the API (domain.md, "Version control"): the
 * VersionedComponent interface, revision references, committed revisions, diffs and the events of a
 * component's history. Resolvers hand these types plain objects.
 */

@ObjectType('ComponentRevision', { description: 'A revision of a component: `revision` 0 is its HEAD.' })
export class ComponentRevision {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  revision!: number;
}

@InputType('RevisionRef', { description: 'A revision of a component; `revision` omitted or 0 means HEAD.' })
export class RevisionRef {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { nullable: true })
  revision?: number | null;
}

@InterfaceType('VersionedComponent', {
  description: 'A component under version control: one editable HEAD (revision 0) and immutable committed revisions 1, 2, 3 …',
  // Plain objects carry their GraphQL type's name: there is no class instance to inspect.
  resolveType: (value: { kind?: string }) => value.kind,
})
export abstract class VersionedComponent {
  /** The GraphQL type this object is (e.g. `MultiCloudImage`); not a field. */
  kind!: string;

  /** Not a field: where an import came from (`importedFrom`, and `behind` against the marketplace); null for any other component. */
  origin!: ImportOrigin | null;

  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => Int, { description: 'The revision shown: 0 for HEAD.' })
  revision!: number;

  @Field(() => Int, {
    description:
      'The stream revision of the component (its number of events minus one): pass it back as `expectedVersion` on the next edit.',
  })
  version!: number;

  @Field(() => ID, { description: 'Shared by every revision of the component; a clone starts a new lineage.' })
  lineage!: string;

  @Field(() => Boolean, { description: 'True for an imported component: clone it to edit it.' })
  readOnly!: boolean;

  @Field(() => ComponentRevision, { nullable: true, description: 'The revision this component was cloned from (revision 0: its HEAD).' })
  clonedFrom!: ComponentRevision | null;

  @Field(() => Boolean, {
    description:
      'True when a newer committed revision exists in its lineage than the one shown; for an import, when the marketplace offers this account a newer non-deprecated revision of the lineage it was published from.',
  })
  behind!: boolean;
}

@ObjectType('Revision', { description: 'A committed revision: immutable, numbered densely from 1.' })
export class Revision {
  @Field(() => Int)
  revision!: number;

  @Field(() => String)
  message!: string;

  @Field(() => Date)
  committedAt!: Date;

  @Field(() => ID, { description: 'The id of the user who committed it.' })
  committedBy!: string;
}

export const ChangeKind = Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, kind])) as { [K in DomainChangeKind]: K };
export type ChangeKind = DomainChangeKind;
registerEnumType(ChangeKind, {
  name: 'ChangeKind',
  description: 'How a path differs between two revisions.',
  valuesConfig: {
    ADDED: { description: 'Only in `to` (`before` is null).' },
    REMOVED: { description: 'Only in `from` (`after` is null).' },
    CHANGED: { description: 'In both, with different values.' },
  },
});

@ObjectType('TextHunk', { description: 'A unified diff hunk: 1-based line numbers; a count of 0 starts on the line before.' })
export class TextHunk {
  @Field(() => Int)
  fromLine!: number;

  @Field(() => Int)
  fromCount!: number;

  @Field(() => Int)
  toLine!: number;

  @Field(() => Int)
  toCount!: number;

  @Field(() => [String], {
    description: "Prefixed ' ' (context), '-' (removed) or '+' (added); '\\ No newline at end of file' follows a last line without one.",
  })
  lines!: readonly string[];
}

@ObjectType('Change', { description: 'One field-level difference, e.g. `settings.aws-us-east-1.image`.' })
export class Change {
  @Field(() => String)
  path!: string;

  @Field(() => ChangeKind)
  kind!: ChangeKind;

  @Field(() => JSONResolver, { nullable: true })
  before!: unknown;

  @Field(() => JSONResolver, { nullable: true })
  after!: unknown;

  @Field(() => [TextHunk], { nullable: true, description: 'For a multi-line text field (e.g. `source`): its line diff; null otherwise.' })
  hunks?: readonly TextHunk[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'The hunks as unified diff text (`@@ -a,b +c,d @@` headers); null unless `hunks` is set.',
  })
  unified?: string | null;
}

@ObjectType('Diff', { description: 'The differences from one revision to another; no changes when their content is identical.' })
export class Diff {
  @Field(() => [Change])
  changes!: Change[];
}

@ObjectType('Actor', { description: 'Who caused an event: a user, or `system` for the service itself.' })
export class Actor {
  @Field(() => ID)
  id!: string;
}

@ObjectType('Event', { description: 'A domain event as the log recorded it, with its place in the tamper-evident chain of its stream.' })
export class RecordedEventType {
  @Field(() => String, { description: 'Position in the global log; opaque.' })
  cursor!: string;

  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'E.g. `ImageMapped`, `RevisionCommitted`.' })
  type!: string;

  @Field(() => String, { description: 'E.g. `mci-<id>`.' })
  streamId!: string;

  @Field(() => ID, { nullable: true, description: 'The component the stream belongs to (the stream name without its category).' })
  componentId!: string | null;

  @Field(() => Int, { description: 'The position of the event in its stream, from 0.' })
  revision!: number;

  @Field(() => Date)
  occurredAt!: Date;

  @Field(() => Actor, { nullable: true })
  actor!: Actor | null;

  @Field(() => JSONResolver)
  data!: unknown;

  @Field(() => String, { description: 'SHA-256 over the event and `prevHash`.' })
  hash!: string;

  @Field(() => String, { nullable: true, description: 'The hash of the previous event of the stream; null for its first.' })
  prevHash!: string | null;
}

@ObjectType('PageInfo', { description: 'Where a page of a connection ends.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null for an empty page.' })
  endCursor!: string | null;
}

@ObjectType('EventEdge')
export class EventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RecordedEventType)
  node!: RecordedEventType;
}

@ObjectType('EventConnection', { description: 'Events, oldest first.' })
export class EventConnection {
  @Field(() => [RecordedEventType])
  nodes!: RecordedEventType[];

  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
