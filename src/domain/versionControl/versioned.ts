import type { Decider, DomainEvent } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from './change';
import { bumpTrailingVersion } from './cloneName';
import { assertHead, nextRevision } from './revisions';
import { checkCommitMessage, checkDescription, checkName } from './text';

/*
 * The state transitions every versioned component kind shares (domain.md, "Version control"): a
 * commit freezes HEAD, a deletion keeps only the component's identity, and a committed revision's
 * state is the fold up to its commit. Each kind's decider calls these from its own `evolve`.
 */

/** The revision a clone was made from (0: its source's HEAD). */
export interface ClonedFrom {
  readonly id: string;
  /** The source's revision that was copied; 0 when its HEAD was. */
  readonly revision: number;
}

/**
 * Where an imported component came from (domain.md, "MultiCloud Marketplace"): the publication it was
 * imported through and the publisher's revision it copies. An import is read-only; clone it to edit.
 */
export interface ImportOrigin {
  readonly publicationId: string;
  readonly publisherAccountId: string;
  /** The publisher's component and the revision of it that was published. */
  readonly componentId: string;
  readonly revision: number;
  /** The publisher's lineage: newer publications of it make the import `behind`. */
  readonly lineage: string;
}

/** What every component keeps whatever its status: who owns it, its lineage and its newest revision. */
export interface ComponentIdentity {
  readonly id: string;
  readonly accountId: string;
  /** Shared by every revision of this component; a clone starts a new one. */
  readonly lineage: string;
  readonly clonedFrom: ClonedFrom | null;
  /** Set on an imported (read-only) component; null for one created or cloned in its account. */
  readonly origin: ImportOrigin | null;
  /** The newest committed revision; 0 before the first commit. */
  readonly latestRevision: number;
}

export interface ActiveComponent<Content> extends ComponentIdentity {
  readonly status: 'active';
  readonly head: Content;
  /** The content of `latestRevision`, to tell whether HEAD changed since (NO_CHANGES). */
  readonly lastCommitted: Content | null;
}

export interface DeletedComponent extends ComponentIdentity {
  readonly status: 'deleted';
}

/** A component just created or cloned: its HEAD, nothing committed yet. */
export function newComponent<Content>(
  identity: Omit<ComponentIdentity, 'latestRevision' | 'origin'> & { readonly origin?: ImportOrigin | null },
  head: Content,
): ActiveComponent<Content> {
  return { status: 'active', ...identity, origin: identity.origin ?? null, latestRevision: 0, head, lastCommitted: null };
}

/** `RevisionCommitted`: HEAD is now also the content of `revision`. */
export function withCommit<State extends ActiveComponent<unknown>>(state: State, revision: number): State {
  return { ...state, latestRevision: revision, lastCommitted: state.head };
}

/** `ComponentDeleted`: only the identity stays (history and committed revisions remain readable). */
export function deletedComponent(state: ComponentIdentity): DeletedComponent {
  const { id, accountId, lineage, clonedFrom, origin, latestRevision } = state;
  return { status: 'deleted', id, accountId, lineage, clonedFrom, origin, latestRevision };
}

/** The revision a `RevisionCommitted` event created, whichever kind's stream it is in; undefined for any other event. */
export function revisionCommittedBy(event: DomainEvent): number | undefined {
  if (event.type !== 'RevisionCommitted') return undefined;
  const revision = (event.data as { revision?: unknown }).revision;
  return typeof revision === 'number' ? revision : undefined;
}

/**
 * The state as it was when `revision` was committed (HEAD, 0: after every event), folded from the
 * stream's events without the commits that came later. `undefined` when that revision was never
 * committed. A committed revision's HEAD content is exactly what the commit froze.
 */
export function foldToRevision<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
  revision: number,
): State | undefined {
  let state = decider.initialState();
  for (const event of events) {
    state = decider.evolve(state, event);
    if (revision !== 0 && revisionCommittedBy(event) === revision) return state;
  }
  return revision === 0 ? state : undefined;
}

/** The state any versioned component kind folds to. */
export type ComponentStateOf<Content> = { readonly status: 'empty' } | ActiveComponent<Content> | DeletedComponent;

/** HEAD's content, or undefined for a component that doesn't exist (any more). */
export function headContent<Content>(state: ComponentStateOf<Content>): Content | undefined {
  return state.status === 'active' ? state.head : undefined;
}

/**
 * What every edit command carries: the viewer's account (another account's component is NOT_FOUND)
 * and the revision the client means to edit (omitted or 0 for HEAD; anything else is NOT_HEAD).
 */
export interface EditCommand {
  readonly accountId: string;
  readonly revision?: number | null;
}

