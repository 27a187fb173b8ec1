import { STARTER_CATALOG, STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../src/application/starterCatalog';
import { loadConfig } from '../src/config';
import { SqliteEventStore } from '../src/eventStore/sqlite/sqliteEventStore';
import { createLogger } from '../src/logger';
import { startHttpServer } from '../src/server/httpServer';
import { openServices } from '../src/services';
import { describeDataset, openSeeded, type SeededDataset } from './dataset';
import { concurrentAppends, raw, sqlite, withTarget, WRITERS, type Contender } from './eventStore';
import { formatNumber, formatRatio, median, rotate, table } from './harness';
import { assertClean, runLoad, type LoadResult } from './load';

/*
 * Issue 7, benchmark 2: mutations on the durable store (synchronous=FULL), with and without group commit.
 * - Over HTTP: `mapImage` through GraphQL from 20 concurrent autocannon connections (its own process),
 *   the real server in this process on a copy of the seeded dataset, the mutation rate limit off. Every
 *   request is a valid mapImage that changes something: requests rotate over the dataset's MCIs and the
 *   starter clouds, alternating the instance type of each (MCI, cloud) pair, so each appends an event
 *   (checked after the run: events appended per request).
 * - At the adapter: 20 concurrent writers appending one event each time with its expected revision,
 *   group commit vs one transaction per append (both FULL), next to raw better-sqlite3 (one autocommit
 *   INSERT per append) at FULL and NORMAL — the contenders of the eventStore benchmark.
 * Contenders alternate from round to round; medians of the rounds.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_MUTATION_SECONDS'] ?? 5);
const WARMUP_SECONDS = 1;
const CONNECTIONS = 20;
const WRITER_APPENDS = Number(process.env['BENCH_WRITER_APPENDS'] ?? 4_000);
/** Issue 7's target: group commit at least this many times the one-transaction-per-append FULL rate. */
const TARGET_RATIO = 5;

const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { id version } }`;

/**
 * Two bodies per MCI (large, then small, on one starter cloud chosen by the MCI's index), each with user
 * data of its own: sent in turn, every request changes its (MCI, cloud) setting — from the seeded one on
 * the first pass, from the other body's afterwards — so every request appends an event (an unchanged
 * setting would append nothing). Requests on one MCI are a whole MCI list apart, so never concurrent.
 */
function mapImageBodies(multiCloudImageIds: readonly string[]): string[] {
  return (['large', 'small'] as const).flatMap((size) =>
    multiCloudImageIds.map((id, i) => {
      const n = size === 'large' ? i : multiCloudImageIds.length + i;
      const cloud = STARTER_CATALOG[i % STARTER_CATALOG.length] as (typeof STARTER_CATALOG)[number];
      return JSON.stringify({
        query: MAP,
        variables: {
          input: {
            multiCloudImageId: id,
            cloudId: cloud.id,
            imageId: starterImageId(cloud.id, STARTER_IMAGE_NAMES.centosX64),
            instanceTypeId: starterInstanceTypeId(cloud.id, size),
            userData: `#!/bin/sh\n# benchmark request ${n}\n`,
          },
        },
      });
    }),
  );
}

interface HttpRun {
  readonly load: LoadResult;
  /** Events the run appended per completed request (≈ 1: each mapImage appends one). */
  readonly eventsPerRequest: number;
  readonly appendsPerCommit: number;
}

async function mapImageRun(groupCommit: boolean): Promise<{ run: HttpRun; dataset: SeededDataset }> {
  const dataset = await openSeeded();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataset.dataDir,
    BOOTSTRAP_TOKEN: dataset.adminToken,
    LOG_LEVEL: 'silent',
    SQLITE_SYNCHRONOUS: 'FULL',
    SQLITE_GROUP_COMMIT: groupCommit ? 'on' : 'off',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
  });
  const services = await openServices(config, createLogger('silent'));
  const http = await startHttpServer(services);
  try {
    const url = `${http.url}/graphql`;
    const headers = { authorization: `Bearer ${dataset.adminToken}` };
    const bodies = mapImageBodies(dataset.multiCloudImageIds);
    const half = dataset.multiCloudImageIds.length;
    // One request by hand first: a benchmark of GraphQL errors (HTTP 200) would measure nothing.
    const probe = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: bodies[bodies.length - 1],
    });
    const answer = (await probe.json()) as { data?: unknown; errors?: unknown };
    if (!probe.ok || answer.errors || !answer.data) throw new Error(`mutations: the probe mapImage failed: ${JSON.stringify(answer)}`);
    // Warm-up on the second half of the list (the other size), so the measured run's first requests change too.
    assertClean(
      'mapImage warm-up',
      await runLoad({ url, headers, bodies: bodies.slice(half), connections: CONNECTIONS, durationSeconds: WARMUP_SECONDS }),
    );

    const before = (await services.store.headPosition())?.commit ?? 0n;
    const store = services.store;
    const statsBefore = store instanceof SqliteEventStore ? store.groupCommitStats() : undefined;
    const load = await runLoad({ url, headers, bodies, connections: CONNECTIONS, durationSeconds: SECONDS });
    assertClean(`mapImage (group commit ${groupCommit ? 'on' : 'off'})`, load);
    const after = (await services.store.headPosition())?.commit ?? 0n;
    const statsAfter = store instanceof SqliteEventStore ? store.groupCommitStats() : undefined;
    const eventsPerRequest = Number(after - before) / load.requests;
    if (eventsPerRequest < 0.95) {
      throw new Error(`mutations: ${load.requests} requests appended only ${after - before} events: the requests are not valid mapImages`);
    }
    const appendsPerCommit =
      statsBefore && statsAfter ? (statsAfter.appends - statsBefore.appends) / (statsAfter.groups - statsBefore.groups) : Number.NaN;
    return { run: { load, eventsPerRequest, appendsPerCommit }, dataset };
  } finally {
    await http.stop();
    await services.close();
    dataset.dispose();
  }
}

