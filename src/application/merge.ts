import type { DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import { diffMultiCloudImages } from '../domain/multiCloudImages/diff';
import { mergeMultiCloudImages } from '../domain/multiCloudImages/merge';
import { MULTI_CLOUD_IMAGE_KIND, type MultiCloudImageContent } from '../domain/multiCloudImages/multiCloudImage';
import { diffRightScripts } from '../domain/rightScripts/diff';
import { mergeRightScripts } from '../domain/rightScripts/merge';
import { RIGHT_SCRIPT_KIND, type RightScriptContent } from '../domain/rightScripts/rightScript';
import { diffServerTemplates } from '../domain/serverTemplates/diff';
import { mergeServerTemplates } from '../domain/serverTemplates/merge';
import { SERVER_TEMPLATE_KIND, type ServerTemplateContent } from '../domain/serverTemplates/serverTemplate.types';
import {
  commonAncestor,
  describeNode,
  type AncestryComponent,
  type AncestryNode,
  type AncestryStep,
  type AncestryWorld,
  type ImportedRevision,
} from '../domain/versionControl/ancestry';
import type { Change } from '../domain/versionControl/change';
import { checkResolutions, type MergeConflict, type MergeContents, type MergeResolution } from '../domain/versionControl/merge';
import { recordedNode, type MergeAppliedData, type MergeCommandOf } from '../domain/versionControl/mergeCommand';
import { assertRevisionNumber } from '../domain/versionControl/revisions';
import { editableComponent, foldToRevision, revisionCommittedBy, type ComponentStateOf } from '../domain/versionControl/versioned';
import { VersionConflictError } from '../eventStore/errors';
import type { RecordedEvent } from '../eventStore/port';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import {
  COMMIT_RETRIES,
  checkId,
  componentOwner,
  componentStream,
  loadComponent,
  noSuch,
  runCommand,
  unknownRevision,
  type CommandKind,
  type ComponentKind,
  type ComponentServices,
  type LoadedComponent,
  type OwnedState,
} from './components';
import { multiCloudImageKind } from './multiCloudImages';
import { rightScriptKind } from './rightScripts';
import { serverTemplateKind } from './serverTemplates';

/*
 * Merge (domain.md, "Merge"): bring a source revision's changes into a target's HEAD, three-way against
 * their nearest common ancestor. Everything is read from the streams themselves: the target and the
 * source, and the components their ancestry passes through (clone sources, merged sources, imports of
 * one published lineage; see domain/versionControl/ancestry.ts). The merge itself runs as the target
 * kind's merge command through the command handler, appended at exactly the stream revision whose
 * HEAD was analysed; when another writer got in first, everything is read and decided again.
 */

/** An ancestry reaching more components than this is refused (far above any real history). */
export const MAX_ANCESTRY_COMPONENTS = 1000;

export type MergeServices = ComponentServices & Pick<Services, 'queries'>;

/** How one component kind merges: its commands, its pure merge and diff, and how its merge command is spelled. */
export interface MergeKind<Content = unknown> {
  readonly command: CommandKind<OwnedState, unknown, DomainEvent>;
  readonly merge: MergeContents<Content>;
  readonly diff: (before: Content, after: Content) => Change[];
  readonly toCommand: (data: MergeCommandOf<Content>) => unknown;
}

function mergeKind<State extends OwnedState, Command, Event extends DomainEvent, Content>(kind: {
  command: CommandKind<State, Command, Event>;
  merge: MergeContents<Content>;
  diff: (before: Content, after: Content) => Change[];
  toCommand: (data: MergeCommandOf<Content>) => Command;
}): MergeKind {
  return kind as unknown as MergeKind;
}

export const MERGE_KINDS: Readonly<Record<string, MergeKind>> = {
  [MULTI_CLOUD_IMAGE_KIND]: mergeKind({
    command: multiCloudImageKind,
    merge: mergeMultiCloudImages,
    diff: diffMultiCloudImages,
    toCommand: (data: MergeCommandOf<MultiCloudImageContent>) => ({ type: 'MergeMultiCloudImage' as const, data }),
  }),
  [RIGHT_SCRIPT_KIND]: mergeKind({
    command: rightScriptKind,
    merge: mergeRightScripts,
    diff: diffRightScripts,
    toCommand: (data: MergeCommandOf<RightScriptContent>) => ({ type: 'MergeRightScript' as const, data }),
  }),
  [SERVER_TEMPLATE_KIND]: mergeKind({
    command: serverTemplateKind,
    merge: mergeServerTemplates,
    diff: diffServerTemplates,
    toCommand: (data: MergeCommandOf<ServerTemplateContent>) => ({ type: 'MergeServerTemplate' as const, data }),
  }),
};

export function mergeKindOf(kind: string): MergeKind {
  const found = MERGE_KINDS[kind];
  if (!found) throw new Error(`no merge for component kind '${kind}': add it to MERGE_KINDS`);
  return found;
}

export interface MergeRequest {
  readonly targetId: string;
  readonly source: { readonly id: string; readonly revision?: number | null };
}

/** What a merge would do (preview) or did. */
export interface MergeReport {
  readonly targetId: string;
  /** The target's stream revision: after the merge, or as it was read when nothing was written. */
  readonly version: number;
  readonly source: AncestryNode;
  readonly base: AncestryNode;
  /** The source is the target or already one of its ancestors: nothing to merge, nothing written. */
  readonly alreadyMerged: boolean;
  /** What the merge changes (or would change) in the target's HEAD. */
  readonly changes: readonly Change[];
  /** Preview: the conflicts a merge would meet. Merge: the conflicts the resolutions settled. */
  readonly conflicts: ReadonlyArray<MergeConflict & { readonly resolution: MergeResolution['choice'] | null }>;
}

/**
 * What merging `request.source` into the target's HEAD would do: its base, the changes it would apply
 * and the conflicts it would meet. The same refusals as `merge` (NOT_FOUND, READ_ONLY,
 * NO_COMMON_ANCESTOR), nothing written.
 */
export async function previewMerge(
  services: MergeServices,
  accountId: string,
  kind: MergeKind,
  request: MergeRequest,
): Promise<MergeReport> {
  const plan = await planMerge(services, accountId, kind, request);
  if (plan.alreadyMerged) return alreadyMergedReport(plan);
  const outcome = kind.merge(plan.baseContent, plan.ours, plan.theirs, []);
  return {
    ...reportOf(plan),
    changes: kind.diff(plan.ours, outcome.merged),
    conflicts: outcome.conflicts.map((conflict) => ({ ...conflict, resolution: null })),
  };
}

/**
 * Merges `request.source` into the target's HEAD: its kind's events plus one `MergeApplied`, or
 * MERGE_CONFLICT listing what the resolutions leave open (nothing written). With `expectedVersion`,
 * the target must still be at that version (VERSION_CONFLICT otherwise); without, losing the race to
 * another writer reads and decides again a few times.
 */
export async function mergeIntoHead(
  services: MergeServices,
  context: CommandContext,
  kind: MergeKind,
  request: MergeRequest & { readonly resolutions?: readonly MergeResolution[] | null; readonly expectedVersion?: number | null },
): Promise<MergeReport> {
  const resolutions = request.resolutions ?? [];
  // Before anything is read: the merge checks them again, but a bad list shouldn't cost a read of every stream first.
  checkResolutions(resolutions);
  for (let attempt = 0; ; attempt++) {
    const plan = await planMerge(services, context.accountId, kind, request);
    const { expectedVersion } = request;
    if (expectedVersion !== undefined && expectedVersion !== null && BigInt(expectedVersion) !== BigInt(plan.version)) {
      throw new VersionConflictError(componentStream(kind.command, request.targetId), BigInt(expectedVersion), BigInt(plan.version));
    }
    // Before anything else: a resolution naming no conflict is refused even when there is nothing to merge.
    const outcome = kind.merge(plan.baseContent, plan.ours, plan.theirs, resolutions);
    if (plan.alreadyMerged) return alreadyMergedReport(plan);
    const command: MergeCommandOf<unknown> = {
      accountId: context.accountId,
      revision: 0,
      source: plan.source,
      theirs: plan.theirs,
      base: plan.base,
      baseContent: plan.baseContent,
      resolutions,
    };
    try {
      // Appended exactly after the HEAD analysed: its ancestry and its content are what was merged.
      const written = await runCommand(services, kind.command, request.targetId, kind.toCommand(command), context, {
        expectedRevision: BigInt(plan.version),
      });
      return {
        ...reportOf(plan),
        version: written.version,
        changes: kind.diff(plan.ours, outcome.merged),
        // A merge that was written had no conflict left: these are the ones the resolutions settled.
        conflicts: outcome.resolved.map(({ choice, ...conflict }) => ({ ...conflict, resolution: choice })),
      };
    } catch (error) {
      const retry = error instanceof VersionConflictError && (expectedVersion === undefined || expectedVersion === null);
      if (!retry || attempt >= COMMIT_RETRIES) throw error;
    }
  }
}

/** Everything a merge decision rests on, read from the streams. */
interface MergePlan {
  readonly targetId: string;
  readonly version: number;
  readonly source: AncestryNode;
  readonly base: AncestryNode;
  readonly alreadyMerged: boolean;
  readonly ours: unknown;
  readonly theirs: unknown;
  readonly baseContent: unknown;
}

const reportOf = (plan: MergePlan): Omit<MergeReport, 'changes' | 'conflicts'> => ({
  targetId: plan.targetId,
  version: plan.version,
  source: recordedNode(plan.source),
  base: recordedNode(plan.base),
  alreadyMerged: plan.alreadyMerged,
});

const alreadyMergedReport = (plan: MergePlan): MergeReport => ({ ...reportOf(plan), changes: [], conflicts: [] });

type LoadedAny = LoadedComponent<ComponentStateOf<unknown>, DomainEvent>;
type AnyComponentKind = ComponentKind<ComponentStateOf<unknown>, DomainEvent>;

async function planMerge(services: MergeServices, accountId: string, kind: MergeKind, request: MergeRequest): Promise<MergePlan> {
  const componentKind = kind.command as unknown as AnyComponentKind;
  const kindName = kind.command.kind;
  const { targetId } = request;
  const sourceId = request.source.id;
  checkId(kind.command, targetId);
  checkId(kind.command, sourceId);
  const sourceRevision = request.source.revision ?? 0;
  assertRevisionNumber(sourceRevision, 'source.revision');

  const world = new StreamAncestry(services, componentKind, accountId);
  const target = await world.read(targetId);
  // The same refusals as every edit, before any ancestry is read: NOT_FOUND, deleted, READ_ONLY.
  const head = editableComponent(kindName, target.state, { accountId, revision: 0 });

  const loadedSource = sourceId === targetId ? target : await world.read(sourceId);
  const sourceState = loadedSource.state;
  if (sourceState.status === 'empty' || sourceState.accountId !== accountId) throw noSuch(kind.command);
  if (sourceState.status === 'deleted') throw new DomainError(ErrorCode.NOT_FOUND, `${kindName} '${sourceId}' was deleted`);
  let source: AncestryNode;
  let theirs: unknown;
  if (sourceRevision === 0) {
    source = { id: sourceId, revision: 0, version: Number(loadedSource.version) };
    theirs = sourceState.head;
  } else {
    const atRevision = foldToRevision(componentKind.decider, loadedSource.events, sourceRevision);
    if (atRevision?.status !== 'active') throw unknownRevision(kindName, sourceId, sourceRevision, sourceState.latestRevision);
    source = { id: sourceId, revision: sourceRevision };
    theirs = atRevision.head;
  }

  const targetNode: AncestryNode = { id: targetId, revision: 0, version: Number(target.version) };
  const found = await world.commonAncestor(targetNode, source);
  if (!found) {
    throw new DomainError(
      ErrorCode.NO_COMMON_ANCESTOR,
      `${kindName} '${targetId}' and ${describeNode(source)} share no ancestor: neither was cloned, imported or merged from the other or from a common revision; nothing to merge against`,
      { targetId, source: recordedNode(source) },
    );
  }
  return {
    targetId,
    version: Number(target.version),
    source,
    base: found.base,
    alreadyMerged: found.alreadyMerged,
    ours: head.head,
    theirs,
    baseContent: found.alreadyMerged ? theirs : world.contentOf(found.base),
  };
}

/**
 * The ancestry as the account's streams tell it: components are read from their own streams as the
 * walk reaches them (only after checking that the account holds them), import lineages from the
 * read models.
 */
class StreamAncestry implements AncestryWorld {
  private readonly loaded = new Map<string, { component: AncestryComponent | null; stream: LoadedAny | undefined }>();
  private readonly imports = new Map<string, readonly ImportedRevision[]>();

  constructor(
    private readonly services: MergeServices,
    private readonly kind: AnyComponentKind,
    readonly accountId: string,
  ) {}

  component(id: string): AncestryComponent | null | undefined {
    return this.loaded.get(id)?.component;
  }

  importsOf(lineage: string): readonly ImportedRevision[] | undefined {
    return this.imports.get(lineage);
  }

  /** Reads a component's whole stream (whoever holds it: the caller checks). */
  async read(id: string): Promise<LoadedAny> {
    const stream = await loadComponent(this.services.store, this.kind, id);
    this.loaded.set(id, { component: ancestryOf(id, stream, this.accountId), stream });
    return stream;
  }

  async commonAncestor(target: AncestryNode, source: AncestryNode): Promise<{ base: AncestryNode; alreadyMerged: boolean } | undefined> {
    for (;;) {
      const result = commonAncestor(this, target, source);
      if (result.status === 'found') return result;
      if (result.status === 'none') return undefined;
      if (this.loaded.size + result.componentIds.length > MAX_ANCESTRY_COMPONENTS) {
        throw new DomainError(
          ErrorCode.QUERY_TOO_COMPLEX,
          `the ancestry of ${describeNode(target)} and ${describeNode(source)} reaches more than ${MAX_ANCESTRY_COMPONENTS} components: too many to look for a common ancestor`,
        );
      }
      await Promise.all(result.componentIds.map((id) => this.readIfHeld(id)));
      if (result.lineages.length > 0) this.readImports(result.lineages);
    }
  }

  /** The content of a node the walk reached (so its stream was read and the account holds it). */
  contentOf(node: AncestryNode): unknown {
    const stream = this.loaded.get(node.id)?.stream;
    if (!stream) throw new Error(`ancestry node ${describeNode(node)} was never read`);
    const events = node.revision === 0 ? stream.events.slice(0, (node.version ?? -1) + 1) : stream.events;
    // A base can be a revision of a component deleted since: its committed revisions stay readable.
    const state = foldToRevision(this.kind.decider, events, node.revision);
    if (state?.status !== 'active') throw new Error(`ancestry node ${describeNode(node)} has no content`);
    return state.head;
  }

  /**
   * The account's imports of these published lineages, deleted ones too (their revision 1 is still a
   * base), from the read models: every import was waited for when it was made.
   */
  private readImports(lineages: readonly string[]): void {
    for (const lineage of lineages) this.imports.set(lineage, []);
    for (const copy of this.services.queries.imports.localCopiesOfLineages(this.accountId, lineages)) {
      if (copy.kind !== this.kind.kind) continue;
      const known = this.imports.get(copy.origin.lineage) ?? [];
      this.imports.set(copy.origin.lineage, [...known, { componentId: copy.id, originRevision: copy.origin.revision }]);
    }
  }

  /** Another account's component is never read past its first event: it is not a node. */
  private async readIfHeld(id: string): Promise<void> {
    if ((await componentOwner(this.services.store, this.kind, id)) !== this.accountId) {
      this.loaded.set(id, { component: null, stream: undefined });
      return;
    }
    await this.read(id);
  }
}

/** What ancestry needs of a component: its origin, its commits and merges, where each event stands in the log. */
function ancestryOf(id: string, stream: LoadedAny, accountId: string): AncestryComponent | null {
  const { state } = stream;
  if (state.status === 'empty' || state.accountId !== accountId) return null;
  const steps: AncestryStep[] = [];
  let latest = 0;
  // Every kind commits with `RevisionCommitted` (an import's revision 1 too) and merges with `MergeApplied`.
  stream.events.forEach((event, version) => {
    if (event.type === 'MergeApplied') {
      const data = event.data as MergeAppliedData;
      steps.push({ type: 'merge', source: data.source, version });
    }
    const revision = revisionCommittedBy(event);
    if (revision !== undefined && revision > latest) {
      latest = revision;
      steps.push({ type: 'commit', revision, version });
    }
  });
  return {
    id,
    clonedFrom: state.clonedFrom,
    origin: state.origin,
    eventOrder: stream.recorded.map((recorded: RecordedEvent) => recorded.position),
    steps,
  };
}
