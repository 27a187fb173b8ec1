import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FeedTailMode } from '../src/application/feedTail';
import { describeDataset, ensureDataset, openSeeded } from './dataset';
import type { ClientsReport, ClientsRequest } from './fanoutClients';
import type { ServerReport, ServerRequest } from './fanoutServer';
import { formatNumber, formatRatio, median, rotate, table } from './harness';

/*
 * Subscription fan-out (issue 7, benchmark 5): N WebSocket subscribers of the `events` subscription on
 * one server while events are written at a fixed rate; delivery latency from commit to client, and
 * whether every subscriber got every event.
 *
 * Separate processes, so nobody's CPU counts against anybody else's: the server under test (the real
 * service on a copy of the seeded DATA_DIR, fanoutServer.ts, which also writes the events: direct
 * appends through its store, one commit each), and the client process(es) (fanoutClients.ts) holding
 * the subscribers as raw `ws` sockets speaking graphql-ws. This process only coordinates.
 *
 * Contenders, alternating from round to round:
 * - 1,000 subscribers at 200 events/s as the service runs (the target);
 * - the same delivered as before: graphql-js executing every event per subscriber, graphql-ws writing
 *   every message on its own (`subscriptionExecution: 'per-subscriber'`, `socketWrites: 'per-message'`);
 * - 10 subscribers (the same path with hardly any fan-out: the floor);
 * - 1,000 subscribers at 5 events/s;
 * - optionally, a tail and delivery per subscriber (`setFeedTailMode`: the design before the shared tail).
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SUBSCRIBERS = Number(process.env['BENCH_FANOUT_SUBSCRIBERS'] ?? 1000);
const FEW = Number(process.env['BENCH_FANOUT_FEW'] ?? 10);
const RATE = Number(process.env['BENCH_FANOUT_RATE'] ?? 200);
/** A rate the server keeps up with at full fan-out on the reference machine, to show latency within capacity. */
const LOW_RATE = Number(process.env['BENCH_FANOUT_LOW_RATE'] ?? 5);
const SECONDS = Number(process.env['BENCH_FANOUT_SECONDS'] ?? 10);
/**
 * One by default: on 2 cores the server and the clients then get a core each; with two client
 * processes the three compete for two cores and the measured p99 about doubles.
 */
const CLIENT_PROCESSES = Number(process.env['BENCH_FANOUT_CLIENT_PROCESSES'] ?? 1);
/** `0` leaves out the tail-per-subscriber contender (the slowest to run). */
const WITH_OLD_DESIGN = process.env['BENCH_FANOUT_OLD'] !== '0';
/** How long after the last write the clients wait for it before counting what is missing as lost. */
const DRAIN_MS = Number(process.env['BENCH_FANOUT_DRAIN_SECONDS'] ?? 20) * 1000;
const TARGET_P99_MS = 100;
const PROFILE_DIR = process.env['BENCH_FANOUT_PROFILE'];
const ONLY = process.env['BENCH_FANOUT_ONLY'];

interface Contender {
  readonly name: string;
  readonly subscribers: number;
  /** Events written per second. */
  readonly rate: number;
  readonly tail: FeedTailMode;
  /** 'shared': each event executed once per query shape, writes coalesced per turn (the service); 'per-subscriber': as before. */
  readonly delivery: 'shared' | 'per-subscriber';
}

interface RoundResult {
  readonly written: number;
  readonly writeSeconds: number;
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly missedByClosed: number;
  readonly late: number;
  readonly disorder: number;
  readonly closes: Record<string, number>;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Server CPU from the first write until every subscriber had the last event (or was closed). */
  readonly cpuSeconds: number;
  /** Of which in the kernel. */
  readonly systemSeconds: number;
  /** The client processes' CPU over the same span, all together. */
  readonly clientCpuSeconds: number;
  readonly loopDelayP99: number;
}

function script(name: string): string {
  const path = join(__dirname, `${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run benchmarks compiled (npm run bench), not from the TypeScript sources`);
  return path;
}