/** NOT_FOUND for a revision never committed, naming the ones there are. */
export function unknownRevision(kind: string, id: string, revision: number, latestRevision: number): DomainError {
  const revisions = latestRevision === 0 ? 'nothing was committed yet' : `its revisions are 1 to ${latestRevision}`;
  return new DomainError(ErrorCode.NOT_FOUND, `${kind} '${id}' has no revision ${revision}: ${revisions} (0 is HEAD)`, { latestRevision });
}

/**
 * The component as the viewer's account may edit it: it exists, is theirs and is not deleted, it is
 * not an import (READ_ONLY: clone it to edit), and the edit is aimed at HEAD (NOT_HEAD otherwise).
 * Another account's component reads exactly like a missing one; only its owner learns that it was
 * deleted.
 */
export function editableComponent<Content>(kind: string, state: ComponentStateOf<Content>, command: EditCommand): ActiveComponent<Content> {
  const component = existingComponent(kind, state, command);
  // Read-only before NOT_HEAD: no revision of an import can change, HEAD included.
  if (component.origin) throw readOnlyImport(kind, { ...component, origin: component.origin });
  assertHead(command.revision, component.id);
  return component;
}

/**
 * The component as its account may delete it: `editableComponent` without the READ_ONLY rule, since
 * deleting an import (when nothing pins it: IN_USE) drops only the local copy, never its origin.
 */
export function ownedComponent<Content>(kind: string, state: ComponentStateOf<Content>, command: EditCommand): ActiveComponent<Content> {
  const component = existingComponent(kind, state, command);
  assertHead(command.revision, component.id);
  return component;
}

function existingComponent<Content>(kind: string, state: ComponentStateOf<Content>, command: EditCommand): ActiveComponent<Content> {
  if (state.status === 'empty' || state.accountId !== command.accountId) throw new DomainError(ErrorCode.NOT_FOUND, `no such ${kind}`);
  if (state.status === 'deleted') throw new DomainError(ErrorCode.NOT_FOUND, `${kind} '${state.id}' was deleted`);
  return state;
}

/**
 * READ_ONLY for any change to an import: its content is the publisher's revision, as published. The
 * details carry its `latestRevision`, which its HEAD always equals (a template commit pinning the
 * import at HEAD pins that).
 */
export function readOnlyImport(
  kind: string,
  component: { readonly id: string; readonly origin: ImportOrigin; readonly latestRevision: number },
): DomainError {
  const { id, origin, latestRevision } = component;
  return new DomainError(
    ErrorCode.READ_ONLY,
    `${kind} '${id}' is an import of revision ${origin.revision} of '${origin.componentId}' (publication '${origin.publicationId}'): clone it to edit`,
    { origin, latestRevision },
  );
}

/** The name and description an update sets, checked, keeping only what differs from HEAD. */
export function changedNameAndDescription(
  head: { readonly name: string; readonly description: string },
  update: { readonly name?: string | null; readonly description?: string | null },
): { name?: string; description?: string } {
  const changed: { name?: string; description?: string } = {};
  if (update.name !== undefined && update.name !== null) {
    checkName(update.name);
    if (update.name !== head.name) changed.name = update.name;
  }
  if (update.description !== undefined && update.description !== null) {
    checkDescription(update.description);
    if (update.description !== head.description) changed.description = update.description;
  }
  return changed;
}

/** What every commit records. */
export interface CommitRecord {
  readonly message: string;
  readonly contentHash: string;
  readonly committedAt: string;
  readonly committedBy: string;
}

/**
 * A commit of `frozen` (HEAD's content, or what it becomes when the commit resolves something) as the
 * next revision: a message is required, and freezing what the latest revision already holds is
 * NO_CHANGES. Returns the data of its `RevisionCommitted`.
 */
export function decideCommit<Content>(
  component: ActiveComponent<Content>,
  frozen: Content,
  record: CommitRecord,
  what = 'HEAD',
): CommitRecord & { revision: number } {
  checkCommitMessage(record.message);
  if (component.lastCommitted && jsonEqual(component.lastCommitted, frozen)) {
    throw new DomainError(ErrorCode.NO_CHANGES, `${what} has not changed since revision ${component.latestRevision}: nothing to commit`, {
      latestRevision: component.latestRevision,
    });
  }
  const { message, contentHash, committedAt, committedBy } = record;
  return { revision: nextRevision(component.latestRevision), message, contentHash, committedAt, committedBy };
}

/**
 * A clone's name and origin: the source must be the viewer's (NOT_FOUND otherwise, like a missing one),
 * the new component must not exist yet, and the name defaults to the source's with its trailing
 * version bumped.
 */
