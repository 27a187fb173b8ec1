import { DomainError, ErrorCode } from '../domain/errors';
import { contentPins, describeHeadPins, type HeadPin } from '../domain/serverTemplates/pins';
import {
  checkCommittable,
  headPins,
  resolveHeadPins,
  serverTemplateDecider,
  stateAtRevision,
} from '../domain/serverTemplates/serverTemplate';
import {
  SERVER_TEMPLATE_EVENT_TYPES,
  SERVER_TEMPLATE_KIND,
  SERVER_TEMPLATE_STREAM_PREFIX,
  serverTemplateStream,
  type CommittedDependency,
  type PinnedKind,
  type PinTarget,
  type Sequence,
  type ServerTemplateCommand,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type ServerTemplateState,
} from '../domain/serverTemplates/serverTemplate.types';
import { assertRevisionNumber } from '../domain/versionControl/revisions';
import { MAX_COMMIT_MESSAGE_LENGTH } from '../domain/versionControl/text';
import { unknownRevision } from '../domain/versionControl/versioned';
import { VersionConflictError } from '../eventStore/errors';
import type { RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import {
  COMMIT_RETRIES,
  checkId,
  cloneSourceOf,
  committedRevision,
  contentHash,
  createComponent,
  editComponent,
  expectedRevision,
  loadComponent,
  runCommand,
  type CommandKind,
  type ComponentCloneSource,
  type ComponentEdit,
  type ComponentServices,
  type ComponentWritten,
  type LoadedComponent,
} from './components';
import { commitMultiCloudImage, loadMultiCloudImage } from './multiCloudImages';
import { withPinLocks, type PinnedComponent } from './pinLocks';
import { parseDomainEvent } from './parseEvent';
import { commitRightScript, loadRightScript } from './rightScripts';

/*
 * The ServerTemplate commands behind the GraphQL mutations, and the reads that fold its stream
 * directly (history, time travel, a clone's source). Each command runs through the command handler
 * on `template-<id>` and returns once the read models show its events (read-your-writes).
 *
 * Whatever a command pins (an MCI, a RightScript) is read from that component's own stream, never
 * from a read model, so a pin never rests on a projection that lags; the decider gets it as a
 * `PinTarget`.
 */

export type ServerTemplateServices = ComponentServices;

export const parseServerTemplateEvent = (recorded: RecordedEvent): ServerTemplateEvent =>
  parseDomainEvent<ServerTemplateEvent>(recorded, SERVER_TEMPLATE_EVENT_TYPES);

/** What a mutation changed: the template's id and its stream revision now (`version`, the next `expectedVersion`). */
export interface ServerTemplateWritten extends ComponentWritten {
  /** For a commit: the HEAD dependencies it pinned, and which of them it committed on the way. */
  readonly dependencies?: readonly ResolvedDependency[];
}

export interface ResolvedDependency extends CommittedDependency {
  /** True when this commit committed it; false when its latest revision already held HEAD's content. */
  readonly committedNow: boolean;
}

/** The kinds a template pins: how a pin reads one from its own stream, and how a commit with HEAD dependencies commits one. */
const PINNED = {
  MultiCloudImage: { load: loadMultiCloudImage, commit: commitMultiCloudImage },
  RightScript: { load: loadRightScript, commit: commitRightScript },
} as const satisfies Record<PinnedKind, unknown>;

/**
 * The component a command wants to pin, read from its own stream: `undefined` when it is missing,
 * deleted or another account's (the decider answers NOT_FOUND for all three alike). A revision it
 * doesn't have is NOT_FOUND naming the revisions it has: only the viewer's own components get here.
 */
async function pinTarget(
  services: Pick<Services, 'store'>,
  accountId: string,
  kind: PinnedKind,
  id: string,
  revision: number | null | undefined,
): Promise<PinTarget | undefined> {
  const pinned = revision ?? 0;
  assertRevisionNumber(pinned);
  // An id that can't be one of ours reads as an empty stream: not found, like a missing one.
  const { state } = await PINNED[kind].load(services, id);
  if (state.status !== 'active' || state.accountId !== accountId) return undefined;
  if (pinned > state.latestRevision) {
    throw unknownRevision(kind, id, pinned, state.latestRevision);
  }
  return { id, accountId, lineage: state.lineage, revision: pinned };
}

export async function createServerTemplate(
  services: ServerTemplateServices,
  context: CommandContext,
  input: { name: string; description?: string | null; multiCloudImageId: string; multiCloudImageRevision?: number | null },
): Promise<ServerTemplateWritten> {
  return withPinLocks(services.store, [{ kind: 'MultiCloudImage', id: input.multiCloudImageId }], async () => {
    const multiCloudImage = await pinTarget(
      services,
      context.accountId,
      'MultiCloudImage',
      input.multiCloudImageId,
      input.multiCloudImageRevision,
    );
    return createComponent(services, serverTemplateKind, context, (id): ServerTemplateCommand => ({
      type: 'CreateServerTemplate',
      data: { serverTemplateId: id, accountId: context.accountId, name: input.name, description: input.description ?? '', multiCloudImage },
    }));
  });
}

export async function updateServerTemplate(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { name?: string | null; description?: string | null },
): Promise<ServerTemplateWritten> {
  return editComponent(services, serverTemplateKind, context, input, (edit): ServerTemplateCommand => ({
    type: 'UpdateServerTemplate',
    data: { ...edit, name: input.name, description: input.description },
  }));
}

export async function addTemplateMultiCloudImage(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { multiCloudImageId: string; multiCloudImageRevision?: number | null; isDefault?: boolean | null },
): Promise<ServerTemplateWritten> {
  return withPinLocks(services.store, [{ kind: 'MultiCloudImage', id: input.multiCloudImageId }], () =>
    editComponent(services, serverTemplateKind, context, input, async (edit): Promise<ServerTemplateCommand> => {
      const multiCloudImage = await pinTarget(
        services,
        context.accountId,
        'MultiCloudImage',
        input.multiCloudImageId,
        input.multiCloudImageRevision,
      );
      return { type: 'AddTemplateMultiCloudImage', data: { ...edit, multiCloudImage, isDefault: input.isDefault ?? false } };
    }),
  );
}

export async function removeTemplateMultiCloudImage(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { multiCloudImageId: string; newDefaultMultiCloudImageId?: string | null },
): Promise<ServerTemplateWritten> {
  return editComponent(services, serverTemplateKind, context, input, (edit): ServerTemplateCommand => ({
    type: 'RemoveTemplateMultiCloudImage',
    data: { ...edit, multiCloudImageId: input.multiCloudImageId, newDefaultMultiCloudImageId: input.newDefaultMultiCloudImageId },
  }));
}

export async function setDefaultTemplateMultiCloudImage(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { multiCloudImageId: string },
): Promise<ServerTemplateWritten> {
  return editComponent(services, serverTemplateKind, context, input, (edit): ServerTemplateCommand => ({
    type: 'SetDefaultTemplateMultiCloudImage',
    data: { ...edit, multiCloudImageId: input.multiCloudImageId },
  }));
}

/** Re-pins the attached MCI `multiCloudImageId` to `toMultiCloudImageId` (default: itself) at `multiCloudImageRevision`. */
export async function pinTemplateMultiCloudImage(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { multiCloudImageId: string; toMultiCloudImageId?: string | null; multiCloudImageRevision?: number | null },
): Promise<ServerTemplateWritten> {
  const toId = input.toMultiCloudImageId ?? input.multiCloudImageId;
  return withPinLocks(services.store, [{ kind: 'MultiCloudImage', id: toId }], () =>
    editComponent(services, serverTemplateKind, context, input, async (edit): Promise<ServerTemplateCommand> => {
      const to = await pinTarget(services, context.accountId, 'MultiCloudImage', toId, input.multiCloudImageRevision);
      return { type: 'PinTemplateMultiCloudImage', data: { ...edit, multiCloudImageId: input.multiCloudImageId, to } };
    }),
  );
}

export async function bindRightScript(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { rightScriptId: string; rightScriptRevision?: number | null; sequence: Sequence; position?: number | null },
): Promise<ServerTemplateWritten> {
  return withPinLocks(services.store, [{ kind: 'RightScript', id: input.rightScriptId }], () =>
    editComponent(services, serverTemplateKind, context, input, async (edit): Promise<ServerTemplateCommand> => {
      const rightScript = await pinTarget(services, context.accountId, 'RightScript', input.rightScriptId, input.rightScriptRevision);
      return { type: 'BindRightScript', data: { ...edit, rightScript, sequence: input.sequence, position: input.position } };
    }),
  );
}

export async function unbindRightScript(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { rightScriptId: string; sequence: Sequence },
): Promise<ServerTemplateWritten> {
  return editComponent(services, serverTemplateKind, context, input, (edit): ServerTemplateCommand => ({
    type: 'UnbindRightScript',
    data: { ...edit, rightScriptId: input.rightScriptId, sequence: input.sequence },
  }));
}

/** The message a dependency committed along with a template gets: the template's, saying so, within the length bound. */
function dependencyCommitMessage(message: string, templateName: string): string {
  const suffix = ` (committed with ServerTemplate '${templateName}')`;
  const room = MAX_COMMIT_MESSAGE_LENGTH - suffix.length;
  return `${message.length > room ? `${message.slice(0, room - 1)}…` : message}${suffix}`;
}

/**
 * The revision a HEAD pin resolves to: HEAD committed now, or its latest revision when HEAD has not
 * changed since (the commit's NO_CHANGES names it). Committing straight away reads the dependency's
 * stream once, in its own command, and answers the same when another writer committed it first.
 */
async function resolveDependency(
  services: ServerTemplateServices,
  context: CommandContext,
  pin: HeadPin,
  message: string,
): Promise<ResolvedDependency> {
  const { kind, id } = pin;
  try {
    const written = await PINNED[kind].commit(services, context, { id, message });
    if (written.revision === undefined) throw new Error(`committing ${kind} '${id}' created no revision`);
    return { kind, id, revision: written.revision, committedNow: true };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const latestRevision = error.details['latestRevision'];
    // An import (READ_ONLY) never changes: its HEAD is its latest revision, which the template then pins.
    if ((error.code === ErrorCode.NO_CHANGES || error.code === ErrorCode.READ_ONLY) && typeof latestRevision === 'number') {
      return { kind, id, revision: latestRevision, committedNow: false };
    }
    if (error.code === ErrorCode.NOT_FOUND) {
      const gone = `HEAD pins ${kind} '${id}', which no longer exists: remove or re-pin it, then commit again`;
      throw new DomainError(ErrorCode.NOT_FOUND, gone, { kind, id });
    }
    throw error;
  }
}

/**
 * Commits HEAD as the next revision. A HEAD that pins HEADs of MCIs or RightScripts is refused
 * (HEAD_DEPENDENCIES, listing them) unless `commitHeadDependencies`: then each of those is committed
 * first (or its latest revision taken, when HEAD didn't change since) and the new template revision
 * pins those revisions. Every append stands on its own: a failure midway leaves complete dependency
 * commits and an uncommitted template, and running the commit again picks up where it stopped (the
 * dependencies already committed are unchanged since, so their revisions are taken as they are).
 *
 * The refusals that don't depend on the dependencies (NOT_FOUND, NOT_HEAD, the message,
 * HEAD_DEPENDENCIES, a stale `expectedVersion`) come before anything is written.
 */
export async function commitServerTemplate(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit & { message: string; commitHeadDependencies?: boolean | null },
): Promise<ServerTemplateWritten> {
  checkId(serverTemplateKind, input.id);
  const commitHeadDependencies = input.commitHeadDependencies ?? false;
  const loaded = await loadServerTemplate(services, input.id);
  const template = checkCommittable(loaded.state, {
    accountId: context.accountId,
    revision: input.revision,
    message: input.message,
    commitHeadDependencies,
  });
  const expected = expectedRevision(input.expectedVersion);
  if (expected.expectedRevision !== undefined && expected.expectedRevision !== loaded.version) {
    throw new VersionConflictError(serverTemplateStream(input.id), expected.expectedRevision, loaded.version ?? 'no_stream');
  }
  const message = dependencyCommitMessage(input.message, template.head.name);
  const resolved: ResolvedDependency[] = [];
  // One at a time: each commit is its own append, so a failure leaves only whole commits behind.
  for (const pin of headPins(template.head)) resolved.push(await resolveDependency(services, context, pin, message));
  const dependencies: CommittedDependency[] = resolved.map(({ kind, id, revision }) => ({ kind, id, revision }));
  const written = await runCommand(
    services,
    serverTemplateKind,
    input.id,
    (state): ServerTemplateCommand => {
      const head = state.status === 'active' ? state.head : undefined;
      const unresolved = head ? headPins(head).filter((pin) => !dependencies.some((d) => d.kind === pin.kind && d.id === pin.id)) : [];
      if (unresolved.length > 0 && commitHeadDependencies) {
        throw new DomainError(
          ErrorCode.VERSION_CONFLICT,
          `ServerTemplate '${input.id}' changed while its HEAD dependencies were committed: it now also pins ${describeHeadPins(unresolved)} at HEAD; commit again`,
        );
      }
      return {
        type: 'CommitServerTemplate',
        data: {
          accountId: context.accountId,
          revision: input.revision,
          message: input.message,
          // Without a HEAD the decider refuses anyway; with unresolved HEAD pins it says HEAD_DEPENDENCIES.
          contentHash: head && unresolved.length === 0 ? contentHash(resolveHeadPins(head, dependencies)) : '',
          committedAt: new Date().toISOString(),
          committedBy: context.actorId,
          commitHeadDependencies,
          resolved: dependencies,
        },
      };
    },
    context,
    { ...expected, retriesOnConflict: COMMIT_RETRIES },
  );
  return { id: written.id, version: written.version, ...committedRevision(written.events), dependencies: resolved };
}

/**
 * Clones a revision (0: HEAD) of a template of the viewer's account into a new template with a new
 * lineage, pinning what that revision pinned. The source's content is folded from its own stream.
 */
export async function cloneServerTemplate(
  services: ServerTemplateServices,
  context: CommandContext,
  input: { id: string; revision?: number | null; name?: string | null },
): Promise<ServerTemplateWritten> {
  checkId(serverTemplateKind, input.id);
  const revision = input.revision ?? 0;
  assertRevisionNumber(revision);
  const readSource = (): Promise<ComponentCloneSource<ServerTemplateContent> | undefined> =>
    cloneSourceOf(services, serverTemplateKind, context.accountId, input.id, revision, stateAtRevision);
  // The clone pins what the source revision pins, so it holds those components' pin locks from reading
  // the source to appending the clone. Which they are is known only once the source is read: read it,
  // lock, read again; a HEAD that changed its pins in between is locked anew.
  let locked = pinnedBy(await readSource());
  for (let attempt = 1; ; attempt++) {
    const outcome = await withPinLocks(services.store, locked, async () => {
      const source = await readSource();
      const pinned = pinnedBy(source);
      if (!pinned.every((pin) => locked.some((held) => held.kind === pin.kind && held.id === pin.id))) return { relock: pinned };
      return {
        written: await createComponent(services, serverTemplateKind, context, (id): ServerTemplateCommand => ({
          type: 'CloneServerTemplate',
          data: { serverTemplateId: id, accountId: context.accountId, source, name: input.name },
        })),
      };
    });
    if (outcome.written) return outcome.written;
    if (attempt >= CLONE_RELOCKS) {
      throw new DomainError(
        ErrorCode.VERSION_CONFLICT,
        `ServerTemplate '${input.id}' kept changing what it pins while it was cloned; clone again`,
      );
    }
    locked = outcome.relock ?? locked;
  }
}

/** How often a clone re-reads a source whose HEAD keeps changing its pins before giving up. */
const CLONE_RELOCKS = 3;

/** The components a template revision pins (none when there is no such revision to clone). */
function pinnedBy(source: ComponentCloneSource<ServerTemplateContent> | undefined): PinnedComponent[] {
  return source ? contentPins(source.content).map((pin) => ({ kind: pin.kind, id: pin.componentId })) : [];
}

export async function deleteServerTemplate(
  services: ServerTemplateServices,
  context: CommandContext,
  input: ComponentEdit,
): Promise<ServerTemplateWritten> {
  return editComponent(services, serverTemplateKind, context, input, (edit): ServerTemplateCommand => ({
    type: 'DeleteServerTemplate',
    data: edit,
  }));
}

export const serverTemplateKind: CommandKind<ServerTemplateState, ServerTemplateCommand, ServerTemplateEvent> = {
  kind: SERVER_TEMPLATE_KIND,
  streamPrefix: SERVER_TEMPLATE_STREAM_PREFIX,
  decider: serverTemplateDecider,
  parseEvent: parseServerTemplateEvent,
};

export type LoadedServerTemplate = LoadedComponent<ServerTemplateState, ServerTemplateEvent>;

export function loadServerTemplate(services: Pick<Services, 'store'>, id: string): Promise<LoadedServerTemplate> {
  return loadComponent(services.store, serverTemplateKind, id);
}
