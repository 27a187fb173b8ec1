import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
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
  type EditCommand,
} from '../versionControl/versioned';
import { HEAD_REVISION } from '../versionControl/revisions';
import { checkCommitMessage, checkDescription, checkName } from '../versionControl/text';
import { describeHeadPins, headPins, pinnedAt, resolvedDependencies } from './pins';
import { decideMerge } from '../versionControl/mergeCommand';
import { mergeServerTemplates, serverTemplateMergeEvents } from './merge';
import {
  MAX_BINDINGS_PER_SEQUENCE,
  MAX_TEMPLATE_MULTI_CLOUD_IMAGES,
  SEQUENCES,
  SERVER_TEMPLATE_KIND,
  type ActiveServerTemplate,
  type ImportedPin,
  type PinnedKind,
  type PinTarget,
  type RightScriptBinding,
  type Sequence,
  type ServerTemplateCommand,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type ServerTemplateState,
  type TemplateMultiCloudImage,
} from './serverTemplate.types';

export { headPins, resolveHeadPins, type HeadPin } from './pins';
export { MAX_BINDINGS_PER_SEQUENCE, MAX_TEMPLATE_MULTI_CLOUD_IMAGES } from './serverTemplate.types';

/*
 * A ServerTemplate (domain.md, "ServerTemplate"): one aggregate per template, stream
 * `template-<id>`. Its HEAD attaches MCIs (exactly one default) and binds RightScripts in three
 * ordered sequences, each pinned to a committed revision or to HEAD. Whether a pinned component
 * exists, is the viewer's and has that revision arrives in the command as a `PinTarget`.
 */

type Command<Type extends ServerTemplateCommand['type']> = Extract<ServerTemplateCommand, { type: Type }>['data'];

const editable = (state: ServerTemplateState, command: EditCommand): ActiveServerTemplate =>
  editableComponent(SERVER_TEMPLATE_KIND, state, command);

/** A component to pin as the viewer may see it: another account's reads like a missing one. */
function pinnable(target: PinTarget | undefined, accountId: string, kind: PinnedKind): PinTarget {
  if (!target || target.accountId !== accountId) throw new DomainError(ErrorCode.NOT_FOUND, `no such ${kind}`);
  return target;
}

const quoted = (ids: readonly string[]): string => ids.map((id) => `'${id}'`).join(', ');
const describeRevision = (revision: number): string => (revision === HEAD_REVISION ? 'revision 0 (HEAD)' : `revision ${revision}`);

function attachedMultiCloudImage(template: ActiveServerTemplate, multiCloudImageId: string): TemplateMultiCloudImage {
  const attached = template.head.multiCloudImages.find((mci) => mci.multiCloudImageId === multiCloudImageId);
  if (!attached) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `multiCloudImageId: expected a MultiCloudImage attached to this ServerTemplate (${quoted(template.head.multiCloudImages.map((mci) => mci.multiCloudImageId))}), got '${multiCloudImageId}'`,
    );
  }
  return attached;
}

function checkSequence(sequence: string): Sequence {
  const known = SEQUENCES.find((candidate) => candidate === sequence);
  if (!known) throw new DomainError(ErrorCode.BAD_USER_INPUT, `sequence: expected one of ${SEQUENCES.join(', ')}, got '${sequence}'`);
  return known;
}

