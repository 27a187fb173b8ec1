import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allProjections } from '../../projections';
import { verifyLog, type LogVerification } from '../../src/application/verification';
import { readLogFacts, readModelsPath } from '../../src/cli/stores';
import { loadConfig } from '../../src/config';
import type { RecordedEvent } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { rebuildReadModels, type RebuildResult } from '../../src/readModels/rebuild';
import { EXPECTED_EVENTS, type StormRequest } from './writeStorm';

/*
 * What a DATA_DIR must look like after anything happened to the process that wrote it (a SIGKILL, a
 * full disk): the checks `multicloud-images verify` and `rebuild` run, called as library functions on
 * the files, plus the write-storm ledger held against the log.
 */

const eventStorePath = (dataDir: string): string => join(dataDir, 'events.sqlite');

/** Every event of the log, in log order. */
export async function readWholeLog(dataDir: string): Promise<RecordedEvent[]> {
  const store = openSqliteEventStore({ path: eventStorePath(dataDir), externalWritePollMs: 0 });
  try {
    const events: RecordedEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 1_000 });
      events.push(...page.events);
      if (page.isEnd || page.events.length === 0) return events;
      after = page.cursor;
    }
  } finally {
    await store.close();
  }
}

/** `verify`: every hash, every chain, dense positions, and the read models' record of each stream. */
export async function verifyDataDir(dataDir: string): Promise<LogVerification> {
  const config = loadConfig({ DATA_DIR: dataDir });
  const facts = readLogFacts(config, { readModels: true });
  const store = openSqliteEventStore({ path: eventStorePath(dataDir), externalWritePollMs: 0 });
  try {
    return await verifyLog(store, { ...facts, densePositions: true });
  } finally {
    await store.close();
  }
}

/** `rebuild`: replays the log into a new read-model file and compares it with the live one (each projection up to its checkpoint). */
export async function rebuildAndCompare(dataDir: string): Promise<RebuildResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'mci-rebuild-check-'));
  const store = openSqliteEventStore({ path: eventStorePath(dataDir), externalWritePollMs: 0 });
  try {
    return await rebuildReadModels({
      store,
      projections: allProjections,
      livePath: readModelsPath(loadConfig({ DATA_DIR: dataDir })),
      outPath: join(scratch, 'read-models.sqlite'),
    });
  } finally {
    await store.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Holds the ledger against the log; returns what is wrong (empty: all good).
 * - acknowledged: exactly its events, in order, at the version the client was told;
 * - refused: nothing;
 * - in flight when the process died: all of its events or none;
 * - no event claims a request id (with the storms' `prefix`) that no client sent.
 */
export function ledgerProblems(requests: readonly StormRequest[], log: readonly RecordedEvent[], prefix: string): string[] {
  const byRequest = new Map<string, RecordedEvent[]>();
  for (const event of log) {
    const id = event.metadata.correlationId;
    if (typeof id !== 'string' || !id.startsWith(prefix)) continue;
    byRequest.set(id, [...(byRequest.get(id) ?? []), event]);
  }
  const problems: string[] = [];
  const sent = new Set<string>();
  for (const request of requests) {
    sent.add(request.requestId);
    const events = byRequest.get(request.requestId) ?? [];
    const types = events.map((e) => e.type);
    const expected = EXPECTED_EVENTS[request.operation];
    const complete = JSON.stringify(types) === JSON.stringify(expected);
    const what = `${request.requestId} (${request.operation}, ${request.outcome.kind})`;
    switch (request.outcome.kind) {
      case 'acknowledged': {
        if (!complete) problems.push(`${what}: expected events ${expected.join(', ')}, found [${types.join(', ')}]`);
        const { version, componentId } = request.outcome;
        const event = events[events.length - 1];
        if (version !== undefined && componentId !== undefined && event) {
          if (event.stream !== `mci-${componentId}` || Number(event.revision) !== version) {
            problems.push(
              `${what}: acknowledged version ${version} of mci-${componentId}, stored at ${event.stream} revision ${event.revision}`,
            );
          }
        }
        break;
      }
      case 'refused':
        if (events.length > 0) problems.push(`${what}: refused with ${request.outcome.code}, yet wrote [${types.join(', ')}]`);
        break;
      case 'in-flight':
        if (events.length > 0 && !complete)
          problems.push(`${what}: partly written: expected ${expected.join(', ')} or nothing, found [${types.join(', ')}]`);
        break;
      default: {
        const unknown: never = request.outcome;
        throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
      }
    }
    // One append per request: all of a request's events sit together in one stream, in a row.
    if (events.length > 1 && new Set(events.map((e) => e.stream)).size > 1) problems.push(`${what}: events spread over several streams`);
  }
  for (const id of byRequest.keys()) if (!sent.has(id)) problems.push(`events with request id ${id}, which no client sent`);
  return problems;
}
