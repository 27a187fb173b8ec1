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
      bootstrapToken: undefined,
      logLevel: 'info',
      sqliteSynchronous: 'FULL',
      maxBodyBytes: 1024 * 1024,
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
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/mci',
      eventStore: 'eventstoredb',
      logLevel: 'debug',
      sqliteSynchronous: 'NORMAL',
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
    [{ BOOTSTRAP_TOKEN: 'short' }, 'BOOTSTRAP_TOKEN: expected 24 to 256 characters without white space'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