/** The next message of `kind` from `child`; rejects if it exits first. */
function nextMessage<M extends { kind: string }, K extends M['kind']>(child: ChildProcess, kind: K): Promise<Extract<M, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: M): void => {
      if (message.kind !== kind) return;
      cleanup();
      resolve(message as Extract<M, { kind: K }>);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`a fan-out child exited (code ${code}, signal ${signal}) while waiting for '${kind}'`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function percentile(histogram: ReadonlyMap<number, number>, fraction: number): number {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil(total * fraction);
  let seen = 0;
  for (const ms of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(ms) ?? 0;
    if (seen >= rank) return ms;
  }
  return Number.NaN;
}

async function runRound(contender: Contender): Promise<RoundResult> {
  const seeded = await openSeeded();
  const children: ChildProcess[] = [];
  try {
    const server = fork(script('fanoutServer'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_FANOUT_PROFILE=<dir>: a CPU profile of the server (open it in Chrome's DevTools).
      ...(PROFILE_DIR ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {}),
      env: {
        ...process.env,
        FANOUT_DATA_DIR: seeded.dataDir,
        FANOUT_ACCOUNT_ID: seeded.accountId,
        FANOUT_TAIL: contender.tail,
        FANOUT_DELIVERY: contender.delivery,
      },
    });
    children.push(server);
    const listening = await nextMessage<ServerReport, 'listening'>(server, 'listening');
    const processes = Math.max(1, Math.min(CLIENT_PROCESSES, contender.subscribers));
    const clients = Array.from({ length: processes }, () =>
      fork(script('fanoutClients'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    children.push(...clients);
    const connected = clients.map((client) => nextMessage<ClientsReport, 'connected'>(client, 'connected'));
    const warm = clients.map((client) => nextMessage<ClientsReport, 'warm'>(client, 'warm'));
    clients.forEach((client, i) => {
      const count = Math.floor(contender.subscribers / processes) + (i < contender.subscribers % processes ? 1 : 0);
      client.send({
        kind: 'connect',
        url: listening.url,
        token: seeded.adminToken,
        count,
        after: listening.after,
      } satisfies ClientsRequest);
    });
    await Promise.all(connected);
    // Warm-up events until every subscriber received one: from then on every subscription is live.
    server.send({ kind: 'warmup', everyMs: 20 } satisfies ServerRequest);
    await Promise.all(warm);

    for (const client of clients) client.send({ kind: 'run' } satisfies ClientsRequest);
    const ran = nextMessage<ServerReport, 'ran'>(server, 'ran');
    server.send({ kind: 'run', rate: contender.rate, seconds: SECONDS } satisfies ServerRequest);
    const run = await ran;
    const collected = clients.map((client) => nextMessage<ClientsReport, 'collected'>(client, 'collected'));
    for (const client of clients) client.send({ kind: 'collect', expected: run.written, waitMs: DRAIN_MS } satisfies ClientsRequest);
    const reports = await Promise.all(collected);
    const usage = nextMessage<ServerReport, 'usage'>(server, 'usage');
    server.send({ kind: 'usage' } satisfies ServerRequest);
    const { cpuSeconds, systemSeconds, eventLoopDelayP99Ms } = await usage;

    const histogram = new Map<number, number>();
    const closes: Record<string, number> = {};
    for (const report of reports) {
      for (const [ms, count] of report.histogram) histogram.set(ms, (histogram.get(ms) ?? 0) + count);
      for (const [code, count] of Object.entries(report.closes)) closes[code] = (closes[code] ?? 0) + count;
    }
    const stopped = new Promise((resolve) => server.once('exit', resolve));
    server.send({ kind: 'stop' } satisfies ServerRequest);
    await stopped;
    return {
      written: run.written,
      writeSeconds: run.seconds,
      expected: run.written * contender.subscribers,
      received: reports.reduce((sum, r) => sum + r.received, 0),
      lost: reports.reduce((sum, r) => sum + r.lost, 0),
      missedByClosed: reports.reduce((sum, r) => sum + r.missedByClosed, 0),
      late: reports.reduce((sum, r) => sum + r.late, 0),
      disorder: reports.reduce((sum, r) => sum + r.disorder, 0),
      closes,
      p50: percentile(histogram, 0.5),
      p99: percentile(histogram, 0.99),
      max: percentile(histogram, 1),
      cpuSeconds,
      systemSeconds,
      clientCpuSeconds: reports.reduce((sum, r) => sum + r.cpuSeconds, 0),
      loopDelayP99: eventLoopDelayP99Ms,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    seeded.dispose();
  }
}

export async function fanoutBenchmark(): Promise<string> {
  const many = SUBSCRIBERS.toLocaleString('en-US');
  const all: Contender[] = [
    { name: `${many} subscribers, ${RATE}/s`, subscribers: SUBSCRIBERS, rate: RATE, tail: 'shared', delivery: 'shared' },
    {
      name: `${many} subscribers, ${RATE}/s, per-subscriber delivery`,
      subscribers: SUBSCRIBERS,
      rate: RATE,
      tail: 'shared',
      delivery: 'per-subscriber',
    },
    { name: `${FEW} subscribers, ${RATE}/s`, subscribers: FEW, rate: RATE, tail: 'shared', delivery: 'shared' },
    { name: `${many} subscribers, ${LOW_RATE}/s`, subscribers: SUBSCRIBERS, rate: LOW_RATE, tail: 'shared', delivery: 'shared' },
    ...(WITH_OLD_DESIGN
      ? [
          {
            name: `${many} subscribers, ${RATE}/s, tail and delivery per subscriber`,
            subscribers: SUBSCRIBERS,
            rate: RATE,
            tail: 'per-subscriber' as const,
            delivery: 'per-subscriber' as const,
          },
        ]
      : []),
  ];
  // BENCH_FANOUT_ONLY=<text>: only the contenders whose name contains it (the first one is always kept: the target).
  const contenders = ONLY === undefined ? all : all.filter((c, i) => i === 0 || c.name.includes(ONLY));
  const results = new Map<string, RoundResult[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of rotate(contenders, round)) {
      process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${contender.name}\n`);
      const r = await runRound(contender);
      process.stderr.write(
        `    p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.received}/${r.expected} delivered, ${r.lost} lost, ${r.late} late, ${JSON.stringify(r.closes)} closed, server CPU ${r.cpuSeconds.toFixed(1)} s (${r.systemSeconds.toFixed(1)} s in the kernel), clients' CPU ${r.clientCpuSeconds.toFixed(1)} s\n`,
      );
      results.get(contender.name)?.push(r);
    }
  }
  const med = (name: string, pick: (r: RoundResult) => number): number => median((results.get(name) ?? []).map(pick));
  const sum = (name: string, pick: (r: RoundResult) => number): number => (results.get(name) ?? []).reduce((a, r) => a + pick(r), 0);
  // The baseline: the same load delivered as before (per-subscriber execution, a write per message).
  const before = contenders.find((c) => c.delivery === 'per-subscriber' && c.tail === 'shared') ?? (contenders[0] as Contender);
  const rows = contenders.map((c) => {
    const closes: Record<string, number> = {};
    for (const r of results.get(c.name) ?? []) for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n;
    const received = sum(c.name, (r) => r.received);
    return [
      c.name,
      formatNumber(med(c.name, (r) => r.written / r.writeSeconds)),
      `${((received / sum(c.name, (r) => r.expected)) * 100).toFixed(1)}%`,
      formatNumber(sum(c.name, (r) => r.lost)),
      formatNumber(sum(c.name, (r) => r.disorder)),
      `${((sum(c.name, (r) => r.late) / sum(c.name, (r) => r.expected)) * 100).toFixed(1)}%`,
      Object.keys(closes).length === 0
        ? '0'
        : Object.entries(closes)
            .map(([code, n]) => `${n}×${code}`)
            .join(' '),
      formatNumber(med(c.name, (r) => r.p50)),
      formatNumber(med(c.name, (r) => r.p99)),
      formatNumber(med(c.name, (r) => r.max)),
      formatNumber(med(c.name, (r) => (r.cpuSeconds * 1e6) / Math.max(1, r.received))),
      formatNumber(med(c.name, (r) => (r.clientCpuSeconds * 1e6) / Math.max(1, r.received))),
      formatNumber(med(c.name, (r) => r.loopDelayP99)),
      formatRatio(med(c.name, (r) => r.p99) / med(before.name, (r) => r.p99)),
      formatRatio(
        med(c.name, (r) => (r.cpuSeconds * 1e6) / Math.max(1, r.received)) /
          med(before.name, (r) => (r.cpuSeconds * 1e6) / Math.max(1, r.received)),
      ),
    ];
  });
  const best = med(contenders[0]?.name ?? '', (r) => r.p99);
  const { manifest } = await ensureDataset();
  return [
    `fanout: events written for ${SECONDS} s (direct appends through the service's store, one commit each, synchronous=FULL) to N graphql-ws subscribers over loopback (raw ws clients in ${CLIENT_PROCESSES} processes; the server in its own); latency = receipt − recordedAt; medians of ${ROUNDS} alternating rounds, counts summed`,
    describeDataset(manifest),
    table(
      [
        'contender',
        'written/s',
        'delivered',
        'lost',
        'disorder',
        'late',
        'closed',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU µs/delivery',
        'client CPU µs/msg',
        'loop p99 ms',
        'p99 vs before',
        'CPU vs before',
      ],
      rows,
    ),
    `target: p99 ≤ ${TARGET_P99_MS} ms with ${many} subscribers at ${RATE} events/s — ${best <= TARGET_P99_MS ? 'met' : 'NOT met'} (${formatNumber(best)} ms)`,
  ].join('\n');
}
