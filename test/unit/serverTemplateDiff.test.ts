import { diffServerTemplates } from '../../src/domain/serverTemplates/diff';
import type {
  RightScriptBinding,
  Sequence,
  ServerTemplateContent,
  TemplateMultiCloudImage,
} from '../../src/domain/serverTemplates/serverTemplate.types';

const mci = (id: string, revision = 1): TemplateMultiCloudImage => ({ multiCloudImageId: id, revision, lineage: id });
/** `rs-1@2`: RightScript rs-1 pinned at revision 2 (revision 1 when omitted). */
const bindings = (...specs: string[]): RightScriptBinding[] =>
  specs.map((spec) => {
    const [id = '', revision = '1'] = spec.split('@');
    return { rightScriptId: id, revision: Number(revision), lineage: id };
  });
const content = (
  overrides: Partial<Omit<ServerTemplateContent, 'rightScripts'>> & { rightScripts?: Partial<Record<Sequence, RightScriptBinding[]>> } = {},
): ServerTemplateContent => ({
  name: 'PHP FrontEnd v7',
  description: 'web',
  multiCloudImages: [mci('mci-a'), mci('mci-b')],
  defaultMultiCloudImageId: 'mci-a',
  ...overrides,
  rightScripts: { BOOT: [], OPERATIONAL: [], DECOMMISSION: [], ...overrides.rightScripts },
});

describe('ServerTemplate diff', () => {
  const base = content({ rightScripts: { BOOT: bindings('rs-1', 'rs-2', 'rs-3'), OPERATIONAL: bindings('rs-1@0') } });

  it('gives no changes for identical content', () => {
    expect(diffServerTemplates(base, JSON.parse(JSON.stringify(base)) as ServerTemplateContent)).toEqual([]);
  });

  it('lists name and description changes', () =>
    expect(diffServerTemplates(base, { ...base, name: 'PHP FrontEnd v8', description: '' })).toEqual([
      { path: 'name', kind: 'CHANGED', before: 'PHP FrontEnd v7', after: 'PHP FrontEnd v8' },
      { path: 'description', kind: 'CHANGED', before: 'web', after: '' },
    ]));

  it('lists MCIs attached and detached with their pin and place, re-pins, and the default, MCIs sorted by id', () =>
    expect(
      diffServerTemplates(base, {
        ...base,
        multiCloudImages: [mci('mci-b', 3), mci('mci-z', 0), mci('mci-c', 2)],
        defaultMultiCloudImageId: 'mci-c',
      }),
    ).toEqual([
      { path: 'multiCloudImages.mci-a', kind: 'REMOVED', before: { revision: 1, position: 1 }, after: null },
      { path: 'multiCloudImages.mci-b.revision', kind: 'CHANGED', before: 1, after: 3 },
      { path: 'multiCloudImages.mci-c', kind: 'ADDED', before: null, after: { revision: 2, position: 3 } },
      { path: 'multiCloudImages.mci-z', kind: 'ADDED', before: null, after: { revision: 0, position: 2 } },
      { path: 'defaultMultiCloudImage', kind: 'CHANGED', before: 'mci-a', after: 'mci-c' },
    ]));

  it('does not report the shift of the MCIs after a detached one', () =>
    expect(diffServerTemplates(base, { ...base, multiCloudImages: [mci('mci-b')], defaultMultiCloudImageId: 'mci-b' })).toEqual([
      { path: 'multiCloudImages.mci-a', kind: 'REMOVED', before: { revision: 1, position: 1 }, after: null },
      { path: 'defaultMultiCloudImage', kind: 'CHANGED', before: 'mci-a', after: 'mci-b' },
    ]));

  it('lists bindings bound, unbound and re-pinned per sequence, without reporting the shift of the others', () =>
    expect(
      diffServerTemplates(base, content({ rightScripts: { BOOT: bindings('rs-0', 'rs-1', 'rs-3@4'), OPERATIONAL: bindings('rs-1@5') } })),
    ).toEqual([
      { path: 'rightScripts.BOOT.rs-0', kind: 'ADDED', before: null, after: { position: 1, revision: 1 } },
      { path: 'rightScripts.BOOT.rs-2', kind: 'REMOVED', before: { position: 2, revision: 1 }, after: null },
      { path: 'rightScripts.BOOT.rs-3.revision', kind: 'CHANGED', before: 1, after: 4 },
      { path: 'rightScripts.OPERATIONAL.rs-1.revision', kind: 'CHANGED', before: 0, after: 5 },
    ]));

  it('shows a moved script as REMOVED and ADDED on the same path', () =>
    expect(
      diffServerTemplates(base, content({ rightScripts: { BOOT: bindings('rs-2', 'rs-3', 'rs-1'), OPERATIONAL: bindings('rs-1@0') } })),
    ).toEqual([
      { path: 'rightScripts.BOOT.rs-1', kind: 'REMOVED', before: { position: 1, revision: 1 }, after: null },
      { path: 'rightScripts.BOOT.rs-1', kind: 'ADDED', before: null, after: { position: 3, revision: 1 } },
    ]));

  it('shows a script moved and re-pinned as REMOVED and ADDED with both pins', () =>
    expect(
      diffServerTemplates(
        content({ rightScripts: { DECOMMISSION: bindings('a', 'b') } }),
        content({ rightScripts: { DECOMMISSION: bindings('b', 'a@2') } }),
      ),
    ).toEqual([
      { path: 'rightScripts.DECOMMISSION.a', kind: 'REMOVED', before: { position: 1, revision: 1 }, after: null },
      { path: 'rightScripts.DECOMMISSION.a', kind: 'ADDED', before: null, after: { position: 2, revision: 2 } },
    ]));

  it('orders changes: name, description, MCIs, default, then BOOT, OPERATIONAL, DECOMMISSION', () => {
    const changes = diffServerTemplates(
      base,
      content({
        name: 'n',
        description: 'd',
        multiCloudImages: [mci('mci-a'), mci('mci-b', 2)],
        defaultMultiCloudImageId: 'mci-b',
        rightScripts: { DECOMMISSION: bindings('rs-9'), OPERATIONAL: bindings('rs-1@0', 'rs-8'), BOOT: bindings('rs-1', 'rs-2') },
      }),
    );
    expect(changes.map((change) => change.path)).toEqual([
      'name',
      'description',
      'multiCloudImages.mci-b.revision',
      'defaultMultiCloudImage',
      'rightScripts.BOOT.rs-3',
      'rightScripts.OPERATIONAL.rs-8',
      'rightScripts.DECOMMISSION.rs-9',
    ]);
  });

  it('compares two sequences with nothing in common as all removed then all added', () =>
    expect(
      diffServerTemplates(content({ rightScripts: { BOOT: bindings('a', 'b') } }), content({ rightScripts: { BOOT: bindings('c') } })).map(
        (change) => `${change.kind} ${change.path}`,
      ),
    ).toEqual(['REMOVED rightScripts.BOOT.a', 'REMOVED rightScripts.BOOT.b', 'ADDED rightScripts.BOOT.c']));
});
