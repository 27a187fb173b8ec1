import fc from 'fast-check';
import { fold } from '../../src/domain/decider';
import { mergeMultiCloudImages, multiCloudImageMergeEvents } from '../../src/domain/multiCloudImages/merge';
import {
  multiCloudImageDecider,
  type MultiCloudImageContent,
  type MultiCloudImageSetting,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import { mergeRightScripts, rightScriptMergeEvents } from '../../src/domain/rightScripts/merge';
import { rightScriptDecider, type RightScriptContent, type RightScriptInput } from '../../src/domain/rightScripts/rightScript';
import { mergeServerTemplates, serverTemplateMergeEvents } from '../../src/domain/serverTemplates/merge';
import { serverTemplateDecider } from '../../src/domain/serverTemplates/serverTemplate';
import {
  SEQUENCES,
  type RightScriptBinding,
  type Sequence,
  type ServerTemplateContent,
  type TemplateMultiCloudImage,
} from '../../src/domain/serverTemplates/serverTemplate.types';
import type { MergeContents, MergeOutcome } from '../../src/domain/versionControl/merge';

/*
 * The laws every kind's merge keeps, over small generated contents (few names, clouds, ids and lines,
 * so generated sides collide often):
 * 1. a target still at the base takes the source exactly;  2. a source still at the base changes nothing;
 * 3. disjoint changes merge cleanly, whichever side is ours;  4. the same content on both sides is it;
 * 5. every conflict settled THEIRS equals the swapped merge settled OURS;
 * 6. the merge's events fold HEAD `ours` into `merged` (for templates through valid states only).
 */

const params = { numRuns: 150 };

/** A content with the given units taken from `other`, the rest from `base` (`pick` copies one unit). */
type Mix<Content> = (base: Content, other: Content, units: ReadonlySet<string>) => Content;

/** Base and two sides, each changing its own units only: no unit changes on both sides. */
function disjointSides<Content>(
  arb: fc.Arbitrary<Content>,
  units: readonly string[],
  mix: Mix<Content>,
): fc.Arbitrary<[Content, Content, Content]> {
  return fc
    .tuple(arb, arb, arb, fc.array(fc.constantFrom('none', 'ours', 'theirs'), { minLength: units.length, maxLength: units.length }))
    .map(([base, x, y, owners]) => {
      const of = (owner: string): Set<string> => new Set(units.filter((_unit, i) => owners[i] === owner));
      return [base, mix(base, x, of('ours')), mix(base, y, of('theirs'))];
    });
}

/** Settles every conflict the unresolved merge lists with `choice`: the conflicts never depend on resolutions, so nothing is left. */
function settled<Content>(
  merge: MergeContents<Content>,
  base: Content,
  ours: Content,
  theirs: Content,
  choice: 'OURS' | 'THEIRS',
): MergeOutcome<Content> {
  const preview = merge(base, ours, theirs, []);
  return merge(
    base,
    ours,
    theirs,
    preview.conflicts.map((conflict) => ({ path: conflict.path, choice })),
  );
}

/** The shared laws 1, 2, 4 and 5 for one kind. */
function commonLaws<Content>(kind: string, arb: fc.Arbitrary<Content>, merge: MergeContents<Content>): void {
  describe(`${kind} merge laws`, () => {
    it('merging a source into a target whose HEAD equals the base gives the source', () =>
      fc.assert(
        fc.property(arb, arb, (base, source) =>
          expect(merge(base, base, source, [])).toEqual({ merged: source, conflicts: [], resolved: [] }),
        ),
        params,
      ));

    it('merging with no change on either side changes nothing; a source still at the base leaves the target as it is', () =>
      fc.assert(
        fc.property(arb, arb, (base, target) => {
          expect(merge(base, base, base, [])).toEqual({ merged: base, conflicts: [], resolved: [] });
          expect(merge(base, target, base, [])).toEqual({ merged: target, conflicts: [], resolved: [] });
        }),
        params,
      ));

    it('merge(base, x, x) is x, with no conflict', () =>
      fc.assert(
        fc.property(arb, arb, (base, x) => expect(merge(base, x, x, [])).toEqual({ merged: x, conflicts: [], resolved: [] })),
        params,
      ));

    it('settling every conflict a preview lists leaves none, and THEIRS gives what the swapped merge settled OURS gives', () =>
      fc.assert(
        fc.property(arb, arb, arb, (base, ours, theirs) => {
          const forward = settled(merge, base, ours, theirs, 'THEIRS');
          const backward = settled(merge, base, theirs, ours, 'OURS');
          expect(forward.conflicts).toEqual([]);
          expect(backward.conflicts).toEqual([]);
          expect(normalised(forward.merged)).toEqual(normalised(backward.merged));
        }),
        params,
      ));
  });
}

/** A template's attached MCIs sorted by id (order follows the target, so a swap may append additions the other way round); other kinds as they are. */
function normalised<Content>(content: Content): Content {
  const template = content as unknown as Partial<ServerTemplateContent>;
  if (!Array.isArray(template.multiCloudImages)) return content;
  const sorted = [...template.multiCloudImages].sort((x, y) => x.multiCloudImageId.localeCompare(y.multiCloudImageId));
  return { ...content, multiCloudImages: sorted };
}

// ---- MultiCloud Images ----

const CLOUDS = ['c1', 'c2', 'c3'] as const;
const settingArb = (cloudId: string): fc.Arbitrary<MultiCloudImageSetting> =>
  fc.record({
    cloudId: fc.constant(cloudId),
    imageId: fc.constantFrom('img-1', 'img-2'),
    instanceTypeId: fc.constantFrom('small', 'large'),
    kernelImageId: fc.constantFrom(null, 'aki-1'),
    ramdiskImageId: fc.constant(null),
    userData: fc.constantFrom(null, '#!/bin/sh'),
  });
const mciArb: fc.Arbitrary<MultiCloudImageContent> = fc.record({
  name: fc.constantFrom('n1', 'n2', 'n3'),
  description: fc.constantFrom('', 'd1', 'd2'),
  settings: fc
    .tuple(...CLOUDS.map((cloudId) => fc.option(settingArb(cloudId))))
    .map((settings) => Object.fromEntries(settings.flatMap((setting) => (setting ? [[setting.cloudId, setting] as const] : [])))),
});
const MCI_UNITS = ['name', 'description', ...CLOUDS.map((cloudId) => `settings.${cloudId}`)];
const mixMci: Mix<MultiCloudImageContent> = (base, other, units) => {
  const settings = { ...base.settings };
  for (const cloudId of CLOUDS) {
    if (!units.has(`settings.${cloudId}`)) continue;
    const setting = other.settings[cloudId];
    if (setting) settings[cloudId] = setting;
    else delete settings[cloudId];
  }
  return {
    name: units.has('name') ? other.name : base.name,
    description: units.has('description') ? other.description : base.description,
    settings,
  };
};

commonLaws('MultiCloud Image', mciArb, mergeMultiCloudImages);

describe('MultiCloud Image merge: disjoint changes and events', () => {
  it('disjoint changes merge cleanly, to the same content whichever side is ours', () =>
    fc.assert(
      fc.property(disjointSides(mciArb, MCI_UNITS, mixMci), ([base, ours, theirs]) => {
        const forward = mergeMultiCloudImages(base, ours, theirs, []);
        expect(forward.conflicts).toEqual([]);
        expect(mergeMultiCloudImages(base, theirs, ours, [])).toEqual(forward);
      }),
      params,
    ));

  it('the events fold HEAD ours into merged, conflicts or not', () =>
    fc.assert(
      fc.property(mciArb, mciArb, mciArb, (base, ours, theirs) => {
        const { merged } = mergeMultiCloudImages(base, ours, theirs, []);
        const start = fold(multiCloudImageDecider, [
          {
            type: 'ComponentCloned',
            data: {
              kind: 'MultiCloudImage',
              componentId: 'm',
              accountId: 'a',
              lineage: 'm',
              clonedFrom: { id: 'x', revision: 1 },
              ...ours,
            },
          },
        ]);
        const state = fold(multiCloudImageDecider, multiCloudImageMergeEvents(ours, merged), start);
        expect(state.status === 'active' && state.head).toEqual(merged);
      }),
      params,
    ));
});

// ---- RightScripts ----

const INPUT_NAMES = ['A', 'B', 'C'] as const;
const sourceArb = fc.array(fc.constantFrom('a\n', 'b\n', 'c\n', 'd\n'), { maxLength: 8 }).map((lines) => lines.join(''));
const inputArb = (name: string): fc.Arbitrary<RightScriptInput> =>
  fc.record({ name: fc.constant(name), type: fc.constantFrom('TEXT' as const, 'NUMBER' as const), default: fc.constantFrom(null, '1') });
const scriptArb: fc.Arbitrary<RightScriptContent> = fc.record({
  name: fc.constantFrom('s1', 's2', 's3'),
  description: fc.constantFrom('', 'd1', 'd2'),
  source: sourceArb,
  inputs: fc.tuple(...INPUT_NAMES.map((name) => fc.option(inputArb(name)))).map((inputs) => inputs.filter((input) => input !== null)),
});
const SCRIPT_UNITS = ['name', 'description', 'source', ...INPUT_NAMES.map((name) => `inputs.${name}`)];
const mixScript: Mix<RightScriptContent> = (base, other, units) => ({
  name: units.has('name') ? other.name : base.name,
  description: units.has('description') ? other.description : base.description,
  source: units.has('source') ? other.source : base.source,
  inputs: INPUT_NAMES.flatMap((name) => (units.has(`inputs.${name}`) ? other : base).inputs.filter((input) => input.name === name)),
});

commonLaws('RightScript', scriptArb, mergeRightScripts);

describe('RightScript merge: disjoint changes and events', () => {
  it('disjoint changes merge cleanly, to the same content whichever side is ours', () =>
    fc.assert(
      fc.property(disjointSides(scriptArb, SCRIPT_UNITS, mixScript), ([base, ours, theirs]) => {
        const forward = mergeRightScripts(base, ours, theirs, []);
        expect(forward.conflicts).toEqual([]);
        expect(mergeRightScripts(base, theirs, ours, [])).toEqual(forward);
      }),
      params,
    ));

  it('the events fold HEAD ours into merged, conflicts or not', () =>
    fc.assert(
      fc.property(scriptArb, scriptArb, scriptArb, (base, ours, theirs) => {
        const { merged } = mergeRightScripts(base, ours, theirs, []);
        const start = fold(rightScriptDecider, [
          {
            type: 'ComponentCloned',
            data: {
              kind: 'RightScript',
              componentId: 'r',
              accountId: 'a',
              lineage: 'r',
              clonedFrom: { id: 'x', revision: 1 },
              content: ours,
            },
          },
        ]);
        const state = fold(rightScriptDecider, rightScriptMergeEvents(ours, merged), start);
        expect(state.status === 'active' && state.head).toEqual(merged);
      }),
      params,
    ));
});

// ---- ServerTemplates ----

const MCI_IDS = ['m1', 'm2', 'm3', 'm4'] as const;
const SCRIPT_IDS = ['r1', 'r2', 'r3'] as const;
const attachmentsArb = fc.uniqueArray(fc.constantFrom(...MCI_IDS), { minLength: 1, maxLength: MCI_IDS.length }).chain((ids) =>
  fc
    .tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: ids.length, maxLength: ids.length }), fc.constantFrom(...ids))
    .map(([revisions, defaultId]) => ({
      multiCloudImages: ids.map((id, i): TemplateMultiCloudImage => ({ multiCloudImageId: id, revision: revisions[i] ?? 0, lineage: id })),
      defaultMultiCloudImageId: defaultId,
    })),
);
const sequenceArb = fc
  .uniqueArray(fc.record({ rightScriptId: fc.constantFrom(...SCRIPT_IDS), revision: fc.integer({ min: 0, max: 1 }) }), {
    selector: (binding) => binding.rightScriptId,
    maxLength: SCRIPT_IDS.length,
  })
  .map((bindings) => bindings.map((binding): RightScriptBinding => ({ ...binding, lineage: binding.rightScriptId })));
