import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { allProjections } from '../projections';
import type { Projection } from '../projections/projection';
import { AccountService } from './application/accounts';
import { bootstrap } from './application/bootstrap';
import { CommandHandler } from './application/commandHandler';
import { attachSnapshots } from './application/snapshots';
import type { Config } from './config';
import { openEventStoreDbEventStore } from './eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore } from './eventStore/port';
import { openSqliteEventStore } from './eventStore/sqlite/sqliteEventStore';
import type { Logger } from './logger';
import { ProjectionRunner } from './readModels/projectionRunner';
import { createReadModelQueries, type ReadModelQueries } from './readModels/queries';
import { openReadModelDatabase } from './readModels/readModelDatabase';
import { SqliteSnapshotStore } from './readModels/snapshotStore';
import type { SqliteDatabase } from './sqlite/database';

/** The service's long-lived parts, opened once at start and shared by every request. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: EventStore;
  readonly readModels: SqliteDatabase;
  readonly projections: ProjectionRunner;
  readonly commands: CommandHandler;
  /** Reads of the read models, for queries and authentication. */
  readonly queries: ReadModelQueries;
  readonly accounts: AccountService;
  /** Stops the projections, then closes the store and the read-model database. */
  close(): Promise<void>;
}

export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** The files the service writes in DATA_DIR (SQLite's -wal and -shm included). */
const DATA_FILES = ['events.sqlite', 'read-models.sqlite'].flatMap((file) => [file, `${file}-wal`, `${file}-shm`]);

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new StartupError(`DATA_DIR ${dataDir} is not a writable directory: ${(error as Error).message}`, { cause: error });
  }
  // A writable directory may still hold read-only files (another user's, say): SQLite would open
  // them read-only without a word and fail only at the first write, long after start.
  for (const file of DATA_FILES) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new StartupError(`DATA_DIR ${dataDir}: ${file} is not writable: ${(error as Error).message}`, { cause: error });
    }
  }
}

function openStore(config: Config, logger: Logger): EventStore {
  if (config.eventStore === 'eventstoredb') {
    return openEventStoreDbEventStore({
      url: config.eventStoreUrl as string,
      callDeadlineMs: config.eventStoreDeadlineMs,
      onSubscriptionDropped: (error, retryInMs) =>
        logger.warn({ err: error, retryInMs }, 'EventStoreDB subscription dropped; resubscribing from its last position'),
    });
  }
  return openSqliteEventStore({
    path: join(config.dataDir, 'events.sqlite'),
    synchronous: config.sqliteSynchronous,
    groupCommit: config.sqliteGroupCommit,
  });
}

/** Opens the store and the read models and starts the projections. */
export async function openServices(config: Config, logger: Logger, projections: readonly Projection[] = allProjections): Promise<Services> {
  prepareDataDir(config.dataDir);
  let store: EventStore;
  try {
    store = openStore(config, logger);
  } catch (error) {
    throw new StartupError(`can't open the event store: ${(error as Error).message}`, { cause: error });
  }
  let readModels: SqliteDatabase;
  try {
    readModels = openReadModelDatabase(join(config.dataDir, 'read-models.sqlite'));
  } catch (error) {
    await store.close();
    throw new StartupError(`can't open the read models in ${config.dataDir}: ${(error as Error).message}`, { cause: error });
  }
  const runner = new ProjectionRunner({ store, db: readModels, projections, logger });
  try {
    await runner.start();
  } catch (error) {
    await store.close();
    readModels.close();
    throw new StartupError(`can't start the projections: ${(error as Error).message}`, { cause: error });
  }
  // Snapshots of folded streams live next to the read models: derived data, checked on every use.
  if (config.snapshotInterval > 0) {
    attachSnapshots(
      store,
      new SqliteSnapshotStore(readModels, config.snapshotInterval, (error) => logger.warn({ err: error }, 'stream snapshots unavailable')),
    );
  }
  const commands = new CommandHandler(store);
  const queries = createReadModelQueries(readModels);
  const services: Services = {
    config,
    logger,
    store,
    readModels,
    projections: runner,
    commands,
    queries,
    accounts: new AccountService(commands, runner, queries.accounts),
    async close() {
      await runner.stop();
      await store.close();
      readModels.close();
    },
  };
  try {
    await bootstrap({
      store,
      commands,
      accounts: services.accounts,
      projections: runner,
      dataDir: config.dataDir,
      bootstrapToken: config.bootstrapToken,
      logger,
    });
  } catch (error) {
    await services.close();
    throw new StartupError(`can't bootstrap the store: ${(error as Error).message}`, { cause: error });
  }
  return services;
}
