import { resolve } from 'node:path';

/** The service's configuration, read from the environment once at start (design.md, "Configuration"). */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly eventStore: 'sqlite' | 'eventstoredb';
  readonly eventStoreUrl: string | undefined;
  readonly bootstrapToken: string | undefined;
  readonly logLevel: LogLevel;
  /** `FULL` (default): acknowledged writes survive power loss; `NORMAL`: they survive a process crash. */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /** Largest accepted HTTP request body. */
  readonly maxBodyBytes: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: expected one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/u.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

/** Reads and checks the configuration; throws `ConfigError` naming the variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const eventStore = oneOf('EVENT_STORE', env['EVENT_STORE'], ['sqlite', 'eventstoredb'] as const, 'sqlite');
  const eventStoreUrl = env['EVENTSTORE_URL'] || undefined;
  if (eventStore === 'eventstoredb' && !eventStoreUrl) {
    throw new ConfigError('EVENTSTORE_URL: required when EVENT_STORE=eventstoredb, e.g. esdb://127.0.0.1:2113?tls=false');
  }
  if (eventStoreUrl && !/^esdb(\+discover)?:\/\//u.test(eventStoreUrl)) {
    throw new ConfigError(`EVENTSTORE_URL: expected an esdb:// or esdb+discover:// connection string, got '${eventStoreUrl}'`);
  }
  const bootstrapToken = env['BOOTSTRAP_TOKEN'] || undefined;
  if (bootstrapToken !== undefined && (bootstrapToken.length < 24 || bootstrapToken.length > 256 || /\s/u.test(bootstrapToken))) {
    throw new ConfigError('BOOTSTRAP_TOKEN: expected 24 to 256 characters without white space');
  }
  return {
    port: integer('PORT', env['PORT'], 4000, 0, 65_535),
    host: env['HOST'] || '127.0.0.1',
    dataDir: resolve(env['DATA_DIR'] || './data'),
    eventStore,
    eventStoreUrl,
    bootstrapToken,
    logLevel: oneOf('LOG_LEVEL', env['LOG_LEVEL'], LOG_LEVELS, 'info'),
    sqliteSynchronous: oneOf('SQLITE_SYNCHRONOUS', env['SQLITE_SYNCHRONOUS'], ['FULL', 'NORMAL'] as const, 'FULL'),
    maxBodyBytes: integer('MAX_BODY_BYTES', env['MAX_BODY_BYTES'], 1024 * 1024, 1024, 64 * 1024 * 1024),
  };
}