const templateArb: fc.Arbitrary<ServerTemplateContent> = fc
  .record({
    name: fc.constantFrom('t1', 't2', 't3'),
    description: fc.constantFrom('', 'd1'),
    attachments: attachmentsArb,
    rightScripts: fc.record({ BOOT: sequenceArb, OPERATIONAL: sequenceArb, DECOMMISSION: sequenceArb }),
  })
  .map(({ attachments, ...rest }) => ({ ...rest, ...attachments }));

const TEMPLATE_UNITS = [
  'name',
  'description',
  ...MCI_IDS.map((id) => `multiCloudImages.${id}`),
  'defaultMultiCloudImage',
  ...SEQUENCES.map((sequence) => `rightScripts.${sequence}`),
];
/** Detaches and attaches the chosen MCIs the way the events do (in place, or appended), so the mixed side keeps base's order. */
const mixTemplate: Mix<ServerTemplateContent> = (base, other, units) => {
  const attached = base.multiCloudImages.flatMap((mci) => {
    if (!units.has(`multiCloudImages.${mci.multiCloudImageId}`)) return [mci];
    return other.multiCloudImages.filter((entry) => entry.multiCloudImageId === mci.multiCloudImageId);
  });
  for (const entry of other.multiCloudImages) {
    const id = entry.multiCloudImageId;
    if (units.has(`multiCloudImages.${id}`) && !attached.some((mci) => mci.multiCloudImageId === id)) attached.push(entry);
  }
  return {
    name: units.has('name') ? other.name : base.name,
    description: units.has('description') ? other.description : base.description,
    multiCloudImages: attached,
    defaultMultiCloudImageId: (units.has('defaultMultiCloudImage') ? other : base).defaultMultiCloudImageId,
    rightScripts: Object.fromEntries(
      SEQUENCES.map((sequence) => [sequence, (units.has(`rightScripts.${sequence}`) ? other : base).rightScripts[sequence]]),
    ) as Record<Sequence, readonly RightScriptBinding[]>,
  };
};
const isValidTemplate = (content: ServerTemplateContent): boolean =>
  content.multiCloudImages.some((mci) => mci.multiCloudImageId === content.defaultMultiCloudImageId) &&
  SEQUENCES.every(
    (sequence) => new Set(content.rightScripts[sequence].map((b) => b.rightScriptId)).size === content.rightScripts[sequence].length,
  );

