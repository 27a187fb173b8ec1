import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogFacts, StreamTally } from '../application/verification';
import type { Config } from '../config';
import { openEventStoreDbEventStore } from '../eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore } from '../eventStore/port';
import { EVENT_STORE_MIGRATIONS } from '../eventStore/sqlite/migrations';
import { openSqliteEventStore } from '../eventStore/sqlite/sqliteEventStore';
import { QueryRecorder } from '../readModels/queryRecorder';
import { openReadModelDatabase } from '../readModels/readModelDatabase';
import { VerificationQueries } from '../readModels/verificationQueries';
import { openDatabase } from '../sqlite/database';
import { UsageError } from './io';

/*
 * The CLI reads what the service reads, where the service keeps it (DATA_DIR, EVENT_STORE,
 * EVENTSTORE_URL), and never creates a store: a wrong DATA_DIR is an error, not a new empty log.
 */

const embeddedLogPath = (config: Config): string => join(config.dataDir, 'events.sqlite');
export const readModelsPath = (config: Config): string => join(config.dataDir, 'read-models.sqlite');

/** The embedded log in DATA_DIR; refuses when there is none. */
export function openEmbeddedLog(config: Config): EventStore {
  const path = embeddedLogPath(config);
  if (!existsSync(path)) {
    throw new UsageError(`no embedded event store at ${path}: set DATA_DIR to the service's data directory`);
  }
  // No polling for other writers: the CLI reads and leaves.
  return openSqliteEventStore({
    path,
    synchronous: config.sqliteSynchronous,
    groupCommit: config.sqliteGroupCommit,
    externalWritePollMs: 0,
  });
}

/** The store the service is configured with. */
export async function openConfiguredStore(config: Config): Promise<EventStore> {
  if (config.eventStore === 'sqlite') return openEmbeddedLog(config);
  return openEventStoreDbEventStore({ url: config.eventStoreUrl as string });
}

/**
 * What the store and the read models remember about the log beyond the log itself. Read BEFORE the
 * log is verified: the service may append meanwhile, and then everything counted here is in the log.
 */
export function readLogFacts(config: Config, options: { readonly readModels: boolean }): LogFacts {
  const facts: { -readonly [K in keyof LogFacts]: LogFacts[K] } = {};
  if (config.eventStore === 'sqlite') {
    const db = openDatabase(embeddedLogPath(config), { synchronous: 'FULL', migrations: EVENT_STORE_MIGRATIONS, label: 'event store' });
    try {
      // AUTOINCREMENT's counter: the highest position ever handed out, which deleting rows doesn't lower.
      const row = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).safeIntegers(true).get() as
        { seq: bigint } | undefined;
      if (row) facts.highestAssignedPosition = row.seq;
    } finally {
      db.close();
    }
  }
  if (options.readModels) {
    readReadModels(config, (queries) => {
      const tallies = queries.streamTallies();
      if (tallies) facts.streamTallies = tallies;
      facts.checkpoints = queries.checkpoints();
    });
  }
  return facts;
}

/** What the read models counted of one stream (`verify --stream`): its row only, not the whole catalog. */
export function readStreamTally(config: Config, stream: string): StreamTally | undefined {
  return readReadModels(config, (queries) => queries.streamTally(stream));
}

/** Reads the service's read models, read-only and in one snapshot; `undefined` when there are none. */
function readReadModels<T>(config: Config, read: (queries: VerificationQueries) => T): T | undefined {
  const path = readModelsPath(config);
  if (!existsSync(path)) return undefined;
  const db = openReadModelDatabase(path);
  try {
    db.pragma('query_only = ON');
    return db.transaction(() => read(new VerificationQueries(db, new QueryRecorder())))();
  } finally {
    db.close();
  }
}
