import { fails, ok } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import {
  ADD_MCI,
  BIND,
  CLONE,
  COMMIT,
  DELETE,
  DFW,
  EAST,
  EU,
  GCE,
  GET,
  LIST,
  PIN_MCI,
  REMOVE_MCI,
  SET_DEFAULT,
  UNBIND,
  bindings,
  cloudIds,
  commitScript,
  createMci,
  createScript,
  createTemplate,
  editScript,
  mapCloud,
  pins,
  streamOf,
  written,
  type Template,
} from './serverTemplatesFixtures';

/*
 * The whole life of a ServerTemplate over real HTTP, against a real SQLite file: create with an MCI →
 * attach a second → change the default → remove the default (refused without a new one) → bind
 * RightScripts at positions → unbind → commit refused for its HEAD dependencies → commit them along →
 * floating, behind, supported clouds → diff → history and time travel → clone → delete.
 */

/** Resolves once the clock has moved past `instant`, so the next event's `occurredAt` is strictly later. */
async function afterInstant(instant: Date): Promise<void> {
  while (Date.now() <= instant.getTime()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('ServerTemplate lifecycle over GraphQL', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('attaches MCIs, binds scripts, commits with its HEAD dependencies, diffs, travels in time, clones and deletes', async () => {
    const url = service.url;
    // What the template pins: a committed MCI, an MCI only at HEAD, and four scripts in every state.
    const web = await createMci(url, 'RightImage_CentOS_5.6_x64_v5.7', [EAST, EU], { commit: true });
    const rack = await createMci(url, 'Rackspace CentOS', [DFW]);
    const base = await createScript(url, 'base', { commit: true });
    const fresh = await createScript(url, 'fresh');
    const edited = await createScript(url, 'edited', { commit: true });
    await editScript(url, edited, '#!/bin/sh\necho edited again\n');
    const steady = await createScript(url, 'steady', { commit: true });

    // Create: the first MCI is the default.
    const created = await createTemplate(url, 'PHP FrontEnd v7', web, 1);
    expect(created).toMatchObject({
      name: 'PHP FrontEnd v7',
      description: '',
      revision: 0,
      lineage: created.id,
      version: 0,
      readOnly: false,
      behind: false,
      floating: false,
      clonedFrom: null,
      rightScripts: [],
      revisions: [],
    });
    expect(pins(created)).toEqual([[web, 1, true]]);
    expect(created.multiCloudImages[0]?.multiCloudImage).toEqual({ id: web, revision: 1, name: 'RightImage_CentOS_5.6_x64_v5.7' });
    expect(cloudIds(created)).toEqual([EU, EAST]);
    const id = created.id;
    let version = created.version;
    const step = async <K extends string>(query: string, variables: Record<string, unknown>, field: K): Promise<Template> => {
      const data = await ok<Record<K, Template>>(url, query, { ...variables, v: version });
      const template = data[field];
      expect(template.version).toBeGreaterThan(version);
      version = template.version;
      return template;
    };

    // Attach the HEAD of a never-committed MCI: the template now floats and reaches a third cloud.
    const withRack = await step(ADD_MCI, { templateId: id, mci: rack }, 'addTemplateMultiCloudImage');
    expect(pins(withRack)).toEqual([
      [web, 1, true],
      [rack, 0, false],
    ]);
    expect(withRack.multiCloudImages.map((m) => m.position)).toEqual([1, 2]);
    expect(cloudIds(withRack)).toEqual([EU, EAST, DFW]);
    expect(withRack.floating).toBe(true);

    // Change the default.
    const rackDefault = await step(SET_DEFAULT, { templateId: id, mci: rack }, 'setDefaultTemplateMultiCloudImage');
    expect(pins(rackDefault)).toEqual([
      [web, 1, false],
      [rack, 0, true],
    ]);

    // Removing the default without naming a new one is refused and writes nothing.
    const before = await written(service, [`template-${id}`]);
    const refused = await fails(url, REMOVE_MCI, { templateId: id, mci: rack, v: version });
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toBe(
      `'${rack}' is the default MultiCloudImage: removing it needs newDefaultMultiCloudImageId naming another attached MCI ('${web}'), got none`,
    );
    expect(await written(service, [`template-${id}`])).toEqual(before);

    // With a new default it goes, in one step; attached again, it comes last and not default.
    const withoutRack = await step(REMOVE_MCI, { templateId: id, mci: rack, newDefault: web }, 'removeTemplateMultiCloudImage');
    expect(pins(withoutRack)).toEqual([[web, 1, true]]);
    expect(cloudIds(withoutRack)).toEqual([EU, EAST]);
    expect(withoutRack.floating).toBe(false);
    await step(ADD_MCI, { templateId: id, mci: rack, revision: 0, isDefault: false }, 'addTemplateMultiCloudImage');

    // Bind scripts: a binding at a taken position shifts the later ones.
    await step(BIND, { templateId: id, script: base, revision: 1, sequence: 'BOOT' }, 'bindRightScript');
    const shifted = await step(BIND, { templateId: id, script: fresh, sequence: 'BOOT', position: 1 }, 'bindRightScript');
    expect(bindings(shifted)).toEqual([
      ['BOOT', fresh, 0, 1],
      ['BOOT', base, 1, 2],
    ]);
    await step(BIND, { templateId: id, script: edited, revision: 0, sequence: 'OPERATIONAL' }, 'bindRightScript');
    await step(BIND, { templateId: id, script: steady, revision: 0, sequence: 'OPERATIONAL', position: 1 }, 'bindRightScript');
    const bound = await step(BIND, { templateId: id, script: base, revision: 1, sequence: 'DECOMMISSION' }, 'bindRightScript');
    expect(bindings(bound)).toEqual([
      ['BOOT', fresh, 0, 1],
      ['BOOT', base, 1, 2],
      ['OPERATIONAL', steady, 0, 1],
      ['OPERATIONAL', edited, 0, 2],
      ['DECOMMISSION', base, 1, 1],
    ]);
    expect(bound.rightScripts[0]?.rightScript).toEqual({ id: fresh, revision: 0, name: 'fresh' });
    const { serverTemplate: bootOnly } = await ok<{
      serverTemplate: { rightScripts: Array<{ rightScript: { id: string }; position: number }> };
    }>(url, `query($id: ID!) { serverTemplate(id: $id) { rightScripts(sequence: BOOT) { rightScript { id } position } } }`, { id });
    expect(bootOnly.rightScripts).toEqual([
      { rightScript: { id: fresh }, position: 1 },
      { rightScript: { id: base }, position: 2 },
    ]);

    // Unbinding shifts the later ones back; bound again at the end.
    const unbound = await step(UNBIND, { templateId: id, script: fresh, sequence: 'BOOT' }, 'unbindRightScript');
    expect(bindings(unbound).filter(([sequence]) => sequence === 'BOOT')).toEqual([['BOOT', base, 1, 1]]);
    await step(BIND, { templateId: id, script: fresh, sequence: 'BOOT' }, 'bindRightScript');

    // A commit that would float on HEADs is refused, naming them, and writes nothing.
    const streams = [id, rack, fresh, edited, steady].map((s, i) =>
      i === 0 ? `template-${s}` : i === 1 ? `mci-${s}` : `rightscript-${s}`,
    );
    const beforeCommit = await written(service, streams);
    const floating = await fails(url, COMMIT, { id, message: 'first cut', v: version });
    expect(floating.code).toBe('HEAD_DEPENDENCIES');
    expect(floating.message).toBe(
      `revision 0 (HEAD) is pinned for MultiCloudImage '${rack}', RightScript '${fresh}' (BOOT), RightScript '${steady}' (OPERATIONAL) and RightScript '${edited}' (OPERATIONAL): commit them first, or commit with commitHeadDependencies: true`,
    );
    expect(floating.extensions['dependencies']).toEqual([
      { kind: 'MultiCloudImage', id: rack },
      { kind: 'RightScript', id: fresh },
      { kind: 'RightScript', id: steady },
      { kind: 'RightScript', id: edited },
    ]);
    expect(await written(service, streams)).toEqual(beforeCommit);

    // Committed with them: changed HEADs become new revisions, an unchanged one pins its latest.
    const { commitServerTemplate: first } = await ok<{ commitServerTemplate: Template }>(url, COMMIT, {
      id,
      message: 'first cut',
      deps: true,
      v: version,
    });
    expect(first).toMatchObject({ revision: 1, behind: false, floating: false, revisions: [{ revision: 1, message: 'first cut' }] });
    expect(pins(first)).toEqual([
      [web, 1, true],
      [rack, 1, false],
    ]);
    const along = "first cut (committed with ServerTemplate 'PHP FrontEnd v7')";
    expect(bindings(first)).toEqual([
      ['BOOT', base, 1, 1],
      ['BOOT', fresh, 1, 2],
      ['OPERATIONAL', steady, 1, 1],
      ['OPERATIONAL', edited, 2, 2],
      ['DECOMMISSION', base, 1, 1],
    ]);
    const { multiCloudImage: rackNow } = await ok<{ multiCloudImage: { revisions: Array<{ revision: number; message: string }> } }>(
      url,
      `query($id: ID!) { multiCloudImage(id: $id) { revisions { revision message } } }`,
      { id: rack },
    );
    expect(rackNow.revisions).toEqual([{ revision: 1, message: along }]);
    expect((await streamOf(service, `rightscript-${steady}`)).filter((e) => e.endsWith('RevisionCommitted'))).toEqual([
      '1:RevisionCommitted',
    ]);
    const { rightScript: editedNow } = await ok<{ rightScript: { revisions: Array<{ revision: number; message: string }> } }>(
      url,
      `query($id: ID!) { rightScript(id: $id) { revisions { revision message } } }`,
      { id: edited },
    );
    expect(editedNow.revisions).toEqual([
      { revision: 1, message: 'edited: first' },
      { revision: 2, message: along },
    ]);
    // HEAD now pins those revisions too, so it doesn't float.
    const { serverTemplate: headAfter } = await ok<{ serverTemplate: Template }>(url, GET, { id });
    expect(pins(headAfter)).toEqual(pins(first));
    expect(headAfter).toMatchObject({ revision: 0, floating: false, behind: false });
    version = headAfter.version;

    // Back to the rack MCI's HEAD: equal to its latest revision, so not floating until it changes.
    const repinned = await step(PIN_MCI, { templateId: id, mci: rack, revision: 0 }, 'pinTemplateMultiCloudImage');
    expect(pins(repinned)).toEqual([
      [web, 1, true],
      [rack, 0, false],
    ]);
    expect(repinned.floating).toBe(false);
    await mapCloud(url, rack, GCE);
    const { serverTemplate: drifting } = await ok<{ serverTemplate: Template }>(url, GET, { id });
    expect(drifting.floating).toBe(true);
    expect(cloudIds(drifting)).toEqual([EU, EAST, GCE, DFW]);
    const { serverTemplate: atOne } = await ok<{ serverTemplate: Template }>(url, GET, { id, revision: 1 });
    expect(cloudIds(atOne)).toEqual([EU, EAST, DFW]);
    expect(atOne.floating).toBe(false);

    // A second revision; the first is now behind.
    const beforeSecond = new Date();
    await afterInstant(beforeSecond);
    const { commitServerTemplate: second } = await ok<{ commitServerTemplate: Template }>(url, COMMIT, {
      id,
      message: 'rack on Google too',
      deps: true,
    });
    expect(second.revision).toBe(2);
    expect(pins(second)).toEqual([
      [web, 1, true],
      [rack, 2, false],
    ]);
    expect(cloudIds(second)).toEqual([EU, EAST, GCE, DFW]);
    const { serverTemplate: oldOne } = await ok<{ serverTemplate: Template }>(url, GET, { id, revision: 1 });
    expect(oldOne.behind).toBe(true);
    expect(oldOne.revisions.map((r) => r.revision)).toEqual([1, 2]);

    // Diff between two revisions: only the re-pinned MCI.
    const DIFF = `query($from: RevisionRef!, $to: RevisionRef!) { diff(from: $from, to: $to) { changes { path kind before after } } }`;
    const { diff } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 1 }, to: { id, revision: 2 } });
    expect(diff.changes).toEqual([{ path: `multiCloudImages.${rack}.revision`, kind: 'CHANGED', before: 1, after: 2 }]);
    const { diff: same } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 2 }, to: { id } });
    expect(same.changes).toEqual([]);

    // History from the log, and time travel to before the second commit.
    const { history } = await ok<{ history: { totalCount: number; nodes: Array<{ type: string; componentId: string }> } }>(
      url,
      `query($id: ID!) { history(id: $id, first: 500) { totalCount nodes { type componentId } } }`,
      { id },
    );
    expect(history.nodes.map((e) => e.type)).toEqual([
      'ServerTemplateCreated',
      'TemplateMultiCloudImageAdded',
      'DefaultMultiCloudImageChanged',
      'DefaultMultiCloudImageChanged',
      'TemplateMultiCloudImageRemoved',
      'TemplateMultiCloudImageAdded',
      'RightScriptBound',
      'RightScriptBound',
      'RightScriptBound',
      'RightScriptBound',
      'RightScriptBound',
      'RightScriptUnbound',
      'RightScriptBound',
      'TemplateMultiCloudImageRepinned',
      'RightScriptRepinned',
      'RightScriptRepinned',
      'RightScriptRepinned',
      'RevisionCommitted',
      'TemplateMultiCloudImageRepinned',
      'TemplateMultiCloudImageRepinned',
      'RevisionCommitted',
    ]);
    expect(new Set(history.nodes.map((e) => e.componentId))).toEqual(new Set([id]));
    const { componentAt } = await ok<{ componentAt: Template & { __typename: string } }>(
      url,
      `query($id: ID!, $at: DateTime!) { componentAt(id: $id, at: $at) { __typename ... on ServerTemplate { revision multiCloudImages { revision isDefault multiCloudImage { id } } supportedClouds { id } revisions { revision } } } }`,
      { id, at: beforeSecond.toISOString() },
    );
    expect(componentAt.__typename).toBe('ServerTemplate');
    expect(componentAt.multiCloudImages.map((m) => [m.multiCloudImage.id, m.revision, m.isDefault])).toEqual([
      [web, 1, true],
      [rack, 0, false],
    ]);
    expect(cloudIds(componentAt)).toEqual([EU, EAST, GCE, DFW]);
    expect(componentAt.revisions.map((r) => r.revision)).toEqual([1]);

    // Clone revision 1: a new lineage, the name's version bumped, the same pins.
    const { cloneServerTemplate: clone } = await ok<{ cloneServerTemplate: Template }>(url, CLONE, { id, revision: 1 });
    expect(clone).toMatchObject({
      name: 'PHP FrontEnd v8',
      revision: 0,
      version: 0,
      lineage: clone.id,
      clonedFrom: { id, revision: 1 },
      revisions: [],
      floating: false,
    });
    expect(pins(clone)).toEqual(pins(first));
    expect(bindings(clone)).toEqual(bindings(first));

    // Diff between two templates: the clone against the original's HEAD.
    const { diff: across } = await ok<{ diff: { changes: Array<{ path: string; kind: string; before: unknown; after: unknown }> } }>(
      url,
      DIFF,
      { from: { id: clone.id }, to: { id } },
    );
    expect(across.changes).toEqual([
      { path: 'name', kind: 'CHANGED', before: 'PHP FrontEnd v8', after: 'PHP FrontEnd v7' },
      { path: `multiCloudImages.${rack}.revision`, kind: 'CHANGED', before: 1, after: 2 },
    ]);

    // Delete the clone: gone from reads and lists, its history stays.
    const { deleteServerTemplate } = await ok<{ deleteServerTemplate: string }>(url, DELETE, { id: clone.id, v: clone.version });
    expect(deleteServerTemplate).toBe(clone.id);
    const gone = await fails(url, GET, { id: clone.id });
    expect([gone.code, gone.message]).toEqual(['NOT_FOUND', 'no such ServerTemplate']);
    const { serverTemplates } = await ok<{ serverTemplates: { totalCount: number; nodes: Array<{ id: string }> } }>(url, LIST, {});
    expect(serverTemplates.nodes.map((t) => t.id)).toEqual([id]);
    const { history: cloneHistory } = await ok<{ history: { nodes: Array<{ type: string }> } }>(
      url,
      `query($id: ID!) { history(id: $id) { nodes { type } } }`,
      { id: clone.id },
    );
    expect(cloneHistory.nodes.map((e) => e.type)).toEqual(['ComponentCloned', 'ComponentDeleted']);
  });

  it('commits a template with no HEAD pins without touching anything else, and refuses a commit with no changes', async () => {
    const url = service.url;
    const mci = await createMci(url, 'Pinned MCI', [EAST], { commit: true });
    const script = await createScript(url, 'pinned script', { commit: true });
    const template = await createTemplate(url, 'Fully pinned', mci, 1);
    await ok(url, BIND, { templateId: template.id, script, revision: 1, sequence: 'BOOT' });
    const others = [`mci-${mci}`, `rightscript-${script}`];
    const before = await written(service, others);
    const { commitServerTemplate } = await ok<{ commitServerTemplate: Template }>(url, COMMIT, { id: template.id, message: 'pinned' });
    expect(commitServerTemplate).toMatchObject({ revision: 1, floating: false });
    expect(((await written(service, others)) as { streams: unknown }).streams).toEqual((before as { streams: unknown }).streams);

    const stream = [`template-${template.id}`];
    const unchanged = await written(service, stream);
    const refused = await fails(url, COMMIT, { id: template.id, message: 'again', deps: true });
    expect([refused.code, refused.message]).toEqual([
      'NO_CHANGES',
      'HEAD (with its HEAD dependencies at their committed revisions) has not changed since revision 1: nothing to commit',
    ]);
    expect(await written(service, stream)).toEqual(unchanged);
    // A script committed since is still no reason: the template pins revision 1, not HEAD.
    await editScript(url, script, 'echo changed');
    await commitScript(url, script, 'changed');
    expect((await fails(url, COMMIT, { id: template.id, message: 'again' })).code).toBe('NO_CHANGES');
  });
});
