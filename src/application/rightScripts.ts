import {
  RIGHT_SCRIPT_EVENT_TYPES,
  RIGHT_SCRIPT_KIND,
  RIGHT_SCRIPT_STREAM_PREFIX,
  rightScriptDecider,
  stateAtRevision,
  type RightScriptCommand,
  type RightScriptEvent,
  type RightScriptInputDraft,
  type RightScriptState,
} from '../domain/rightScripts/rightScript';
import type { RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import {
  cloneComponent,
  commitHead,
  createComponent,
  editComponent,
  loadComponent,
  type CommandKind,
  type ComponentEdit,
  type ComponentServices,
  type ComponentWritten,
  type LoadedComponent,
} from './components';
import { parseDomainEvent } from './parseEvent';
import { deleteUnlessInUse } from './usage';

/*
 * The RightScript commands behind the GraphQL mutations, and the reads that fold its stream directly
 * (history, time travel, a clone's source, a template commit's dependencies). Each command runs
 * through the command handler on `rightscript-<id>` and returns once the read models show its events
 * (read-your-writes).
 */

export type RightScriptServices = ComponentServices;

export const parseRightScriptEvent = (recorded: RecordedEvent): RightScriptEvent =>
  parseDomainEvent<RightScriptEvent>(recorded, RIGHT_SCRIPT_EVENT_TYPES);

/** What a mutation changed: the script's id and its stream revision now (`version`, the next `expectedVersion`). */
export type RightScriptWritten = ComponentWritten;

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
  return createComponent(services, rightScriptKind, context, (id): RightScriptCommand => ({
    type: 'CreateRightScript',
    data: {
      rightScriptId: id,
      accountId: context.accountId,
      name: input.name,
      description: input.description ?? '',
      source: input.source ?? '',
      inputs: input.inputs ?? [],
    },
  }));
}

export async function updateRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: ComponentEdit & RightScriptFields,
): Promise<RightScriptWritten> {
  const { id: _id, expectedVersion: _expectedVersion, ...fields } = input;
  return editComponent(services, rightScriptKind, context, input, (edit): RightScriptCommand => ({
    type: 'UpdateRightScript',
    data: { ...fields, ...edit },
  }));
}

/** Commits HEAD as the next revision (see `commitHead`). A ServerTemplate commit with HEAD dependencies calls this too. */
export async function commitRightScript(
  services: RightScriptServices,
  context: CommandContext,
  input: ComponentEdit & { message: string },
): Promise<RightScriptWritten> {
  return commitHead(services, rightScriptKind, context, input, (commit): RightScriptCommand => ({
    type: 'CommitRightScript',
    data: commit,
  }));
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
  return cloneComponent(services, rightScriptKind, context, input, stateAtRevision, (id, source): RightScriptCommand => ({
    type: 'CloneRightScript',
    data: { rightScriptId: id, accountId: context.accountId, source, name: input.name },
  }));
}

export async function deleteRightScript(
  services: RightScriptServices & Pick<Services, 'queries'>,
  context: CommandContext,
  input: ComponentEdit,
): Promise<RightScriptWritten> {
  return deleteUnlessInUse(services, rightScriptKind, RIGHT_SCRIPT_KIND, context, input, (edit): RightScriptCommand => ({
    type: 'DeleteRightScript',
    data: edit,
  }));
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
