import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import { mergeIntoHead, mergeKindOf } from '../../src/application/merge';
import { updateMultiCloudImage } from '../../src/application/multiCloudImages';
import { VersionConflictError } from '../../src/eventStore/errors';
import type { EventStore } from '../../src/eventStore/port';
import type { Services } from '../../src/services';
import { ok, secondAccount, type Headers } from '../support/api';
import { storeWithAppend } from '../support/failingStore';
import { startTestService, type TestService } from '../support/service';
import { clone, commit, head, history, merge, paths, preview, refusedMerge, refusedPreview, setDescription } from './mergeFixtures';
import { DFW, EAST, EU, createMci, createScript, mapCloud } from './serverTemplatesFixtures';

/*
 * Merge's refusals and edges over real HTTP, on MultiCloud Images (every kind shares this path):
 * no common ancestor, another kind, deleted or foreign components, unknown revisions, stale
 * versions, unbounded resolutions; HEADs as sources and as bases; merging what is already merged;
 * a writer getting in between; and that history, blame, the change feed and the read models read a
 * merge like any edit.
 */

const GHOST = '00000000-0000-4000-8000-000000000000';
const context: CommandContext = { accountId: 'default', actorId: 'merge-test', correlationId: 'merge-test' };

/**
 * The service's store, except that the first append to `stream` lets another writer in first
 * (`meanwhile`), as a concurrent request would.
 */
function storeRacedOn(store: EventStore, stream: string, meanwhile: () => Promise<unknown>): { store: EventStore; raced: () => number } {
  let raced = 0;
  const racing = storeWithAppend(store, async (append, appendTo, events, options) => {
    if (appendTo === stream && raced === 0) {
      raced++;
      await meanwhile();
    }
    return append(appendTo, events, options);
  });
  return { store: racing, raced: () => raced };
}

