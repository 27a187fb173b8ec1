import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCloud } from '../../src/application/catalog';
import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import {
  registerStarterCatalog,
  STARTER_CATALOG,
  STARTER_IMAGE_NAMES,
  STARTER_RETIRED_IMAGE_NAMES,
  starterImageId,
  starterInstanceTypeId,
} from '../../src/application/starterCatalog';
import { isCompatible, type RegisteredCloud } from '../../src/domain/catalog/cloud';
import type { EventStore } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';

const operator: CommandContext = { accountId: 'account-default', actorId: 'user-admin', correlationId: 'bootstrap' };

describe('starter catalog', () => {
  let dir: string;
  let store: EventStore;
  let commands: CommandHandler;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mci-starter-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    commands = new CommandHandler(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function loadAll(): Promise<RegisteredCloud[]> {
    const clouds: RegisteredCloud[] = [];
    for (const { id } of STARTER_CATALOG) {
      const cloud = await loadCloud(store, id);
      if (cloud) clouds.push(cloud);
    }
    return clouds;
  }

  it('registers at least 6 clouds from at least 3 providers', async () => {
    const result = await registerStarterCatalog(store, commands, operator);
    const clouds = await loadAll();
    expect(result.registered).toEqual(STARTER_CATALOG.map((c) => c.id));
    expect(clouds.length).toBeGreaterThanOrEqual(6);
    expect(new Set(clouds.map((c) => c.provider)).size).toBeGreaterThanOrEqual(3);
    expect(clouds.map((c) => c.id)).toEqual(
      expect.arrayContaining(['aws-us-east-1', 'aws-eu-west-1', 'rackspace-dfw', 'rackspace-ord', 'gce-us-central1']),
    );
  });

  it('gives every cloud i386 and x86_64 images of at least two OS families', async () => {
    await registerStarterCatalog(store, commands, operator);
    for (const cloud of await loadAll()) {
      const active = Object.values(cloud.images).filter((i) => i.status === 'ACTIVE');
      const familiesWithBoth = [...new Set(active.map((i) => i.os))].filter((os) =>
        ['i386', 'x86_64'].every((arch) => active.some((i) => i.os === os && i.architecture === arch)),
      );
      expect({ cloud: cloud.id, families: familiesWithBoth.length >= 2 }).toEqual({ cloud: cloud.id, families: true });
      for (const name of Object.values(STARTER_IMAGE_NAMES)) {
        expect(cloud.images[starterImageId(cloud.id, name)]).toMatchObject({ name, cloudId: cloud.id, status: 'ACTIVE' });
      }
    }
  });

  it('describes images by OS, version and architecture as their names say', async () => {
    await registerStarterCatalog(store, commands, operator);
    const cloud = (await loadCloud(store, 'aws-us-east-1')) as RegisteredCloud;
    expect(cloud.images[starterImageId('aws-us-east-1', 'RightImage_CentOS_5.6_x64_v5.7')]).toEqual({
      id: 'aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7',
      cloudId: 'aws-us-east-1',
      name: 'RightImage_CentOS_5.6_x64_v5.7',
      os: 'CentOS',
      osVersion: '5.6',
      architecture: 'x86_64',
      status: 'ACTIVE',
    });
    expect(cloud.images[starterImageId('aws-us-east-1', 'RightImage_Ubuntu_10.04_i386_v5.7')]).toMatchObject({
      os: 'Ubuntu',
      osVersion: '10.04',
      architecture: 'i386',
    });
  });

  it('offers a small type that runs both architectures and a large one that runs x86_64 only', async () => {
    await registerStarterCatalog(store, commands, operator);
    for (const cloud of await loadAll()) {
      const small = cloud.instanceTypes[starterInstanceTypeId(cloud.id, 'small')];
      const large = cloud.instanceTypes[starterInstanceTypeId(cloud.id, 'large')];
      expect(small?.architectures).toEqual(['i386', 'x86_64']);
      expect(large?.architectures).toEqual(['x86_64']);
      const i386 = cloud.images[starterImageId(cloud.id, STARTER_IMAGE_NAMES.centosI386)];
      const x64 = cloud.images[starterImageId(cloud.id, STARTER_IMAGE_NAMES.centosX64)];
      if (!small || !large || !i386 || !x64) throw new Error(`cloud ${cloud.id} lacks a starter image or type`);
      expect([isCompatible(i386, small), isCompatible(x64, small), isCompatible(i386, large), isCompatible(x64, large)]).toEqual([
        true,
        true,
        false,
        true,
      ]);
    }
  });

  it('keeps one DEPRECATED and one OBSOLETE image in aws-us-east-1', async () => {
    await registerStarterCatalog(store, commands, operator);
    const cloud = (await loadCloud(store, 'aws-us-east-1')) as RegisteredCloud;
    expect(cloud.images[starterImageId('aws-us-east-1', STARTER_RETIRED_IMAGE_NAMES.deprecated)]?.status).toBe('DEPRECATED');
    expect(cloud.images[starterImageId('aws-us-east-1', STARTER_RETIRED_IMAGE_NAMES.obsolete)]?.status).toBe('OBSOLETE');
  });

  it('uses image and instance type ids that are unique across all clouds', async () => {
    await registerStarterCatalog(store, commands, operator);
    const clouds = await loadAll();
    const imageIds = clouds.flatMap((c) => Object.keys(c.images));
    const typeIds = clouds.flatMap((c) => Object.keys(c.instanceTypes));
    expect(new Set(imageIds).size).toBe(imageIds.length);
    expect(new Set(typeIds).size).toBe(typeIds.length);
  });

  it('writes each cloud as one append, with the operator in the metadata', async () => {
    await registerStarterCatalog(store, commands, operator);
    const events = await store.readStream('cloud-rackspace-dfw');
    expect(events.map((e) => e.type)).toEqual([
      'CloudRegistered',
      ...Array(4).fill('ImageRegistered'),
      'InstanceTypeRegistered',
      'InstanceTypeRegistered',
    ]);
    // One append: the whole stream is contiguous in the global log.
    const positions = events.map((e) => Number(e.position.commit));
    expect(positions).toEqual(positions.map((_, i) => (positions[0] as number) + i));
    for (const event of events) expect(event.metadata).toMatchObject({ accountId: 'account-default', actorId: 'user-admin' });
  });

  it('changes nothing when registered a second time', async () => {
    await registerStarterCatalog(store, commands, operator);
    const head = await store.headPosition();
    const before = (await store.readAll()).events.length;
    const again = await registerStarterCatalog(store, commands, operator);
    expect(again.registered).toEqual([]);
    expect(again.skipped).toEqual(STARTER_CATALOG.map((c) => c.id));
    expect(await store.headPosition()).toEqual(head);
    expect((await store.readAll()).events.length).toBe(before);
  });

  it('completes a registration that stopped midway, leaving the clouds already there untouched', async () => {
    await registerStarterCatalog(store, commands, operator, STARTER_CATALOG.slice(0, 3));
    const earlier = await store.readStream('cloud-aws-us-east-1');
    const result = await registerStarterCatalog(store, commands, operator);
    expect(result.skipped).toEqual(STARTER_CATALOG.slice(0, 3).map((c) => c.id));
    expect(result.registered).toEqual(STARTER_CATALOG.slice(3).map((c) => c.id));
    expect((await store.readStream('cloud-aws-us-east-1')).map((e) => e.id)).toEqual(earlier.map((e) => e.id));
    expect(await loadAll()).toHaveLength(STARTER_CATALOG.length);
  });

  it('leaves alone a cloud the operator registered before the starter catalog ran', async () => {
    await store.append(
      'cloud-rackspace-ord',
      [{ type: 'CloudRegistered', data: { cloudId: 'rackspace-ord', name: 'Mine', provider: 'Rackspace' } }],
      {
        expectedRevision: 'no_stream',
      },
    );
    const result = await registerStarterCatalog(store, commands, operator);
    expect(result.skipped).toEqual(['rackspace-ord']);
    expect(await loadCloud(store, 'rackspace-ord')).toMatchObject({ name: 'Mine', images: {}, instanceTypes: {} });
  });
});
