import { createHash } from 'node:crypto';
import { DEFAULT_ACCOUNT_ID } from '../../src/application/bootstrap';
import type { CommandContext } from '../../src/application/commandHandler';
import { componentAt, componentStream, loadComponentState } from '../../src/application/components';
import { addServer, createDeployment, deploymentKind } from '../../src/application/deployments';
import {
  commitMultiCloudImage,
  createMultiCloudImage,
  mapImage,
  multiCloudImageKind,
  parseMultiCloudImageEvent,
  unmapImage,
  updateMultiCloudImage,
} from '../../src/application/multiCloudImages';
import { commitRightScript, createRightScript, rightScriptKind, updateRightScript } from '../../src/application/rightScripts';
import { bindRightScript, commitServerTemplate, createServerTemplate, serverTemplateKind } from '../../src/application/serverTemplates';
import { foldStream, occurredAtMs, SNAPSHOT_SCHEMA_VERSION } from '../../src/application/snapshots';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fold } from '../../src/domain/decider';
import { multiCloudImageDecider, type MultiCloudImageState } from '../../src/domain/multiCloudImages/multiCloudImage';
import type { RecordedEvent } from '../../src/eventStore/port';
import { fails, ok } from '../support/api';
import { startEsdbTestServer } from '../support/esdbTestServer';
import { startTestService, type TestService } from '../support/service';

/*
 * Snapshots in the running service (SNAPSHOT_INTERVAL=2, so nearly every command crosses a snapshot
 * boundary): commands decide on the state a snapshot plus its tail gives, time travel answers as a fold
 * of the whole stream would, a damaged snapshot changes nothing, on both event-store adapters.
 */

const EAST = 'aws-us-east-1';
const EU = 'aws-eu-west-1';
const DFW = 'rackspace-dfw';
const centos64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64);
const size = (cloudId: string, which: 'small' | 'large'): string => starterInstanceTypeId(cloudId, which);

let requests = 0;
const context = (): CommandContext => ({ accountId: DEFAULT_ACCOUNT_ID, actorId: 'snapshot-test', correlationId: `snap-${++requests}` });

const STORES = [
  { name: 'SQLite', start: async () => ({ service: await startTestService({ SNAPSHOT_INTERVAL: '2' }), close: async () => undefined }) },
  {
    name: 'EventStoreDB',
    start: async () => {
      const esdb = await startEsdbTestServer();
      return {
        service: await startTestService({ SNAPSHOT_INTERVAL: '2', EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url }),
        close: () => esdb.close(),
      };
    },
  },
];