function removeMultiCloudImage(template: ActiveServerTemplate, command: Command<'RemoveTemplateMultiCloudImage'>): ServerTemplateEvent[] {
  const { multiCloudImages, defaultMultiCloudImageId } = template.head;
  const removed = attachedMultiCloudImage(template, command.multiCloudImageId);
  if (multiCloudImages.length === 1) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `a ServerTemplate needs at least one MultiCloudImage: '${removed.multiCloudImageId}' is the only one attached; attach another before removing it`,
    );
  }
  const others = multiCloudImages.filter((mci) => mci !== removed).map((mci) => mci.multiCloudImageId);
  const newDefault = command.newDefaultMultiCloudImageId ?? null;
  const removingDefault = removed.multiCloudImageId === defaultMultiCloudImageId;
  if ((removingDefault && newDefault === null) || (newDefault !== null && !others.includes(newDefault))) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      removingDefault
        ? `'${removed.multiCloudImageId}' is the default MultiCloudImage: removing it needs newDefaultMultiCloudImageId naming another attached MCI (${quoted(others)}), got ${newDefault === null ? 'none' : `'${newDefault}'`}`
        : `newDefaultMultiCloudImageId: expected another attached MCI (${quoted(others)}), got '${String(newDefault)}'`,
    );
  }
  const events: ServerTemplateEvent[] = [];
  // The default changes first so no state in between lacks one.
  if (newDefault !== null && newDefault !== defaultMultiCloudImageId) {
    events.push({ type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: newDefault, previous: defaultMultiCloudImageId } });
  }
  events.push({ type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: removed.multiCloudImageId, removed } });
  return events;
}

function repinMultiCloudImage(template: ActiveServerTemplate, command: Command<'PinTemplateMultiCloudImage'>): ServerTemplateEvent[] {
  const to = pinnable(command.to, command.accountId, 'MultiCloudImage');
  const from = attachedMultiCloudImage(template, command.multiCloudImageId);
  if (to.lineage !== from.lineage) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `re-pinning stays within a lineage: '${to.id}' is of lineage '${to.lineage}', the attached MCI '${from.multiCloudImageId}' of lineage '${from.lineage}'; attach it with addTemplateMultiCloudImage instead`,
    );
  }
  if (to.id !== from.multiCloudImageId) {
    const other = template.head.multiCloudImages.find((mci) => mci.multiCloudImageId === to.id);
    if (other) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `MultiCloudImage '${to.id}' is already attached at ${describeRevision(other.revision)}: re-pin that entry, or remove one of the two`,
      );
    }
  } else if (to.revision === from.revision) return [];
  return [
    {
      type: 'TemplateMultiCloudImageRepinned',
      data: { from, to: { multiCloudImageId: to.id, revision: to.revision, lineage: to.lineage } },
    },
  ];
}

function bindRightScript(template: ActiveServerTemplate, command: Command<'BindRightScript'>): ServerTemplateEvent[] {
  const target = pinnable(command.rightScript, command.accountId, 'RightScript');
  const sequence = checkSequence(command.sequence);
  const bindings = template.head.rightScripts[sequence];
  const bound = bindings.findIndex((binding) => binding.rightScriptId === target.id);
  const existing = bindings[bound];
  if (existing) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `RightScript '${target.id}' is already bound in ${sequence} at position ${bound + 1} (${describeRevision(existing.revision)}): unbind it first to move it or change its pin`,
    );
  }
  if (bindings.length >= MAX_BINDINGS_PER_SEQUENCE) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `sequence ${sequence} holds at most ${MAX_BINDINGS_PER_SEQUENCE} RightScripts and has ${bindings.length}: unbind one first`,
    );
  }
  const last = bindings.length + 1;
  const position = command.position ?? last;
  if (!Number.isSafeInteger(position) || position < 1 || position > last) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `position: expected 1 to ${last}, got ${position}`);
  }
  return [
    {
      type: 'RightScriptBound',
      data: { rightScriptId: target.id, revision: target.revision, lineage: target.lineage, sequence, position },
    },
  ];
}

function unbindRightScript(template: ActiveServerTemplate, command: Command<'UnbindRightScript'>): ServerTemplateEvent[] {
  const sequence = checkSequence(command.sequence);
  const bindings = template.head.rightScripts[sequence];
  const index = bindings.findIndex((binding) => binding.rightScriptId === command.rightScriptId);
  const removed = bindings[index];
  if (!removed) {
    const bound = bindings.map((binding) => binding.rightScriptId);
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `rightScriptId: expected a RightScript bound in ${sequence} (${bound.length > 0 ? quoted(bound) : 'none is bound'}), got '${command.rightScriptId}'`,
    );
  }
  return [{ type: 'RightScriptUnbound', data: { sequence, position: index + 1, removed } }];
}

