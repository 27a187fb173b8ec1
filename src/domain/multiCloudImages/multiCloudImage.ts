import { assertRunsOn, availableImage, offeredInstanceType } from '../catalog/availability';
import type { RegisteredCloud } from '../catalog/cloud';
import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from '../versionControl/change';
import {
  changedNameAndDescription,
  decideClone,
  decideCommit,
  deletedComponent,
  decideImport,
  editableComponent,
  foldToRevision,
  importedComponent,
  ownedComponent,
  withCommit,
  type ActiveComponent,
  type ClonedFrom,
  type CloneSourceOf,
  type ComponentImportedOf,
  type DeletedComponent,
  type ImportCommandOf,
} from '../versionControl/versioned';
import { checkDescription, checkName, utf8ByteLength } from '../versionControl/text';
import { decideMerge, type MergeAppliedEvent, type MergeCommandOf } from '../versionControl/mergeCommand';
import { mergeMultiCloudImages, multiCloudImageMergeEvents } from './merge';

/*
 * A MultiCloud Image (domain.md, "MultiCloud Image"): one aggregate per MCI, stream `mci-<id>`. Its
 * HEAD is a name, a description and at most one setting per cloud; commits freeze HEAD as numbered
 * revisions. Facts about clouds, and the content of a clone's source, arrive in the command.
 */

export const MULTI_CLOUD_IMAGE_KIND = 'MultiCloudImage';
export const MAX_USER_DATA_BYTES = 16 * 1024;

export const multiCloudImageStream = (id: string): string => `mci-${id}`;
export const MULTI_CLOUD_IMAGE_STREAM_PREFIX = 'mci-';

/** One cloud's setting: which image to launch there, on which instance type by default. */
export interface MultiCloudImageSetting {
  readonly cloudId: string;
  readonly imageId: string;
  readonly instanceTypeId: string;
  readonly kernelImageId: string | null;
  readonly ramdiskImageId: string | null;
  readonly userData: string | null;
}

/** What a revision freezes, what diff compares and what the content hash covers. */
export interface MultiCloudImageContent {
  readonly name: string;
  readonly description: string;
  /** Keyed by cloud id: at most one setting per cloud. */
  readonly settings: Readonly<Record<string, MultiCloudImageSetting>>;
}

export type { ClonedFrom } from '../versionControl/versioned';

export type ActiveMultiCloudImage = ActiveComponent<MultiCloudImageContent>;
export type DeletedMultiCloudImage = DeletedComponent;

export type MultiCloudImageState = { readonly status: 'empty' } | ActiveMultiCloudImage | DeletedMultiCloudImage;

export type MultiCloudImageEvent =
  | {
      type: 'MultiCloudImageCreated';
      data: { multiCloudImageId: string; accountId: string; lineage: string; name: string; description: string };
    }
  /** Holds only the fields that changed. */
  | { type: 'MultiCloudImageUpdated'; data: { name?: string; description?: string } }
  /** `replaced`: the cloud's setting before, or null when the cloud was not mapped. */
  | { type: 'ImageMapped'; data: MultiCloudImageSetting & { replaced: MultiCloudImageSetting | null } }
  | { type: 'ImageUnmapped'; data: { cloudId: string; removed: MultiCloudImageSetting } }
  | {
      type: 'RevisionCommitted';
      data: { revision: number; message: string; contentHash: string; committedAt: string; committedBy: string };
    }
  | {
      type: 'ComponentCloned';
      data: {
        kind: typeof MULTI_CLOUD_IMAGE_KIND;
        componentId: string;
        accountId: string;
        lineage: string;
        clonedFrom: ClonedFrom;
        name: string;
        description: string;
        settings: Readonly<Record<string, MultiCloudImageSetting>>;
      };
    }
  /** An import's HEAD: the published revision's content; its `RevisionCommitted` (revision 1) follows in the same append. */
  | { type: 'ComponentImported'; data: ComponentImportedOf<typeof MULTI_CLOUD_IMAGE_KIND, MultiCloudImageContent> }
  | { type: 'ComponentDeleted'; data: { kind: typeof MULTI_CLOUD_IMAGE_KIND; componentId: string } }
  /** After the events that made HEAD the merged content: which source was merged against which base. */
  | MergeAppliedEvent;

export type MultiCloudImageEventType = MultiCloudImageEvent['type'];

export const MULTI_CLOUD_IMAGE_EVENT_TYPES: readonly MultiCloudImageEventType[] = [
  'MultiCloudImageCreated',
  'MultiCloudImageUpdated',
  'ImageMapped',
  'ImageUnmapped',
  'RevisionCommitted',
  'ComponentCloned',
  'ComponentImported',
  'ComponentDeleted',
  'MergeApplied',
];

/** A committed revision (or HEAD) of another MCI, as the application read it from that MCI's stream. */
export type CloneSource = CloneSourceOf<MultiCloudImageContent>;