const HTTP_CONTENDERS = [
  { name: 'mapImage, group commit', groupCommit: true },
  { name: 'mapImage, one transaction per append', groupCommit: false },
] as const;
const HTTP_BASELINE = 'mapImage, one transaction per append';

const PER_APPEND_FULL = sqlite('FULL', false);
const ADAPTER_CONTENDERS: readonly Contender[] = [sqlite('FULL', true), PER_APPEND_FULL, raw('FULL'), raw('NORMAL')];

export async function mutationsBenchmark(): Promise<string> {
  const httpRuns = new Map<string, HttpRun[]>(HTTP_CONTENDERS.map((c) => [c.name, []]));
  const adapterRuns = new Map<string, Array<{ perSecond: number; appendsPerCommit?: number }>>(ADAPTER_CONTENDERS.map((c) => [c.name, []]));
  let datasetLine = '';
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of rotate(HTTP_CONTENDERS, round)) {
      process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${contender.name} (${SECONDS} s)\n`);
      const { run, dataset } = await mapImageRun(contender.groupCommit);
      datasetLine = describeDataset(dataset);
      httpRuns.get(contender.name)?.push(run);
    }
    for (const contender of rotate(ADAPTER_CONTENDERS, round)) {
      process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${contender.name}, ${WRITERS} writers\n`);
      adapterRuns.get(contender.name)?.push(await withTarget(contender, (target) => concurrentAppends(target, WRITER_APPENDS)));
    }
  }

  const httpMedian = (name: string, pick: (run: HttpRun) => number): number => median((httpRuns.get(name) ?? []).map(pick));
  const httpRows = HTTP_CONTENDERS.map(({ name }) => [
    name,
    formatNumber(httpMedian(name, (r) => r.load.requestsPerSecond)),
    formatNumber(httpMedian(name, (r) => r.load.latencyP50Ms)),
    formatNumber(httpMedian(name, (r) => r.load.latencyP99Ms)),
    formatNumber(httpMedian(name, (r) => r.appendsPerCommit)),
    formatNumber(httpMedian(name, (r) => r.eventsPerRequest)),
    formatRatio(httpMedian(name, (r) => r.load.requestsPerSecond) / httpMedian(HTTP_BASELINE, (r) => r.load.requestsPerSecond)),
  ]);

  const adapterMedian = (name: string): number => median((adapterRuns.get(name) ?? []).map((r) => r.perSecond));
  const perAppendRate = adapterMedian(PER_APPEND_FULL.name);
  const adapterRows = ADAPTER_CONTENDERS.map(({ name }) => {
    const perCommit = median((adapterRuns.get(name) ?? []).flatMap((r) => (r.appendsPerCommit === undefined ? [] : [r.appendsPerCommit])));
    return [
      name,
      formatNumber(adapterMedian(name)),
      Number.isNaN(perCommit) ? '1' : formatNumber(perCommit),
      formatRatio(adapterMedian(name) / perAppendRate),
    ];
  });
  const ratio = adapterMedian(ADAPTER_CONTENDERS[0]?.name ?? '') / perAppendRate;

  return [
    `mutations: synchronous=FULL; ${datasetLine}; medians of ${ROUNDS} alternating rounds`,
    `mapImage over GraphQL/HTTP: ${CONNECTIONS} autocannon connections (own process), ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, rate limit off`,
    table(['contender', 'req/s', 'p50 ms', 'p99 ms', 'appends/commit', 'events/req', 'vs one tx per append'], httpRows),
    '',
    `adapter appends: ${WRITERS} concurrent writers, ${WRITER_APPENDS.toLocaleString('en-US')} one-event appends per run, each with its expected revision (raw: one autocommit INSERT each)`,
    table(['contender', 'appends/s', 'appends/commit', 'vs one tx per append FULL'], adapterRows),
    `target: group commit ≥ ${TARGET_RATIO}× one transaction per append at FULL with ${WRITERS} writers: ${formatRatio(ratio)} — ${ratio >= TARGET_RATIO ? 'met' : 'not met'}`,
  ].join('\n');
}
