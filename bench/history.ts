import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ACCOUNT_ID } from '../src/application/bootstrap';
import type { CommandContext } from '../src/application/commandHandler';
import { componentAt, componentStream, loadComponentState } from '../src/application/components';
import { mapImage, multiCloudImageKind } from '../src/application/multiCloudImages';
import { attachSnapshots, detachSnapshots, snapshotsOf } from '../src/application/snapshots';
import { starterImageId, starterInstanceTypeId, STARTER_IMAGE_NAMES } from '../src/application/starterCatalog';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startHttpServer } from '../src/server/httpServer';
import { openServices, type Services } from '../src/services';
import { appendInBatches, mciHistory } from './histories';
import { formatNumber, formatRatio, median, rotate, table } from './harness';

/*
 * Benchmark 4, history-length independence: the same reads and the same command on MCIs whose streams
 * hold 10, 1,000 and 100,000 events, with snapshots (SNAPSHOT_INTERVAL, default 100) and without
 * (the whole stream read and folded, the service before snapshots), alternating round by round:
 *
 * - load: the MCI's HEAD state as a command or a reader loads it (`loadComponentState`);
 * - mapImage: the mutation end to end through the application layer (stream lock, load, decide,
 *   append at synchronous=FULL, wait for the read models);
 * - componentAt (middle / end): time travel to the instant of the middle event and of the last one;
 * - diff r1↔rN over GraphQL: from the first to the newest revision (revision snapshots in the read models).
 *
 * Target (issue 7): the 100,000-event case at most 3× the 10-event case.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SIZES = (process.env['BENCH_HISTORY_SIZES'] ?? '10,1000,100000').split(',').map(Number);
/** Timed calls per contender per round (the whole-stream contenders at 100k do fewer: they are slow by design). */
const REPS = Number(process.env['BENCH_HISTORY_REPS'] ?? 20);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const EAST = 'aws-us-east-1';
const START_MS = Date.parse('2020-01-01T00:00:00.000Z');
const STEP_MS = 1_000;

interface Subject {
  readonly size: number;
  readonly id: string;
  readonly middleAt: Date;
  readonly endAt: Date;
  readonly latestRevision: number;
}

type Mode = 'snapshots' | 'whole stream';
type Operation = 'load' | 'mapImage' | 'componentAt (middle)' | 'componentAt (end)' | 'diff r1↔rN';
const OPERATIONS: readonly Operation[] = ['load', 'mapImage', 'componentAt (middle)', 'componentAt (end)', 'diff r1↔rN'];

