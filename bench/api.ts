import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startHttpServer } from '../src/server/httpServer';
import { openServices } from '../src/services';
import { formatNumber, formatRatio, median, rotate, table } from './harness';

/*
 * The API end to end over real HTTP on loopback, on the embedded store at synchronous=FULL:
 * - the nested catalog page a frontend asks for (50 MCIs → settings → cloud, image, instance type,
 *   revisions, warnings), next to `serverInfo`, the cheapest authenticated operation (the floor that
 *   HTTP, authentication and Apollo cost every request);
 * - `mapImage` mutations (load, decide, append, wait for the read models), next to the bare event-store
 *   append of the same event at the same concurrency.
 * Issue 7's suite will put this under autocannon; this is the in-process first measure.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CLIENTS = 20;
const MCIS = Number(process.env['BENCH_MCIS'] ?? 100);
const QUERIES = Number(process.env['BENCH_QUERIES'] ?? 400);
const MUTATIONS = Number(process.env['BENCH_MUTATIONS'] ?? 400);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const CLOUDS = ['aws-us-east-1', 'aws-us-west-1', 'rackspace-dfw'];
const IMAGE = (cloud: string): string => `${cloud}/RightImage_CentOS_5.6_x64_v5.7`;

const NESTED_PAGE = `{ multiCloudImages(first: 50) { totalCount nodes { id name version revisions { revision message }
  warnings { code } settings { userData cloud { id name provider } image { id name os architecture status }
  instanceType { id name architectures } } } } }`;
const MAP = `mutation($m: ID!, $c: ID!, $i: ID!, $t: ID!) { mapImage(input: { multiCloudImageId: $m, cloudId: $c, imageId: $i, instanceTypeId: $t }) { version } }`;

interface Run {
  readonly perSecond: number;
  readonly latenciesMs: number[];
}

/** `total` calls of `call(i)` from `CLIENTS` concurrent clients; throughput and each call's latency. */
async function load(total: number, call: (i: number) => Promise<void>): Promise<Run> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = process.hrtime.bigint();
        await call(i);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  return { perSecond: total / (Number(process.hrtime.bigint() - started) / 1e9), latenciesMs };
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

export async function apiBenchmark(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mci-bench-api-'));
  // The seeding and the mutation rounds are one token's burst many times over; and this benchmark measures
  // executing the nested page, which the response cache (measured in `catalog`) would answer from memory.
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    BOOTSTRAP_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
    RESPONSE_CACHE_BYTES: '0',
  });
  const services = await openServices(config, createLogger('silent'));
  const http = await startHttpServer(services);
  const post = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const response = await fetch(`${http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors || !body.data) throw new Error(`benchmark request failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  try {
    process.stderr.write(`  seeding ${MCIS} MCIs with ${CLOUDS.length} clouds each…\n`);
    const ids: string[] = [];
    for (let i = 0; i < MCIS; i++) {
      const created = (await post(`mutation($n: String!) { createMultiCloudImage(input: { name: $n }) { id } }`, {
        n: `Bench MCI ${i}`,
      })) as {
        createMultiCloudImage: { id: string };
      };
      const id = created.createMultiCloudImage.id;
      ids.push(id);
      for (const cloud of CLOUDS) await post(MAP, { m: id, c: cloud, i: IMAGE(cloud), t: `${cloud}/small` });
      if (i % 3 === 0) await post(`mutation($m: ID!) { commitMultiCloudImage(id: $m, message: "bench") { revision } }`, { m: id });
    }

    let mutationCount = 0;
    const contenders: Record<string, () => Promise<Run>> = {
      serverInfo: () => load(QUERIES, () => post('{ serverInfo { version } }').then(() => undefined)),
      'nested page of 50': () => load(QUERIES, () => post(NESTED_PAGE).then(() => undefined)),
      'bare append (adapter)': () =>
        load(MUTATIONS, async (i) => {
          const stream = `benchraw-${i % CLIENTS}`;
          await services.store.append(stream, [{ type: 'ImageMapped', data: { cloudId: 'x', n: mutationCount++ } }], {
            expectedRevision: 'any',
          });
        }),
      mapImage: () =>
        load(MUTATIONS, async (i) => {
          // Each client edits its own MCI, alternating two instance types so every call appends.
          const cloud = CLOUDS[0] as string;
          const size = Math.floor(i / CLIENTS) % 2 === 0 ? 'large' : 'small';
          await post(MAP, { m: ids[i % CLIENTS], c: cloud, i: IMAGE(cloud), t: `${cloud}/${size}` });
        }),
    };
    const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of rotate(Object.keys(contenders), round)) {
        process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${name}\n`);
        runs[name]?.push(await (contenders[name] as () => Promise<Run>)());
      }
    }
    const baselineOf: Record<string, string> = { 'nested page of 50': 'serverInfo', mapImage: 'bare append (adapter)' };
    const perSecond = (name: string): number => median((runs[name] ?? []).map((r) => r.perSecond));
    const rows = Object.keys(contenders).map((name) => {
      const latencies = (runs[name] ?? []).flatMap((r) => r.latenciesMs);
      const baseline = baselineOf[name];
      return [
        name,
        formatNumber(perSecond(name)),
        formatNumber(percentile(latencies, 50)),
        formatNumber(percentile(latencies, 99)),
        baseline ? `${formatRatio(perSecond(name) / perSecond(baseline))} of ${baseline}` : '',
      ];
    });
    return [
      `api: ${CLIENTS} concurrent clients over loopback HTTP, synchronous=FULL, ${MCIS} MCIs × ${CLOUDS.length} clouds; medians of ${ROUNDS} alternating rounds (${QUERIES} queries / ${MUTATIONS} mutations each), latency percentiles over all rounds`,
      table(['contender', 'ops/s', 'p50 ms', 'p99 ms', 'ratio'], rows),
    ].join('\n');
  } finally {
    await http.stop();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