describe.each(STORES)('snapshots in the service on $name', (adapter) => {
  let service: TestService;
  let close: () => Promise<unknown>;
  beforeAll(async () => {
    const started = await adapter.start();
    service = started.service;
    close = started.close;
  });
  afterAll(async () => {
    await service.stop();
    await close();
  });

  const mciStream = (id: string): string => componentStream(multiCloudImageKind, id);
  const wholeFold = async (id: string): Promise<{ state: MultiCloudImageState; recorded: RecordedEvent[] }> => {
    const recorded = await service.services.store.readStream(mciStream(id));
    return { state: fold(multiCloudImageDecider, recorded.map(parseMultiCloudImageEvent)), recorded };
  };
  const snapshotRevisions = (stream: string): number[] =>
    (
      service.services.readModels
        .prepare(`SELECT revision FROM stream_snapshots WHERE stream = ? AND kind = 'MultiCloudImage' ORDER BY revision`)
        .all(stream) as Array<{ revision: number }>
    ).map((row) => row.revision);

  it('decides every command on the state of the whole stream, across snapshot boundaries', async () => {
    const services = service.services;
    const { id } = await createMultiCloudImage(services, context(), { name: 'Base', description: '' });
    const steps: Array<() => Promise<{ version: number }>> = [
      () => mapImage(services, context(), { id, cloudId: EAST, imageId: centos64(EAST), instanceTypeId: size(EAST, 'small') }),
      () => mapImage(services, context(), { id, cloudId: EU, imageId: centos64(EU), instanceTypeId: size(EU, 'large') }),
      () => updateMultiCloudImage(services, context(), { id, name: 'Base v2' }),
      () => commitMultiCloudImage(services, context(), { id, message: 'first' }),
      () => mapImage(services, context(), { id, cloudId: EAST, imageId: centos64(EAST), instanceTypeId: size(EAST, 'large') }),
      () => mapImage(services, context(), { id, cloudId: DFW, imageId: centos64(DFW), instanceTypeId: size(DFW, 'small') }),
      () => unmapImage(services, context(), { id, cloudId: EU }),
      () => commitMultiCloudImage(services, context(), { id, message: 'second' }),
    ];
    for (const [i, step] of steps.entries()) {
      const written = await step();
      expect(written.version).toBe(i + 1);
      const loaded = await loadComponentState(services.store, multiCloudImageKind, id);
      const whole = await wholeFold(id);
      expect(loaded.state).toEqual(whole.state);
      expect(loaded.version).toBe(BigInt(i + 1));
    }
    expect(snapshotRevisions(mciStream(id))).toEqual([1, 3, 5, 7]);
    const folded = await foldStream(services.store, multiCloudImageKind, mciStream(id));
    expect(folded).toMatchObject({ fromSnapshot: 7n, folded: 1 });
    expect(folded.state).toMatchObject({ status: 'active', latestRevision: 2, head: { name: 'Base v2' } });
    expect(Object.keys((folded.state as { head: { settings: object } }).head.settings).sort()).toEqual([EAST, DFW].sort());

    // HEAD equals revision 2 (loaded through a snapshot): committing again is NO_CHANGES, nothing written.
    const head = await services.store.headPosition();
    await expect(commitMultiCloudImage(services, context(), { id, message: 'again' })).rejects.toMatchObject({ code: 'NO_CHANGES' });
    // A stale expectedVersion is still refused after a snapshot-based load.
    await expect(updateMultiCloudImage(services, context(), { id, name: 'late', expectedVersion: 5 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    expect(await services.store.headPosition()).toEqual(head);
  });

  it('travels in time to every event of a snapshotted stream as a fold of the whole stream does', async () => {
    const services = service.services;
    const { id } = await createMultiCloudImage(services, context(), { name: 'Travel', description: '' });
    for (const [i, cloudId] of [EAST, EU, DFW, EAST, EU].entries()) {
      await mapImage(services, context(), {
        id,
        cloudId,
        imageId: centos64(cloudId),
        instanceTypeId: size(cloudId, i % 2 ? 'large' : 'small'),
      });
      await updateMultiCloudImage(services, context(), { id, name: `Travel ${i}` });
    }
    const { recorded } = await wholeFold(id);
    expect(recorded.length).toBe(11);
    await loadComponentState(services.store, multiCloudImageKind, id);
    expect(snapshotRevisions(mciStream(id)).length).toBe(5);
    for (const event of recorded) {
      const at = new Date(occurredAtMs(event));
      let state = multiCloudImageDecider.initialState();
      let version = -1;
      for (const earlier of recorded) {
        if (occurredAtMs(earlier) > at.getTime()) break;
        state = multiCloudImageDecider.evolve(state, parseMultiCloudImageEvent(earlier));
        version = Number(earlier.revision);
      }
      expect(await componentAt(services.store, multiCloudImageKind, DEFAULT_ACCOUNT_ID, id, at)).toEqual({ state, version });
    }
    // The same through the API, at the last event.
    const last = recorded[recorded.length - 1] as RecordedEvent;
    const { componentAt: past } = await ok<{ componentAt: { name: string; version: number } }>(
      service.url,
      `query($id: ID!, $at: DateTime!) { componentAt(id: $id, at: $at) { name version } }`,
      { id, at: new Date(occurredAtMs(last)).toISOString() },
    );
    expect(past).toEqual({ name: 'Travel 4', version: 10 });
    const before = await fails(service.url, `query($id: ID!, $at: DateTime!) { componentAt(id: $id, at: $at) { name } }`, {
      id,
      at: new Date(occurredAtMs(recorded[0] as RecordedEvent) - 1).toISOString(),
    });
    expect(before.code).toBe('NOT_FOUND');
  });

  it('ignores a damaged snapshot in the running service and decides on the true state', async () => {
    const services = service.services;
    const { id } = await createMultiCloudImage(services, context(), { name: 'Damaged', description: '' });
    await mapImage(services, context(), { id, cloudId: EAST, imageId: centos64(EAST), instanceTypeId: size(EAST, 'small') });
    await mapImage(services, context(), { id, cloudId: EU, imageId: centos64(EU), instanceTypeId: size(EU, 'small') });
    expect(snapshotRevisions(mciStream(id))).toEqual([1]);
    // The snapshot now claims EAST is unmapped: believed, the next unmap of EAST would be refused.
    services.readModels
      .prepare(`UPDATE stream_snapshots SET state = json_set(state, '$.head.settings', json('{}')) WHERE stream = ?`)
      .run(mciStream(id));
    const written = await unmapImage(services, context(), { id, cloudId: EAST });
    expect(written.version).toBe(3);
    expect((await wholeFold(id)).state).toMatchObject({ head: { settings: { [EU]: { cloudId: EU } } } });
    expect(Object.keys(((await wholeFold(id)).state as { head: { settings: object } }).head.settings)).toEqual([EU]);
  });

  it('runs every command and time travel as before when snapshots can be neither written nor read', async () => {
    const services = service.services;
    const { id } = await createMultiCloudImage(services, context(), { name: 'No cache', description: '' });
    const db = services.readModels;
    // Writes refused first (as a full disk would), then the table gone altogether (lookups fail too).
    db.exec(`CREATE TRIGGER refuse_snapshots BEFORE INSERT ON stream_snapshots BEGIN SELECT RAISE(ABORT, 'snapshots refused'); END`);
    try {
      for (const cloudId of [EAST, EU]) {
        await mapImage(services, context(), { id, cloudId, imageId: centos64(cloudId), instanceTypeId: size(cloudId, 'small') });
      }
      expect(snapshotRevisions(mciStream(id))).toEqual([]);
      db.exec(`ALTER TABLE stream_snapshots RENAME TO stream_snapshots_away`);
      try {
        const written = await updateMultiCloudImage(services, context(), { id, name: 'No cache v2' });
        expect(written.version).toBe(3);
        expect((await commitMultiCloudImage(services, context(), { id, message: 'without snapshots' })).version).toBe(4);
        const { state, recorded } = await wholeFold(id);
        expect((await loadComponentState(services.store, multiCloudImageKind, id)).state).toEqual(state);
        const at = new Date(occurredAtMs(recorded[recorded.length - 1] as RecordedEvent));
        expect(await componentAt(services.store, multiCloudImageKind, DEFAULT_ACCOUNT_ID, id, at)).toEqual({ state, version: 4 });
      } finally {
        db.exec(`ALTER TABLE stream_snapshots_away RENAME TO stream_snapshots`);
      }
    } finally {
      db.exec(`DROP TRIGGER IF EXISTS refuse_snapshots`);
    }
    // Writable again: the next load snapshots the stream.
    await loadComponentState(services.store, multiCloudImageKind, id);
    expect(snapshotRevisions(mciStream(id))).toEqual([1, 3]);
  });
});

/**
 * The shape of a value: its keys and the types of their values, recursively (records keyed by ids
 * collapse to one entry). A decider state that changes shape changes this.
 */
function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${[...new Set(value.map(shapeOf))].sort().join('|')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    // A record keyed by data (cloud ids, server ids…) has keys nobody chose in code: one entry stands for all.
    if (entries.length > 0 && entries.every(([key]) => /[-/.]|^[0-9a-f-]{36}$/u.test(key))) {
      return `{*:${[...new Set(entries.map(([, v]) => shapeOf(v)))].sort().join('|')}}`;
    }
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, v]) => `${key}:${shapeOf(v)}`)
      .join(',')}}`;
  }
  return typeof value;
}

/*
 * SNAPSHOT_SCHEMA_VERSION must move whenever a decider's state changes shape, or snapshots written by
 * the older build would be folded on as if they had the new shape. This records the shapes the
 * current version stands for.
 */
const SHAPES_OF_SCHEMA_VERSION: Readonly<Record<number, string>> = {
  1: 'e8fe305044ac6093b2d0811ae19e362f98b0aa666e07e10848de5e96bac3a4c0',
};

describe('the snapshot schema version', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ SNAPSHOT_INTERVAL: '1' });
  });
  afterAll(() => service.stop());

  it('names the shape of every snapshotted state: a state shape change must bump SNAPSHOT_SCHEMA_VERSION', async () => {
    const services = service.services;
    const { id: mci } = await createMultiCloudImage(services, context(), { name: 'Shape', description: 'd' });
    await mapImage(services, context(), {
      id: mci,
      cloudId: EAST,
      imageId: centos64(EAST),
      instanceTypeId: size(EAST, 'small'),
      userData: 'x',
    });
    await commitMultiCloudImage(services, context(), { id: mci, message: 'm' });
    const { id: script } = await createRightScript(services, context(), {
      name: 'Shape script',
      description: '',
      source: 'echo',
      inputs: [{ name: 'PORT', type: 'TEXT', default: '80' }],
    });
    await updateRightScript(services, context(), { id: script, source: 'echo 2' });
    await commitRightScript(services, context(), { id: script, message: 'm' });
    const { id: template } = await createServerTemplate(services, context(), {
      name: 'Shape template',
      description: '',
      multiCloudImageId: mci,
      multiCloudImageRevision: 1,
    });
    await bindRightScript(services, context(), { id: template, rightScriptId: script, rightScriptRevision: 1, sequence: 'BOOT' });
    await commitServerTemplate(services, context(), { id: template, message: 'm' });
    const { id: deployment } = await createDeployment(services, context(), { name: 'Shape deployment' });
    await addServer(services, context(), {
      deploymentId: deployment,
      name: 's1',
      serverTemplateId: template,
      serverTemplateRevision: 1,
      cloudId: EAST,
    });

    const shapes: Record<string, string> = {};
    for (const [folding, id] of [
      [multiCloudImageKind, mci],
      [rightScriptKind, script],
      [serverTemplateKind, template],
      [deploymentKind, deployment],
    ] as const) {
      // A command snapshots what it loaded; one more load snapshots the state its own events made.
      const stream = componentStream(folding, id);
      const { kind } = folding;
      await foldStream(services.store, folding as Parameters<typeof foldStream>[1], stream);
      const row = services.readModels
        .prepare(`SELECT state FROM stream_snapshots WHERE stream = ? AND kind = ? ORDER BY revision DESC LIMIT 1`)
        .get(stream, kind) as { state: string } | undefined;
      expect(row).toBeDefined();
      shapes[kind] = shapeOf(JSON.parse((row as { state: string }).state));
    }
    const fingerprint = createHash('sha256').update(JSON.stringify(shapes)).digest('hex');
    if (SHAPES_OF_SCHEMA_VERSION[SNAPSHOT_SCHEMA_VERSION] !== fingerprint) {
      throw new Error(
        `the decider states snapshotted changed shape (fingerprint ${fingerprint}, shapes ${JSON.stringify(shapes, null, 2)}): ` +
          `bump SNAPSHOT_SCHEMA_VERSION in src/application/snapshots.ts and record the new fingerprint under it here`,
      );
    }
  });
});