commonLaws('ServerTemplate', templateArb, mergeServerTemplates);

describe('ServerTemplate merge: disjoint changes, validity and events', () => {
  it('disjoint changes merge cleanly (or meet the default-detached rule either way round), to the same content whichever side is ours', () =>
    fc.assert(
      fc.property(disjointSides(templateArb, TEMPLATE_UNITS, mixTemplate), ([base, ours, theirs]) => {
        // Mixing a default without its MCI can give an invalid side: no template is like that.
        fc.pre(isValidTemplate(ours) && isValidTemplate(theirs));
        const forward = mergeServerTemplates(base, ours, theirs, []);
        const backward = mergeServerTemplates(base, theirs, ours, []);
        // One side's new default detached by the other is the one conflict disjoint changes can meet (the validity rule).
        const paths = forward.conflicts.map((conflict) => conflict.path);
        expect(paths.every((path) => path === 'defaultMultiCloudImage')).toBe(true);
        expect(backward.conflicts.map((conflict) => conflict.path)).toEqual(paths);
        if (paths.length === 0) expect(normalised(backward.merged)).toEqual(normalised(forward.merged));
      }),
      params,
    ));

  it('every merged template is valid, settled or not', () =>
    fc.assert(
      fc.property(
        templateArb,
        templateArb,
        templateArb,
        fc.constantFrom('OURS' as const, 'THEIRS' as const),
        (base, ours, theirs, choice) => {
          expect(isValidTemplate(mergeServerTemplates(base, ours, theirs, []).merged)).toBe(true);
          expect(isValidTemplate(settled(mergeServerTemplates, base, ours, theirs, choice).merged)).toBe(true);
        },
      ),
      params,
    ));

  it('the events fold HEAD ours into merged through valid states only', () =>
    fc.assert(
      fc.property(templateArb, templateArb, templateArb, (base, ours, theirs) => {
        const { merged } = mergeServerTemplates(base, ours, theirs, []);
        let state = fold(serverTemplateDecider, [
          {
            type: 'ComponentCloned',
            data: {
              kind: 'ServerTemplate',
              componentId: 't',
              accountId: 'a',
              lineage: 't',
              clonedFrom: { id: 'x', revision: 1 },
              content: ours,
            },
          },
        ]);
        for (const event of serverTemplateMergeEvents(ours, merged)) {
          state = serverTemplateDecider.evolve(state, event);
          expect(state.status === 'active' && isValidTemplate(state.head)).toBe(true);
        }
        expect(state.status === 'active' && state.head).toEqual(merged);
      }),
      params,
    ));
});
