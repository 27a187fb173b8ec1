import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from '../versionControl/change';
import {
  changedNameAndDescription,
  clonedComponent,
  decideCommit,
  decideImport,
  deletedComponent,
  editableComponent,
  foldToRevision,
  importedComponent,
  newComponent,
  ownedComponent,
  withCommit,
  type ActiveComponent,
  type ClonedFrom,
  type CloneSourceOf,
  type ComponentImportedOf,
  type DeletedComponent,
  type EditCommand,
  type ImportCommandOf,
} from '../versionControl/versioned';
import { checkDescription, checkName, utf8ByteLength } from '../versionControl/text';
import { decideMerge, type MergeAppliedEvent, type MergeCommandOf } from '../versionControl/mergeCommand';
import { checkSource, MAX_INPUT_DEFAULT_BYTES, MAX_INPUTS } from './limits';
import { mergeRightScripts, rightScriptMergeEvents } from './merge';

export { checkSource, MAX_INPUT_DEFAULT_BYTES, MAX_INPUTS, MAX_SOURCE_BYTES } from './limits';

/*
 * A RightScript (domain.md, "RightScript"): one aggregate per script, stream `rightscript-<id>`. Its
 * HEAD is a name, a description, the script's source and its inputs (the environment variables the
 * script reads, each with a type and an optional default); commits freeze HEAD as numbered
 * revisions. The content of a clone's source arrives in the command.
 */

export const RIGHT_SCRIPT_KIND = 'RightScript';
export const RIGHT_SCRIPT_STREAM_PREFIX = 'rightscript-';
export const rightScriptStream = (id: string): string => `${RIGHT_SCRIPT_STREAM_PREFIX}${id}`;

/** Inputs reach the script as environment variables: RightScale's convention of upper-case names. */
export const INPUT_NAME = /^[A-Z][A-Z0-9_]{0,63}$/u;

export const INPUT_TYPES = ['TEXT', 'NUMBER', 'BOOLEAN', 'LIST'] as const;
export type RightScriptInputType = (typeof INPUT_TYPES)[number];

/**
 * An input of the script. `default` is what the variable holds when a server doesn't set it (null:
 * no default), always a string as the environment carries it, and must read as its type: NUMBER a
 * finite decimal number (`42`, `-1.5`, `2e3`), BOOLEAN `true` or `false`, LIST a JSON array of
 * strings (`["a","b"]`, so items may hold commas), TEXT anything.
 */
export interface RightScriptInput {
  readonly name: string;
  readonly type: RightScriptInputType;
  readonly default: string | null;
}

/** What a revision freezes, what diff compares and what the content hash covers. */
export interface RightScriptContent {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  /** Sorted by name: inputs are a set keyed by name, so their order never makes a change. */
  readonly inputs: readonly RightScriptInput[];
}

export type ActiveRightScript = ActiveComponent<RightScriptContent>;
export type DeletedRightScript = DeletedComponent;

export type RightScriptState = { readonly status: 'empty' } | ActiveRightScript | DeletedRightScript;

export type RightScriptEvent =
  | {
      type: 'RightScriptCreated';
      data: {
        rightScriptId: string;
        accountId: string;
        lineage: string;
        name: string;
        description: string;
        source: string;
        inputs: readonly RightScriptInput[];
      };
    }
  /** Holds only the fields that changed; `inputs` is then the whole new list. */
  | {
      type: 'RightScriptUpdated';
      data: { name?: string; description?: string; source?: string; inputs?: readonly RightScriptInput[] };
    }
  | {
      type: 'RevisionCommitted';
      data: { revision: number; message: string; contentHash: string; committedAt: string; committedBy: string };
    }
  | {
      type: 'ComponentCloned';
      data: {
        kind: typeof RIGHT_SCRIPT_KIND;
        componentId: string;
        accountId: string;
        lineage: string;
        clonedFrom: ClonedFrom;
        content: RightScriptContent;
      };
    }
  /** An import's HEAD: the published revision's content; its `RevisionCommitted` (revision 1) follows in the same append. */
  | { type: 'ComponentImported'; data: ComponentImportedOf<typeof RIGHT_SCRIPT_KIND, RightScriptContent> }
  | { type: 'ComponentDeleted'; data: { kind: typeof RIGHT_SCRIPT_KIND; componentId: string } }
  /** After the events that made HEAD the merged content: which source was merged against which base. */
  | MergeAppliedEvent;

export type RightScriptEventType = RightScriptEvent['type'];