export async function historyBenchmark(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mci-bench-history-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' });
  const services = await openServices(config, createLogger('silent'));
  const http = await startHttpServer(services);
  const snapshots = snapshotsOf(services.store);
  if (!snapshots) throw new Error('the service runs without snapshots (SNAPSHOT_INTERVAL=0?)');
  const setMode = (mode: Mode): void =>
    mode === 'snapshots' ? attachSnapshots(services.store, snapshots) : detachSnapshots(services.store);
  const post = async (query: string, variables: Record<string, unknown>): Promise<void> => {
    const response = await fetch(`${http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    if (body.errors) throw new Error(`benchmark request failed: ${JSON.stringify(body.errors)}`);
  };
  let request = 0;
  const context = (): CommandContext => ({ accountId: DEFAULT_ACCOUNT_ID, actorId: 'bench', correlationId: `history-${request++}` });
  try {
    const subjects: Subject[] = [];
    for (const [i, size] of SIZES.entries()) subjects.push(await buildSubject(services, size, 0x1157 + i));
    const head = await services.store.headPosition();
    process.stderr.write('  waiting for the read models to apply the histories…\n');
    await services.projections.waitForPosition(head, 600_000);

    // The first load of a long stream with an empty snapshot table folds it whole and writes its snapshots.
    const firstLoads = new Map<number, number>();
    for (const subject of subjects) {
      const t0 = process.hrtime.bigint();
      await loadComponentState(services.store, multiCloudImageKind, subject.id);
      firstLoads.set(subject.size, Number(process.hrtime.bigint() - t0) / 1e6);
    }

    let flip = 0;
    const run: Record<Operation, (subject: Subject) => Promise<void>> = {
      load: async (subject) => {
        await loadComponentState(services.store, multiCloudImageKind, subject.id);
      },
      mapImage: async (subject) => {
        const which = flip++ % 2 === 0 ? 'large' : 'small';
        await mapImage(services, context(), {
          id: subject.id,
          cloudId: EAST,
          imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
          instanceTypeId: starterInstanceTypeId(EAST, which),
        });
      },
      'componentAt (middle)': async (subject) => {
        await componentAt(services.store, multiCloudImageKind, DEFAULT_ACCOUNT_ID, subject.id, subject.middleAt);
      },
      'componentAt (end)': async (subject) => {
        await componentAt(services.store, multiCloudImageKind, DEFAULT_ACCOUNT_ID, subject.id, subject.endAt);
      },
      'diff r1↔rN': async (subject) => {
        await post(
          `query($id: ID!, $r: Int!) { diff(from: { id: $id, revision: 1 }, to: { id: $id, revision: $r }) { changes { path kind } } }`,
          {
            id: subject.id,
            r: subject.latestRevision,
          },
        );
      },
    };

    // ms per call: [operation][mode][size] → one median per round.
    const samples = new Map<string, number[]>();
    const key = (operation: Operation, mode: Mode, size: number): string => `${operation}|${mode}|${size}`;
    const modes: Mode[] = ['snapshots', 'whole stream'];
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of rotate(modes, round)) {
        setMode(mode);
        for (const operation of OPERATIONS) {
          for (const subject of rotate(subjects, round)) {
            const reps = mode === 'whole stream' && subject.size >= 100_000 ? Math.min(REPS, 3) : REPS;
            const times: number[] = [];
            for (let i = 0; i < reps; i++) {
              const t0 = process.hrtime.bigint();
              await run[operation](subject);
              times.push(Number(process.hrtime.bigint() - t0) / 1e6);
            }
            const k = key(operation, mode, subject.size);
            samples.set(k, [...(samples.get(k) ?? []), median(times)]);
          }
        }
        process.stderr.write(`  round ${round + 1}/${ROUNDS} (${mode}) done\n`);
      }
    }
    setMode('snapshots');

    const smallest = Math.min(...SIZES);
    const largest = Math.max(...SIZES);
    const rows: string[][] = [];
    let worst = 0;
    for (const operation of OPERATIONS) {
      for (const mode of modes) {
        const ms = SIZES.map((size) => median(samples.get(key(operation, mode, size)) ?? []));
        const ratio = (ms[SIZES.indexOf(largest)] as number) / (ms[SIZES.indexOf(smallest)] as number);
        if (mode === 'snapshots') worst = Math.max(worst, ratio);
        rows.push([`${operation}, ${mode}`, ...ms.map((v) => formatMs(v)), formatRatio(ratio)]);
      }
    }
    rows.push([`first load, empty snapshot table`, ...SIZES.map((size) => formatMs(firstLoads.get(size) ?? Number.NaN)), '']);
    const header = `history: ms per call (median of ${ROUNDS} alternating rounds, each the median of ${REPS} calls; whole-stream calls at ${largest.toLocaleString('en-US')} events: 3), MCIs with ${SIZES.map((s) => s.toLocaleString('en-US')).join(' / ')} events, SNAPSHOT_INTERVAL=${snapshots.interval}, appends at synchronous=FULL`;
    const verdict = `target: ${largest.toLocaleString('en-US')}-event case ≤ 3× the ${smallest.toLocaleString('en-US')}-event case with snapshots — worst ratio ${formatRatio(worst)}: ${worst <= 3 ? 'met' : 'NOT met'}`;
    return [
      header,
      table(
        [
          'operation, mode',
          ...SIZES.map((s) => `${s.toLocaleString('en-US')} ev`),
          `${largest.toLocaleString('en-US')}÷${smallest.toLocaleString('en-US')}`,
        ],
        rows,
      ),
      verdict,
    ].join('\n');
  } finally {
    await http.stop();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const formatMs = (ms: number): string => (Number.isFinite(ms) ? (ms >= 100 ? formatNumber(ms) : ms.toPrecision(3)) : '–');

/** An MCI of `size` events (creation included), appended straight through the adapter. */
async function buildSubject(services: Services, size: number, seed: number): Promise<Subject> {
  const id = `00000000-0000-4000-8000-${String(size).padStart(12, '0')}`;
  const started = process.hrtime.bigint();
  const { events, state } = mciHistory(id, {
    count: size,
    accountId: DEFAULT_ACCOUNT_ID,
    startMs: START_MS,
    stepMs: STEP_MS,
    seed,
    commitEvery: 4,
  });
  // At least two revisions, so the diff has two ends.
  if (state.status !== 'active' || state.latestRevision < 2) throw new Error(`history of ${size} events has fewer than 2 revisions`);
  await appendInBatches(services.store, componentStream(multiCloudImageKind, id), events, 'no_stream');
  process.stderr.write(`  built an MCI of ${size} events in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s\n`);
  return {
    size,
    id,
    middleAt: new Date(START_MS + Math.floor(size / 2) * STEP_MS),
    endAt: new Date(START_MS + (size - 1) * STEP_MS),
    latestRevision: state.latestRevision,
  };
}