/**
 * The refusals a template commit would give that don't depend on its dependencies: NOT_FOUND,
 * NOT_HEAD, a bad message, HEAD_DEPENDENCIES. The application asks before committing any HEAD
 * dependency, so a commit refused anyway writes nothing. (NO_CHANGES needs the resolved revisions.)
 */
export function checkCommittable(
  state: ServerTemplateState,
  command: { accountId: string; revision?: number | null; message: string; commitHeadDependencies: boolean },
): ActiveServerTemplate {
  const template = editable(state, command);
  checkCommitMessage(command.message);
  const pins = headPins(template.head);
  if (pins.length > 0 && !command.commitHeadDependencies) {
    throw new DomainError(
      ErrorCode.HEAD_DEPENDENCIES,
      `revision 0 (HEAD) is pinned for ${describeHeadPins(pins)}: commit them first, or commit with commitHeadDependencies: true`,
      { dependencies: pins.map((pin) => ({ kind: pin.kind, id: pin.id })) },
    );
  }
  return template;
}

function commit(state: ServerTemplateState, command: Command<'CommitServerTemplate'>): ServerTemplateEvent[] {
  const template = checkCommittable(state, command);
  const { head } = template;
  const dependencies = resolvedDependencies(head, command.commitHeadDependencies ? command.resolved : []);
  const frozen = pinnedAt(head, dependencies);
  const record = decideCommit(template, frozen, command, 'HEAD (with its HEAD dependencies at their committed revisions)');
  // HEAD itself takes the resolved pins, one event per re-pinned place, so it equals what the commit froze.
  const events: ServerTemplateEvent[] = [];
  head.multiCloudImages.forEach((from, index) => {
    const to = frozen.multiCloudImages[index];
    if (to && to.revision !== from.revision) events.push({ type: 'TemplateMultiCloudImageRepinned', data: { from, to } });
  });
  for (const sequence of SEQUENCES) {
    head.rightScripts[sequence].forEach((binding, index) => {
      const revision = frozen.rightScripts[sequence][index]?.revision ?? binding.revision;
      if (revision === binding.revision) return;
      events.push({
        type: 'RightScriptRepinned',
        data: { sequence, position: index + 1, rightScriptId: binding.rightScriptId, from: binding.revision, revision },
      });
    });
  }
  events.push({ type: 'RevisionCommitted', data: { ...record, dependencies: [...dependencies.values()] } });
  return events;
}

/**
 * An imported template pins only the importing account's copies of what the published revision pinned,
 * each at the committed revision it was imported as, in the lineage it has.
 */
function checkImportedPins(content: ServerTemplateContent, pinned: readonly ImportedPin[], accountId: string): void {
  const places: Array<{ kind: PinnedKind; id: string; revision: number; lineage: string }> = [
    ...content.multiCloudImages.map((mci) => ({ kind: 'MultiCloudImage' as const, id: mci.multiCloudImageId, ...mci })),
    ...SEQUENCES.flatMap((sequence) =>
      content.rightScripts[sequence].map((binding) => ({ kind: 'RightScript' as const, id: binding.rightScriptId, ...binding })),
    ),
  ];
  for (const place of places) {
    const target = pinnable(
      pinned.find((pin) => pin.kind === place.kind && pin.id === place.id),
      accountId,
      place.kind,
    );
    if (place.revision === HEAD_REVISION || target.revision !== place.revision || target.lineage !== place.lineage) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `an imported ServerTemplate pins committed revisions of the importing account's copies: ${place.kind} '${place.id}' is pinned at ${describeRevision(place.revision)} of lineage '${place.lineage}', the copy is ${describeRevision(target.revision)} of lineage '${target.lineage}'`,
      );
    }
  }
}

function alreadyExists(id: string): DomainError {
  return new DomainError(ErrorCode.BAD_USER_INPUT, `ServerTemplate '${id}' already exists`);
}

const withRightScripts = (
  content: ServerTemplateContent,
  sequence: Sequence,
  bindings: readonly RightScriptBinding[],
): ServerTemplateContent => ({ ...content, rightScripts: { ...content.rightScripts, [sequence]: bindings } });

