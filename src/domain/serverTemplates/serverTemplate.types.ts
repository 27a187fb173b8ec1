import type {
  ActiveComponent,
  ClonedFrom,
  CloneSourceOf,
  ComponentImportedOf,
  DeletedComponent,
  EditCommand,
  ImportCommandOf,
} from '../versionControl/versioned';
import type { MergeAppliedEvent, MergeCommandOf } from '../versionControl/mergeCommand';

/*
 * The ServerTemplate's vocabulary (domain.md, "ServerTemplate"): its state, events and commands. The
 * decider (serverTemplate.ts), the application, the projection and the API all speak these types;
 * one stream per template, `template-<id>`.
 */

export const SERVER_TEMPLATE_KIND = 'ServerTemplate';
export const SERVER_TEMPLATE_STREAM_PREFIX = 'template-';
export const serverTemplateStream = (id: string): string => `${SERVER_TEMPLATE_STREAM_PREFIX}${id}`;

/** Bounds that keep one template's HEAD (and every event replaying it) small; the decider and the merge both check them. */
export const MAX_TEMPLATE_MULTI_CLOUD_IMAGES = 50;
export const MAX_BINDINGS_PER_SEQUENCE = 100;

export const SEQUENCES = ['BOOT', 'OPERATIONAL', 'DECOMMISSION'] as const;
export type Sequence = (typeof SEQUENCES)[number];

/** An attached MCI, pinned to a committed revision (1, 2, …) or to its HEAD (0). */
export interface TemplateMultiCloudImage {
  readonly multiCloudImageId: string;
  readonly revision: number;
  /** The MCI's lineage when it was attached: re-pinning stays within it. */
  readonly lineage: string;
}

/** A RightScript bound in a sequence, pinned to a committed revision or HEAD (0). */
export interface RightScriptBinding {
  readonly rightScriptId: string;
  readonly revision: number;
  readonly lineage: string;
}

/** What a revision freezes, what diff compares and what the content hash covers. */
export interface ServerTemplateContent {
  readonly name: string;
  readonly description: string;
  /** In the order they were attached; never empty. */
  readonly multiCloudImages: readonly TemplateMultiCloudImage[];
  /** One of `multiCloudImages`. */
  readonly defaultMultiCloudImageId: string;
  /** Each sequence is an ordered list; a RightScript appears at most once per sequence. */
  readonly rightScripts: Readonly<Record<Sequence, readonly RightScriptBinding[]>>;
}

export type ActiveServerTemplate = ActiveComponent<ServerTemplateContent>;
export type DeletedServerTemplate = DeletedComponent;

export type ServerTemplateState = { readonly status: 'empty' } | ActiveServerTemplate | DeletedServerTemplate;

/** The component kinds a template pins. */
export type PinnedKind = 'MultiCloudImage' | 'RightScript';

/** A dependency a template commit committed (or found committed) and now pins. */
export interface CommittedDependency {
  readonly kind: PinnedKind;
  readonly id: string;
  readonly revision: number;
}

export type ServerTemplateEvent =
  | {
      type: 'ServerTemplateCreated';
      data: {
        serverTemplateId: string;
        accountId: string;
        lineage: string;
        name: string;
        description: string;
        /** The first MCI, and so the default. */
        multiCloudImage: TemplateMultiCloudImage;
      };
    }
  /** Holds only the fields that changed. */
  | { type: 'ServerTemplateUpdated'; data: { name?: string; description?: string } }
  /** Appended at the end of the list. */
  | { type: 'TemplateMultiCloudImageAdded'; data: TemplateMultiCloudImage & { isDefault: boolean } }
  | { type: 'TemplateMultiCloudImageRemoved'; data: { multiCloudImageId: string; removed: TemplateMultiCloudImage } }
  | { type: 'DefaultMultiCloudImageChanged'; data: { multiCloudImageId: string; previous: string } }
  /** The attached MCI `from` now pins `to` (same lineage), in the same place in the list; default follows. */
  | { type: 'TemplateMultiCloudImageRepinned'; data: { from: TemplateMultiCloudImage; to: TemplateMultiCloudImage } }
  /** `position` is 1-based; the bindings from there on shift one place later. */
  | { type: 'RightScriptBound'; data: RightScriptBinding & { sequence: Sequence; position: number } }
  /** The bindings after `position` shift one place earlier. */
  | { type: 'RightScriptUnbound'; data: { sequence: Sequence; position: number; removed: RightScriptBinding } }
  /** A binding keeps its place and changes its pinned revision (commit with HEAD dependencies). */
  | { type: 'RightScriptRepinned'; data: { sequence: Sequence; position: number; rightScriptId: string; from: number; revision: number } }
  | {
      type: 'RevisionCommitted';
      data: {
        revision: number;
        message: string;
        contentHash: string;
        committedAt: string;
        committedBy: string;
        /** HEAD dependencies resolved for this commit (empty when it pinned none). */
        dependencies: readonly CommittedDependency[];
      };
    }
  | {
      type: 'ComponentCloned';
      data: {
        kind: typeof SERVER_TEMPLATE_KIND;
        componentId: string;
        accountId: string;
        lineage: string;
        clonedFrom: ClonedFrom;
        content: ServerTemplateContent;
      };
    }
  /**
   * An import's HEAD: the published revision's content, pinning the importing account's copies of its
   * MCIs and RightScripts; its `RevisionCommitted` (revision 1) follows in the same append.
   */
  | { type: 'ComponentImported'; data: ComponentImportedOf<typeof SERVER_TEMPLATE_KIND, ServerTemplateContent> }
  | { type: 'ComponentDeleted'; data: { kind: typeof SERVER_TEMPLATE_KIND; componentId: string } }
  /** After the events that made HEAD the merged content: which source was merged against which base. */
  | MergeAppliedEvent;

