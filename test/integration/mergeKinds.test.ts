import { ok } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import { clone, commit, head, history, merge, paths, preview, refusedMerge, setDescription, type Kind } from './mergeFixtures';
import { ADD_MCI, BIND, DFW, EAST, EU, createMci, createScript, createTemplate, editScript, mapCloud } from './serverTemplatesFixtures';

/*
 * Merge over real HTTP for every component kind, the same story each time: a source S (committed)
 * is cloned into a target T; each side changes a field of its own and the merge brings S's change
 * into T cleanly; a second merge of the same revision has nothing to do; then both sides change the
 * description differently: MERGE_CONFLICT listing it, nothing written; a resolution naming no
 * conflict is refused; resolved with OURS, and (after T commits normally) the next conflict with
 * THEIRS, each time against the newer base the previous merge recorded.
 */

interface KindCase {
  readonly kind: Kind;
  /** A new component of this kind with its first revision committed. */
  create(url: string, name: string): Promise<string>;
  /** A change only the source makes, and the path the merge names it by. */
  theirsChange(url: string, id: string): Promise<string>;
  /** A change only the target makes, and its path. */
  oursChange(url: string, id: string): Promise<string>;
  /** What HEAD shows of both changes, to compare after the merge. */
  readonly selection: string;
}

const CASES: readonly KindCase[] = [
  {
    kind: 'MultiCloudImage',
    create: (url, name) => createMci(url, name, [EAST], { commit: true }),
    theirsChange: async (url, id) => {
      await mapCloud(url, id, EU);
      return `settings.${EU}`;
    },
    oursChange: async (url, id) => {
      await mapCloud(url, id, DFW);
      return `settings.${DFW}`;
    },
    selection: 'settings { cloud { id } }',
  },
  {
    kind: 'RightScript',
    create: (url, name) => createScript(url, name, { commit: true }),
    theirsChange: async (url, id) => {
      await editScript(url, id, '#!/bin/sh\necho source\necho from theirs\n');
      return 'source';
    },
    oursChange: async (url, id) => {
      await ok(url, `mutation($input: UpdateRightScriptInput!) { updateRightScript(input: $input) { id } }`, {
        input: { id, inputs: [{ name: 'PORT', type: 'NUMBER', default: '80' }] },
      });
      return 'inputs.PORT';
    },
    selection: 'source inputs { name type default }',
  },
  {
    kind: 'ServerTemplate',
    create: async (url, name) => {
      const mci = await createMci(url, `${name} image`, [EAST], { commit: true });
      const template = await createTemplate(url, name, mci, 1);
      await commit(url, 'ServerTemplate', template.id);
      return template.id;
    },
    theirsChange: async (url, id) => {
      const script = await createScript(url, 'boot script', { commit: true });
      await ok(url, BIND, { templateId: id, script, revision: 1, sequence: 'BOOT' });
      return `rightScripts.BOOT.${script}`;
    },
    oursChange: async (url, id) => {
      const mci = await createMci(url, 'second image', [DFW], { commit: true });
      await ok(url, ADD_MCI, { templateId: id, mci, revision: 1, isDefault: false });
      return `multiCloudImages.${mci}`;
    },
    selection: 'rightScripts { rightScript { id } sequence } multiCloudImages { multiCloudImage { id } isDefault }',
  },
];

