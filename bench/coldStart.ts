import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDataset } from './dataset';
import { formatNumber, formatRatio, median, rotate, table } from './harness';
import { ensureCaughtUp } from './millionEvents';

/*
 * Benchmark 6, cold start: the built service (`node dist/src/main.js`) started as a child process on a
 * DATA_DIR whose read models are already at the head of the log, timed from spawn to the first
 * `GET /readyz` answering 200, with its memory read from /proc at that moment (VmHWM: the peak so far;
 * VmRSS: now). Contenders, alternating:
 *
 * - 1M events: the million-event log (bench/millionEvents.ts) with caught-up read models;
 * - seeded dataset: the same service on the seeded dataset alone (~7,000 events), what the start costs
 *   when the log is small;
 * - node floor: a bare `node` process that starts an HTTP server and answers 200: process start itself.
 *
 * Each start gets a fresh copy of its DATA_DIR (copied before the clock starts). Target (issue 7):
 * ≤ 2 s and ≤ 400 MB with 1,000,000 events.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const EVENTS = Number(process.env['BENCH_COLD_START_EVENTS'] ?? 1_000_000);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const FLOOR_SCRIPT = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;

type Contender = '1M events' | 'seeded dataset' | 'node floor';

interface Start {
  readonly readyMs: number;
  readonly hwmMb: number;
  readonly rssMb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** VmHWM and VmRSS of a process, in MB. */
function memoryOf(pid: number): { hwmMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? Number.NaN);
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

async function untilReady(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
      await response.arrayBuffer();
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`not ready within ${deadlineMs} ms`);
}

async function start(contender: Contender, dataDirs: Readonly<Record<Exclude<Contender, 'node floor'>, string>>): Promise<Start> {
  const copy = mkdtempSync(join(tmpdir(), 'mci-bench-cold-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    let args: string[];
    if (contender === 'node floor') {
      args = ['-e', FLOOR_SCRIPT];
    } else {
      cpSync(dataDirs[contender], join(copy, 'data'), { recursive: true });
      Object.assign(env, { DATA_DIR: join(copy, 'data'), BOOTSTRAP_TOKEN: TOKEN });
      args = [resolve(__dirname, '..', 'src', 'main.js')];
    }
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      await untilReady(`http://127.0.0.1:${env['PORT']}${contender === 'node floor' ? '/' : '/readyz'}`, child, 120_000);
      const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
      return { readyMs, ...memoryOf(child.pid as number) };
    } catch (error) {
      throw new Error(`${contender}: ${(error as Error).message}\n${stderr}`);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

export async function coldStartBenchmark(): Promise<string> {
  if (!existsSync(resolve(__dirname, '..', 'src', 'main.js'))) throw new Error('run through `npm run bench`: dist/src/main.js is needed');
  const [{ dir: million, manifest }, { dir: seeded, manifest: dataset }] = await Promise.all([ensureCaughtUp(EVENTS), ensureDataset()]);
  const dataDirs = { '1M events': join(million, 'data'), 'seeded dataset': join(seeded, 'data') } as const;
  const contenders: Contender[] = ['1M events', 'seeded dataset', 'node floor'];
  const starts = new Map<Contender, Start[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of rotate(contenders, round)) {
      const result = await start(contender, dataDirs);
      starts.set(contender, [...(starts.get(contender) ?? []), result]);
      process.stderr.write(
        `  round ${round + 1}/${ROUNDS}: ${contender} ready in ${formatNumber(result.readyMs)} ms, VmHWM ${formatNumber(result.hwmMb)} MB\n`,
      );
    }
  }
  const of = (contender: Contender, pick: (s: Start) => number): number => median((starts.get(contender) ?? []).map(pick));
  const rows = contenders.map((contender) => [
    contender,
    contender === '1M events' ? formatNumber(manifest.events) : contender === 'seeded dataset' ? formatNumber(dataset.events) : '–',
    formatNumber(of(contender, (s) => s.readyMs)),
    formatNumber(Math.max(...(starts.get(contender) ?? []).map((s) => s.hwmMb))),
    formatNumber(of(contender, (s) => s.rssMb)),
    contender === '1M events' ? '' : formatRatio(of('1M events', (s) => s.readyMs) / of(contender, (s) => s.readyMs)),
  ]);
  const readyMs = of('1M events', (s) => s.readyMs);
  const peakMb = Math.max(...(starts.get('1M events') ?? []).map((s) => s.hwmMb));
  return [
    `coldStart: spawn of node dist/src/main.js → first GET /readyz 200, read models already at the head; medians of ${ROUNDS} alternating rounds; memory from /proc at that moment (VmHWM = peak so far, highest of the rounds)`,
    table(['contender', 'events', 'ready ms', 'VmHWM MB', 'VmRSS MB', '1M ÷ this'], rows),
    `target: ≤ 2,000 ms and ≤ 400 MB with ${formatNumber(manifest.events)} events — ${formatNumber(readyMs)} ms, ${formatNumber(peakMb)} MB: ${readyMs <= 2000 && peakMb <= 400 ? 'met' : 'NOT met'}`,
  ].join('\n');
}
