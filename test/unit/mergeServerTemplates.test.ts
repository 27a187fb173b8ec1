import { fold } from '../../src/domain/decider';
import { ErrorCode } from '../../src/domain/errors';
import { mergeServerTemplates, serverTemplateMergeEvents } from '../../src/domain/serverTemplates/merge';
import { MAX_TEMPLATE_MULTI_CLOUD_IMAGES, serverTemplateDecider } from '../../src/domain/serverTemplates/serverTemplate';
import {
  SEQUENCES,
  type RightScriptBinding,
  type Sequence,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type ServerTemplateState,
  type TemplateMultiCloudImage,
} from '../../src/domain/serverTemplates/serverTemplate.types';
import { domainErrorOf } from '../support/domainErrors';

/** `mci-a@2`: MCI mci-a pinned at revision 2 (revision 1 when omitted). */
const mcis = (...specs: string[]): TemplateMultiCloudImage[] =>
  specs.map((spec) => {
    const [id = '', revision = '1'] = spec.split('@');
    return { multiCloudImageId: id, revision: Number(revision), lineage: id };
  });
/** `rs-1@2`: RightScript rs-1 pinned at revision 2 (revision 1 when omitted). */
const bindings = (...specs: string[]): RightScriptBinding[] =>
  specs.map((spec) => {
    const [id = '', revision = '1'] = spec.split('@');
    return { rightScriptId: id, revision: Number(revision), lineage: id };
  });
const template = (
  attached: string[],
  defaultId: string,
  rightScripts: Partial<Record<Sequence, readonly RightScriptBinding[]>> = {},
  name = 'PHP FrontEnd v7',
): ServerTemplateContent => ({
  name,
  description: 'web',
  multiCloudImages: mcis(...attached),
  defaultMultiCloudImageId: defaultId,
  rightScripts: { BOOT: [], OPERATIONAL: [], DECOMMISSION: [], ...rightScripts },
});

/** What no template may ever be, not even between two events of one merge. */
function expectValid(content: ServerTemplateContent): void {
  const ids = content.multiCloudImages.map((mci) => mci.multiCloudImageId);
  expect(ids.length).toBeGreaterThan(0);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toContain(content.defaultMultiCloudImageId);
  for (const sequence of SEQUENCES) {
    const scripts = content.rightScripts[sequence].map((binding) => binding.rightScriptId);
    expect(new Set(scripts).size).toBe(scripts.length);
  }
}

/** The HEAD `merged` would become: `ours` as a cloned HEAD, then the merge's events folded in one by one, each state checked. */
function foldMergeEvents(ours: ServerTemplateContent, events: readonly ServerTemplateEvent[]): ServerTemplateContent {
  let state: ServerTemplateState = fold(serverTemplateDecider, [
    {
      type: 'ComponentCloned',
      data: {
        kind: 'ServerTemplate',
        componentId: 'st-1',
        accountId: 'acct-1',
        lineage: 'st-1',
        clonedFrom: { id: 'st-0', revision: 1 },
        content: ours,
      },
    },
  ]);
  for (const event of events) {
    state = serverTemplateDecider.evolve(state, event);
    if (state.status !== 'active') throw new Error(`expected an active template, got ${state.status}`);
    expectValid(state.head);
  }
  if (state.status !== 'active') throw new Error(`expected an active template, got ${state.status}`);
  return state.head;
}

