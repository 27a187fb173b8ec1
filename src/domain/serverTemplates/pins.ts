import { HEAD_REVISION } from '../versionControl/revisions';
import { SEQUENCES, type CommittedDependency, type Sequence, type ServerTemplateContent } from './serverTemplate.types';

/*
 * HEAD pins (domain.md, "Version control"): a committed template must never float on a HEAD, so a
 * commit either refuses the HEAD pins it finds or freezes them at the revisions the application
 * committed (or found committed) for those components.
 */

/** A component the template pins at HEAD; `sequences` says where a RightScript is bound so. */
export interface HeadPin {
  readonly kind: CommittedDependency['kind'];
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

const dependencyKey = (kind: CommittedDependency['kind'], id: string): string => `${kind}:${id}`;

/**
 * The revision `resolved` names for each HEAD pin. A HEAD pin without one, or resolved to HEAD again,
 * is a bug in the caller (it resolves every HEAD pin before committing), so it is a plain Error.
 */
export function resolvedRevisions(content: ServerTemplateContent, resolved: readonly CommittedDependency[]): Map<string, number> {
  const given = new Map<string, number>();
  for (const dependency of resolved) {
    const key = dependencyKey(dependency.kind, dependency.id);
    if (!given.has(key)) given.set(key, dependency.revision);
  }
  const revisions = new Map<string, number>();
  for (const pin of headPins(content)) {
    const key = dependencyKey(pin.kind, pin.id);
    const revision = given.get(key);
    if (revision === undefined || !Number.isSafeInteger(revision) || revision < 1) {
      throw new Error(
        `HEAD-pinned ${pin.kind} '${pin.id}' needs a committed revision in resolved, got ${revision === undefined ? 'none' : String(revision)}`,
      );
    }
    revisions.set(key, revision);
  }
  return revisions;
}

/** The revision a pin gets once HEAD pins are resolved: committed pins stay as they are. */
export function resolvedRevision(
  revisions: ReadonlyMap<string, number>,
  kind: CommittedDependency['kind'],
  id: string,
  revision: number,
): number {
  return revision === HEAD_REVISION ? (revisions.get(dependencyKey(kind, id)) ?? revision) : revision;
}

/** The committed dependencies `resolved` gives for `content`'s HEAD pins, in `headPins` order. */
export function committedDependencies(content: ServerTemplateContent, resolved: readonly CommittedDependency[]): CommittedDependency[] {
  const revisions = resolvedRevisions(content, resolved);
  return headPins(content).map((pin) => ({ kind: pin.kind, id: pin.id, revision: resolvedRevision(revisions, pin.kind, pin.id, 0) }));
}

/** The content a commit freezes: `content` with every HEAD pin replaced by its resolved revision. */
export function resolveHeadPins(content: ServerTemplateContent, resolved: readonly CommittedDependency[]): ServerTemplateContent {
  const revisions = resolvedRevisions(content, resolved);
  const rightScripts = {} as Record<Sequence, ServerTemplateContent['rightScripts'][Sequence]>;
  for (const sequence of SEQUENCES) {
    rightScripts[sequence] = content.rightScripts[sequence].map((binding) => ({
      ...binding,
      revision: resolvedRevision(revisions, 'RightScript', binding.rightScriptId, binding.revision),
    }));
  }
  return {
    ...content,
    multiCloudImages: content.multiCloudImages.map((mci) => ({
      ...mci,
      revision: resolvedRevision(revisions, 'MultiCloudImage', mci.multiCloudImageId, mci.revision),
    })),
    rightScripts,
  };
}
