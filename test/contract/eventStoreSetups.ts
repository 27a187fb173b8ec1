import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStoreDbEventStore } from '../../src/eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore } from '../../src/eventStore/port';
import { openSqliteEventStore } from '../../src/eventStore/sqlite/sqliteEventStore';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';

/**
 * The adapter setups the contract suite runs against. Every setup gives each test its own store
 * handle; setups backed by a shared log (EventStoreDB) rely on the suite's per-test stream namespaces.
 */
export interface StoreSetup {
  readonly name: string;
  /** Set when the setup can't run here; the suite then reports it as skipped, with this reason. */
  readonly skipReason?: string;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  /** A fresh store handle for one test. */
  open(): Promise<EventStore>;
  /** A second handle on the same data as `store` (another connection or client). */
  openAnother(): Promise<EventStore>;
}

/** The embedded store on a file; `groupCommit: false` runs the suite with one transaction per append. */
export function sqliteFileSetup(options: { groupCommit?: boolean } = {}): StoreSetup {
  const groupCommit = options.groupCommit ?? true;
  let dir = '';
  let path = '';
  return {
    name: groupCommit ? 'sqlite (file)' : 'sqlite (file, group commit off)',
    async beforeAll() {
      dir = mkdtempSync(join(tmpdir(), 'mci-contract-'));
    },
    async afterAll() {
      rmSync(dir, { recursive: true, force: true });
    },
    async open() {
      path = join(dir, `events-${Math.random().toString(36).slice(2)}.sqlite`);
      return openSqliteEventStore({ path, groupCommit });
    },
    async openAnother() {
      return openSqliteEventStore({ path, groupCommit });
    },
  };
}

export function sqliteMemorySetup(): StoreSetup {
  let current: EventStore | undefined;
  return {
    name: 'sqlite (memory)',
    async beforeAll() {},
    async afterAll() {},
    async open() {
      current = openSqliteEventStore({ path: ':memory:' });
      return current;
    },
    async openAnother() {
      // An in-memory database exists only inside its connection: the same handle is the only view of it.
      if (!current) throw new Error('open() first');
      return sharedHandle(current);
    },
  };
}

/** A view of `store` whose close() does not close the underlying store. */
function sharedHandle(store: EventStore): EventStore {
  return Object.assign(Object.create(store) as EventStore, { close: async () => {} });
}

/** EventStoreDB accepts appends up to this size in our deployments (docker-compose sets it too). */
export const ESDB_MAX_APPEND_SIZE = 9 * 1024 * 1024;

/**
 * The EventStoreDB adapter over real gRPC against the in-process test server: one server for all
 * tests, or (`serverPerStore`) a fresh, empty one for each `open()`, for tests that need the whole log
 * to themselves.
 */
export function esdbTestServerSetup(options: { serverPerStore?: boolean } = {}): StoreSetup {
  const servers: EsdbTestServer[] = [];
  const connect = (server: EsdbTestServer | undefined): EventStore => {
    if (!server) throw new Error('beforeAll() first');
    return openEventStoreDbEventStore({ url: server.url, resubscribeBackoffMs: { initial: 20, max: 200 } });
  };
  return {
    name: `eventstoredb (test gRPC server${options.serverPerStore ? ', one per test' : ''})`,
    async beforeAll() {
      if (!options.serverPerStore) servers.push(await startEsdbTestServer({ maxAppendSize: ESDB_MAX_APPEND_SIZE }));
    },
    async afterAll() {
      await Promise.all(servers.map((server) => server.close()));
    },
    async open() {
      if (options.serverPerStore) servers.push(await startEsdbTestServer({ maxAppendSize: ESDB_MAX_APPEND_SIZE }));
      return connect(servers[servers.length - 1]);
    },
    async openAnother() {
      return connect(servers[servers.length - 1]);
    },
  };
}

/** The EventStoreDB adapter against a real server, when EVENTSTORE_URL names one. */
export function esdbRealServerSetup(url = process.env['EVENTSTORE_URL']): StoreSetup {
  const connect = async (): Promise<EventStore> => openEventStoreDbEventStore({ url: url as string });
  return {
    name: 'eventstoredb (real server at EVENTSTORE_URL)',
    ...(url ? {} : { skipReason: 'EVENTSTORE_URL is not set, so no real EventStoreDB server was tested' }),
    async beforeAll() {},
    async afterAll() {},
    open: connect,
    openAnother: connect,
  };
}
