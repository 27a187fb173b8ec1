import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatNumber, formatRatio, median, rotate, table } from './harness';
import { ensureMillionEvents } from './millionEvents';

/*
 * Benchmark 3, projection rebuild: every read model built from position 0 of a log of 1,000,000 events
 * (the seeded dataset plus its MCIs' edit histories), next to a bare better-sqlite3 scan of the same
 * events table with JSON.parse of each event's data and metadata, in the same run, alternating. Each
 * pass runs in a child process of its own (bench/rebuildWorker.ts), so its peak RSS is its alone.
 *
 * - raw scan: the floor: reading and parsing the log, nothing written;
 * - runner: the service's ProjectionRunner on a new read-model file (what a new projection version, or a
 *   deleted read-models.sqlite, costs at start);
 * - runner, no batch memory: the same with `batchMemory: false`, projections writing event by event (the lever off);
 * - CLI rebuild (BENCH_REBUILD_CLI=1): `rebuildReadModels`, the `rebuild` command's replay, into a new file.
 *
 * Target (issue 7): the runner's events/s at least 0.3× the raw scan's.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const EVENTS = Number(process.env['BENCH_REBUILD_EVENTS'] ?? 1_000_000);
const WITH_CLI = process.env['BENCH_REBUILD_CLI'] === '1';
const run = promisify(execFile);

type Contender = 'raw scan' | 'runner' | 'runner, no batch memory' | 'CLI rebuild';

interface Pass {
  readonly events: number;
  readonly seconds: number;
  readonly maxRssMb: number;
}

async function pass(contender: Contender, eventsPath: string): Promise<Pass> {
  const out = mkdtempSync(join(tmpdir(), 'mci-bench-rebuild-'));
  try {
    const mode = { 'raw scan': 'raw', runner: 'runner', 'runner, no batch memory': 'runner-unbatched', 'CLI rebuild': 'cli' }[contender];
    const { stdout } = await run(process.execPath, [join(__dirname, 'rebuildWorker.js'), mode, eventsPath, out], {
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as Pass;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function rebuildBenchmark(): Promise<string> {
  const { dir, manifest } = await ensureMillionEvents(EVENTS);
  const eventsPath = join(dir, 'data', 'events.sqlite');
  const contenders: Contender[] = ['raw scan', 'runner', 'runner, no batch memory', ...(WITH_CLI ? (['CLI rebuild'] as const) : [])];
  const passes = new Map<Contender, Pass[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of rotate(contenders, round)) {
      const result = await pass(contender, eventsPath);
      if (result.events !== manifest.events) throw new Error(`${contender} saw ${result.events} events, the log holds ${manifest.events}`);
      passes.set(contender, [...(passes.get(contender) ?? []), result]);
      process.stderr.write(
        `  round ${round + 1}/${ROUNDS}: ${contender} ${formatNumber(result.events / result.seconds)} events/s, peak RSS ${formatNumber(result.maxRssMb)} MB\n`,
      );
    }
  }
  const rateOf = (contender: Contender): number => median((passes.get(contender) ?? []).map((p) => p.events / p.seconds));
  const raw = rateOf('raw scan');
  const rows = contenders.map((contender) => {
    const runs = passes.get(contender) ?? [];
    return [
      contender,
      formatNumber(rateOf(contender)),
      formatNumber(median(runs.map((p) => p.seconds))),
      formatNumber(Math.max(...runs.map((p) => p.maxRssMb))),
      contender === 'raw scan' ? '' : formatRatio(rateOf(contender) / raw),
    ];
  });
  const ratio = rateOf('runner') / raw;
  return [
    `rebuild: ${formatNumber(manifest.events)} events (seeded dataset + MCI histories), every read model from position 0 into a new file; medians of ${ROUNDS} alternating rounds, each pass in its own process`,
    table(['contender', 'events/s', 'seconds', 'peak RSS MB', 'vs raw scan'], rows),
    `target: runner ≥ 0.3× the raw scan — ${formatRatio(ratio)}: ${ratio >= 0.3 ? 'met' : 'NOT met'}`,
  ].join('\n');
}