export type ServerTemplateEventType = ServerTemplateEvent['type'];

export const SERVER_TEMPLATE_EVENT_TYPES: readonly ServerTemplateEventType[] = [
  'ServerTemplateCreated',
  'ServerTemplateUpdated',
  'TemplateMultiCloudImageAdded',
  'TemplateMultiCloudImageRemoved',
  'DefaultMultiCloudImageChanged',
  'TemplateMultiCloudImageRepinned',
  'RightScriptBound',
  'RightScriptUnbound',
  'RightScriptRepinned',
  'RevisionCommitted',
  'ComponentCloned',
  'ComponentImported',
  'ComponentDeleted',
  'MergeApplied',
];

/**
 * A component a command wants to pin, as the application found it in its own stream: it exists, is
 * not deleted, belongs to the viewer's account and has that revision (0: HEAD). `undefined` when it
 * doesn't (the decider answers NOT_FOUND without telling why).
 */
export interface PinTarget {
  readonly id: string;
  readonly accountId: string;
  readonly lineage: string;
  readonly revision: number;
}

/** A committed revision (or HEAD) of another template of the same account, read from its stream. */
export type ServerTemplateCloneSource = CloneSourceOf<ServerTemplateContent>;

export type ServerTemplateCommand =
  | {
      type: 'CreateServerTemplate';
      data: {
        serverTemplateId: string;
        accountId: string;
        name: string;
        description?: string | null;
        multiCloudImage: PinTarget | undefined;
      };
    }
  | { type: 'UpdateServerTemplate'; data: EditCommand & { name?: string | null; description?: string | null } }
  | { type: 'AddTemplateMultiCloudImage'; data: EditCommand & { multiCloudImage: PinTarget | undefined; isDefault: boolean } }
  | {
      type: 'RemoveTemplateMultiCloudImage';
      data: EditCommand & {
        multiCloudImageId: string;
        /** Required when removing the default: another attached MCI that becomes the default in the same step. */
        newDefaultMultiCloudImageId?: string | null;
      };
    }
  | { type: 'SetDefaultTemplateMultiCloudImage'; data: EditCommand & { multiCloudImageId: string } }
  | {
      type: 'PinTemplateMultiCloudImage';
      /** Re-pins the attached MCI `multiCloudImageId` to `to` (another revision, or another MCI of its lineage). */
      data: EditCommand & { multiCloudImageId: string; to: PinTarget | undefined };
    }
  | {
      type: 'BindRightScript';
      /** `position` 1-based; omitted: at the end. */
      data: EditCommand & { rightScript: PinTarget | undefined; sequence: Sequence; position?: number | null };
    }
  | { type: 'UnbindRightScript'; data: EditCommand & { rightScriptId: string; sequence: Sequence } }
  | {
      type: 'CommitServerTemplate';
      data: EditCommand & {
        message: string;
        /** SHA-256 of the canonical JSON of the content this commit freezes (HEAD with its HEAD pins resolved). */
        contentHash: string;
        committedAt: string;
        committedBy: string;
        commitHeadDependencies: boolean;
        /** For each HEAD-pinned component, the revision the application committed or found: kind:id → revision. */
        resolved: readonly CommittedDependency[];
      };
    }
  | {
      type: 'CloneServerTemplate';
      data: { serverTemplateId: string; accountId: string; source: ServerTemplateCloneSource | undefined; name?: string | null };
    }
  | {
      type: 'ImportComponent';
      /**
       * `content` pins the importing account's copies (revision 1) of the MCIs and RightScripts the
       * published revision pinned; `pinned` is each of those as the application found it in its own stream.
       */
      data: ImportCommandOf<ServerTemplateContent> & { pinned: readonly ImportedPin[] };
    }
  | {
      type: 'DeleteServerTemplate';
      data: EditCommand;
    }
  /** Brings a source revision's changes into HEAD (see `decideMerge`). */
  | { type: 'MergeServerTemplate'; data: MergeCommandOf<ServerTemplateContent> };

/** A local copy an imported template pins, as the application found it in its own stream. */
export interface ImportedPin extends PinTarget {
  readonly kind: PinnedKind;
}
