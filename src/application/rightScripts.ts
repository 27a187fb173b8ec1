import { randomUUID } from 'node:crypto';
import {
  RIGHT_SCRIPT_EVENT_TYPES,
  RIGHT_SCRIPT_KIND,
  RIGHT_SCRIPT_STREAM_PREFIX,
  rightScriptDecider,
  stateAtRevision,
  type RightScriptCloneSource,
  type RightScriptCommand,
  type RightScriptEvent,
  type RightScriptInputDraft,
  type RightScriptState,
} from '../domain/rightScripts/rightScript';
import { assertRevisionNumber, isHead } from '../domain/versionControl/revisions';
import type { RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import {
  checkId,
  contentHash,
  expectedRevision,
  loadComponent,
  runCommand,
  unknownRevision,
  type CommandKind,
  type LoadedComponent,
} from './components';
import { parseDomainEvent } from './parseEvent';
import { assertNotInUse } from './usage';

/*
 * The RightScript commands behind the GraphQL mutations, and the reads that fold its stream directly
 * (history, time travel, a clone's source, a template commit's dependencies). Each command runs
 * through the command handler on `rightscript-<id>` and returns once the read models show its events
 * (read-your-writes).
 */

export type RightScriptServices = Pick<Services, 'store' | 'commands' | 'projections'>;

export const parseRightScriptEvent = (recorded: RecordedEvent): RightScriptEvent =>
  parseDomainEvent<RightScriptEvent>(recorded, RIGHT_SCRIPT_EVENT_TYPES);

/** What a mutation changed: the script's id and its stream revision now (`version`, the next `expectedVersion`). */
export interface RightScriptWritten {
  readonly id: string;
  readonly version: number;
  /** For a commit: the revision it created. */
  readonly revision?: number;
}

/** A commit that keeps losing the race to other writers gives up after this many fresh reads. */
const COMMIT_RETRIES = 2;

export interface RightScriptFields {
  readonly name?: string | null;
  readonly description?: string | null;
  readonly source?: string | null;
  /** The whole list: it replaces the inputs HEAD had. */
  readonly inputs?: readonly RightScriptInputDraft[] | null;
}

export async function createRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: RightScriptFields & { name: string },
): Promise<RightScriptWritten> {
  const id = randomUUID();
  return runCommand(
    services,
    rightScriptKind,
    id,
    {
      type: 'CreateRightScript',
      data: {
        rightScriptId: id,
        accountId: context.accountId,
        name: input.name,
        description: input.description ?? '',
        source: input.source ?? '',
        inputs: input.inputs ?? [],
      },
    },
    context,
    { expectedRevision: 'no_stream' },
  );
}

interface Edit {
  readonly id: string;
  readonly expectedVersion?: number | null;
  readonly revision?: number | null;
}

export async function updateRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: Edit & RightScriptFields,
): Promise<RightScriptWritten> {
  checkId(rightScriptKind, input.id);
  const { id, expectedVersion, ...fields } = input;
  return runCommand(
    services,
    rightScriptKind,
    id,
    { type: 'UpdateRightScript', data: { ...fields, accountId: context.accountId } },
    context,
    expectedRevision(expectedVersion),
  );
}

/**
 * Commits HEAD as the next revision. The content hash is computed here (the domain has no crypto)
 * from the very state the handler loaded and decides on, so it always describes exactly what the
 * commit froze. Without `expectedVersion`, losing the race to another writer reads again and
 * retries a few times. A ServerTemplate commit with HEAD dependencies calls this too.
 */
export async function commitRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: Edit & { message: string },
): Promise<RightScriptWritten> {
  checkId(rightScriptKind, input.id);
  const written = await runCommand(
    services,
    rightScriptKind,
    input.id,
    (state): RightScriptCommand => ({
      type: 'CommitRightScript',
      data: {
        accountId: context.accountId,
        revision: input.revision,
        message: input.message,
        contentHash: state.status === 'active' ? contentHash(state.head) : '',
        committedAt: new Date().toISOString(),
        committedBy: context.actorId,
      },
    }),
    context,
    { ...expectedRevision(input.expectedVersion), retriesOnConflict: COMMIT_RETRIES },
  );
  const committed = written.events.find((event) => event.type === 'RevisionCommitted');
  return { id: written.id, version: written.version, ...(committed ? { revision: committed.data.revision } : {}) };
}

/**
 * Clones a revision (0: HEAD) of a RightScript of the viewer's account into a new script with a new
 * lineage. The source's content is folded from its own stream up to that revision.
 */
export async function cloneRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: { id: string; revision?: number | null; name?: string | null },
): Promise<RightScriptWritten> {
  checkId(rightScriptKind, input.id);
  const revision = input.revision ?? 0;
  assertRevisionNumber(revision);
  const source = await cloneSource(services, context.accountId, input.id, revision);
  const id = randomUUID();
  return runCommand(
    services,
    rightScriptKind,
    id,
    { type: 'CloneRightScript', data: { rightScriptId: id, accountId: context.accountId, source, name: input.name } },
    context,
    { expectedRevision: 'no_stream' },
  );
}

async function cloneSource(
  services: RightScriptServices,
  accountId: string,
  id: string,
  revision: number,
): Promise<RightScriptCloneSource | undefined> {
  const loaded = await loadRightScript(services, id);
  // Missing, deleted or another account's: the decider says NOT_FOUND without telling them apart.
  if (loaded.state.status !== 'active' || loaded.state.accountId !== accountId) return undefined;
  if (isHead(revision)) return { id, accountId, revision: 0, content: loaded.state.head };
  const atRevision = stateAtRevision(loaded.events, revision);
  if (atRevision?.status !== 'active') throw unknownRevision(RIGHT_SCRIPT_KIND, id, revision, loaded.state.latestRevision);
  return { id, accountId, revision, content: atRevision.head };
}

export async function deleteRightScript(
  services: RightScriptServices & Pick<Services, 'queries'>,
  context: CommandContext,
  input: Edit,
): Promise<RightScriptWritten> {
  checkId(rightScriptKind, input.id);
  await assertNotInUse(services, context.accountId, RIGHT_SCRIPT_KIND, input.id);
  return runCommand(
    services,
    rightScriptKind,
    input.id,
    { type: 'DeleteRightScript', data: { accountId: context.accountId, revision: input.revision } },
    context,
    expectedRevision(input.expectedVersion),
  );
}

export const rightScriptKind: CommandKind<RightScriptState, RightScriptCommand, RightScriptEvent> = {
  kind: RIGHT_SCRIPT_KIND,
  streamPrefix: RIGHT_SCRIPT_STREAM_PREFIX,
  decider: rightScriptDecider,
  parseEvent: parseRightScriptEvent,
};

export type LoadedRightScript = LoadedComponent<RightScriptState, RightScriptEvent>;

export function loadRightScript(services: Pick<Services, 'store'>, id: string): Promise<LoadedRightScript> {
  return loadComponent(services.store, rightScriptKind, id);
}