export const serverTemplateDecider: Decider<ServerTemplateState, ServerTemplateCommand, ServerTemplateEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateServerTemplate': {
        const { serverTemplateId, accountId, name } = command.data;
        const description = command.data.description ?? '';
        checkName(name);
        checkDescription(description);
        if (state.status !== 'empty') throw alreadyExists(serverTemplateId);
        const target = pinnable(command.data.multiCloudImage, accountId, 'MultiCloudImage');
        return [
          {
            type: 'ServerTemplateCreated',
            data: {
              serverTemplateId,
              accountId,
              // A new component starts its own lineage, named after its first id so it is stable and unique.
              lineage: serverTemplateId,
              name,
              description,
              multiCloudImage: { multiCloudImageId: target.id, revision: target.revision, lineage: target.lineage },
            },
          },
        ];
      }
      case 'UpdateServerTemplate': {
        const template = editable(state, command.data);
        const changed = changedNameAndDescription(template.head, command.data);
        return Object.keys(changed).length === 0 ? [] : [{ type: 'ServerTemplateUpdated', data: changed }];
      }
      case 'AddTemplateMultiCloudImage': {
        const template = editable(state, command.data);
        const target = pinnable(command.data.multiCloudImage, command.data.accountId, 'MultiCloudImage');
        const attached = template.head.multiCloudImages.find((mci) => mci.multiCloudImageId === target.id);
        if (attached) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `MultiCloudImage '${target.id}' is already attached at ${describeRevision(attached.revision)}: use pinTemplateMultiCloudImage to change its pin`,
          );
        }
        if (template.head.multiCloudImages.length >= MAX_TEMPLATE_MULTI_CLOUD_IMAGES) {
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `a ServerTemplate holds at most ${MAX_TEMPLATE_MULTI_CLOUD_IMAGES} MultiCloudImages and this one has ${template.head.multiCloudImages.length}: remove one first`,
          );
        }
        return [
          {
            type: 'TemplateMultiCloudImageAdded',
            data: { multiCloudImageId: target.id, revision: target.revision, lineage: target.lineage, isDefault: command.data.isDefault },
          },
        ];
      }
      case 'RemoveTemplateMultiCloudImage':
        return removeMultiCloudImage(editable(state, command.data), command.data);
      case 'SetDefaultTemplateMultiCloudImage': {
        const template = editable(state, command.data);
        const chosen = attachedMultiCloudImage(template, command.data.multiCloudImageId);
        const previous = template.head.defaultMultiCloudImageId;
        if (chosen.multiCloudImageId === previous) return [];
        return [{ type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: chosen.multiCloudImageId, previous } }];
      }
      case 'PinTemplateMultiCloudImage':
        return repinMultiCloudImage(editable(state, command.data), command.data);
      case 'BindRightScript':
        return bindRightScript(editable(state, command.data), command.data);
      case 'UnbindRightScript':
        return unbindRightScript(editable(state, command.data), command.data);
      case 'CommitServerTemplate':
        return commit(state, command.data);
      case 'CloneServerTemplate':
        return [
          {
            type: 'ComponentCloned',
            data: clonedComponent(SERVER_TEMPLATE_KIND, state, { ...command.data, componentId: command.data.serverTemplateId }),
          },
        ];
      case 'ImportComponent': {
        const { imported, committed } = decideImport(SERVER_TEMPLATE_KIND, state, command.data);
        checkImportedPins(imported.content, command.data.pinned, command.data.accountId);
        return [
          { type: 'ComponentImported', data: imported },
          { type: 'RevisionCommitted', data: { ...committed, dependencies: [] } },
        ];
      }
      case 'MergeServerTemplate':
        return decideMerge(SERVER_TEMPLATE_KIND, state, command.data, mergeServerTemplates, serverTemplateMergeEvents);
      case 'DeleteServerTemplate': {
        // Imports may be deleted too: only edits are read-only.
        const template = ownedComponent(SERVER_TEMPLATE_KIND, state, command.data);
        return [{ type: 'ComponentDeleted', data: { kind: SERVER_TEMPLATE_KIND, componentId: template.id } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown ServerTemplate command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ServerTemplateCreated': {
        const { serverTemplateId, accountId, lineage, name, description, multiCloudImage } = event.data;
        return newComponent(
          { id: serverTemplateId, accountId, lineage, clonedFrom: null },
          {
            name,
            description,
            multiCloudImages: [multiCloudImage],
            defaultMultiCloudImageId: multiCloudImage.multiCloudImageId,
            rightScripts: { BOOT: [], OPERATIONAL: [], DECOMMISSION: [] },
          },
        );
      }
      case 'ComponentCloned': {
        const { componentId, accountId, lineage, clonedFrom, content } = event.data;
        return newComponent({ id: componentId, accountId, lineage, clonedFrom }, content);
      }
      case 'ComponentImported':
        return importedComponent(event.data);
      case 'ServerTemplateUpdated':
        if (state.status !== 'active') return state;
        return { ...state, head: { ...state.head, ...event.data } };
      case 'TemplateMultiCloudImageAdded': {
        if (state.status !== 'active') return state;
        const { isDefault, ...added } = event.data;
        const head = state.head;
        return {
          ...state,
          head: {
            ...head,
            multiCloudImages: [...head.multiCloudImages, added],
            defaultMultiCloudImageId: isDefault ? added.multiCloudImageId : head.defaultMultiCloudImageId,
          },
        };
      }
      case 'TemplateMultiCloudImageRemoved': {
        if (state.status !== 'active') return state;
        const multiCloudImages = state.head.multiCloudImages.filter((mci) => mci.multiCloudImageId !== event.data.multiCloudImageId);
        return { ...state, head: { ...state.head, multiCloudImages } };
      }
      case 'DefaultMultiCloudImageChanged':
        if (state.status !== 'active') return state;
        return { ...state, head: { ...state.head, defaultMultiCloudImageId: event.data.multiCloudImageId } };
      case 'TemplateMultiCloudImageRepinned': {
        if (state.status !== 'active') return state;
        const { from, to } = event.data;
        const head = state.head;
        return {
          ...state,
          head: {
            ...head,
            multiCloudImages: head.multiCloudImages.map((mci) => (mci.multiCloudImageId === from.multiCloudImageId ? to : mci)),
            defaultMultiCloudImageId:
              head.defaultMultiCloudImageId === from.multiCloudImageId ? to.multiCloudImageId : head.defaultMultiCloudImageId,
          },
        };
      }
      case 'RightScriptBound': {
        if (state.status !== 'active') return state;
        const { sequence, position, ...binding } = event.data;
        const bindings = [...state.head.rightScripts[sequence]];
        bindings.splice(position - 1, 0, binding);
        return { ...state, head: withRightScripts(state.head, sequence, bindings) };
      }
      case 'RightScriptUnbound': {
        if (state.status !== 'active') return state;
        const { sequence, position } = event.data;
        const bindings = state.head.rightScripts[sequence].filter((_binding, index) => index !== position - 1);
        return { ...state, head: withRightScripts(state.head, sequence, bindings) };
      }
      case 'RightScriptRepinned': {
        if (state.status !== 'active') return state;
        const { sequence, position, revision } = event.data;
        const bindings = state.head.rightScripts[sequence].map((binding, index) =>
          index === position - 1 ? { ...binding, revision } : binding,
        );
        return { ...state, head: withRightScripts(state.head, sequence, bindings) };
      }
      case 'RevisionCommitted':
        return state.status === 'active' ? withCommit(state, event.data.revision) : state;
      case 'ComponentDeleted':
        return state.status === 'active' ? deletedComponent(state) : state;
      // The content events before it already made HEAD the merged content; ancestry reads it from the stream.
      case 'MergeApplied':
        return state;
      default: {
        const unknown: never = event;
        throw new Error(`unknown ServerTemplate event ${JSON.stringify(unknown)}`);
      }
    }
  },
};

/** The state as it was when `revision` was committed (0: HEAD); `undefined` when it never was. */
export function stateAtRevision(events: Iterable<ServerTemplateEvent>, revision: number): ServerTemplateState | undefined {
  return foldToRevision(serverTemplateDecider, events, revision);
}
