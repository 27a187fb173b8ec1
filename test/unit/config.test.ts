import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      eventStore: 'sqlite',
      eventStoreUrl: undefined,
      eventStoreDeadlineMs: 5_000,
      bootstrapToken: undefined,
      logLevel: 'info',
      sqliteSynchronous: 'FULL',
      sqliteGroupCommit: true,
      maxBodyBytes: 1024 * 1024,
      queryLimits: { maxTokens: 10_000, maxDepth: 20, maxComplexity: 100_000, maxAliases: 100, maxRootFields: 30 },
      mutationRateLimit: { perMinute: 600, burst: 100 },
      snapshotInterval: 100,
      responseCacheBytes: 32 * 1024 * 1024,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/mci',
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
      BOOTSTRAP_TOKEN: 'a'.repeat(32),
      LOG_LEVEL: 'debug',
      SQLITE_SYNCHRONOUS: 'NORMAL',
      SQLITE_GROUP_COMMIT: 'off',
      EVENTSTORE_DEADLINE_MS: '1500',
      MAX_QUERY_TOKENS: '5000',
      MAX_QUERY_DEPTH: '12',
      MAX_QUERY_COMPLEXITY: '5000',
      MAX_QUERY_ALIASES: '0',
      MAX_ROOT_FIELDS: '5',
      RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
      RATE_LIMIT_MUTATIONS_BURST: '7',
      SNAPSHOT_INTERVAL: '0',
      RESPONSE_CACHE_BYTES: '0',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/mci',
      eventStore: 'eventstoredb',
      logLevel: 'debug',
      sqliteSynchronous: 'NORMAL',
      sqliteGroupCommit: false,
      eventStoreDeadlineMs: 1500,
      queryLimits: { maxTokens: 5000, maxDepth: 12, maxComplexity: 5000, maxAliases: 0, maxRootFields: 5 },
      mutationRateLimit: { perMinute: 0, burst: 7 },
      snapshotInterval: 0,
      responseCacheBytes: 0,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, "PORT: expected an integer from 0 to 65535, got 'eighty'"],
    [{ PORT: '70000' }, "PORT: expected an integer from 0 to 65535, got '70000'"],
    [{ EVENT_STORE: 'postgres' }, "EVENT_STORE: expected one of sqlite, eventstoredb, got 'postgres'"],
    [{ EVENT_STORE: 'eventstoredb' }, 'EVENTSTORE_URL: required when EVENT_STORE=eventstoredb, e.g. esdb://127.0.0.1:2113?tls=false'],
    [{ EVENTSTORE_URL: 'http://x' }, "EVENTSTORE_URL: expected an esdb:// or esdb+discover:// connection string, got 'http://x'"],
    [{ LOG_LEVEL: 'loud' }, "LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'loud'"],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, "SQLITE_SYNCHRONOUS: expected one of FULL, NORMAL, got 'OFF'"],
    [{ SQLITE_GROUP_COMMIT: 'yes' }, "SQLITE_GROUP_COMMIT: expected one of on, off, got 'yes'"],
    [{ BOOTSTRAP_TOKEN: 'short' }, 'BOOTSTRAP_TOKEN: expected 24 to 256 characters without white space, got 5 characters'],
    [
      { BOOTSTRAP_TOKEN: 'a secret with spaces in it, long enough' },
      'BOOTSTRAP_TOKEN: expected 24 to 256 characters without white space, got 39 characters with white space',
    ],
    [{ MAX_QUERY_DEPTH: '1' }, "MAX_QUERY_DEPTH: expected an integer from 2 to 100, got '1'"],
    [{ MAX_QUERY_COMPLEXITY: 'lots' }, "MAX_QUERY_COMPLEXITY: expected an integer from 10 to 100000000, got 'lots'"],
    [{ RATE_LIMIT_MUTATIONS_BURST: '0' }, "RATE_LIMIT_MUTATIONS_BURST: expected an integer from 1 to 1000000, got '0'"],
    [{ EVENTSTORE_DEADLINE_MS: '0' }, "EVENTSTORE_DEADLINE_MS: expected an integer from 100 to 120000, got '0'"],
    [{ SNAPSHOT_INTERVAL: '-1' }, "SNAPSHOT_INTERVAL: expected an integer from 0 to 1000000, got '-1'"],
    [{ RESPONSE_CACHE_BYTES: '64MB' }, "RESPONSE_CACHE_BYTES: expected an integer from 0 to 8589934592, got '64MB'"],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
