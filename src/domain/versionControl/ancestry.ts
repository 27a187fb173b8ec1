import { DomainError, ErrorCode } from '../errors';
import type { RevisionRef } from './merge';
import type { ClonedFrom, ImportOrigin } from './versioned';

/*
 * The ancestry of components (domain.md, "Merge"): which revisions a revision descends from, and the
 * common ancestor a three-way merge compares against. Pure: the application reads the streams and
 * hands over what it read (an `AncestryWorld`); a walk that reaches a component or an import lineage
 * not read yet says so (`incomplete`), the application reads those and asks again.
 *
 * Nodes are the states a merge can compare: HEAD as it stood after each event of a stream (id, 0,
 * version), named by its revision (id, n) when that event committed it. Append-only streams make every
 * one immutable, so a HEAD that was cloned or merged from can still serve as a base later. Edges,
 * child → parent:
 *
 * - the state after event v → the state after event v − 1 of the same stream (so revision n descends
 *   from revision n − 1, and a HEAD from its last revision, through the edits between);
 * - the state after a stream's first event → where the component came from: the clone source
 *   (`clonedFrom`; a cloned HEAD is that HEAD as it stood when the clone was made), or for an import
 *   the account's import of the next lower revision of the same published lineage (imports of one
 *   lineage are linear; two imports of the same published revision: the one with the smaller id is
 *   the other's parent), plus the publisher's revision itself when the publisher is this account;
 * - the state after a `MergeApplied` → the source it merged (so a revision, or HEAD, descends from
 *   every source merged since the previous commit).
 *
 * Only components the viewer's account holds (its own, its imports) are nodes: another account's
 * revisions are never walked into, so they can never be a base.
 */