/**
 * Every edit names the viewer's account (another account's MCI is NOT_FOUND) and may name the
 * revision it means to edit (anything but HEAD is NOT_HEAD).
 */
interface EditCommand {
  readonly accountId: string;
  readonly revision?: number | null;
}

export type MultiCloudImageCommand =
  | { type: 'CreateMultiCloudImage'; data: { multiCloudImageId: string; accountId: string; name: string; description?: string | null } }
  | { type: 'UpdateMultiCloudImage'; data: EditCommand & { name?: string | null; description?: string | null } }
  | {
      type: 'MapImage';
      data: EditCommand & {
        cloudId: string;
        /** The cloud as its own stream says it is now; undefined when no such cloud is registered. */
        cloud: RegisteredCloud | undefined;
        imageId: string;
        instanceTypeId: string;
        kernelImageId?: string | null;
        ramdiskImageId?: string | null;
        userData?: string | null;
      };
    }
  | { type: 'UnmapImage'; data: EditCommand & { cloudId: string } }
  | {
      type: 'CommitRevision';
      data: EditCommand & {
        message: string;
        /** SHA-256 of the canonical JSON of HEAD's content, computed by the application from this same state. */
        contentHash: string;
        committedAt: string;
        committedBy: string;
      };
    }
  | {
      type: 'CloneMultiCloudImage';
      data: {
        /** The new MCI's id: the clone is a new stream. */
        multiCloudImageId: string;
        accountId: string;
        /** undefined when the source does not exist (or was deleted). */
        source: CloneSource | undefined;
        /** Defaults to the source's name with its trailing version bumped. */
        name?: string | null;
      };
    }
  /** A read-only copy of a published revision in the importing account (a new stream). */
  | { type: 'ImportComponent'; data: ImportCommandOf<MultiCloudImageContent> }
  | { type: 'DeleteMultiCloudImage'; data: EditCommand }
  /** Brings a source revision's changes into HEAD (see `decideMerge`). */
  | { type: 'MergeMultiCloudImage'; data: MergeCommandOf<MultiCloudImageContent> };

const editable = (state: MultiCloudImageState, command: EditCommand): ActiveMultiCloudImage =>
  editableComponent(MULTI_CLOUD_IMAGE_KIND, state, command);

/** Checks a setting against the cloud's catalog and returns it normalised (absent optionals are null). */
function checkSetting(command: Extract<MultiCloudImageCommand, { type: 'MapImage' }>['data']): MultiCloudImageSetting {
  const { cloud, cloudId } = command;
  if (!cloud) throw new DomainError(ErrorCode.BAD_USER_INPUT, `cloudId: expected a registered cloud, got '${cloudId}'`);
  const image = availableImage(cloud, command.imageId, 'mapped');
  const instanceType = offeredInstanceType(cloud, command.instanceTypeId);
  assertRunsOn(image, instanceType);
  for (const [what, id] of [
    ['kernel image', command.kernelImageId],
    ['ramdisk image', command.ramdiskImageId],
  ] as const) {
    if (id === undefined || id === null) continue;
    const extra = availableImage(cloud, id, 'mapped', `${what} '${id}'`);
    if (extra.architecture !== image.architecture) {
      throw new DomainError(
        ErrorCode.ARCHITECTURE_MISMATCH,
        `${what} '${extra.id}' is ${extra.architecture}, but image '${image.id}' is ${image.architecture}`,
        {
          imageArchitecture: image.architecture,
          [what === 'kernel image' ? 'kernelImageArchitecture' : 'ramdiskImageArchitecture']: extra.architecture,
        },
      );
    }
  }
  const userData = command.userData ?? null;
  if (userData !== null) {
    const bytes = utf8ByteLength(userData);
    if (bytes > MAX_USER_DATA_BYTES) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `userData: expected at most ${MAX_USER_DATA_BYTES} bytes (16 KiB) in UTF-8, got ${bytes}`,
      );
    }
  }
  return {
    cloudId: cloud.id,
    imageId: image.id,
    instanceTypeId: instanceType.id,
    kernelImageId: command.kernelImageId ?? null,
    ramdiskImageId: command.ramdiskImageId ?? null,
    userData,
  };
}

