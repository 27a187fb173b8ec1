import { HEAD_REVISION } from '../versionControl/revisions';
import { SEQUENCES, type CommittedDependency, type PinnedKind, type Sequence, type ServerTemplateContent } from './serverTemplate.types';

/*
 * What a template's content pins. HEAD pins (domain.md, "Version control"): a committed template must
 * never float on a HEAD, so a commit either refuses the HEAD pins it finds or freezes them at the
 * revisions the application committed (or found committed) for those components. All pins, listed
 * one per place (`contentPins`): the shape the pins read model stores and the API lists.
 */

/** A component the template pins at HEAD; `sequences` says where a RightScript is bound so. */
export interface HeadPin {
  readonly kind: PinnedKind;
  readonly id: string;
  readonly sequences?: readonly Sequence[];
}

/**
 * Every component `content` pins at HEAD (revision 0), once each: MCIs in attachment order, then
 * RightScripts in the order BOOT, OPERATIONAL, DECOMMISSION first meets them.
 */
export function headPins(content: ServerTemplateContent): HeadPin[] {
  const pins: HeadPin[] = content.multiCloudImages
    .filter((mci) => mci.revision === HEAD_REVISION)
    .map((mci) => ({ kind: 'MultiCloudImage', id: mci.multiCloudImageId }));
  const scripts = new Map<string, Sequence[]>();
  for (const sequence of SEQUENCES) {
    for (const binding of content.rightScripts[sequence]) {
      if (binding.revision !== HEAD_REVISION) continue;
      const sequences = scripts.get(binding.rightScriptId) ?? [];
      if (!sequences.includes(sequence)) sequences.push(sequence);
      scripts.set(binding.rightScriptId, sequences);
    }
  }
  for (const [id, sequences] of scripts) pins.push({ kind: 'RightScript', id, sequences });
  return pins;
}

/** "MultiCloudImage 'x' and RightScript 'y' (BOOT, OPERATIONAL)": HEAD pins as a refusal names them. */
export function describeHeadPins(pins: readonly HeadPin[]): string {
  const named = pins.map((pin) => `${pin.kind} '${pin.id}'${pin.sequences ? ` (${pin.sequences.join(', ')})` : ''}`);
  if (named.length <= 1) return named.join('');
  return `${named.slice(0, -1).join(', ')} and ${named[named.length - 1] ?? ''}`;
}

const dependencyKey = (kind: PinnedKind, id: string): string => `${kind}:${id}`;

/**
 * For each HEAD pin of `content`, in `headPins` order and keyed `kind:id`, the committed revision
 * `resolved` names for it. A HEAD pin without one, or resolved to HEAD again, is a bug in the caller
 * (it resolves every HEAD pin before committing), so it is a plain Error.
 */
export function resolvedDependencies(
  content: ServerTemplateContent,
  resolved: readonly CommittedDependency[],
): ReadonlyMap<string, CommittedDependency> {
  const given = new Map<string, number>();
  for (const dependency of resolved) {
    const key = dependencyKey(dependency.kind, dependency.id);
    if (!given.has(key)) given.set(key, dependency.revision);
  }
  const dependencies = new Map<string, CommittedDependency>();
  for (const pin of headPins(content)) {
    const key = dependencyKey(pin.kind, pin.id);
    const revision = given.get(key);
    if (revision === undefined || !Number.isSafeInteger(revision) || revision < 1) {
      throw new Error(
        `HEAD-pinned ${pin.kind} '${pin.id}' needs a committed revision in resolved, got ${revision === undefined ? 'none' : String(revision)}`,
      );
    }
    dependencies.set(key, { kind: pin.kind, id: pin.id, revision });
  }
  return dependencies;
}

/** `content` with every HEAD pin at the revision `dependencies` (from `resolvedDependencies`) gives it; committed pins stay. */
export function pinnedAt(content: ServerTemplateContent, dependencies: ReadonlyMap<string, CommittedDependency>): ServerTemplateContent {
  const at = (kind: PinnedKind, id: string, revision: number): number =>
    revision === HEAD_REVISION ? (dependencies.get(dependencyKey(kind, id))?.revision ?? revision) : revision;
  const rightScripts = {} as Record<Sequence, ServerTemplateContent['rightScripts'][Sequence]>;
  for (const sequence of SEQUENCES) {
    rightScripts[sequence] = content.rightScripts[sequence].map((binding) => ({
      ...binding,
      revision: at('RightScript', binding.rightScriptId, binding.revision),
    }));
  }
  return {
    ...content,
    multiCloudImages: content.multiCloudImages.map((mci) => ({
      ...mci,
      revision: at('MultiCloudImage', mci.multiCloudImageId, mci.revision),
    })),
    rightScripts,
  };
}

/** The content a commit freezes: `content` with every HEAD pin replaced by its resolved revision. */
export function resolveHeadPins(content: ServerTemplateContent, resolved: readonly CommittedDependency[]): ServerTemplateContent {
  return pinnedAt(content, resolvedDependencies(content, resolved));
}

/** One attached MCI or bound RightScript of a template's content. */
export interface ContentPin {
  readonly kind: PinnedKind;
  readonly componentId: string;
  /** The pinned revision of the component; 0: its HEAD. */
  readonly componentRevision: number;
  /** RightScripts only. */
  readonly sequence: Sequence | null;
  /** 1-based: in the list of MCIs, or in the RightScript's sequence. */
  readonly position: number;
  readonly isDefault: boolean;
}

/** Everything `content` pins: MCIs in list order, then RightScripts by sequence (BOOT, OPERATIONAL, DECOMMISSION) and position. */
export function contentPins(content: ServerTemplateContent): ContentPin[] {
  return [
    ...content.multiCloudImages.map((mci, index) => ({
      kind: 'MultiCloudImage' as const,
      componentId: mci.multiCloudImageId,
      componentRevision: mci.revision,
      sequence: null,
      position: index + 1,
      isDefault: mci.multiCloudImageId === content.defaultMultiCloudImageId,
    })),
    ...SEQUENCES.flatMap((sequence) =>
      content.rightScripts[sequence].map((binding, index) => ({
        kind: 'RightScript' as const,
        componentId: binding.rightScriptId,
        componentRevision: binding.revision,
        sequence,
        position: index + 1,
        isDefault: false,
      })),
    ),
  ];
}
