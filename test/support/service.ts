import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../src/server/httpServer';
import { openServices, type Services } from '../../src/services';

/** The bootstrap admin's token in test services (all roles and the system operator right, account `Default`). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** Headers that authenticate as the bootstrap admin. */
export const ADMIN: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

export interface TestService {
  readonly url: string;
  readonly services: Services;
  readonly http: RunningHttpServer;
  readonly dataDir: string;
  /** Log lines the service wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * The real service in this process: a real SQLite file in a temporary DATA_DIR (or the given
 * environment), a real HTTP server on a free loopback port.
 */
export async function startTestService(env: Record<string, string> = {}, options: HttpServerOptions = {}): Promise<TestService> {
  const dataDir = env['DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'mci-service-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
    // Tests write faster than any client should, all with the admin token: the mutation rate limit is
    // off unless a test sets it (test/integration/rateLimit.test.ts does, with its own clock).
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
    ...env,
    DATA_DIR: dataDir,
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const services = await openServices(config, logger);
  const http = await startHttpServer(services, undefined, options);
  return {
    url: http.url,
    services,
    http,
    dataDir,
    logs,
    async stop() {
      await http.stop();
      await services.close();
      if (!env['DATA_DIR']) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  body: { data?: Data | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  headers: Headers;
}

/** POSTs a GraphQL operation over real HTTP. */
export async function graphql<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<Data>['body'], headers: response.headers };
}