export const multiCloudImageDecider: Decider<MultiCloudImageState, MultiCloudImageCommand, MultiCloudImageEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateMultiCloudImage': {
        const { multiCloudImageId, accountId, name } = command.data;
        const description = command.data.description ?? '';
        checkName(name);
        checkDescription(description);
        if (state.status !== 'empty')
          throw new DomainError(ErrorCode.BAD_USER_INPUT, `MultiCloudImage '${multiCloudImageId}' already exists`);
        // A new component starts its own lineage, named after its first id so it is stable and unique.
        return [{ type: 'MultiCloudImageCreated', data: { multiCloudImageId, accountId, lineage: multiCloudImageId, name, description } }];
      }
      case 'UpdateMultiCloudImage': {
        const mci = editable(state, command.data);
        const changed = changedNameAndDescription(mci.head, command.data);
        return Object.keys(changed).length === 0 ? [] : [{ type: 'MultiCloudImageUpdated', data: changed }];
      }
      case 'MapImage': {
        const mci = editable(state, command.data);
        const setting = checkSetting(command.data);
        const replaced = mci.head.settings[setting.cloudId] ?? null;
        if (replaced && jsonEqual(replaced, setting)) return [];
        return [{ type: 'ImageMapped', data: { ...setting, replaced } }];
      }
      case 'UnmapImage': {
        const mci = editable(state, command.data);
        const removed = mci.head.settings[command.data.cloudId];
        if (!removed) {
          const mapped = Object.keys(mci.head.settings);
          throw new DomainError(
            ErrorCode.BAD_USER_INPUT,
            `cloudId: expected a cloud mapped in this MultiCloudImage (${mapped.length > 0 ? mapped.map((id) => `'${id}'`).join(', ') : 'none is mapped'}), got '${command.data.cloudId}'`,
          );
        }
        return [{ type: 'ImageUnmapped', data: { cloudId: removed.cloudId, removed } }];
      }
      case 'CommitRevision': {
        const mci = editable(state, command.data);
        return [{ type: 'RevisionCommitted', data: decideCommit(mci, mci.head, command.data) }];
      }
      case 'CloneMultiCloudImage': {
        const { multiCloudImageId, accountId } = command.data;
        const { name, clonedFrom, source } = decideClone(MULTI_CLOUD_IMAGE_KIND, state, {
          ...command.data,
          componentId: multiCloudImageId,
        });
        const { content } = source;
        return [
          {
            type: 'ComponentCloned',
            data: {
              kind: MULTI_CLOUD_IMAGE_KIND,
              componentId: multiCloudImageId,
              accountId,
              lineage: multiCloudImageId,
              clonedFrom,
              name,
              description: content.description,
              settings: content.settings,
            },
          },
        ];
      }
      case 'ImportComponent': {
        const { imported, committed } = decideImport(MULTI_CLOUD_IMAGE_KIND, state, command.data);
        return [
          { type: 'ComponentImported', data: imported },
          { type: 'RevisionCommitted', data: committed },
        ];
      }
      case 'MergeMultiCloudImage':
        return decideMerge(MULTI_CLOUD_IMAGE_KIND, state, command.data, mergeMultiCloudImages, multiCloudImageMergeEvents);
      case 'DeleteMultiCloudImage': {
        // Imports may be deleted too (IN_USE still applies): only edits are read-only.
        const mci = ownedComponent(MULTI_CLOUD_IMAGE_KIND, state, command.data);
        return [{ type: 'ComponentDeleted', data: { kind: MULTI_CLOUD_IMAGE_KIND, componentId: mci.id } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown MultiCloudImage command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'MultiCloudImageCreated': {
        const { multiCloudImageId, accountId, lineage, name, description } = event.data;
        return {
          status: 'active',
          id: multiCloudImageId,
          accountId,
          lineage,
          clonedFrom: null,
          origin: null,
          latestRevision: 0,
          head: { name, description, settings: {} },
          lastCommitted: null,
        };
      }
      case 'ComponentCloned': {
        const { componentId, accountId, lineage, clonedFrom, name, description, settings } = event.data;
        return {
          status: 'active',
          id: componentId,
          accountId,
          lineage,
          clonedFrom,
          origin: null,
          latestRevision: 0,
          head: { name, description, settings },
          lastCommitted: null,
        };
      }
      case 'ComponentImported':
        return importedComponent(event.data);
      case 'MultiCloudImageUpdated': {
        if (state.status !== 'active') return state;
        return { ...state, head: { ...state.head, ...event.data } };
      }
      case 'ImageMapped': {
        if (state.status !== 'active') return state;
        const { replaced: _replaced, ...setting } = event.data;
        return { ...state, head: { ...state.head, settings: { ...state.head.settings, [setting.cloudId]: setting } } };
      }
      case 'ImageUnmapped': {
        if (state.status !== 'active') return state;
        const { [event.data.cloudId]: _removed, ...settings } = state.head.settings;
        return { ...state, head: { ...state.head, settings } };
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
        throw new Error(`unknown MultiCloudImage event ${JSON.stringify(unknown)}`);
      }
    }
  },
};

/** The state as it was when `revision` was committed (0: HEAD); `undefined` when it never was. */
export function stateAtRevision(events: Iterable<MultiCloudImageEvent>, revision: number): MultiCloudImageState | undefined {
  return foldToRevision(multiCloudImageDecider, events, revision);
}