describe('ServerTemplate merge', () => {
  const base = template(['mci-a', 'mci-b'], 'mci-a', { BOOT: bindings('rs-1', 'rs-2'), OPERATIONAL: bindings('rs-3') });

  it('applies a change made on one side only, from either side', () => {
    const changed = {
      ...template(
        ['mci-a@2', 'mci-c'],
        'mci-c',
        { BOOT: bindings('rs-2', 'rs-1', 'rs-4'), OPERATIONAL: bindings('rs-3') },
        'PHP FrontEnd v8',
      ),
      description: 'php',
    };
    expect(mergeServerTemplates(base, changed, base, [])).toEqual({ merged: changed, conflicts: [], resolved: [] });
    expect(mergeServerTemplates(base, base, changed, [])).toEqual({ merged: changed, conflicts: [], resolved: [] });
  });

  it('merges per attached MCI and per sequence: changes of both sides to different units all apply', () => {
    const ours = template(['mci-a@2', 'mci-b', 'mci-c'], 'mci-a', {
      BOOT: bindings('rs-1', 'rs-2', 'rs-5'),
      OPERATIONAL: bindings('rs-3'),
    });
    const theirs = template(
      ['mci-a', 'mci-d'],
      'mci-d',
      { BOOT: bindings('rs-1', 'rs-2'), OPERATIONAL: [], DECOMMISSION: bindings('rs-9') },
      'v8',
    );
    expect(mergeServerTemplates(base, ours, theirs, [])).toEqual({
      // Ours' order for the MCIs ours has, then the ones only theirs attached.
      merged: template(
        ['mci-a@2', 'mci-c', 'mci-d'],
        'mci-d',
        { BOOT: bindings('rs-1', 'rs-2', 'rs-5'), OPERATIONAL: [], DECOMMISSION: bindings('rs-9') },
        'v8',
      ),
      conflicts: [],
      resolved: [],
    });
  });

  it('keeps ours’ order of the attached MCIs, then theirs’ additions; theirs’ order when only theirs reordered', () => {
    const three = template(['mci-a', 'mci-b', 'mci-c'], 'mci-a', base.rightScripts);
    // Both only detach and attach: ours' order, theirs' additions after.
    expect(
      mergeServerTemplates(
        three,
        template(['mci-a', 'mci-c', 'mci-x'], 'mci-a', base.rightScripts),
        template(['mci-b', 'mci-c', 'mci-a', 'mci-y'], 'mci-a', base.rightScripts),
        [],
      ).merged.multiCloudImages,
    ).toEqual(
      // Theirs moved mci-a after mci-c (detach and attach again): only theirs reordered, so theirs' order leads.
      mcis('mci-c', 'mci-a', 'mci-y', 'mci-x'),
    );
    expect(
      mergeServerTemplates(
        three,
        template(['mci-a', 'mci-c', 'mci-x'], 'mci-a', base.rightScripts),
        template(['mci-a', 'mci-b', 'mci-c', 'mci-y'], 'mci-a', base.rightScripts),
        [],
      ).merged.multiCloudImages,
    ).toEqual(mcis('mci-a', 'mci-c', 'mci-x', 'mci-y'));
    // Both reordered: ours' order.
    expect(
      mergeServerTemplates(
        three,
        template(['mci-c', 'mci-b', 'mci-a'], 'mci-a', base.rightScripts),
        template(['mci-b', 'mci-a', 'mci-c'], 'mci-a', base.rightScripts),
        [],
      ).merged.multiCloudImages,
    ).toEqual(mcis('mci-c', 'mci-b', 'mci-a'));
  });

  it('applies the same change made on both sides once', () => {
    const both = template(['mci-a@3', 'mci-c'], 'mci-c', { BOOT: bindings('rs-2') });
    expect(mergeServerTemplates(base, both, template(['mci-a@3', 'mci-c'], 'mci-c', { BOOT: bindings('rs-2') }), [])).toEqual({
      merged: both,
      conflicts: [],
      resolved: [],
    });
  });

  it('reports an MCI re-pinned differently, or re-pinned on one side and detached on the other, as a conflict at multiCloudImages.<id>', () => {
    const ours = template(['mci-a@2', 'mci-b@2'], 'mci-a');
    const theirs = template(['mci-a@3', 'mci-c'], 'mci-a');
    const outcome = mergeServerTemplates({ ...base, rightScripts: ours.rightScripts }, ours, theirs, []);
    expect(outcome.conflicts).toEqual([
      { path: 'multiCloudImages.mci-a', base: mcis('mci-a')[0], ours: mcis('mci-a@2')[0], theirs: mcis('mci-a@3')[0] },
      { path: 'multiCloudImages.mci-b', base: mcis('mci-b')[0], ours: mcis('mci-b@2')[0], theirs: null },
    ]);
    expect(outcome.merged).toEqual(template(['mci-a@2', 'mci-b@2', 'mci-c'], 'mci-a'));
    const settled = mergeServerTemplates({ ...base, rightScripts: ours.rightScripts }, ours, theirs, [
      { path: 'multiCloudImages.mci-a', choice: 'THEIRS' },
      { path: 'multiCloudImages.mci-b', choice: 'THEIRS' },
    ]);
    expect(settled.conflicts).toEqual([]);
    expect(settled.merged).toEqual(template(['mci-a@3', 'mci-c'], 'mci-a'));
  });

  it('reports the same MCI attached at different pins on both sides as a conflict', () =>
    expect(
      mergeServerTemplates(
        base,
        template(['mci-a', 'mci-b', 'mci-z@1'], 'mci-a', base.rightScripts),
        template(['mci-a', 'mci-b', 'mci-z@2'], 'mci-a', base.rightScripts),
        [],
      ).conflicts,
    ).toEqual([{ path: 'multiCloudImages.mci-z', base: null, ours: mcis('mci-z@1')[0], theirs: mcis('mci-z@2')[0] }]));

  it('reports a sequence changed differently on both sides as one conflict at rightScripts.<SEQUENCE> with the lists', () => {
    const ours = { ...base, rightScripts: { ...base.rightScripts, BOOT: bindings('rs-1', 'rs-2', 'rs-4') } };
    const theirs = { ...base, rightScripts: { ...base.rightScripts, BOOT: bindings('rs-2', 'rs-1') } };
    const outcome = mergeServerTemplates(base, ours, theirs, []);
    expect(outcome.conflicts).toEqual([
      {
        path: 'rightScripts.BOOT',
        base: bindings('rs-1', 'rs-2'),
        ours: bindings('rs-1', 'rs-2', 'rs-4'),
        theirs: bindings('rs-2', 'rs-1'),
      },
    ]);
    expect(outcome.merged).toEqual(ours);
    expect(mergeServerTemplates(base, ours, theirs, [{ path: 'rightScripts.BOOT', choice: 'THEIRS' }]).merged).toEqual(theirs);
  });

  it('reports the default changed differently on both sides as a conflict, settled with that side’s default', () => {
    const ours = template(['mci-a', 'mci-b'], 'mci-b', base.rightScripts);
    const theirs = template(['mci-a', 'mci-b', 'mci-c'], 'mci-c', base.rightScripts);
    const outcome = mergeServerTemplates(base, ours, theirs, []);
    expect(outcome.conflicts).toEqual([{ path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-b', theirs: 'mci-c' }]);
    expect(outcome.merged).toEqual(template(['mci-a', 'mci-b', 'mci-c'], 'mci-b', base.rightScripts));
    expect(mergeServerTemplates(base, ours, theirs, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]).merged).toEqual(
      template(['mci-a', 'mci-b', 'mci-c'], 'mci-c', base.rightScripts),
    );
  });

  describe('validity: the default stays attached', () => {
    // Ours makes mci-b the default; theirs detaches mci-b (its default stays mci-a): each change alone is fine, together the default would dangle.
    const ours = template(['mci-a', 'mci-b'], 'mci-b', base.rightScripts);
    const theirs = template(['mci-a'], 'mci-a', base.rightScripts);

    it('reports a default the other side detached as a conflict at defaultMultiCloudImage, keeping ours valid meanwhile', () => {
      const outcome = mergeServerTemplates(base, ours, theirs, []);
      expect(outcome.conflicts).toEqual([{ path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-b', theirs: 'mci-a' }]);
      // Unresolved keeps ours: its default together with its attachment.
      expect(outcome.merged).toEqual(ours);
      expectValid(outcome.merged);
    });

    it('takes the chosen side’s default together with that side’s attachment of it', () => {
      expect(mergeServerTemplates(base, ours, theirs, [{ path: 'defaultMultiCloudImage', choice: 'OURS' }])).toEqual({
        merged: ours,
        conflicts: [],
        resolved: [{ path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-b', theirs: 'mci-a', choice: 'OURS' }],
      });
      expect(mergeServerTemplates(base, ours, theirs, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]).merged).toEqual(theirs);
      // The same, the sides swapped: the default is theirs' change now.
      expect(mergeServerTemplates(base, theirs, ours, [])).toMatchObject({
        merged: theirs,
        conflicts: [{ path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-a', theirs: 'mci-b' }],
      });
      expect(mergeServerTemplates(base, theirs, ours, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]).merged).toEqual(ours);
    });

    it('never gives an empty list: each side detaching the other’s default is a conflict, and either choice is valid', () => {
      const keepsB = template(['mci-b'], 'mci-b', base.rightScripts);
      const keepsA = template(['mci-a'], 'mci-a', base.rightScripts);
      const outcome = mergeServerTemplates(base, keepsB, keepsA, []);
      expect(outcome.conflicts).toEqual([{ path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-b', theirs: 'mci-a' }]);
      expect(outcome.merged).toEqual(keepsB);
      expect(mergeServerTemplates(base, keepsB, keepsA, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]).merged).toEqual(keepsA);
    });

    it('lists the default as a conflict up front when its attachment is a conflict one side of which detaches it', () => {
      // Ours re-pins mci-b and makes it the default; theirs detaches mci-b: whether mci-b stays depends on a resolution.
      const repinned = template(['mci-a', 'mci-b@2'], 'mci-b', base.rightScripts);
      const preview = mergeServerTemplates(base, repinned, theirs, []);
      expect(preview.conflicts).toEqual([
        { path: 'multiCloudImages.mci-b', base: mcis('mci-b')[0], ours: mcis('mci-b@2')[0], theirs: null },
        { path: 'defaultMultiCloudImage', base: 'mci-a', ours: 'mci-b', theirs: 'mci-a' },
      ]);
      expect(preview.merged).toEqual(repinned);
      // Every consistent way of settling both works, and is valid.
      for (const [entry, chosenDefault, expected] of [
        ['THEIRS', 'THEIRS', theirs],
        ['OURS', 'OURS', repinned],
        ['OURS', 'THEIRS', template(['mci-a', 'mci-b@2'], 'mci-a', base.rightScripts)],
      ] as const) {
        const settled = mergeServerTemplates(base, repinned, theirs, [
          { path: 'multiCloudImages.mci-b', choice: entry },
          { path: 'defaultMultiCloudImage', choice: chosenDefault },
        ]);
        expect(settled).toEqual({
          merged: expected,
          conflicts: [],
          resolved: [
            { ...preview.conflicts[0], choice: entry },
            { ...preview.conflicts[1], choice: chosenDefault },
          ],
        });
      }
    });

    it('does not list the default when its attachment conflict keeps it attached either way', () => {
      const ours = template(['mci-a@2', 'mci-b'], 'mci-a', base.rightScripts);
      const theirs2 = template(['mci-a@3', 'mci-b'], 'mci-a', base.rightScripts);
      expect(mergeServerTemplates(base, ours, theirs2, []).conflicts.map((conflict) => conflict.path)).toEqual(['multiCloudImages.mci-a']);
    });

    it('refuses resolutions that keep a default and detach it', () => {
      const repinned = template(['mci-a', 'mci-b@2'], 'mci-b', base.rightScripts);
      const error = domainErrorOf(() =>
        mergeServerTemplates(base, repinned, theirs, [
          { path: 'multiCloudImages.mci-b', choice: 'THEIRS' },
          { path: 'defaultMultiCloudImage', choice: 'OURS' },
        ]),
      );
      expect([error.code, error.message]).toEqual([
        ErrorCode.BAD_USER_INPUT,
        "resolutions: 'defaultMultiCloudImage' OURS makes 'mci-b' the default, but 'multiCloudImages.mci-b' THEIRS detaches it: a default must stay attached, choose the same side for both",
      ]);
    });

    it('refuses a resolution of the default when the merge keeps it attached', () => {
      const error = domainErrorOf(() => mergeServerTemplates(base, ours, base, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]));
      expect([error.code, error.message]).toEqual([
        ErrorCode.BAD_USER_INPUT,
        "resolutions[0].path: expected the path of a conflict of this merge (it has none), got 'defaultMultiCloudImage'",
      ]);
    });
  });

  it('refuses a clean merge attaching more MultiCloudImages than a template holds', () => {
    const ids = (prefix: string): string[] => Array.from({ length: MAX_TEMPLATE_MULTI_CLOUD_IMAGES / 2 }, (_, i) => `${prefix}${i}`);
    const error = domainErrorOf(() =>
      mergeServerTemplates(
        base,
        template(['mci-a', ...ids('x')], 'mci-a', base.rightScripts),
        template(['mci-a', ...ids('y')], 'mci-a', base.rightScripts),
        [],
      ),
    );
    expect([error.code, error.message]).toEqual([
      ErrorCode.BAD_USER_INPUT,
      `merged multiCloudImages: expected at most ${MAX_TEMPLATE_MULTI_CLOUD_IMAGES} attached MultiCloudImages, got 51 (26 ours, 26 theirs): remove some on either side first`,
    ]);
  });

  describe('events', () => {
    it('add the new default before removing the old one, and move bindings without binding a script twice', () => {
      const ours = template(['mci-a', 'mci-b'], 'mci-a', { BOOT: bindings('rs-0', 'rs-1', 'rs-2', 'rs-3'), OPERATIONAL: bindings('rs-7') });
      const merged = template(
        ['mci-b@2', 'mci-c'],
        'mci-c',
        { BOOT: bindings('rs-3', 'rs-1@2', 'rs-2', 'rs-4'), OPERATIONAL: bindings('rs-7') },
        'v8',
      );
      const events = serverTemplateMergeEvents(ours, merged);
      expect(events).toEqual([
        { type: 'ServerTemplateUpdated', data: { name: 'v8' } },
        { type: 'TemplateMultiCloudImageRepinned', data: { from: mcis('mci-b')[0], to: mcis('mci-b@2')[0] } },
        { type: 'TemplateMultiCloudImageAdded', data: { ...mcis('mci-c')[0], isDefault: true } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-a', removed: mcis('mci-a')[0] } },
        // rs-1 and rs-2 keep their relative order; rs-3 moved to the front, so it is unbound and bound again.
        { type: 'RightScriptUnbound', data: { sequence: 'BOOT', position: 4, removed: bindings('rs-3')[0] } },
        { type: 'RightScriptUnbound', data: { sequence: 'BOOT', position: 1, removed: bindings('rs-0')[0] } },
        { type: 'RightScriptRepinned', data: { sequence: 'BOOT', position: 1, rightScriptId: 'rs-1', from: 1, revision: 2 } },
        { type: 'RightScriptBound', data: { ...bindings('rs-3')[0], sequence: 'BOOT', position: 1 } },
        { type: 'RightScriptBound', data: { ...bindings('rs-4')[0], sequence: 'BOOT', position: 4 } },
      ]);
      expect(foldMergeEvents(ours, events)).toEqual(merged);
    });

    it('change the default to an MCI already attached before detaching the old one', () => {
      const ours = template(['mci-a', 'mci-b'], 'mci-a');
      const merged = template(['mci-b'], 'mci-b');
      const events = serverTemplateMergeEvents(ours, merged);
      expect(events).toEqual([
        { type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: 'mci-b', previous: 'mci-a' } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-a', removed: mcis('mci-a')[0] } },
      ]);
      expect(foldMergeEvents(ours, events)).toEqual(merged);
    });

    it('replace the only MCI by attaching the new one first', () => {
      const ours = template(['mci-a'], 'mci-a');
      const merged = template(['mci-z'], 'mci-z');
      expect(foldMergeEvents(ours, serverTemplateMergeEvents(ours, merged))).toEqual(merged);
    });

    it('move an MCI by detaching and attaching it again, another MCI holding the default meanwhile', () => {
      const ours = template(['mci-a', 'mci-b', 'mci-c'], 'mci-a');
      const merged = template(['mci-b', 'mci-a@2', 'mci-c'], 'mci-a');
      const events = serverTemplateMergeEvents(ours, merged);
      expect(events).toEqual([
        { type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId: 'mci-b', previous: 'mci-a' } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-a', removed: mcis('mci-a')[0] } },
        { type: 'TemplateMultiCloudImageAdded', data: { ...mcis('mci-a@2')[0], isDefault: true } },
        { type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId: 'mci-c', removed: mcis('mci-c')[0] } },
        { type: 'TemplateMultiCloudImageAdded', data: { ...mcis('mci-c')[0], isDefault: false } },
      ]);
      expect(foldMergeEvents(ours, events)).toEqual(merged);
    });

    it('are none when merged equals ours', () =>
      expect(serverTemplateMergeEvents(base, JSON.parse(JSON.stringify(base)) as ServerTemplateContent)).toEqual([]));

    it('fold to the merged content of a merge of both sides', () => {
      const ours = template(['mci-a', 'mci-b@2', 'mci-c'], 'mci-c', {
        BOOT: bindings('rs-1', 'rs-2', 'rs-5'),
        OPERATIONAL: bindings('rs-3'),
      });
      const theirs = template(['mci-b', 'mci-d'], 'mci-d', { BOOT: bindings('rs-1', 'rs-2'), DECOMMISSION: bindings('rs-9') }, 'v8');
      const { merged, conflicts } = mergeServerTemplates(base, ours, theirs, [{ path: 'defaultMultiCloudImage', choice: 'THEIRS' }]);
      expect(conflicts).toEqual([]);
      expect(foldMergeEvents(ours, serverTemplateMergeEvents(ours, merged))).toEqual(merged);
    });
  });
});
