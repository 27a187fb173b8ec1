import { createHash } from 'node:crypto';
import type { DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import type { PublishableKind } from '../domain/marketplace/publication';
import {
  stateAtRevision as multiCloudImageAtRevision,
  type MultiCloudImageCommand,
  type MultiCloudImageContent,
} from '../domain/multiCloudImages/multiCloudImage';
import {
  stateAtRevision as rightScriptAtRevision,
  type RightScriptCommand,
  type RightScriptContent,
} from '../domain/rightScripts/rightScript';
import { contentPins } from '../domain/serverTemplates/pins';
import { stateAtRevision as serverTemplateAtRevision } from '../domain/serverTemplates/serverTemplate';
import type { ImportedPin, PinnedKind, ServerTemplateCommand, ServerTemplateContent } from '../domain/serverTemplates/serverTemplate.types';
import type { ComponentStateOf, ImportCommandOf, ImportOrigin } from '../domain/versionControl/versioned';
import { VersionConflictError } from '../eventStore/errors';
import type { PublicationRow } from '../readModels/marketplaceQueries';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import { contentHash, loadComponent, runCommand, type CommandKind, type OwnedState, type VersionedState } from './components';
import { visiblePublication } from './marketplace';
import { multiCloudImageKind } from './multiCloudImages';
import { rightScriptKind } from './rightScripts';
import { serverTemplateKind } from './serverTemplates';

/*
 * Importing a publication (domain.md, "MultiCloud Marketplace and sharing"): a read-only copy of the
 * published revision in the importing account, keeping its origin. The copy is one append on a stream
 * of its own (`ComponentImported`, then `RevisionCommitted` revision 1), so it reads, diffs, pins and
 * clones like any component of its kind; every edit of it is READ_ONLY.
 *
 * The copy's id is derived from (importing account, origin component, origin revision): importing the
 * same revision again, or a template pinning a revision this account already imported, lands on the
 * same stream and reuses that copy instead of making a second one. The same derivation makes every
 * step retry-safe and race-safe without a read model: a template import appends its dependencies
 * first, one stream each, then itself; a failure midway leaves whole copies that the next attempt
 * finds and reuses, and two imports racing on one copy both end with the one the store accepted.
 *
 * A deleted copy is not brought back: the next import makes a fresh copy on the next derived id.
 */

export type ImportServices = Pick<Services, 'store' | 'commands' | 'projections' | 'queries'>;

/** What an import gave the account: its local copy (new, or the one it already had). */
export interface ImportedComponent {
  readonly kind: PublishableKind;
  readonly id: string;
  /** The copy's stream revision now (its next `expectedVersion`, were it editable). */
  readonly version: number;
  /** True when the account already had this copy and nothing was written. */
  readonly reused: boolean;
}

/** A copy deleted this many times over is not made again: a bound on the ids one import tries. */
export const MAX_IMPORT_GENERATIONS = 100;

/**
 * The id of the `generation`-th local copy of revision `revision` of `componentId` in `accountId`: a
 * UUID-shaped SHA-256 digest (version 8, RFC 4122 variant), so it looks like every other id and tells
 * nobody which component it copies.
 */
export function importedComponentId(accountId: string, componentId: string, revision: number, generation: number): string {
  const hex = createHash('sha256')
    .update(JSON.stringify(['import', accountId, componentId, revision, generation]), 'utf8')
    .digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How one kind is imported: its commands, its fold to a revision, its `ImportComponent` command. */
interface ImportableKind<State extends VersionedState<Content> & OwnedState, Command, Event extends DomainEvent, Content> {
  readonly commands: CommandKind<State, Command, Event>;
  readonly stateAtRevision: (events: readonly Event[], revision: number) => VersionedState<Content> | undefined;
}

const MULTI_CLOUD_IMAGE = { commands: multiCloudImageKind, stateAtRevision: multiCloudImageAtRevision };
const RIGHT_SCRIPT = { commands: rightScriptKind, stateAtRevision: rightScriptAtRevision };
const SERVER_TEMPLATE = { commands: serverTemplateKind, stateAtRevision: serverTemplateAtRevision };

const originOf = (publication: PublicationRow): ImportOrigin => ({
  publicationId: publication.id,
  publisherAccountId: publication.publisherAccountId,
  componentId: publication.componentId,
  revision: publication.revision,
  lineage: publication.lineage,
});

/**
 * The content of the published revision, folded from the publisher's own stream up to that commit
 * (a later deletion or later commits don't change it). Only this revision is read out of it.
 */
async function publishedContent<State extends VersionedState<Content> & OwnedState, Command, Event extends DomainEvent, Content>(
  services: Pick<Services, 'store'>,
  importable: ImportableKind<State, Command, Event, Content>,
  publication: PublicationRow,
): Promise<Content> {
  const loaded = await loadComponent(services.store, importable.commands, publication.componentId);
  const published = importable.stateAtRevision(loaded.events, publication.revision);
  if (published?.status !== 'active') {
    // A publication is made of a committed revision and streams are never shortened: this is a bug.
    throw new Error(
      `publication '${publication.id}' names revision ${publication.revision} of ${publication.kind} '${publication.componentId}', which its stream does not hold`,
    );
  }
  return published.head;
}

/** A local copy as the import found or made it. */
interface LocalCopy extends ImportedComponent {
  readonly lineage: string;
  readonly latestRevision: number;
}

/**
 * The account's copy of `publication`'s revision: the existing one (reused, nothing written), else a
 * new one made of what `build` returns for its id. `build` runs only when a copy is made, so a
 * template's dependencies are imported only when the template itself still has to be.
 */
async function localCopy<State extends VersionedState<Content> & OwnedState, Command, Event extends DomainEvent, Content>(
  services: ImportServices,
  context: CommandContext,
  importable: ImportableKind<State, Command, Event, Content>,
  publication: PublicationRow,
  build: (copy: { componentId: string; origin: ImportOrigin }) => Promise<Command>,
): Promise<LocalCopy> {
  const kind = publication.kind;
  const origin = originOf(publication);
  let generation = 0;
  // Each pass either moves to the next generation or looks again after losing a race; a race can be
  // lost at most once per generation (the winner's copy is there on the next look).
  for (let attempt = 0; attempt < 2 * MAX_IMPORT_GENERATIONS && generation < MAX_IMPORT_GENERATIONS; attempt++) {
    const componentId = importedComponentId(context.accountId, origin.componentId, origin.revision, generation);
    const loaded = await loadComponent(services.store, importable.commands, componentId);
    const state = loaded.state as ComponentStateOf<unknown>;
    if (state.status === 'deleted') {
      generation++;
      continue;
    }
    if (state.status === 'active') {
      const { origin: found } = state;
      if (state.accountId !== context.accountId || found?.componentId !== origin.componentId || found.revision !== origin.revision) {
        throw new Error(`stream of ${kind} '${componentId}' holds something other than this account's import of '${origin.componentId}'`);
      }
      // Another request may have just made it: answer once the read models show it.
      if (loaded.position) await services.projections.waitForPosition(loaded.position);
      return {
        kind,
        id: componentId,
        version: Number(loaded.version),
        reused: true,
        lineage: state.lineage,
        latestRevision: state.latestRevision,
      };
    }
    const command = await build({ componentId, origin });
    try {
      const written = await runCommand(services, importable.commands, componentId, command, context, { expectedRevision: 'no_stream' });
      const made = written.state as ComponentStateOf<unknown>;
      if (made.status !== 'active') throw new Error(`importing ${kind} '${componentId}' left it ${made.status}`);
      return { kind, id: componentId, version: written.version, reused: false, lineage: made.lineage, latestRevision: made.latestRevision };
    } catch (error) {
      // Another import made this copy first: the next look finds and reuses it.
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
  }
  throw new DomainError(
    ErrorCode.BAD_USER_INPUT,
    `revision ${origin.revision} of ${kind} '${origin.componentId}' was imported and deleted ${MAX_IMPORT_GENERATIONS} times in this account: it is not imported again`,
  );
}

/** The `ImportComponent` data of a copy whose content needs nothing rewritten (an MCI, a RightScript). */
function importData<Content>(
  context: CommandContext,
  copy: { componentId: string; origin: ImportOrigin },
  content: Content,
): ImportCommandOf<Content> {
  return {
    componentId: copy.componentId,
    accountId: context.accountId,
    origin: copy.origin,
    content,
    contentHash: contentHash(content),
    committedAt: new Date().toISOString(),
    committedBy: context.actorId,
  };
}

/** Imports an MCI or RightScript revision: the account's copy, made when it has none. */
function importPinnable(services: ImportServices, context: CommandContext, publication: PublicationRow): Promise<LocalCopy> {
  switch (publication.kind) {
    case 'MultiCloudImage':
      return localCopy(services, context, MULTI_CLOUD_IMAGE, publication, async (copy): Promise<MultiCloudImageCommand> => ({
        type: 'ImportComponent',
        data: importData<MultiCloudImageContent>(context, copy, await publishedContent(services, MULTI_CLOUD_IMAGE, publication)),
      }));
    case 'RightScript':
      return localCopy(services, context, RIGHT_SCRIPT, publication, async (copy): Promise<RightScriptCommand> => ({
        type: 'ImportComponent',
        data: importData<RightScriptContent>(context, copy, await publishedContent(services, RIGHT_SCRIPT, publication)),
      }));
    case 'ServerTemplate':
      throw new Error(`publication '${publication.id}' is a ServerTemplate, which no template pins`);
    default: {
      const unknown: never = publication.kind;
      throw new Error(`unknown publication kind ${JSON.stringify(unknown)}`);
    }
  }
}

const pinKey = (kind: PinnedKind, id: string, revision: number): string => `${kind}:${id}@${revision}`;

/**
 * Imports the MCI and RightScript revisions a published template revision pins, each through the
 * publication the template's publication lists for it (its own, or, for one the publisher had
 * imported, that import's origin), reusing the account's copies. Returns each pinned place's copy.
 * One at a time: each copy is its own append, so a failure leaves only whole copies behind.
 */
async function importDependencies(
  services: ImportServices,
  context: CommandContext,
  publication: PublicationRow,
  content: ServerTemplateContent,
): Promise<Map<string, ImportedPin>> {
  const copies = new Map<string, ImportedPin>();
  for (const pin of contentPins(content)) {
    const key = pinKey(pin.kind, pin.componentId, pin.componentRevision);
    if (copies.has(key)) continue;
    const dependency = publication.dependencies.find(
      (candidate) =>
        candidate.kind === pin.kind && candidate.componentId === pin.componentId && candidate.revision === pin.componentRevision,
    );
    // A template publication lists a publication for every revision it pins; the template is
    // visible, so what it pins comes with it even where that publication alone would not be.
    const pinned = dependency ? services.queries.marketplace.publication(dependency.publicationId) : undefined;
    if (!pinned || pinned.kind !== pin.kind) {
      throw new Error(
        `publication '${publication.id}' lists no publication of revision ${pin.componentRevision} of ${pin.kind} '${pin.componentId}', which it pins`,
      );
    }
    const copy = await importPinnable(services, context, pinned);
    copies.set(key, { kind: pin.kind, id: copy.id, accountId: context.accountId, lineage: copy.lineage, revision: copy.latestRevision });
  }
  return copies;
}

/** The published template content pinning the account's copies instead of the publisher's components. */
function pinningCopies(content: ServerTemplateContent, copies: ReadonlyMap<string, ImportedPin>): ServerTemplateContent {
  const copyOf = (kind: PinnedKind, id: string, revision: number): ImportedPin => {
    const copy = copies.get(pinKey(kind, id, revision));
    if (!copy) throw new Error(`no copy was imported for revision ${revision} of ${kind} '${id}'`);
    return copy;
  };
  const multiCloudImages = content.multiCloudImages.map((mci) => {
    const copy = copyOf('MultiCloudImage', mci.multiCloudImageId, mci.revision);
    return { multiCloudImageId: copy.id, revision: copy.revision, lineage: copy.lineage };
  });
  const defaultIndex = content.multiCloudImages.findIndex((mci) => mci.multiCloudImageId === content.defaultMultiCloudImageId);
  const rightScripts = Object.fromEntries(
    Object.entries(content.rightScripts).map(([sequence, bindings]) => [
      sequence,
      bindings.map((binding) => {
        const copy = copyOf('RightScript', binding.rightScriptId, binding.revision);
        return { rightScriptId: copy.id, revision: copy.revision, lineage: copy.lineage };
      }),
    ]),
  ) as unknown as ServerTemplateContent['rightScripts'];
  const defaultMultiCloudImage = multiCloudImages[defaultIndex];
  if (!defaultMultiCloudImage) throw new Error(`the published ServerTemplate content has no default MultiCloudImage among its MCIs`);
  return { ...content, multiCloudImages, defaultMultiCloudImageId: defaultMultiCloudImage.multiCloudImageId, rightScripts };
}

/** Imports a template revision: its dependencies first (reusing the account's copies), then the template pinning them. */
function importTemplate(services: ImportServices, context: CommandContext, publication: PublicationRow): Promise<LocalCopy> {
  return localCopy(services, context, SERVER_TEMPLATE, publication, async (copy): Promise<ServerTemplateCommand> => {
    const published = await publishedContent(services, SERVER_TEMPLATE, publication);
    const copies = await importDependencies(services, context, publication, published);
    const content = pinningCopies(published, copies);
    return { type: 'ImportComponent', data: { ...importData(context, copy, content), pinned: [...copies.values()] } };
  });
}

/**
 * Imports the publication `publicationId` into the viewer's account and returns its local copy.
 *
 * - NOT_FOUND ("no such publication") unless the account may see it (PUBLIC, shared with a group it
 *   belongs to); nothing is written.
 * - A deprecated publication can still be imported by its id: deprecation only stops listing it as
 *   its lineage's newest.
 * - The account's own publication is BAD_USER_INPUT: it has the component itself (pin or clone it).
 * - Importing a revision the account already has a copy of returns that copy (`reused`), writing
 *   nothing; so does importing the same publication twice.
 *
 * Usage: const { kind, id } = await importPublication(services, context, publicationId);
 */
export async function importPublication(
  services: ImportServices,
  context: CommandContext,
  publicationId: string,
): Promise<ImportedComponent> {
  const publication = visiblePublication(services, context.accountId, publicationId);
  if (publication.publisherAccountId === context.accountId) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `publicationId: publication '${publication.id}' is your own account's revision ${publication.revision} of ${publication.kind} '${publication.componentId}': pin or clone it instead; imports are of other accounts' publications`,
    );
  }
  const copy =
    publication.kind === 'ServerTemplate'
      ? await importTemplate(services, context, publication)
      : await importPinnable(services, context, publication);
  return { kind: copy.kind, id: copy.id, version: copy.version, reused: copy.reused };
}
