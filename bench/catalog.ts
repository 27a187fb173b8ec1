import { isDeepStrictEqual } from 'node:util';
import { loadConfig, type Config } from '../src/config';
import { createLogger } from '../src/logger';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../src/server/httpServer';
import { DEFAULT_ACCOUNT_ID } from '../src/application/bootstrap';
import { mapImage } from '../src/application/multiCloudImages';
import { STARTER_CATALOG, STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../src/application/starterCatalog';
import { openServices, type Services } from '../src/services';
import { inMemoryCatalog, startApolloBaseline, startJitBaseline, type Baseline } from './catalogBaselines';
import { describeDataset, openSeeded } from './dataset';
import { jitGateway } from './jitGateway';
import { formatNumber, formatRatio, median, rotate, table } from './harness';
import { assertClean, runLoad, type LoadResult } from './load';

/*
 * Issue 7, benchmark 1: the catalog query a frontend sends — a page of 50 ServerTemplates → their
 * MCIs → settings → cloud, image, instance type — under autocannon (its own process, 20 keep-alive
 * connections), on the seeded dataset, against our service (real server, real token, real SQLite read
 * models) with each lever off and on, next to two baselines serving the same answer from memory:
 * (a) Apollo Server 5 + express5 and (b) a bare Node http server running graphql-jit.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_CATALOG_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CATALOG_CONNECTIONS'] ?? 20);
const WRITES_PER_SECOND = Number(process.env['BENCH_CATALOG_WRITES'] ?? 5);

export const CATALOG_QUERY = `query Catalog($first: Int!) {
  serverTemplates(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name description version revision
      multiCloudImages {
        isDefault position revision
        multiCloudImage {
          id name version revision
          settings {
            userData
            cloud { id name provider }
            image { id name os osVersion architecture status }
            instanceType { id name architectures }
          }
        }
      }
    }
  }
}`;
const BODY = JSON.stringify({ query: CATALOG_QUERY, variables: { first: 50 }, operationName: 'Catalog' });

/** Our service's variants: each lever off and on, as a config (environment) switch. */
interface Variant {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  readonly options?: HttpServerOptions;
  /** Run a writer (mapImage through the application layer) alongside the load. */
  readonly writes?: boolean;
}

const CACHE_ON = { RESPONSE_CACHE_BYTES: String(64 * 1024 * 1024) };
const CACHE_OFF = { RESPONSE_CACHE_BYTES: '0' };
const VARIANTS: readonly Variant[] = [
  { name: 'ours (no levers)', env: CACHE_OFF },
  { name: 'ours + graphql-jit executor', env: CACHE_OFF, options: { gateway: jitGateway } },
  { name: 'ours + response cache', env: CACHE_ON },
  // The same, while another client writes: every write moves the read models and empties the cache's reach.
  { name: `ours + response cache, ${WRITES_PER_SECOND} writes/s`, env: CACHE_ON, writes: true },
];

interface Contender {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly writes?: boolean;
}

export async function catalogBenchmark(): Promise<string> {
  const seeded = await openSeeded();
  const baseEnv = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: seeded.dataDir, LOG_LEVEL: 'silent' };
  const services = await openServices(loadConfig(baseEnv), createLogger('silent'));
  const servers: RunningHttpServer[] = [];
  const baselines: Baseline[] = [];
  try {
    const contenders: Contender[] = [];
    const auth = { authorization: `Bearer ${seeded.adminToken}` };
    for (const variant of VARIANTS) {
      const config: Config = loadConfig({ ...baseEnv, ...variant.env });
      const http = await startHttpServer({ ...services, config }, undefined, variant.options);
      servers.push(http);
      contenders.push({ name: variant.name, url: `${http.url}/graphql`, headers: auth, writes: variant.writes === true });
    }
    const reference = await fetchBody(contenders[0] as Contender);
    const data = (JSON.parse(reference) as { data: Record<string, unknown> }).data;
    const catalog = inMemoryCatalog(data);
    const apollo = await startApolloBaseline(catalog);
    const jit = await startJitBaseline(catalog);
    baselines.push(apollo, jit);
    contenders.push({ name: '(a) Apollo 5 + express5, in memory', url: apollo.url, headers: {} });
    contenders.push({ name: '(b) node:http + graphql-jit, in memory', url: jit.url, headers: {} });

    // Every contender must give the same answer, or the figures compare different work.
    for (const contender of contenders) {
      const body = await fetchBody(contender);
      if (!isDeepStrictEqual(JSON.parse(body), JSON.parse(reference))) {
        throw new Error(`${contender.name} answers differently from ${(contenders[0] as Contender).name}:\n${body.slice(0, 500)}`);
      }
    }
    const templates = catalog.templates.length;
    const mcis = catalog.templates.reduce((n, t) => n + t.multiCloudImages.length, 0);
    const settings = [...catalog.multiCloudImages.values()].reduce((n, m) => n + m.settings.length, 0);

    const runs = new Map<string, LoadResult[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of rotate(contenders, round)) {
        process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${contender.name}\n`);
        const writer = contender.writes ? startWriter(services, seeded.committedMultiCloudImageIds) : undefined;
        const result = await runLoad({
          url: contender.url,
          headers: contender.headers,
          body: BODY,
          connections: CONNECTIONS,
          durationSeconds: SECONDS,
        }).finally(() => writer?.stop());
        assertClean(contender.name, result);
        runs.get(contender.name)?.push(result);
      }
    }
    const med = (name: string, pick: (r: LoadResult) => number): number => median((runs.get(name) ?? []).map(pick));
    const rps = (name: string): number => med(name, (r) => r.requestsPerSecond);
    const [a, b] = [contenders[contenders.length - 2] as Contender, contenders[contenders.length - 1] as Contender];
    const rows = contenders.map((c) => [
      c.name,
      formatNumber(rps(c.name)),
      formatNumber(med(c.name, (r) => r.latencyP50Ms)),
      formatNumber(med(c.name, (r) => r.latencyP99Ms)),
      formatRatio(rps(c.name) / rps(a.name)),
      formatRatio(rps(c.name) / rps(b.name)),
    ]);
    return [
      `catalog: ${CONNECTIONS} connections × ${SECONDS} s (autocannon, own process), medians of ${ROUNDS} alternating rounds; page of ${templates} templates → ${mcis} MCIs → ${settings} settings → cloud, image, instance type (${Buffer.byteLength(reference)} bytes)`,
      describeDataset(seeded),
      table(['contender', 'req/s', 'p50 ms', 'p99 ms', 'vs (a)', 'vs (b)'], rows),
    ].join('\n');
  } finally {
    for (const server of servers) await server.stop();
    for (const baseline of baselines) await baseline.stop();
    await services.close();
    seeded.dispose();
  }
}

/**
 * Edits MCIs outside the page (their user data) `WRITES_PER_SECOND` times a second through the
 * application layer, each waiting for the read models: what a busy account looks like to the cache.
 */
function startWriter(services: Services, multiCloudImageIds: readonly string[]): { stop(): Promise<void> } {
  let n = 0;
  let running = Promise.resolve();
  const context = { accountId: DEFAULT_ACCOUNT_ID, actorId: 'bench-writer', correlationId: 'bench-writer' };
  const timer = setInterval(() => {
    const id = multiCloudImageIds[multiCloudImageIds.length - 1 - (n % 50)] as string;
    const userData = `#!/bin/sh\necho write ${n++}\n`;
    running = running.then(async () => {
      const cloud = STARTER_CATALOG[0]?.id as string;
      await mapImage(services, context, {
        id,
        cloudId: cloud,
        imageId: starterImageId(cloud, STARTER_IMAGE_NAMES.centosX64),
        instanceTypeId: starterInstanceTypeId(cloud, 'small'),
        userData,
      });
    });
  }, 1000 / WRITES_PER_SECOND);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

async function fetchBody(contender: Contender): Promise<string> {
  const response = await fetch(contender.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...contender.headers },
    body: BODY,
  });
  const body = await response.text();
  if (response.status !== 200 || (JSON.parse(body) as { errors?: unknown }).errors) {
    throw new Error(`${contender.name}: expected a 200 answer without errors, got ${response.status}: ${body.slice(0, 500)}`);
  }
  return body;
}
