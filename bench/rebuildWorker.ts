import Database from 'better-sqlite3';
import { join } from 'node:path';
import { allProjections } from '../projections';
import { openSqliteEventStore } from '../src/eventStore/sqlite/sqliteEventStore';
import { ProjectionRunner } from '../src/readModels/projectionRunner';
import { openReadModelDatabase } from '../src/readModels/readModelDatabase';
import { rebuildReadModels } from '../src/readModels/rebuild';

/*
 * One measured pass over a log, in a process of its own so its peak memory (`maxRSS`) is its alone:
 *   node rebuildWorker.js raw <events.sqlite>            a bare better-sqlite3 scan of the events table, JSON.parse of data and metadata
 *   node rebuildWorker.js runner <events.sqlite> <dir>   the service's ProjectionRunner from position 0 into a new read-model file
 *   node rebuildWorker.js runner-unbatched …             the same without batch memory (projections write event by event)
 *   node rebuildWorker.js cli <events.sqlite> <dir>      the CLI's rebuild path (`rebuildReadModels`) into a new file, no comparison
 * Prints one JSON line: {events, seconds, maxRssMb}.
 */

interface Result {
  readonly events: number;
  readonly seconds: number;
  readonly maxRssMb: number;
}

async function main(): Promise<void> {
  const [mode, eventsPath, outDir] = process.argv.slice(2);
  if (!mode || !eventsPath) throw new Error('usage: rebuildWorker <raw|runner|cli> <events.sqlite> [<out dir>]');
  const started = process.hrtime.bigint();
  let events = 0;
  if (mode === 'raw') {
    const db = new Database(eventsPath, { readonly: true });
    const rows = db
      .prepare(`SELECT position, stream, revision, id, type, data, metadata, prev_hash, hash, recorded_at FROM events ORDER BY position`)
      .raw(true)
      .iterate() as Iterable<unknown[]>;
    let checksum = 0;
    for (const row of rows) {
      const data = JSON.parse(row[5] as string) as unknown;
      const metadata = JSON.parse(row[6] as string) as Record<string, unknown>;
      // Touch what was parsed, so the work can't be skipped.
      if (data !== null && typeof metadata === 'object') checksum += 1;
      events += 1;
    }
    if (checksum !== events) throw new Error('raw scan: unparsed rows');
    db.close();
  } else if (mode === 'runner' || mode === 'runner-unbatched' || mode === 'cli') {
    if (!outDir) throw new Error(`${mode}: the output directory is required`);
    const store = openSqliteEventStore({ path: eventsPath, synchronous: 'NORMAL' });
    const head = await store.headPosition();
    if (mode !== 'cli') {
      const db = openReadModelDatabase(join(outDir, 'read-models.sqlite'));
      const runner = new ProjectionRunner({ store, db, projections: allProjections, batchMemory: mode === 'runner' });
      await runner.start();
      await runner.waitForPosition(head, 3_600_000);
      await runner.stop();
      db.close();
    } else {
      await rebuildReadModels({ store, projections: allProjections, livePath: undefined, outPath: join(outDir, 'read-models.sqlite') });
    }
    events = Number(head?.commit ?? 0n);
    await store.close();
  } else {
    throw new Error(`unknown mode '${mode}'`);
  }
  const result: Result = {
    events,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