/** Where an event stands in the global log, comparable across streams (the store's log position). */
export interface LogOrder {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export function compareLogOrder(a: LogOrder, b: LogOrder): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * A node: a committed revision (`revision` ≥ 1, no `version`), or HEAD (`revision` 0) as it stood after
 * the event at stream version `version` (0-based). What `MergeApplied` records as its source and base.
 */
export interface AncestryNode extends RevisionRef {
  readonly version?: number;
}

/** A commit or a merge in a component's stream, at the stream version of its event. */
export type AncestryStep =
  | { readonly type: 'commit'; readonly revision: number; readonly version: number }
  /** A merge's source; revision 0 without a version (HEAD at an unrecorded moment): HEAD as it stood at the merge. */
  | { readonly type: 'merge'; readonly source: AncestryNode; readonly version: number };

/** What ancestry needs of one component the viewer's account holds, read from its stream. */
export interface AncestryComponent {
  readonly id: string;
  readonly clonedFrom: ClonedFrom | null;
  readonly origin: ImportOrigin | null;
  /** The log order of every event of its stream, by stream version: where a HEAD stood at a given moment. */
  readonly eventOrder: readonly LogOrder[];
  /** Its commits and merges, in stream order. */
  readonly steps: readonly AncestryStep[];
}

/** One of the account's imports of a published lineage: the local component and the published revision it copies. */
export interface ImportedRevision {
  readonly componentId: string;
  readonly originRevision: number;
}

/** What the application has read so far. */
export interface AncestryWorld {
  /** The viewer's account: an import's origin is a node only when this account published it. */
  readonly accountId: string;
  /** The component; `null` when the account holds no such component, `undefined` when it was not read yet. */
  component(id: string): AncestryComponent | null | undefined;
  /** The account's imports of a published lineage; `undefined` when not looked up yet. */
  importsOf(lineage: string): readonly ImportedRevision[] | undefined;
}

export type CommonAncestor =
  /** Read these components and import lineages, then ask again. */
  | { readonly status: 'incomplete'; readonly componentIds: readonly string[]; readonly lineages: readonly string[] }
  /**
   * `base` is the nearest common ancestor. `alreadyMerged`: the source is the target itself or one of
   * its ancestors (the base is the source): there is nothing to merge.
   */
  | { readonly status: 'found'; readonly base: AncestryNode; readonly alreadyMerged: boolean }
  | { readonly status: 'none' };

/** A walk never visits more nodes than this (a guard against pathological histories, far above real ones). */
export const MAX_ANCESTRY_NODES = 100_000;

export const nodeKey = (node: AncestryNode): string =>
  node.revision === 0 ? `${node.id}@head:${String(node.version)}` : `${node.id}@${node.revision}`;

/** How a node reads in messages: `'id' revision 3`, `'id' HEAD (version 7)`. */
export function describeNode(node: AncestryNode): string {
  return node.revision === 0
    ? `'${node.id}' HEAD${node.version === undefined ? '' : ` (as of version ${node.version})`}`
    : `'${node.id}' revision ${node.revision}`;
}

interface Visited {
  readonly node: AncestryNode;
  readonly distance: number;
  /** Canonical keys of its parents that the account holds. */
  readonly parents: readonly string[];
  /** When it came to be: the log order of the event that made it (tie-break: newer wins). */
  readonly order: LogOrder | undefined;
}

interface Walk {
  readonly visited: Map<string, Visited>;
  readonly missingComponents: Set<string>;
  readonly missingLineages: Set<string>;
}

/**
 * The nearest common ancestor of the target's HEAD (`target`, with its current stream version) and a
 * source revision. Nearest: among the common ancestors that are not an ancestor of another common
 * ancestor (the lowest ones; there are several only after criss-cross merges), the one with the fewest
 * edges to the target plus to the source (an edge per event of a stream, and per clone, import or
 * merge); ties go to the newer one (its event later in the log), then to the smaller key, so the
 * answer never depends on the order things were read in.
 */
export function commonAncestor(world: AncestryWorld, target: AncestryNode, source: AncestryNode): CommonAncestor {
  const fromTarget = walk(world, target);
  const fromSource = walk(world, source);
  const componentIds = [...new Set([...fromTarget.missingComponents, ...fromSource.missingComponents])].sort();
  const lineages = [...new Set([...fromTarget.missingLineages, ...fromSource.missingLineages])].sort();
  if (componentIds.length > 0 || lineages.length > 0) return { status: 'incomplete', componentIds, lineages };

  const common = [...fromTarget.visited.keys()].filter((key) => fromSource.visited.has(key));
  if (common.length === 0) return { status: 'none' };

  // A common ancestor of another common ancestor is further from both: only the lowest ones compete.
  const dominated = new Set<string>();
  const queue = common.flatMap((key) => fromTarget.visited.get(key)?.parents ?? []);
  while (queue.length > 0) {
    const key = queue.pop() as string;
    if (dominated.has(key)) continue;
    dominated.add(key);
    queue.push(...(fromTarget.visited.get(key)?.parents ?? []));
  }
  const score = (key: string): { distance: number; order: LogOrder | undefined } => {
    const t = fromTarget.visited.get(key) as Visited;
    const s = fromSource.visited.get(key) as Visited;
    return { distance: t.distance + s.distance, order: t.order };
  };
  const [best] = common
    .filter((key) => !dominated.has(key))
    .sort((a, b) => {
      const x = score(a);
      const y = score(b);
      if (x.distance !== y.distance) return x.distance - y.distance;
      if (x.order && y.order) {
        const newer = compareLogOrder(y.order, x.order);
        if (newer !== 0) return newer;
      }
      return a < b ? -1 : a > b ? 1 : 0;
    });
  if (best === undefined) return { status: 'none' };
  const base = (fromTarget.visited.get(best) as Visited).node;
  const sourceKey = [...fromSource.visited.values()].find((v) => v.distance === 0)?.node;
  return { status: 'found', base, alreadyMerged: sourceKey !== undefined && nodeKey(sourceKey) === best };
}

/** Every node `start` descends from (itself included), breadth first, with its distance. */
function walk(world: AncestryWorld, start: AncestryNode): Walk {
  const result: Walk = { visited: new Map(), missingComponents: new Set(), missingLineages: new Set() };
  /** Each node's parents as found, before they are named by their canonical keys. */
  const found = new Map<string, readonly AncestryNode[]>();
  const queue: Array<{ node: AncestryNode; distance: number }> = [{ node: start, distance: 0 }];
  for (let index = 0; index < queue.length; index++) {
    const next = queue[index] as { node: AncestryNode; distance: number };
    const component = world.component(next.node.id);
    if (component === undefined) {
      result.missingComponents.add(next.node.id);
      continue;
    }
    // Not the account's: never a node, never walked through.
    if (component === null) continue;
    const node = canonical(component, next.node);
    if (node === undefined) continue;
    const key = nodeKey(node);
    if (result.visited.has(key)) continue;
    if (result.visited.size >= MAX_ANCESTRY_NODES) {
      throw new DomainError(
        ErrorCode.QUERY_TOO_COMPLEX,
        `the ancestry of ${describeNode(start)} spans more than ${MAX_ANCESTRY_NODES} revisions: too many to look for a common ancestor`,
      );
    }
    const parents = parentsOf(world, component, node, result);
    found.set(key, parents);
    result.visited.set(key, { node, distance: next.distance, parents: [], order: orderOf(component, node) });
    // Breadth first: a node is first reached by its shortest path.
    for (const parent of parents) queue.push({ node: parent, distance: next.distance + 1 });
  }
  for (const [key, visited] of result.visited) {
    const parents = (found.get(key) ?? []).flatMap((parent) => {
      const component = world.component(parent.id);
      const resolved = component ? canonical(component, parent) : undefined;
      return resolved && result.visited.has(nodeKey(resolved)) ? [nodeKey(resolved)] : [];
    });
    result.visited.set(key, { ...visited, parents });
  }
  return result;
}

/**
 * One name per state: a HEAD that stood right at a commit is that revision; a HEAD recorded without its
 * version is not a node. `undefined` for a node the component doesn't have.
 */
function canonical(component: AncestryComponent, node: AncestryNode): AncestryNode | undefined {
  const { commits, commitAtVersion } = indexOf(component);
  if (node.revision !== 0) return commits.has(node.revision) ? { id: component.id, revision: node.revision } : undefined;
  const version = node.version;
  if (version === undefined || !Number.isSafeInteger(version) || version < 0 || version >= component.eventOrder.length) return undefined;
  const committedThere = commitAtVersion.get(version);
  if (committedThere !== undefined) return { id: component.id, revision: committedThere };
  return { id: component.id, revision: 0, version };
}

interface StepIndex {
  /** Revision → index of its commit in `steps`. */
  readonly commits: ReadonlyMap<number, number>;
  /** Stream version of a commit's event → the revision it made. */
  readonly commitAtVersion: ReadonlyMap<number, number>;
  /** Stream version of a `MergeApplied` → the source it merged. */
  readonly mergeAtVersion: ReadonlyMap<number, AncestryNode>;
}

// Components are immutable snapshots of what was read: their lookups are built once per component.
const indexes = new WeakMap<AncestryComponent, StepIndex>();

function indexOf(component: AncestryComponent): StepIndex {
  let index = indexes.get(component);
  if (!index) {
    const commits = new Map<number, number>();
    const commitAtVersion = new Map<number, number>();
    const mergeAtVersion = new Map<number, AncestryNode>();
    component.steps.forEach((step, i) => {
      if (step.type === 'merge') {
        mergeAtVersion.set(step.version, step.source);
        return;
      }
      commits.set(step.revision, i);
      commitAtVersion.set(step.version, step.revision);
    });
    index = { commits, commitAtVersion, mergeAtVersion };
    indexes.set(component, index);
  }
  return index;
}

function orderOf(component: AncestryComponent, node: AncestryNode): LogOrder | undefined {
  const step = node.revision === 0 ? undefined : component.steps[indexOf(component).commits.get(node.revision) ?? -1];
  const version = node.revision === 0 ? node.version : step?.version;
  return version === undefined ? undefined : component.eventOrder[version];
}

/** The nodes `node` directly descends from (possibly of components not read yet: the walk asks for them). */
function parentsOf(world: AncestryWorld, component: AncestryComponent, node: AncestryNode, walk: Walk): AncestryNode[] {
  const index = indexOf(component);
  const version = node.revision === 0 ? (node.version as number) : (component.steps[index.commits.get(node.revision) ?? -1]?.version ?? 0);
  // The state before this event, or for the first event where the component came from.
  const parents: AncestryNode[] =
    version > 0 ? [{ id: component.id, revision: 0, version: version - 1 }] : originOf(world, component, walk);
  const merged = index.mergeAtVersion.get(version);
  if (merged === undefined) return parents;
  if (merged.revision === 0 && merged.version === undefined) {
    const at = component.eventOrder[version];
    const resolved = at && headAt(world, merged.id, at, walk);
    if (resolved) parents.push(resolved);
  } else parents.push(merged);
  return parents;
}

/** Where a component came from: its clone source, or for an import the previous import of its published lineage. */
function originOf(world: AncestryWorld, component: AncestryComponent, walk: Walk): AncestryNode[] {
  const { clonedFrom, origin } = component;
  if (clonedFrom) {
    if (clonedFrom.revision !== 0) return [{ id: clonedFrom.id, revision: clonedFrom.revision }];
    // A cloned HEAD: the source's HEAD as it stood when the clone's first event was written.
    const at = component.eventOrder[0];
    const resolved = at && headAt(world, clonedFrom.id, at, walk);
    return resolved ? [resolved] : [];
  }
  if (!origin) return [];
  const parents: AncestryNode[] = [];
  // The account's own publication: the revision it published is a node of its own.
  if (origin.publisherAccountId === world.accountId) parents.push({ id: origin.componentId, revision: origin.revision });
  const imports = world.importsOf(origin.lineage);
  if (imports === undefined) {
    walk.missingLineages.add(origin.lineage);
    return parents;
  }
  const canonicalImport = (revision: number): string | undefined =>
    imports
      .filter((imported) => imported.originRevision === revision)
      .map((imported) => imported.componentId)
      .sort()[0];
  const same = canonicalImport(origin.revision);
  if (same !== undefined && same < component.id) {
    // Another import of the very same published revision: the one with the smaller id stands for both.
    parents.push({ id: same, revision: 1 });
    return parents;
  }
  const lower = Math.max(...imports.map((imported) => imported.originRevision).filter((revision) => revision < origin.revision));
  const previous = Number.isFinite(lower) ? canonicalImport(lower) : undefined;
  if (previous !== undefined) parents.push({ id: previous, revision: 1 });
  return parents;
}

/** The HEAD of `id` as it stood at a moment of the log: after its last event before `at`. */
function headAt(world: AncestryWorld, id: string, at: LogOrder, walk: Walk): AncestryNode | undefined {
  const component = world.component(id);
  if (component === undefined) {
    walk.missingComponents.add(id);
    return undefined;
  }
  if (component === null) return undefined;
  let version = -1;
  for (const order of component.eventOrder) {
    if (compareLogOrder(order, at) >= 0) break;
    version++;
  }
  return version < 0 ? undefined : { id, revision: 0, version };
}