describe('merge: refusals and edges', () => {
  let service: TestService;
  let url: string;
  let other: Headers;
  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    other = (await secondAccount(url, 'Other Corp')).admin;
  });
  afterAll(() => service.stop());

  /** S committed once, T cloned from S@1, S's second revision maps EU: a clean merge waiting. */
  async function clonePair(name: string): Promise<{ source: string; target: string }> {
    const source = await createMci(url, name, [EAST], { commit: true });
    const target = await clone(url, 'MultiCloudImage', source, 1);
    await mapCloud(url, source, EU);
    await commit(url, 'MultiCloudImage', source);
    return { source, target };
  }

  it('refuses two unrelated components with NO_COMMON_ANCESTOR, in a preview too', async () => {
    const a = await createMci(url, 'Unrelated A', [EAST], { commit: true });
    const b = await createMci(url, 'Unrelated B', [EU], { commit: true });
    const refused = await refusedMerge(service, a, { id: b, revision: 1 });
    const message = `MultiCloudImage '${a}' and '${b}' revision 1 share no ancestor: neither was cloned, imported or merged from the other or from a common revision; nothing to merge against`;
    expect(refused).toMatchObject({ code: 'NO_COMMON_ANCESTOR', message });
    expect(await refusedPreview(service, a, { id: b, revision: 1 })).toMatchObject({ code: 'NO_COMMON_ANCESTOR', message });
  });

  it('refuses a source of another kind with BAD_USER_INPUT', async () => {
    const mci = await createMci(url, 'An image', [EAST], { commit: true });
    const script = await createScript(url, 'A script', { commit: true });
    const refused = await refusedMerge(service, mci, { id: script, revision: 1 });
    expect(refused).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: `merge brings changes between components of one kind: the target '${mci}' is a MultiCloudImage, the source '${script}' a RightScript`,
    });
  });

  it('answers NOT_FOUND for a deleted target or source, and for another account’s, exactly as for a missing id', async () => {
    const { source, target } = await clonePair('Deletable');
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: target });
    expect(await refusedMerge(service, target, { id: source, revision: 2 })).toMatchObject({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${target}' was deleted`,
    });
    const second = await clonePair('Deleted source');
    await ok(url, `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: second.source });
    expect(await refusedMerge(service, second.target, { id: second.source, revision: 2 })).toMatchObject({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${second.source}' was deleted`,
    });

    // Another account: its own clone pair works for it; mixed with ours, either way, it is not found.
    const theirs = await createMci(url, 'Foreign', [EAST], { commit: true, headers: other });
    const ours = await clonePair('Ours');
    const missing = { code: 'NOT_FOUND', message: 'no such component' };
    expect(await refusedMerge(service, ours.target, { id: theirs, revision: 1 })).toMatchObject(missing);
    expect(await refusedMerge(service, theirs, { id: ours.source, revision: 2 })).toMatchObject(missing);
    expect(await refusedMerge(service, ours.target, { id: GHOST, revision: 1 })).toMatchObject(missing);
    expect(await refusedMerge(service, GHOST, { id: ours.source })).toMatchObject(missing);
    expect(await refusedMerge(service, ours.target, { id: ours.source, revision: 2 }, { headers: other })).toMatchObject(missing);
    expect(await refusedPreview(service, ours.target, { id: ours.source, revision: 2 }, other)).toMatchObject(missing);
  });

  it('refuses a source revision that was never committed, or can’t exist', async () => {
    const { source, target } = await clonePair('Revisions');
    expect(await refusedMerge(service, target, { id: source, revision: 9 })).toMatchObject({
      code: 'NOT_FOUND',
      message: `MultiCloudImage '${source}' has no revision 9: its revisions are 1 to 2 (0 is HEAD)`,
    });
    expect(await refusedMerge(service, target, { id: source, revision: -1 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'source.revision: expected 0 (HEAD) or a committed revision number 1, 2, 3 …, got -1',
    });
  });

  it('refuses a stale expectedVersion with VERSION_CONFLICT and merges at the current one', async () => {
    const { source, target } = await clonePair('Versioned');
    const { version } = await head(url, 'MultiCloudImage', target);
    await setDescription(url, 'MultiCloudImage', target, 'moved on');
    const refused = await refusedMerge(service, target, { id: source, revision: 2 }, { expectedVersion: version });
    expect(refused).toMatchObject({
      code: 'VERSION_CONFLICT',
      message: `expectedVersion ${version} is out of date: it is at version ${version + 1} now; read it again and retry`,
    });
    const merged = await merge(url, target, { id: source, revision: 2 }, { expectedVersion: version + 1 });
    // Two events: the mapped cloud and MergeApplied.
    expect(merged.component.version).toBe(version + 3);
  });

  it('bounds the resolutions: at most 1,000, paths of at most 1,024 characters, each path once', async () => {
    const { source, target } = await clonePair('Bounded');
    const many = Array.from({ length: 1001 }, (_, i) => ({ path: `description.${i}`, choice: 'OURS' as const }));
    expect(await refusedMerge(service, target, { id: source, revision: 2 }, { resolutions: many })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'resolutions: expected at most 1000, got 1001',
    });
    expect(
      await refusedMerge(service, target, { id: source, revision: 2 }, { resolutions: [{ path: 'x'.repeat(1025), choice: 'OURS' }] }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', message: 'resolutions[0].path: expected 1 to 1024 characters, got 1025' });
    const twice = [
      { path: 'description', choice: 'OURS' as const },
      { path: 'description', choice: 'THEIRS' as const },
    ];
    expect(await refusedMerge(service, target, { id: source, revision: 2 }, { resolutions: twice })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: "resolutions[1].path: expected each path once, got 'description' again",
    });
  });

  it('merges a HEAD: a clone of an uncommitted HEAD compares against that HEAD as it stood, then against the HEAD it merged', async () => {
    const source = await createMci(url, 'Never committed', [EAST]);
    const cloned = await head(url, 'MultiCloudImage', source);
    const target = await clone(url, 'MultiCloudImage', source);
    await mapCloud(url, source, EU);
    await setDescription(url, 'MultiCloudImage', target, 'the clone');

    const first = await merge(url, target, { id: source });
    expect(first).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 0, version: cloned.version }, conflicts: [] });
    expect(paths(first)).toEqual([`settings.${EU}`]);
    const merged = await head(url, 'MultiCloudImage', source);
    expect((await history(url, target)).pop()).toEqual({
      type: 'MergeApplied',
      data: {
        source: { id: source, revision: 0, version: merged.version },
        base: { id: source, revision: 0, version: cloned.version },
        resolutions: [],
      },
    });
    expect(await merge(url, target, { id: source })).toMatchObject({ alreadyMerged: true, changes: [] });

    await mapCloud(url, source, DFW);
    const second = await merge(url, target, { id: source });
    expect(second).toMatchObject({ alreadyMerged: false, base: { id: source, revision: 0, version: merged.version } });
    expect(paths(second)).toEqual([`settings.${DFW}`]);
    expect((await head(url, 'MultiCloudImage', target)).description).toBe('the clone');
  });

  it('has nothing to merge from the target itself or from one of its own revisions', async () => {
    const mci = await createMci(url, 'Self', [EAST], { commit: true });
    await mapCloud(url, mci, EU);
    const before = await service.services.store.headPosition();
    expect(await merge(url, mci, { id: mci })).toMatchObject({ alreadyMerged: true, changes: [], conflicts: [] });
    expect(await merge(url, mci, { id: mci, revision: 1 })).toMatchObject({ alreadyMerged: true, base: { id: mci, revision: 1 } });
    expect(await preview(url, mci, { id: mci, revision: 1 })).toMatchObject({ alreadyMerged: true, changes: [] });
    expect(await service.services.store.headPosition()).toEqual(before);
    // A resolution still has to name a conflict.
    const refused = await refusedMerge(service, mci, { id: mci, revision: 1 }, { resolutions: [{ path: 'name', choice: 'OURS' }] });
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toContain("'name'");
  });

  it('reads like any edit in history, blame, the change feed and the read models', async () => {
    const { source, target } = await clonePair('Audited');
    const merged = await merge(url, target, { id: source, revision: 2 });

    const events = await history(url, target);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['ImageMapped', 'MergeApplied']);
    const { blame } = await ok<{ blame: { fields: Array<{ path: string; event: { type: string }; committedIn: number | null }> } }>(
      url,
      `query($id: ID!) { blame(id: $id) { fields { path event { type } committedIn } } }`,
      { id: target },
    );
    expect(blame.fields.find((field) => field.path === `settings.${EU}.image`)).toEqual({
      path: `settings.${EU}.image`,
      event: { type: 'ImageMapped' },
      committedIn: null,
    });
    const { events: feed } = await ok<{ events: { nodes: Array<{ type: string; componentId: string; data: unknown }> } }>(
      url,
      `query($ids: [ID!]) { events(first: 500, filter: { types: ["MergeApplied"], componentIds: $ids }) { nodes { type componentId data } } }`,
      { ids: [target] },
    );
    expect(feed.nodes).toEqual([
      {
        type: 'MergeApplied',
        componentId: target,
        data: { source: { id: source, revision: 2 }, base: { id: source, revision: 1 }, resolutions: [] },
      },
    ]);
    // The read model's version follows MergeApplied too: it is what the next edit passes back.
    const now = await head(url, 'MultiCloudImage', target, 'settings { cloud { id } }');
    expect(now.version).toBe(merged.component.version);
    expect(now['settings']).toEqual([{ cloud: { id: EU } }, { cloud: { id: EAST } }]);
    await setDescription(url, 'MultiCloudImage', target, 'edited after the merge');
  });

  it('reads and decides again when another writer gets in between, and reports the conflict when the caller named a version', async () => {
    const { source, target } = await clonePair('Raced');
    const services = service.services;
    const meanwhile = (id: string) => () => updateMultiCloudImage(services, context, { id, description: 'written meanwhile' });
    const raced = (racing: EventStore): Services => ({ ...services, store: racing, commands: new CommandHandler(racing) });
    const kind = mergeKindOf('MultiCloudImage');

    // Another writer edits the target between the merge's read and its append: the merge reads again.
    const first = storeRacedOn(services.store, `mci-${target}`, meanwhile(target));
    const report = await mergeIntoHead(raced(first.store), context, kind, { targetId: target, source: { id: source, revision: 2 } });
    expect(first.raced()).toBe(1);
    expect(report.alreadyMerged).toBe(false);
    const after = await head(url, 'MultiCloudImage', target, 'settings { cloud { id } }');
    expect(after.description).toBe('written meanwhile');
    expect(after['settings']).toEqual([{ cloud: { id: EU } }, { cloud: { id: EAST } }]);
    expect((await history(url, target)).filter((event) => event.type === 'MergeApplied')).toHaveLength(1);

    // With the version the caller read, the same race is the caller's to resolve.
    const next = await clonePair('Raced with a version');
    const { version } = await head(url, 'MultiCloudImage', next.target);
    const second = storeRacedOn(services.store, `mci-${next.target}`, meanwhile(next.target));
    await expect(
      mergeIntoHead(raced(second.store), context, kind, {
        targetId: next.target,
        source: { id: next.source, revision: 2 },
        expectedVersion: version,
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(second.raced()).toBe(1);
    expect((await history(url, next.target)).some((event) => event.type === 'MergeApplied')).toBe(false);
  });
});
