import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_ACCOUNT_ID } from '../src/application/bootstrap';
import type { CommandContext } from '../src/application/commandHandler';
import { addServer, createDeployment } from '../src/application/deployments';
import { commitMultiCloudImage, createMultiCloudImage, mapImage } from '../src/application/multiCloudImages';
import { commitRightScript, createRightScript } from '../src/application/rightScripts';
import {
  addTemplateMultiCloudImage,
  bindRightScript,
  commitServerTemplate,
  createServerTemplate,
} from '../src/application/serverTemplates';
import { STARTER_CATALOG, STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../src/application/starterCatalog';
import { loadConfig } from '../src/config';
import type { Role } from '../src/domain/accounts/roles';
import { SEQUENCES } from '../src/domain/serverTemplates/serverTemplate.types';
import { createLogger } from '../src/logger';
import { openServices, type Services } from '../src/services';

/*
 * The benchmark dataset (issue 7): built once through the real application layer (the same commands
 * the mutations run, each waiting for the read models) on a real SQLite DATA_DIR, then cached in
 * `bench/.data/<version>/` and copied for every run, so every run starts from the same bytes.
 *
 * Content comes from a seeded PRNG (no Math.random): MCIs map 1–4 of the starter clouds with a
 * realistic mix of images, sizes and user data, most are committed; templates attach 1–3 committed
 * MCIs pinned at revision 1, some bind committed RightScripts, all are committed; deployments hold
 * the servers, each built from a template revision in a cloud its MCIs cover. Ids are UUIDs the
 * commands choose (as in production), so they are recorded in the manifest next to the data.
 *
 * Usage:
 *   const seeded = await openSeeded();            // builds the cache on first use, then copies it
 *   // seeded.dataDir: a fresh copy to run a service on; seeded.adminToken: the default account's admin
 *   seeded.dispose();                              // removes the copy
 */

/** Bump when what is seeded changes: a new version builds a new cache directory. */
export const DATASET_VERSION = 1;
const SEED = 0x5eed_2024;

export interface DatasetOptions {
  readonly multiCloudImages: number;
  readonly templates: number;
  readonly servers: number;
  /** One deployment per this many templates. */
  readonly templatesPerDeployment: number;
  readonly rightScripts: number;
}

export const DEFAULT_DATASET: DatasetOptions = {
  multiCloudImages: 1000,
  templates: 200,
  servers: 2000,
  templatesPerDeployment: 10,
  rightScripts: 50,
};

/** The bootstrap admin of account `default` (every role, system operator). */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface DatasetManifest {
  readonly version: number;
  readonly options: DatasetOptions;
  readonly accountId: string;
  readonly adminToken: string;
  /** A token of another user of the same account holding only `observer`. */
  readonly observerToken: string;
  readonly multiCloudImageIds: readonly string[];
  readonly committedMultiCloudImageIds: readonly string[];
  readonly rightScriptIds: readonly string[];
  readonly templateIds: readonly string[];
  readonly deploymentIds: readonly string[];
  readonly serverCount: number;
  /** Events in the log once seeded. */
  readonly events: number;
  /** How long building took (the first time; later runs only copy). */
  readonly seedSeconds: number;
}

export interface SeededDataset extends DatasetManifest {
  /** A fresh copy of the seeded DATA_DIR, all yours: run a service on it, write to it. */
  readonly dataDir: string;
  /** Seconds spent preparing this copy (copying, or building and copying on a cold cache). */
  readonly preparedInSeconds: number;
  /** Removes the copy. */
  dispose(): void;
}

/** mulberry32: a small, fast, seeded PRNG; the same seed gives the same dataset content. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const CURRENT_IMAGES = Object.values(STARTER_IMAGE_NAMES);
const USER_DATA = [
  '',
  '#!/bin/bash\nyum -y update\n',
  '#cloud-config\npackages:\n  - nginx\n  - git\n',
  'RS_SERVER_ROLE=app\nRS_ENV=production\n',
  '#!/bin/sh\necho "boot $(hostname)" >> /var/log/boot.log\n',
];

/** The repository root (the directory holding package.json), from bench/ or dist/bench/ (dist/ holds a copy of package.json). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || basename(dir) === 'dist') {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export function datasetKey(options: DatasetOptions): string {
  const o = options;
  return `v${DATASET_VERSION}-m${o.multiCloudImages}-t${o.templates}-s${o.servers}-d${o.templatesPerDeployment}-r${o.rightScripts}`;
}

/** Where the cache of these options lives (`BENCH_DATA_CACHE` overrides the root, default `bench/.data`). */
export function datasetCacheDir(options: DatasetOptions = DEFAULT_DATASET): string {
  const root = process.env['BENCH_DATA_CACHE'] || join(repositoryRoot(), 'bench', '.data');
  return join(root, datasetKey(options));
}

/**
 * Builds the dataset into `dataDir` (which must be empty or missing) through the application layer and
 * returns its manifest. Seeds at `synchronous=NORMAL`: durability of the seed doesn't matter, the copy does.
 */
export async function seedDataset(dataDir: string, partial: Partial<DatasetOptions> = {}): Promise<DatasetManifest> {
  const options: DatasetOptions = { ...DEFAULT_DATASET, ...partial };
  const started = process.hrtime.bigint();
  const config = loadConfig({
    DATA_DIR: dataDir,
    BOOTSTRAP_TOKEN: BENCH_ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    SQLITE_SYNCHRONOUS: 'NORMAL',
  });
  const services = await openServices(config, createLogger('silent'));
  try {
    const manifest = await seedInto(services, options);
    const events = await countEvents(services);
    return { ...manifest, events, seedSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await services.close();
  }
}

async function countEvents(services: Services): Promise<number> {
  const head = await services.store.headPosition();
  // The embedded store's log positions are 1-based and dense: the head's commit position is the count.
  return head === undefined ? 0 : Number(head.commit);
}

type Seeded = Omit<DatasetManifest, 'events' | 'seedSeconds'>;

async function seedInto(services: Services, options: DatasetOptions): Promise<Seeded> {
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  let request = 0;
  const context = (): CommandContext => ({ accountId: DEFAULT_ACCOUNT_ID, actorId: 'bench-seed', correlationId: `seed-${request++}` });
  const progress = (what: string, done: number, total: number): void => {
    if (done % 250 === 0 || done === total) process.stderr.write(`  seeding: ${what} ${done}/${total}\r${done === total ? '\n' : ''}`);
  };

  // A second user of the account with only `observer`: for comparing viewers with different roles.
  const observerUser = await services.accounts.createUser('bench observer', context());
  const observer = await services.accounts.createApiToken(
    { userId: observerUser, roles: ['observer'] as Role[], name: 'bench' },
    context(),
  );

  const multiCloudImageIds: string[] = [];
  const committed: string[] = [];
  /** The clouds each committed MCI's revision 1 covers, for choosing a server's cloud. */
  const cloudsOf = new Map<string, string[]>();
  for (let i = 0; i < options.multiCloudImages; i++) {
    const { id } = await createMultiCloudImage(services, context(), {
      name: `${pick(['CentOS', 'Ubuntu', 'Base', 'App', 'DB', 'Cache', 'Web'])} image ${i}`,
      description: random() < 0.5 ? '' : `Seeded MCI ${i} for the catalog benchmark`,
    });
    multiCloudImageIds.push(id);
    const clouds = shuffled(STARTER_CATALOG, random).slice(0, between(1, 4));
    for (const cloud of clouds) {
      const image = pick(CURRENT_IMAGES);
      // Large instance types run 64-bit images only.
      const size = image.includes('i386') || random() < 0.6 ? 'small' : 'large';
      await mapImage(services, context(), {
        id,
        cloudId: cloud.id,
        imageId: starterImageId(cloud.id, image),
        instanceTypeId: starterInstanceTypeId(cloud.id, size),
        userData: pick(USER_DATA),
      });
    }
    // Most MCIs are committed (90%); a few of those got another edit after the commit (HEAD ahead).
    if (random() < 0.9) {
      await commitMultiCloudImage(services, context(), { id, message: `Release ${i}` });
      committed.push(id);
      cloudsOf.set(
        id,
        clouds.map((c) => c.id),
      );
    }
    progress('MCIs', i + 1, options.multiCloudImages);
  }

  const rightScriptIds: string[] = [];
  for (let i = 0; i < options.rightScripts; i++) {
    const { id } = await createRightScript(services, context(), {
      name: `rs-${i}`,
      description: 'Seeded RightScript',
      source: `#!/bin/bash\n# step ${i}\necho "running step ${i}"\n`,
      inputs: [],
    });
    await commitRightScript(services, context(), { id, message: 'v1' });
    rightScriptIds.push(id);
  }

  const templateIds: string[] = [];
  const templateClouds = new Map<string, string[]>();
  for (let i = 0; i < options.templates; i++) {
    const chosen = [...new Set(Array.from({ length: between(1, 3) }, () => pick(committed)))];
    const [first, ...rest] = chosen as [string, ...string[]];
    const { id } = await createServerTemplate(services, context(), {
      name: `Template ${i}`,
      description: `Seeded template ${i}`,
      multiCloudImageId: first,
      multiCloudImageRevision: 1,
    });
    for (const mci of rest)
      await addTemplateMultiCloudImage(services, context(), { id, multiCloudImageId: mci, multiCloudImageRevision: 1 });
    if (rightScriptIds.length > 0 && random() < 0.4) {
      for (const rs of new Set(Array.from({ length: between(1, 2) }, () => pick(rightScriptIds)))) {
        await bindRightScript(services, context(), { id, rightScriptId: rs, rightScriptRevision: 1, sequence: pick(SEQUENCES) });
      }
    }
    await commitServerTemplate(services, context(), { id, message: `Template ${i} v1` });
    templateIds.push(id);
    templateClouds.set(id, [...new Set(chosen.flatMap((mci) => cloudsOf.get(mci) ?? []))]);
    progress('templates', i + 1, options.templates);
  }

  const deploymentIds: string[] = [];
  const deployments = Math.max(1, Math.round(options.templates / options.templatesPerDeployment));
  for (let d = 0; d < deployments; d++) {
    deploymentIds.push((await createDeployment(services, context(), { name: `Deployment ${d}` })).id);
  }
  for (let s = 0; s < options.servers; s++) {
    const deploymentId = deploymentIds[s % deploymentIds.length] as string;
    const serverTemplateId = pick(templateIds);
    await addServer(services, context(), {
      deploymentId,
      name: `server-${s}`,
      serverTemplateId,
      serverTemplateRevision: 1,
      cloudId: pick(templateClouds.get(serverTemplateId) ?? []),
    });
    progress('servers', s + 1, options.servers);
  }

  return {
    version: DATASET_VERSION,
    options,
    accountId: DEFAULT_ACCOUNT_ID,
    adminToken: BENCH_ADMIN_TOKEN,
    observerToken: observer.secret,
    multiCloudImageIds,
    committedMultiCloudImageIds: committed,
    rightScriptIds,
    templateIds,
    deploymentIds,
    serverCount: options.servers,
  };
}

/** Fisher–Yates with the seeded PRNG. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const MANIFEST = 'manifest.json';

/**
 * The seeded dataset's cache directory, built on first use. Concurrent first uses each build in a
 * directory of their own and rename it into place; the first rename wins, the others are dropped.
 */
export async function ensureDataset(partial: Partial<DatasetOptions> = {}): Promise<{ dir: string; manifest: DatasetManifest }> {
  const options: DatasetOptions = { ...DEFAULT_DATASET, ...partial };
  const dir = datasetCacheDir(options);
  if (!existsSync(join(dir, MANIFEST))) {
    mkdirSync(dirname(dir), { recursive: true });
    const building = mkdtempSync(`${dir}.building-`);
    try {
      process.stderr.write(`  building the dataset ${datasetKey(options)} (once; cached in ${dir})…\n`);
      const manifest = await seedDataset(join(building, 'data'), options);
      writeFileSync(join(building, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      process.stderr.write(`  seeded ${manifest.events} events in ${manifest.seedSeconds.toFixed(1)} s\n`);
      try {
        renameSync(building, dir);
      } catch (error) {
        if (!existsSync(join(dir, MANIFEST))) throw error;
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  return { dir, manifest: JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as DatasetManifest };
}

/** A fresh copy of the seeded dataset (built first if it isn't cached yet), in a temporary directory. */
export async function openSeeded(partial: Partial<DatasetOptions> = {}): Promise<SeededDataset> {
  const started = process.hrtime.bigint();
  const { dir, manifest } = await ensureDataset(partial);
  const copy = mkdtempSync(join(tmpdir(), 'mci-bench-data-'));
  const dataDir = join(copy, 'data');
  cpSync(join(dir, 'data'), dataDir, { recursive: true });
  return {
    ...manifest,
    dataDir,
    preparedInSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    dispose: () => rmSync(copy, { recursive: true, force: true }),
  };
}

/** One line naming the dataset, for a benchmark's header. */
export function describeDataset(manifest: DatasetManifest): string {
  const o = manifest.options;
  return `dataset ${datasetKey(o)}: ${o.multiCloudImages} MCIs (${manifest.committedMultiCloudImageIds.length} committed), ${o.rightScripts} RightScripts, ${o.templates} templates, ${manifest.deploymentIds.length} deployments, ${manifest.serverCount} servers, ${manifest.events} events (seeded in ${manifest.seedSeconds.toFixed(1)} s)`;
}
