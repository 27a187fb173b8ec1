import { esdbRealServerSetup, esdbTestServerSetup, sqliteFileSetup, sqliteMemorySetup, type StoreSetup } from './eventStoreSetups';

/**
 * Every adapter setup: SQLite on a file (with group commit, the default, and without) and in memory, EventStoreDB over real gRPC against the
 * in-process test server, and a real EventStoreDB when EVENTSTORE_URL is set (reported as skipped
 * otherwise).
 */
export function allSetups(): StoreSetup[] {
  return [sqliteFileSetup(), sqliteFileSetup({ groupCommit: false }), sqliteMemorySetup(), esdbTestServerSetup(), esdbRealServerSetup()];
}
