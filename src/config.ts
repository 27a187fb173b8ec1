import { resolve } from 'node:path';

/** The service's configuration, read from the environment once at start (design.md, "Configuration"). */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly eventStore: 'sqlite' | 'eventstoredb';
  readonly eventStoreUrl: string | undefined;
  /**
   * Deadline of one EventStoreDB call (`EVENTSTORE_DEADLINE_MS`): a store that doesn't answer fails the
   * request with UNAVAILABLE after this long instead of holding it.
   */
  readonly eventStoreDeadlineMs: number;
  readonly bootstrapToken: string | undefined;
  readonly logLevel: LogLevel;
  /** `FULL` (default): acknowledged writes survive power loss; `NORMAL`: they survive a process crash. */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /**
   * `SQLITE_GROUP_COMMIT` (`on`, default): appends arriving together share one transaction and one fsync,
   * each still checked on its own and acknowledged after that commit; `off`: one transaction per append.
   */
  readonly sqliteGroupCommit: boolean;
  /** Largest accepted HTTP request body, and largest WebSocket message. */
  readonly maxBodyBytes: number;
  /** Bounds on one GraphQL operation, over HTTP and WebSocket alike (README, "Limits"). */
  readonly queryLimits: QueryLimits;
  /** Mutation fields each API token may run: a token bucket refilled at `perMinute`, holding at most `burst`. */
  readonly mutationRateLimit: MutationRateLimit;
  /** `RESPONSE_CACHE_BYTES`: memory for cached answers to queries (see src/server/responseCache.ts); 0 turns the cache off. */
  readonly responseCacheBytes: number;
  /** `SNAPSHOT_INTERVAL`: a stream's folded state is snapshotted every this many events; 0 turns snapshots off. */
  readonly snapshotInterval: number;
}

export interface QueryLimits {
  /** Lexical tokens of a document (names, punctuation, values): bounds parsing and validation work. */
  readonly maxTokens: number;
  /** Nested selection sets, fragments expanded; introspection counted the same. */
  readonly maxDepth: number;
  /** Fields an operation may resolve: each field counts 1, times the page size (`first`) or assumed list size above it. */
  readonly maxComplexity: number;
  /** Aliased fields in one operation, fragments expanded. */
  readonly maxAliases: number;
  /** Top-level fields of one operation (aliases included): each is an independent read or write. */
  readonly maxRootFields: number;
}

export interface MutationRateLimit {
  /** Sustained mutation fields per minute per token; 0 turns the limit off. */
  readonly perMinute: number;
  /** Mutation fields a token may run at once after being idle. */
  readonly burst: number;
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
    // The token is a secret: the message tells its shape, never its text.
    throw new ConfigError(
      `BOOTSTRAP_TOKEN: expected 24 to 256 characters without white space, got ${bootstrapToken.length} characters${/\s/u.test(bootstrapToken) ? ' with white space' : ''}`,
    );
  }
  return {
    port: integer('PORT', env['PORT'], 4000, 0, 65_535),
    host: env['HOST'] || '127.0.0.1',
    dataDir: resolve(env['DATA_DIR'] || './data'),
    eventStore,
    eventStoreUrl,
    eventStoreDeadlineMs: integer('EVENTSTORE_DEADLINE_MS', env['EVENTSTORE_DEADLINE_MS'], 5_000, 100, 120_000),
    bootstrapToken,
    logLevel: oneOf('LOG_LEVEL', env['LOG_LEVEL'], LOG_LEVELS, 'info'),
    sqliteSynchronous: oneOf('SQLITE_SYNCHRONOUS', env['SQLITE_SYNCHRONOUS'], ['FULL', 'NORMAL'] as const, 'FULL'),
    sqliteGroupCommit: oneOf('SQLITE_GROUP_COMMIT', env['SQLITE_GROUP_COMMIT'], ['on', 'off'] as const, 'on') === 'on',
    maxBodyBytes: integer('MAX_BODY_BYTES', env['MAX_BODY_BYTES'], 1024 * 1024, 1024, 64 * 1024 * 1024),
    queryLimits: {
      maxTokens: integer('MAX_QUERY_TOKENS', env['MAX_QUERY_TOKENS'], 10_000, 100, 1_000_000),
      maxDepth: integer('MAX_QUERY_DEPTH', env['MAX_QUERY_DEPTH'], 20, 2, 100),
      maxComplexity: integer('MAX_QUERY_COMPLEXITY', env['MAX_QUERY_COMPLEXITY'], 100_000, 10, 100_000_000),
      maxAliases: integer('MAX_QUERY_ALIASES', env['MAX_QUERY_ALIASES'], 100, 0, 100_000),
      maxRootFields: integer('MAX_ROOT_FIELDS', env['MAX_ROOT_FIELDS'], 30, 1, 10_000),
    },
    mutationRateLimit: {
      perMinute: integer('RATE_LIMIT_MUTATIONS_PER_MINUTE', env['RATE_LIMIT_MUTATIONS_PER_MINUTE'], 600, 0, 1_000_000),
      burst: integer('RATE_LIMIT_MUTATIONS_BURST', env['RATE_LIMIT_MUTATIONS_BURST'], 100, 1, 1_000_000),
    },
    responseCacheBytes: integer('RESPONSE_CACHE_BYTES', env['RESPONSE_CACHE_BYTES'], 32 * 1024 * 1024, 0, 8 * 1024 * 1024 * 1024),
    snapshotInterval: integer('SNAPSHOT_INTERVAL', env['SNAPSHOT_INTERVAL'], 100, 0, 1_000_000),
  };
}