export const RIGHT_SCRIPT_EVENT_TYPES: readonly RightScriptEventType[] = [
  'RightScriptCreated',
  'RightScriptUpdated',
  'RevisionCommitted',
  'ComponentCloned',
  'ComponentImported',
  'ComponentDeleted',
  'MergeApplied',
];

/** A committed revision (or HEAD) of another RightScript, as the application read it from its stream. */
export type RightScriptCloneSource = CloneSourceOf<RightScriptContent>;

/** An input as a client sends it: `default` may be left out. */
export interface RightScriptInputDraft {
  readonly name: string;
  readonly type: string;
  readonly default?: string | null;
}

export type RightScriptCommand =
  | {
      type: 'CreateRightScript';
      data: {
        rightScriptId: string;
        accountId: string;
        name: string;
        description?: string | null;
        source?: string | null;
        inputs?: readonly RightScriptInputDraft[] | null;
      };
    }
  | {
      type: 'UpdateRightScript';
      /** Fields left out (or null) stay as they are; `inputs` replaces the whole list. */
      data: EditCommand & {
        name?: string | null;
        description?: string | null;
        source?: string | null;
        inputs?: readonly RightScriptInputDraft[] | null;
      };
    }
  | {
      type: 'CommitRightScript';
      data: EditCommand & {
        message: string;
        /** SHA-256 of the canonical JSON of HEAD's content, computed by the application from this same state. */
        contentHash: string;
        committedAt: string;
        committedBy: string;
      };
    }
  | {
      type: 'CloneRightScript';
      data: {
        /** The new script's id: the clone is a new stream. */
        rightScriptId: string;
        accountId: string;
        /** undefined when the source does not exist (or was deleted). */
        source: RightScriptCloneSource | undefined;
        /** Defaults to the source's name with its trailing version bumped. */
        name?: string | null;
      };
    }
  /** A read-only copy of a published revision in the importing account (a new stream). */
  | { type: 'ImportComponent'; data: ImportCommandOf<RightScriptContent> }
  | { type: 'DeleteRightScript'; data: EditCommand }
  /** Brings a source revision's changes into HEAD (see `decideMerge`). */
  | { type: 'MergeRightScript'; data: MergeCommandOf<RightScriptContent> };

const bad = (message: string): DomainError => new DomainError(ErrorCode.BAD_USER_INPUT, message);

/** Shows a client's value in a message without letting a huge one flood it. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

const DECIMAL_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/u;

/** Whether `value` reads as `type`; a message naming what was expected when it doesn't. */
function defaultProblem(type: RightScriptInputType, value: string): string | undefined {
  switch (type) {
    case 'TEXT':
      return undefined;
    case 'NUMBER':
      return DECIMAL_NUMBER.test(value) && Number.isFinite(Number(value))
        ? undefined
        : 'a NUMBER default: a finite decimal number such as 42, -1.5 or 2e3';
    case 'BOOLEAN':
      return value === 'true' || value === 'false' ? undefined : "a BOOLEAN default: 'true' or 'false'";
    case 'LIST': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')
        ? undefined
        : 'a LIST default: a JSON array of strings such as ["a","b"]';
    }
    default: {
      const unknown: never = type;
      return `a known type, not ${String(unknown)}`;
    }
  }
}

