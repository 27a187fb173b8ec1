import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { componentStream } from '../src/application/components';
import { multiCloudImageKind, parseMultiCloudImageEvent } from '../src/application/multiCloudImages';
import { loadConfig } from '../src/config';
import { fold } from '../src/domain/decider';
import { multiCloudImageDecider } from '../src/domain/multiCloudImages/multiCloudImage';
import { openSqliteEventStore } from '../src/eventStore/sqlite/sqliteEventStore';
import { createLogger } from '../src/logger';
import { openServices } from '../src/services';
import { datasetCacheDir, ensureDataset, type DatasetManifest } from './dataset';
import { appendInBatches, mciHistory } from './histories';

/*
 * A log of a million events for the rebuild and cold-start benchmarks: the seeded dataset (1,000 MCIs,
 * 200 templates, 2,000 servers, built through the application layer) plus the edit history of its MCIs
 * (mappings, renames, commits, each MCI's stream continued from its own state), appended straight
 * through the adapter at synchronous=NORMAL in batches of 1,000 events. Built once and cached next to the
 * dataset (`<cache>/million-<events>/`); a second cache holds the same log with read models caught up to
 * its head (what a service restarted on it finds).
 */

const HISTORY_START_MS = Date.parse('2021-01-01T00:00:00.000Z');
/** Bump when what is generated changes. */
const MILLION_VERSION = 1;

export interface MillionManifest {
  readonly events: number;
  readonly dataset: string;
  readonly builtInSeconds: number;
}

const cacheRoot = (): string => dirname(datasetCacheDir());

function cached<T>(dir: string, build: (building: string) => Promise<T>): Promise<{ dir: string; manifest: T }> {
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) return Promise.resolve({ dir, manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as T });
  return (async () => {
    mkdirSync(dirname(dir), { recursive: true });
    const building = mkdtempSync(`${dir}.building-`);
    try {
      const manifest = await build(building);
      writeFileSync(join(building, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      try {
        renameSync(building, dir);
      } catch (error) {
        if (!existsSync(manifestFile)) throw error;
      }
      return { dir, manifest };
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  })();
}

/** `<dir>/data/events.sqlite` holding `total` events (no read models). */
export function ensureMillionEvents(total: number): Promise<{ dir: string; manifest: MillionManifest }> {
  return cached(join(cacheRoot(), `million-v${MILLION_VERSION}-${total}`), async (building) => {
    const { dir: datasetDir, manifest: dataset } = await ensureDataset();
    const started = process.hrtime.bigint();
    const data = join(building, 'data');
    mkdirSync(data);
    copyFileSync(join(datasetDir, 'data', 'events.sqlite'), join(data, 'events.sqlite'));
    await appendHistories(join(data, 'events.sqlite'), dataset, total);
    const builtInSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`  built a log of ${total.toLocaleString('en-US')} events in ${builtInSeconds.toFixed(1)} s\n`);
    return { events: total, dataset: dirname(datasetDir), builtInSeconds };
  });
}

async function appendHistories(path: string, dataset: DatasetManifest, total: number): Promise<void> {
  const store = openSqliteEventStore({ path, synchronous: 'NORMAL' });
  try {
    const head = await store.headPosition();
    const missing = total - Number(head?.commit ?? 0n);
    const ids = dataset.multiCloudImageIds;
    for (const [i, id] of ids.entries()) {
      const count = Math.floor(missing / ids.length) + (i < missing % ids.length ? 1 : 0);
      if (count === 0) continue;
      const stream = componentStream(multiCloudImageKind, id);
      const recorded = await store.readStream(stream);
      const from = fold(multiCloudImageDecider, recorded.map(parseMultiCloudImageEvent));
      const { events } = mciHistory(id, {
        count,
        accountId: dataset.accountId,
        from,
        startMs: HISTORY_START_MS + i * 60_000,
        stepMs: 1_000,
        seed: 0x4d1 + i,
      });
      await appendInBatches(store, stream, events, (recorded[recorded.length - 1]?.revision ?? 'no_stream') as bigint | 'no_stream');
      if (i % 50 === 49) process.stderr.write(`  appending histories: ${i + 1}/${ids.length} MCIs\r`);
    }
    process.stderr.write('\n');
  } finally {
    await store.close();
  }
}

/** The million-event log with read models caught up to its head (built by starting the service on it once). */
export function ensureCaughtUp(total: number): Promise<{ dir: string; manifest: MillionManifest & { catchUpSeconds: number } }> {
  return cached(join(cacheRoot(), `million-v${MILLION_VERSION}-${total}-caught-up`), async (building) => {
    const { dir, manifest } = await ensureMillionEvents(total);
    const data = join(building, 'data');
    mkdirSync(data);
    copyFileSync(join(dir, 'data', 'events.sqlite'), join(data, 'events.sqlite'));
    const started = process.hrtime.bigint();
    const services = await openServices(
      loadConfig({
        DATA_DIR: data,
        LOG_LEVEL: 'silent',
        BOOTSTRAP_TOKEN: 'bench-admin-token-0123456789abcdef',
        SQLITE_SYNCHRONOUS: 'NORMAL',
      }),
      createLogger('silent'),
    );
    try {
      await services.projections.waitForPosition(await services.store.headPosition(), 3_600_000);
    } finally {
      await services.close();
    }
    const catchUpSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`  read models caught up with ${total.toLocaleString('en-US')} events in ${catchUpSeconds.toFixed(1)} s\n`);
    return { ...manifest, catchUpSeconds };
  });
}
