import {
  commonAncestor,
  type AncestryComponent,
  type AncestryNode,
  type AncestryStep,
  type AncestryWorld,
  type ImportedRevision,
  type LogOrder,
} from '../../src/domain/versionControl/ancestry';
import { DomainError } from '../../src/domain/errors';
import type { ClonedFrom, ImportOrigin } from '../../src/domain/versionControl/versioned';

/*
 * The ancestry walk over hand-made histories: a small log where every call appends one event, so
 * log order follows the order of the calls, as it does in the store.
 */

const ACCOUNT = 'acc-1';

interface FakeComponent {
  id: string;
  clonedFrom: ClonedFrom | null;
  origin: ImportOrigin | null;
  eventOrder: LogOrder[];
  steps: AncestryStep[];
  latest: number;
}

class FakeLog {
  private position = 0n;
  readonly components = new Map<string, FakeComponent>();

  private append(id: string): number {
    const component = this.get(id);
    this.position += 1n;
    component.eventOrder.push({ commit: this.position, prepare: this.position });
    return component.eventOrder.length - 1;
  }

  private get(id: string): FakeComponent {
    const component = this.components.get(id);
    if (!component) throw new Error(`no fake component ${id}`);
    return component;
  }

  create(id: string, from: { clonedFrom?: ClonedFrom; origin?: ImportOrigin } = {}): this {
    this.components.set(id, { id, clonedFrom: from.clonedFrom ?? null, origin: from.origin ?? null, eventOrder: [], steps: [], latest: 0 });
    this.append(id);
    return this;
  }

  /** An import: its creation and its revision 1 in one append, as the imports decider writes them. */
  imported(id: string, origin: Omit<ImportOrigin, 'publicationId' | 'publisherAccountId'> & { publisherAccountId?: string }): this {
    this.create(id, { origin: { publicationId: `pub-${id}`, publisherAccountId: 'publisher', ...origin } });
    return this.commit(id);
  }

  edit(id: string): this {
    this.append(id);
    return this;
  }

  commit(id: string): this {
    const component = this.get(id);
    component.latest += 1;
    component.steps.push({ type: 'commit', revision: component.latest, version: this.append(id) });
    return this;
  }

  merge(id: string, source: AncestryNode): this {
    this.get(id).steps.push({ type: 'merge', source, version: this.append(id) });
    return this;
  }

  /** HEAD as it stands now (its current stream version). */
  head(id: string): AncestryNode {
    return { id, revision: 0, version: this.get(id).eventOrder.length - 1 };
  }

  world(
    options: { imports?: Record<string, ImportedRevision[]>; foreign?: string[]; unread?: string[]; unreadLineages?: string[] } = {},
  ): AncestryWorld {
    const snapshot = new Map<string, AncestryComponent>();
    for (const [id, c] of this.components) {
      snapshot.set(id, { id, clonedFrom: c.clonedFrom, origin: c.origin, eventOrder: [...c.eventOrder], steps: [...c.steps] });
    }
    return {
      accountId: ACCOUNT,
      component: (id) => {
        if (options.unread?.includes(id)) return undefined;
        if (options.foreign?.includes(id)) return null;
        return snapshot.get(id) ?? null;
      },
      importsOf: (lineage) => (options.unreadLineages?.includes(lineage) ? undefined : (options.imports?.[lineage] ?? [])),
    };
  }
}

const rev = (id: string, revision: number): AncestryNode => ({ id, revision });