/** Checks a client's inputs and returns them normalised: absent defaults null, sorted by name. */
export function checkInputs(drafts: readonly RightScriptInputDraft[]): RightScriptInput[] {
  if (drafts.length > MAX_INPUTS) throw bad(`inputs: expected at most ${MAX_INPUTS} inputs, got ${drafts.length}`);
  const seen = new Set<string>();
  const inputs = drafts.map((draft, i): RightScriptInput => {
    const at = `inputs[${i}]`;
    if (!INPUT_NAME.test(draft.name)) {
      throw bad(
        `${at}.name: expected an environment variable name (an upper-case letter, then up to 63 upper-case letters, digits or '_'), got ${shown(draft.name)}`,
      );
    }
    if (seen.has(draft.name)) throw bad(`${at}.name: expected each input name once, got '${draft.name}' again`);
    seen.add(draft.name);
    const type = draft.type as RightScriptInputType;
    if (!INPUT_TYPES.includes(type)) throw bad(`${at}.type: expected one of ${INPUT_TYPES.join(', ')}, got ${shown(draft.type)}`);
    const value = draft.default ?? null;
    if (value !== null) {
      const bytes = utf8ByteLength(value);
      if (bytes > MAX_INPUT_DEFAULT_BYTES)
        throw bad(`${at}.default: expected at most ${MAX_INPUT_DEFAULT_BYTES} bytes (4 KiB) in UTF-8, got ${bytes}`);
      const problem = defaultProblem(type, value);
      if (problem) throw bad(`${at}.default: expected ${problem}, got ${shown(value)}`);
    }
    return { name: draft.name, type, default: value };
  });
  return inputs.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

const editable = (state: RightScriptState, command: EditCommand): ActiveRightScript => editableComponent(RIGHT_SCRIPT_KIND, state, command);

export const rightScriptDecider: Decider<RightScriptState, RightScriptCommand, RightScriptEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateRightScript': {
        const { rightScriptId, accountId, name } = command.data;
        const description = command.data.description ?? '';
        const source = command.data.source ?? '';
        checkName(name);
        checkDescription(description);
        checkSource(source);
        const inputs = checkInputs(command.data.inputs ?? []);
        if (state.status !== 'empty') throw bad(`RightScript '${rightScriptId}' already exists`);
        // A new component starts its own lineage, named after its first id so it is stable and unique.
        return [
          { type: 'RightScriptCreated', data: { rightScriptId, accountId, lineage: rightScriptId, name, description, source, inputs } },
        ];
      }
      case 'UpdateRightScript': {
        const script = editable(state, command.data);
        const { source, inputs } = command.data;
        const changed: { name?: string; description?: string; source?: string; inputs?: RightScriptInput[] } = changedNameAndDescription(
          script.head,
          command.data,
        );
        if (source !== undefined && source !== null) {
          checkSource(source);
          if (source !== script.head.source) changed.source = source;
        }
        if (inputs !== undefined && inputs !== null) {
          const checked = checkInputs(inputs);
          if (!jsonEqual(checked, script.head.inputs)) changed.inputs = checked;
        }
        return Object.keys(changed).length === 0 ? [] : [{ type: 'RightScriptUpdated', data: changed }];
      }
      case 'CommitRightScript': {
        const script = editable(state, command.data);
        return [{ type: 'RevisionCommitted', data: decideCommit(script, script.head, command.data) }];
      }
      case 'CloneRightScript':
        return [
          {
            type: 'ComponentCloned',
            data: clonedComponent(RIGHT_SCRIPT_KIND, state, { ...command.data, componentId: command.data.rightScriptId }),
          },
        ];
      case 'ImportComponent': {
        const { imported, committed } = decideImport(RIGHT_SCRIPT_KIND, state, command.data);
        return [
          { type: 'ComponentImported', data: imported },
          { type: 'RevisionCommitted', data: committed },
        ];
      }
      case 'MergeRightScript':
        return decideMerge(RIGHT_SCRIPT_KIND, state, command.data, mergeRightScripts, rightScriptMergeEvents);
      case 'DeleteRightScript': {
        // Imports may be deleted too (IN_USE still applies): only edits are read-only.
        const script = ownedComponent(RIGHT_SCRIPT_KIND, state, command.data);
        return [{ type: 'ComponentDeleted', data: { kind: RIGHT_SCRIPT_KIND, componentId: script.id } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown RightScript command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'RightScriptCreated': {
        const { rightScriptId, accountId, lineage, name, description, source, inputs } = event.data;
        return newComponent({ id: rightScriptId, accountId, lineage, clonedFrom: null }, { name, description, source, inputs });
      }
      case 'ComponentCloned': {
        const { componentId, accountId, lineage, clonedFrom, content } = event.data;
        return newComponent({ id: componentId, accountId, lineage, clonedFrom }, content);
      }
      case 'ComponentImported':
        return importedComponent(event.data);
      case 'RightScriptUpdated':
        if (state.status !== 'active') return state;
        return { ...state, head: { ...state.head, ...event.data } };
      case 'RevisionCommitted':
        return state.status === 'active' ? withCommit(state, event.data.revision) : state;
      case 'ComponentDeleted':
        return state.status === 'active' ? deletedComponent(state) : state;
      // The content events before it already made HEAD the merged content; ancestry reads it from the stream.
      case 'MergeApplied':
        return state;
      default: {
        const unknown: never = event;
        throw new Error(`unknown RightScript event ${JSON.stringify(unknown)}`);
      }
    }
  },
};

/** The state as it was when `revision` was committed (0: HEAD); `undefined` when it never was. */
export function stateAtRevision(events: Iterable<RightScriptEvent>, revision: number): RightScriptState | undefined {
  return foldToRevision(rightScriptDecider, events, revision);
}
