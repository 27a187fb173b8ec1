import type DataLoader from 'dataloader';
import { unknownRevision } from '../../application/components';
import { DomainError, ErrorCode } from '../../domain/errors';
import { assertRevisionNumber, isHead } from '../../domain/versionControl/revisions';
import type { ActiveComponent } from '../../domain/versionControl/versioned';
import type { ComponentHead, ComponentQueries } from '../../readModels/componentQueries';
import type { GraphQLContext } from '../context';
import type { ComponentRevisionKey } from './componentLoaders';
import type { VersionedComponent } from './versionControl.types';

/*
 * The plain objects behind every component kind's GraphQL type: HEAD from its head row, a committed
 * revision from its snapshot, a past instant from a folded state. Every lookup is scoped to the
 * viewer's account: another account's component is NOT_FOUND, exactly like a missing one. The steps
 * are the same for every kind; a kind says only where it reads and which of its content a view
 * already holds.
 */

/** What every kind's view object carries besides its GraphQL fields. */
export interface ComponentView extends VersionedComponent {
  /** Not a field: the newest committed revision, for `behind`. */
  latestRevision: number;
  /** Not a field: time travel shows only the revisions committed by then. */
  revisionsUpTo?: number;
}

/** A kind's own view members: the content a view holds when it is already at hand. */
export type FrozenContent<View extends ComponentView> = Omit<View, keyof ComponentView>;

export interface ComponentViewKind<
  Content extends { readonly name: string; readonly description: string },
  Snapshot extends { readonly revision: number; readonly content: Content },
  View extends ComponentView,
> {
  /** The GraphQL type name: each view's `kind`, and the kind error messages name. */
  readonly name: string;
  readonly heads: (ctx: GraphQLContext) => DataLoader<string, ComponentHead | null>;
  readonly snapshots: (ctx: GraphQLContext) => DataLoader<ComponentRevisionKey, Snapshot | null, string>;
  readonly queries: (ctx: GraphQLContext) => Pick<ComponentQueries<Content, unknown, Snapshot>, 'headsByIds' | 'headContents'>;
  /** What a committed revision's view holds of its snapshot's content; none: its fields load it in batch by (id, revision). */
  readonly frozenAtRevision?: (content: Content) => FrozenContent<View>;
  /** What a past instant's view holds of HEAD as it stood then: no read model keeps it. */
  readonly frozenInPast: (content: Content) => FrozenContent<View>;
}

export interface ComponentViews<Content, Snapshot, View> {
  /** NOT_FOUND, with one message for a missing, deleted or another account's component. */
  readonly notFound: () => DomainError;
  /** HEAD: its content is loaded in batch by its fields. */
  readonly headView: (head: ComponentHead) => View;
  readonly snapshotView: (head: ComponentHead, snapshot: Snapshot) => View;
  /** The component as it was at some instant (time travel): HEAD as it stood then, with the revisions committed by then. */
  readonly pastView: (state: ActiveComponent<Content>, version: number) => View;
  /** The viewer's component at `revision` (omitted or 0: HEAD). */
  readonly loadView: (ctx: GraphQLContext, id: string, revision: number | null | undefined) => Promise<View>;
  /** The viewer's component at HEAD straight from the read model, bypassing this request's loader cache: what a mutation returns. */
  readonly freshHeadView: (ctx: GraphQLContext, id: string) => View;
  /** The content diff compares: HEAD's from the head row's folded state, a revision's from its snapshot. */
  readonly contentAt: (ctx: GraphQLContext, id: string, revision: number | null | undefined) => Promise<Content>;
}

/**
 * The view steps of one component kind.
 *
 * Usage: export const { headView, loadView } = componentViews({ name: RIGHT_SCRIPT_KIND, heads: rightScriptHeadLoader, … });
 */
export function componentViews<
  Content extends { readonly name: string; readonly description: string },
  Snapshot extends { readonly revision: number; readonly content: Content },
  View extends ComponentView,
>(kind: ComponentViewKind<Content, Snapshot, View>): ComponentViews<Content, Snapshot, View> {
  const notFound = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, `no such ${kind.name}`);

  // Every view is the component's shared fields plus what the kind holds of its content.
  const view = (shared: ComponentView, frozen?: FrozenContent<View>): View => ({ ...shared, ...frozen }) as View;

  const identity = (head: ComponentHead): Omit<ComponentView, 'name' | 'description' | 'revision' | 'behind'> => ({
    kind: kind.name,
    id: head.id,
    version: head.version,
    lineage: head.lineage,
    readOnly: head.origin !== null,
    origin: head.origin,
    clonedFrom: head.clonedFrom,
    latestRevision: head.latestRevision,
  });

  // A HEAD is behind only when a newer revision of its lineage exists elsewhere: for an import, a newer
  // publication (the `behind` field resolver of src/graphql/imports asks the marketplace).
  const headView = (head: ComponentHead): View =>
    view({ ...identity(head), name: head.name, description: head.description, revision: 0, behind: false });

  const snapshotView = (head: ComponentHead, snapshot: Snapshot): View =>
    view(
      {
        ...identity(head),
        name: snapshot.content.name,
        description: snapshot.content.description,
        revision: snapshot.revision,
        behind: snapshot.revision < head.latestRevision,
      },
      kind.frozenAtRevision?.(snapshot.content),
    );

  const pastView = (state: ActiveComponent<Content>, version: number): View =>
    view(
      {
        kind: kind.name,
        id: state.id,
        name: state.head.name,
        description: state.head.description,
        revision: 0,
        version,
        lineage: state.lineage,
        readOnly: state.origin !== null,
        origin: state.origin,
        clonedFrom: state.clonedFrom,
        behind: false,
        latestRevision: state.latestRevision,
        revisionsUpTo: state.latestRevision,
      },
      kind.frozenInPast(state.head),
    );

  const loadHead = async (ctx: GraphQLContext, id: string): Promise<ComponentHead> => {
    const head = await kind.heads(ctx).load(id);
    if (!head) throw notFound();
    return head;
  };

  const loadSnapshot = async (ctx: GraphQLContext, head: ComponentHead, revision: number): Promise<Snapshot> => {
    const snapshot = await kind.snapshots(ctx).load({ id: head.id, revision });
    if (!snapshot) throw unknownRevision(kind.name, head.id, revision, head.latestRevision);
    return snapshot;
  };

  const loadView = async (ctx: GraphQLContext, id: string, revision: number | null | undefined): Promise<View> => {
    if (revision !== undefined && revision !== null) assertRevisionNumber(revision);
    const head = await loadHead(ctx, id);
    if (isHead(revision)) return headView(head);
    return snapshotView(head, await loadSnapshot(ctx, head, revision as number));
  };

  const freshHeadView = (ctx: GraphQLContext, id: string): View => {
    const [head] = kind.queries(ctx).headsByIds(ctx.viewer.accountId, [id]);
    if (!head) throw notFound();
    return headView(head);
  };

  const contentAt = async (ctx: GraphQLContext, id: string, revision: number | null | undefined): Promise<Content> => {
    if (isHead(revision)) {
      const content = kind.queries(ctx).headContents(ctx.viewer.accountId, [id]).get(id);
      if (!content) throw notFound();
      return content;
    }
    assertRevisionNumber(revision as number);
    const snapshot = await loadSnapshot(ctx, await loadHead(ctx, id), revision as number);
    return snapshot.content;
  };

  return { notFound, headView, snapshotView, pastView, loadView, freshHeadView, contentAt };
}