describe('ancestry: the common ancestor a merge compares against', () => {
  it('same component: a committed revision is an ancestor of HEAD, so there is nothing to merge', () => {
    const log = new FakeLog().create('A').edit('A').commit('A').edit('A').commit('A').commit('A').edit('A');
    expect(commonAncestor(log.world(), log.head('A'), rev('A', 2))).toEqual({ status: 'found', base: rev('A', 2), alreadyMerged: true });
    // HEAD merged into itself, too.
    expect(commonAncestor(log.world(), log.head('A'), log.head('A'))).toMatchObject({ alreadyMerged: true });
  });

  it('names a HEAD that stands right at a commit by that revision', () => {
    const log = new FakeLog().create('A').commit('A').edit('A').commit('A');
    expect(commonAncestor(log.world(), log.head('A'), rev('A', 1))).toEqual({ status: 'found', base: rev('A', 1), alreadyMerged: true });
    expect(commonAncestor(log.world(), rev('A', 2), log.head('A'))).toEqual({ status: 'found', base: rev('A', 2), alreadyMerged: true });
  });

  it('across a clone: the revision the clone was made from', () => {
    const log = new FakeLog().create('A').edit('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } }).edit('B');
    log.edit('A').commit('A');
    expect(commonAncestor(log.world(), log.head('B'), rev('A', 2))).toEqual({ status: 'found', base: rev('A', 1), alreadyMerged: false });
    // Committed clones still lead back to it, and so does the other direction.
    log.commit('B').edit('B').commit('B');
    expect(commonAncestor(log.world(), log.head('B'), rev('A', 2))).toMatchObject({ base: rev('A', 1) });
    expect(commonAncestor(log.world(), log.head('A'), rev('B', 2))).toMatchObject({ base: rev('A', 1), alreadyMerged: false });
  });

  it('a clone of a HEAD: that HEAD as it stood when the clone was made (its stream version then)', () => {
    const log = new FakeLog().create('A').edit('A').edit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 0 } }).edit('B');
    log.edit('A');
    expect(commonAncestor(log.world(), log.head('B'), log.head('A'))).toEqual({
      status: 'found',
      base: { id: 'A', revision: 0, version: 2 },
      alreadyMerged: false,
    });
  });

  it('a merge edge: after merging a revision in, the next merge of that lineage compares against it', () => {
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } }).edit('B');
    log.edit('A').commit('A');
    log.merge('B', rev('A', 2));
    // Merging it again: nothing to merge, also before the target commits.
    expect(commonAncestor(log.world(), log.head('B'), rev('A', 2))).toEqual({ status: 'found', base: rev('A', 2), alreadyMerged: true });
    log.commit('B');
    log.edit('A').commit('A');
    expect(commonAncestor(log.world(), log.head('B'), rev('A', 3))).toEqual({ status: 'found', base: rev('A', 2), alreadyMerged: false });
  });

  it('a merged HEAD is that HEAD at the version the merge recorded', () => {
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } });
    log.edit('A');
    const merged = log.head('A');
    log.merge('B', merged);
    log.edit('A');
    expect(commonAncestor(log.world(), log.head('B'), log.head('A'))).toEqual({ status: 'found', base: merged, alreadyMerged: false });
  });

  it('a merge recorded without the HEAD version it took: that HEAD as it stood at the merge', () => {
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } });
    log.edit('A');
    log.merge('B', { id: 'A', revision: 0 });
    log.edit('A');
    expect(commonAncestor(log.world(), log.head('B'), log.head('A'))).toEqual({
      status: 'found',
      base: { id: 'A', revision: 0, version: 2 },
      alreadyMerged: false,
    });
  });

  it('unrelated components have none', () => {
    const log = new FakeLog().create('A').commit('A').create('B').commit('B');
    expect(commonAncestor(log.world(), log.head('A'), rev('B', 1))).toEqual({ status: 'none' });
  });

  it('asks for what it has not read yet: components, then import lineages', () => {
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } });
    expect(commonAncestor(log.world({ unread: ['A'] }), log.head('B'), rev('A', 1))).toEqual({
      status: 'incomplete',
      componentIds: ['A'],
      lineages: [],
    });
    log.imported('I', { componentId: 'P', revision: 1, lineage: 'L' });
    expect(commonAncestor(log.world({ unreadLineages: ['L'] }), log.head('I'), rev('A', 1))).toEqual({
      status: 'incomplete',
      componentIds: [],
      lineages: ['L'],
    });
  });

  it('never walks into a component the account does not hold', () => {
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } });
    log.create('C', { clonedFrom: { id: 'A', revision: 1 } });
    expect(commonAncestor(log.world(), log.head('B'), log.head('C'))).toMatchObject({ base: rev('A', 1) });
    expect(commonAncestor(log.world({ foreign: ['A'] }), log.head('B'), log.head('C'))).toEqual({ status: 'none' });
  });

  it('relates imports of one published lineage: each descends from the import of the next lower revision', () => {
    const log = new FakeLog();
    log.imported('I1', { componentId: 'P', revision: 1, lineage: 'L' });
    log.create('K', { clonedFrom: { id: 'I1', revision: 1 } }).edit('K');
    log.imported('I3', { componentId: 'P', revision: 3, lineage: 'L' });
    const imports = {
      L: [
        { componentId: 'I1', originRevision: 1 },
        { componentId: 'I3', originRevision: 3 },
      ],
    };
    expect(commonAncestor(log.world({ imports }), log.head('K'), rev('I3', 1))).toEqual({
      status: 'found',
      base: rev('I1', 1),
      alreadyMerged: false,
    });
    // Imported in the other order (revision 2 after 3): the chain still follows the published revisions.
    log.imported('I2', { componentId: 'P', revision: 2, lineage: 'L' });
    const withTwo = { L: [...imports.L, { componentId: 'I2', originRevision: 2 }] };
    expect(commonAncestor(log.world({ imports: withTwo }), log.head('K'), rev('I3', 1))).toMatchObject({ base: rev('I1', 1) });
    expect(commonAncestor(log.world({ imports: withTwo }), rev('I2', 1), rev('I3', 1))).toMatchObject({
      base: rev('I2', 1),
      alreadyMerged: false,
    });
    // Another lineage's imports are not related.
    log.imported('J', { componentId: 'Q', revision: 1, lineage: 'M' });
    expect(
      commonAncestor(log.world({ imports: { ...withTwo, M: [{ componentId: 'J', originRevision: 1 }] } }), log.head('K'), rev('J', 1)),
    ).toEqual({
      status: 'none',
    });
  });

  it('two imports of the same published revision: the one with the smaller id stands for both', () => {
    const log = new FakeLog();
    log.imported('I-b', { componentId: 'P', revision: 1, lineage: 'L' });
    log.imported('I-a', { componentId: 'P', revision: 1, lineage: 'L' });
    const imports = {
      L: [
        { componentId: 'I-b', originRevision: 1 },
        { componentId: 'I-a', originRevision: 1 },
      ],
    };
    expect(commonAncestor(log.world({ imports }), log.head('I-b'), rev('I-a', 1))).toEqual({
      status: 'found',
      base: rev('I-a', 1),
      alreadyMerged: true,
    });
  });

  it("an import of the account's own publication descends from the revision it published", () => {
    const log = new FakeLog().create('P').commit('P');
    log.imported('I', { componentId: 'P', revision: 1, lineage: 'P', publisherAccountId: ACCOUNT });
    log.create('K', { clonedFrom: { id: 'I', revision: 1 } });
    log.edit('P').commit('P');
    expect(commonAncestor(log.world(), log.head('K'), rev('P', 2))).toMatchObject({ base: rev('P', 1), alreadyMerged: false });
    // Another publisher's revision is never a node: only the imports relate.
    log.imported('X', { componentId: 'R', revision: 1, lineage: 'R' });
    log.create('Y').commit('Y');
    expect(commonAncestor(log.world(), rev('X', 1), rev('Y', 1))).toEqual({ status: 'none' });
  });

  it('picks the lowest common ancestor: an ancestor of another common ancestor never wins', () => {
    const log = new FakeLog().create('A').commit('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 2 } }).commit('B');
    log.commit('A');
    expect(commonAncestor(log.world(), log.head('B'), rev('A', 3))).toMatchObject({ base: rev('A', 2) });
  });

  it('criss-cross: two lowest common ancestors at equal distance, the newer one wins', () => {
    const build = (aFirst: boolean): FakeLog => {
      const log = new FakeLog().create('A').commit('A');
      log.create('B', { clonedFrom: { id: 'A', revision: 1 } });
      if (aFirst) log.edit('A').commit('A').edit('B').commit('B');
      else log.edit('B').commit('B').edit('A').commit('A');
      log.merge('B', rev('A', 2)).merge('A', rev('B', 1));
      log.commit('A').commit('B');
      return log;
    };
    const bNewer = build(true);
    expect(commonAncestor(bNewer.world(), bNewer.head('A'), rev('B', 2))).toMatchObject({ base: rev('B', 1) });
    const aNewer = build(false);
    expect(commonAncestor(aNewer.world(), aNewer.head('A'), rev('B', 2))).toMatchObject({ base: rev('A', 2) });
  });

  it('the nearest lowest common ancestor by edges to both sides wins over a newer one further away', () => {
    // B@1 and A@2 are both lowest common ancestors of A's HEAD and C@1; C is one edge from A@2 but two from B@1.
    const log = new FakeLog().create('A').commit('A');
    log.create('B', { clonedFrom: { id: 'A', revision: 1 } }).edit('B');
    log.edit('A').commit('A');
    log.create('C', { clonedFrom: { id: 'A', revision: 2 } });
    log.commit('B');
    log.merge('A', rev('B', 1)).commit('A');
    log.create('D', { clonedFrom: { id: 'B', revision: 1 } }).commit('D');
    log.merge('C', rev('D', 1)).commit('C');
    const found = commonAncestor(log.world(), log.head('A'), rev('C', 1));
    expect(found).toMatchObject({ status: 'found', base: rev('A', 2) });
  });

  it('refuses a history past its bound with QUERY_TOO_COMPLEX', () => {
    const log = new FakeLog().create('A');
    for (let i = 0; i < 100_001; i++) log.commit('A');
    log.create('B').commit('B');
    let error: unknown;
    try {
      commonAncestor(log.world(), log.head('A'), rev('B', 1));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('QUERY_TOO_COMPLEX');
  });
});