describe.each(CASES)('merging $kind', ({ kind, create, theirsChange, oursChange, selection }) => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('merges across a clone, finds nothing to merge the second time, and settles conflicts with OURS, then THEIRS', async () => {
    const url = service.url;
    const source = await create(url, 'Shared base');
    const target = await clone(url, kind, source, 1);
    const theirsPath = await theirsChange(url, source);
    expect(await commit(url, kind, source)).toBe(2);
    const oursPath = await oursChange(url, target);
    const expected = await head(url, kind, source, selection);
    const ours = await head(url, kind, target, selection);

    // The preview names the clone's source revision as base and only the source's change; it writes nothing.
    const before = await service.services.store.headPosition();
    const previewed = await preview(url, target, { id: source, revision: 2 });
    expect(previewed).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 1, version: null }, conflicts: [] });
    expect(paths(previewed)).toEqual([theirsPath]);
    expect(await service.services.store.headPosition()).toEqual(before);

    // The merge applies it: HEAD has both sides' changes; MergeApplied records source, base and resolutions.
    const merged = await merge(url, target, { id: source, revision: 2 });
    expect(merged).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 1, version: null }, conflicts: [] });
    expect(paths(merged)).toEqual([theirsPath]);
    expect(merged.changes).toEqual(previewed.changes);
    expect(merged.component).toMatchObject({ __typename: kind, id: target, revision: 0 });
    const after = await head(url, kind, target, selection);
    expect(after.version).toBe(merged.component.version);
    const theirsPart = (value: Record<string, unknown>): unknown => pick(value, theirsPath, kind);
    expect(theirsPart(after)).toEqual(theirsPart(expected));
    expect(pick(after, oursPath, kind)).toEqual(pick(ours, oursPath, kind));
    const events = await history(url, target);
    expect(events[events.length - 1]).toEqual({
      type: 'MergeApplied',
      data: { source: { id: source, revision: 2 }, base: { id: source, revision: 1 }, resolutions: [] },
    });

    // Merging the same revision again: it is an ancestor now, nothing to merge, nothing written.
    const unchanged = await service.services.store.headPosition();
    const again = await merge(url, target, { id: source, revision: 2 });
    expect(again).toMatchObject({ alreadyMerged: true, base: { id: source, revision: 2 }, changes: [], conflicts: [] });
    expect(again.component.version).toBe(merged.component.version);
    expect(await service.services.store.headPosition()).toEqual(unchanged);

    // Both sides change the description differently: a conflict, refused as a whole.
    await setDescription(url, kind, source, 'theirs: tuned for production');
    expect(await commit(url, kind, source)).toBe(3);
    await setDescription(url, kind, target, 'ours: tuned for staging');
    const conflict = { path: 'description', base: '', ours: 'ours: tuned for staging', theirs: 'theirs: tuned for production' };
    expect((await preview(url, target, { id: source, revision: 3 })).conflicts).toEqual([{ ...conflict, resolution: null }]);
    const refused = await refusedMerge(service, target, { id: source, revision: 3 });
    expect(refused.code).toBe('MERGE_CONFLICT');
    expect(refused.message).toBe("expected every conflict resolved (OURS or THEIRS), got 1 unresolved: 'description'");
    expect(refused.extensions['conflicts']).toEqual([conflict]);

    // A resolution for a path that is not in conflict is refused too.
    const unknown = await refusedMerge(
      service,
      target,
      { id: source, revision: 3 },
      {
        resolutions: [
          { path: 'description', choice: 'OURS' },
          { path: 'name.typo', choice: 'THEIRS' },
        ],
      },
    );
    expect(unknown.code).toBe('BAD_USER_INPUT');
    expect(unknown.message).toContain("'name.typo'");

    // OURS keeps the target's description; the base is the revision merged before (the merge edge).
    const keptOurs = await merge(url, target, { id: source, revision: 3 }, { resolutions: [{ path: 'description', choice: 'OURS' }] });
    expect(keptOurs).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 2 }, changes: [] });
    expect(keptOurs.conflicts).toEqual([{ ...conflict, resolution: 'OURS' }]);
    expect(keptOurs.component.description).toBe('ours: tuned for staging');
    expect((await history(url, target)).pop()).toEqual({
      type: 'MergeApplied',
      data: {
        source: { id: source, revision: 3 },
        base: { id: source, revision: 2 },
        resolutions: [{ path: 'description', choice: 'OURS' }],
      },
    });

    // The merged HEAD commits like any other; the next conflict is settled with THEIRS against revision 3.
    expect(await commit(url, kind, target)).toBe(1);
    await setDescription(url, kind, source, 'theirs: again');
    expect(await commit(url, kind, source)).toBe(4);
    await setDescription(url, kind, target, 'ours: again');
    const tookTheirs = await merge(url, target, { id: source, revision: 4 }, { resolutions: [{ path: 'description', choice: 'THEIRS' }] });
    expect(tookTheirs).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 3 } });
    expect(tookTheirs.changes).toEqual([{ path: 'description', kind: 'CHANGED', before: 'ours: again', after: 'theirs: again' }]);
    expect(tookTheirs.conflicts).toEqual([
      { path: 'description', base: 'theirs: tuned for production', ours: 'ours: again', theirs: 'theirs: again', resolution: 'THEIRS' },
    ]);
    expect((await head(url, kind, target)).description).toBe('theirs: again');
    expect(await commit(url, kind, target)).toBe(2);

    // The other way round: the target's revisions merge back into the source against the newest shared revision.
    const back = await preview(url, source, { id: target, revision: 2 });
    expect(back).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 4 }, conflicts: [] });
    expect(paths(back)).toEqual([oursPath]);
  });
});

/** The part of a HEAD a change path points at, as the API shows it. */
function pick(value: Record<string, unknown>, path: string, kind: Kind): unknown {
  if (kind === 'MultiCloudImage') {
    const cloud = path.split('.')[1];
    return (value['settings'] as Array<{ cloud: { id: string } }>).filter((setting) => setting.cloud.id === cloud);
  }
  if (kind === 'RightScript') return path === 'source' ? value['source'] : value['inputs'];
  return path.startsWith('rightScripts') ? value['rightScripts'] : value['multiCloudImages'];
}
