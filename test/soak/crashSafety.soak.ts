import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../support/async';
import { startChildService, waitUntilReady, type ChildService } from '../support/childService';
import { ledgerProblems, readWholeLog, rebuildAndCompare, verifyDataDir } from '../support/dataDirChecks';
import { ADMIN, graphql, type GraphQLResponse } from '../support/service';
import { seededRandom, WriteStorm, type StormRequest } from '../support/writeStorm';

/*
 * Crash safety (issue 8, item 2): the built service in a child process on one DATA_DIR, under a write
 * storm of concurrent HTTP clients, killed with SIGKILL at a seeded random point, SOAK_KILLS times.
 * After each kill, on the files as the crash left them: every acknowledged mutation is in the log at
 * the version its client was told, no request left part of its events, the hash chains verify and the
 * read models equal a fresh rebuild. After each restart the API serves every acknowledged MCI.
 *
 * SOAK_KILLS (default 20), SOAK_CLIENTS (default 6), SOAK_SEED (default 1957: replay a failure with its seed).
 */

function envCount(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/u.test(value) || Number(value) < 1) throw new Error(`${name}: expected a positive integer, got '${value}'`);
  return Number(value);
}

const KILLS = envCount('SOAK_KILLS', 20);
const CLIENTS = envCount('SOAK_CLIENTS', 6);
const SEED = envCount('SOAK_SEED', 1957);
const PREFIX = 'storm-';

/** The highest version each acknowledged MCI was last reported at. */
function acknowledgedVersions(requests: readonly StormRequest[]): Map<string, number> {
  const versions = new Map<string, number>();
  for (const { outcome } of requests) {
    if (outcome.kind !== 'acknowledged' || outcome.componentId === undefined || outcome.version === undefined) continue;
    versions.set(outcome.componentId, Math.max(outcome.version, versions.get(outcome.componentId) ?? -1));
  }
  return versions;
}

interface McisPage {
  nodes: Array<{ id: string; version: number }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Every MCI of the account with its version, through the API (paged). */
async function servedVersions(url: string): Promise<Map<string, number>> {
  const served = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const response: GraphQLResponse<{ multiCloudImages: McisPage }> = await graphql<{ multiCloudImages: McisPage }>(
      url,
      `
        query ($after: String) {
          multiCloudImages(first: 500, after: $after) {
            nodes {
              id
              version
            }
            pageInfo {
              hasNextPage
              endCursor
            }
          }
        }
      `,
      { after },
      ADMIN,
    );
    const page: McisPage | undefined = response.body.data?.multiCloudImages;
    if (!page) throw new Error(`listing MCIs failed: ${JSON.stringify(response.body.errors)}`);
    for (const node of page.nodes) served.set(node.id, node.version);
    if (!page.pageInfo.hasNextPage) return served;
    after = page.pageInfo.endCursor;
  }
}

async function expectAcknowledgedServed(url: string, requests: readonly StormRequest[]): Promise<void> {
  const served = await servedVersions(url);
  const missing = [...acknowledgedVersions(requests)].filter(([id, version]) => (served.get(id) ?? -1) < version);
  expect(missing.map(([id, version]) => `mci ${id}: acknowledged at version ${version}, served at ${served.get(id) ?? 'none'}`)).toEqual(
    [],
  );
}

describe('crash safety: SIGKILL during a write storm', () => {
  let dataDir: string;
  let child: ChildService | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mci-soak-crash-'));
  });
  afterAll(async () => {
    await child?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses no acknowledged mutation and leaves nothing partial across ${KILLS} kills (seed ${SEED}, ${CLIENTS} clients)`, async () => {
    const random = seededRandom(SEED);
    const requests: StormRequest[] = [];
    let acknowledged = 0;
    let inFlightAtKills = 0;
    for (let cycle = 1; cycle <= KILLS; cycle++) {
      const started = await startChildService(dataDir);
      child = started.child;
      const running = child;
      await waitUntilReady(started.url);
      await expectAcknowledgedServed(started.url, requests);

      // Killed once this many mutations were acknowledged, plus a few ms: other clients' requests are
      // then anywhere between parsing, appending, projecting and answering.
      const killAfter = 5 + Math.floor(random() * 40);
      const extraMs = Math.floor(random() * 15);
      let killed!: () => void;
      const killIssued = new Promise<void>((resolve) => (killed = resolve));
      const storm = new WriteStorm({
        url: started.url,
        label: `${PREFIX}${cycle}`,
        clients: CLIENTS,
        random,
        onAcknowledged: (total) => {
          if (total !== killAfter) return;
          setTimeout(() => {
            storm.stop();
            running.process.kill('SIGKILL');
            killed();
          }, extraMs);
        },
      });
      const stormDone = storm.run();
      await withTimeout(killIssued, 60_000, `${killAfter} acknowledged mutations in cycle ${cycle} (seed ${SEED})`);
      expect(await running.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await stormDone;
      requests.push(...storm.requests);
      acknowledged += storm.acknowledged;
      inFlightAtKills += storm.requests.filter((r) => r.outcome.kind === 'in-flight').length;

      // The files exactly as the crash left them.
      const context = `after kill ${cycle} (seed ${SEED})`;
      expect({ context, problems: ledgerProblems(requests, await readWholeLog(dataDir), PREFIX) }).toEqual({ context, problems: [] });
      const verified = await verifyDataDir(dataDir);
      expect({ context, ok: verified.ok, problems: verified.problems }).toEqual({ context, ok: true, problems: [] });
      const rebuilt = await rebuildAndCompare(dataDir);
      expect({ context, differences: rebuilt.differences, notCompared: rebuilt.notCompared }).toEqual({
        context,
        differences: [],
        notCompared: [],
      });
      expect(rebuilt.identical).toBe(true);
    }

    // A last restart: everything acknowledged is served, and the read models it caught up are the rebuild's.
    const last = await startChildService(dataDir);
    child = last.child;
    await waitUntilReady(last.url);
    await expectAcknowledgedServed(last.url, requests);
    expect((await rebuildAndCompare(dataDir)).identical).toBe(true);
    expect((await verifyDataDir(dataDir)).ok).toBe(true);
    await last.child.kill();

    // The run did what it says: many acknowledged writes, and requests caught mid-flight by the kills.
    expect(acknowledged).toBeGreaterThanOrEqual(KILLS * 5);
    expect(inFlightAtKills).toBeGreaterThan(0);
    const refusals = new Map<string, number>();
    for (const { outcome } of requests) if (outcome.kind === 'refused') refusals.set(outcome.code, (refusals.get(outcome.code) ?? 0) + 1);
    process.stdout.write(
      `crash safety soak: ${KILLS} kills, ${requests.length} requests, ${acknowledged} acknowledged, ${inFlightAtKills} in flight at a kill, ` +
        `refused: ${JSON.stringify(Object.fromEntries(refusals))} (seed ${SEED})\n`,
    );
  });
});