export function decideClone<Source extends CloneSourceOf<{ readonly name: string }>>(
  kind: string,
  state: { readonly status: string },
  command: { readonly componentId: string; readonly accountId: string; readonly source: Source | undefined; readonly name?: string | null },
): { name: string; clonedFrom: ClonedFrom; source: Source } {
  const { source } = command;
  if (!source || source.accountId !== command.accountId) throw new DomainError(ErrorCode.NOT_FOUND, `no such ${kind} to clone`);
  const name = command.name ?? bumpTrailingVersion(source.content.name);
  checkName(name);
  if (state.status !== 'empty') throw new DomainError(ErrorCode.BAD_USER_INPUT, `${kind} '${command.componentId}' already exists`);
  return { name, clonedFrom: { id: source.id, revision: source.revision }, source };
}

/**
 * `ComponentCloned` of a kind whose event carries the whole content: the source's, under the clone's
 * name (`decideClone`'s checks). The clone starts its own lineage, named after its id.
 */
export function clonedComponent<Kind extends string, Content extends { readonly name: string }>(
  kind: Kind,
  state: { readonly status: string },
  command: {
    readonly componentId: string;
    readonly accountId: string;
    readonly source: CloneSourceOf<Content> | undefined;
    readonly name?: string | null;
  },
): { kind: Kind; componentId: string; accountId: string; lineage: string; clonedFrom: ClonedFrom; content: Content } {
  const { name, clonedFrom, source } = decideClone(kind, state, command);
  const { componentId, accountId } = command;
  return { kind, componentId, accountId, lineage: componentId, clonedFrom, content: { ...source.content, name } };
}

/** A committed revision (or HEAD, 0) of another component of the same account, as the application read it from its stream. */
export interface CloneSourceOf<Content> {
  readonly id: string;
  readonly accountId: string;
  readonly revision: number;
  readonly content: Content;
}

/**
 * What every kind's `ImportComponent` command carries: the local copy's id and account, where it comes
 * from, and the published revision's content as the application read it from the publisher's stream
 * (for a template, already pinning the local copies of its MCIs and RightScripts).
 */
export interface ImportCommandOf<Content> {
  readonly componentId: string;
  readonly accountId: string;
  readonly origin: ImportOrigin;
  readonly content: Content;
  /** SHA-256 of the canonical JSON of `content`, computed by the application. */
  readonly contentHash: string;
  readonly committedAt: string;
  readonly committedBy: string;
}

/** `ComponentImported`'s data, whichever kind: the import's identity, its origin and the published content (its HEAD and revision 1). */
export interface ComponentImportedOf<Kind extends string, Content> {
  readonly kind: Kind;
  readonly componentId: string;
  readonly accountId: string;
  readonly lineage: string;
  readonly origin: ImportOrigin;
  readonly content: Content;
}

/** The commit message of an import's revision 1. */
export function importCommitMessage(kind: string, origin: ImportOrigin): string {
  return `Imported from publication '${origin.publicationId}': revision ${origin.revision} of ${kind} '${origin.componentId}'`;
}

/**
 * An import: a new component in the importing account whose HEAD and revision 1 are the published
 * content, appended together (`ComponentImported`, then `RevisionCommitted` revision 1) so that its
 * revisions, snapshots and pins read like any component's. It shares the publisher's lineage: imports
 * of one published lineage are one lineage, so a template can be re-pinned from one to the next.
 */
export function decideImport<Kind extends string, Content>(
  kind: Kind,
  state: { readonly status: string },
  command: ImportCommandOf<Content>,
): { imported: ComponentImportedOf<Kind, Content>; committed: CommitRecord & { revision: number } } {
  const { componentId, accountId, origin, content, contentHash, committedAt, committedBy } = command;
  if (!Number.isSafeInteger(origin.revision) || origin.revision < 1) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `origin.revision: expected a committed revision (1 or more), got ${origin.revision}`);
  }
  if (state.status !== 'empty') throw new DomainError(ErrorCode.BAD_USER_INPUT, `${kind} '${componentId}' already exists`);
  const message = importCommitMessage(kind, origin);
  checkCommitMessage(message);
  return {
    imported: { kind, componentId, accountId, lineage: origin.lineage, origin, content },
    committed: { revision: nextRevision(0), message, contentHash, committedAt, committedBy },
  };
}

/** `ComponentImported` folded: the import's HEAD is the published content, nothing committed yet (its `RevisionCommitted` follows). */
export function importedComponent<Content>(data: ComponentImportedOf<string, Content>): ActiveComponent<Content> {
  const { componentId, accountId, lineage, origin, content } = data;
  return newComponent({ id: componentId, accountId, lineage, clonedFrom: null, origin }, content);
}
