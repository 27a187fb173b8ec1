import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/*
 * HTTP load from its own process: `runLoad` forks `loadWorker` (autocannon) so the load generator's
 * CPU is never taken from the server it measures, and returns the worker's figures.
 *
 * Usage:
 *   const result = await runLoad({ url: `${http.url}/graphql`, headers: { authorization: `Bearer ${token}` },
 *     body: JSON.stringify({ query }), connections: 20, durationSeconds: 10 });
 *   result.requestsPerSecond, result.latencyP99Ms, result.non2xx, …
 */

export interface LoadOptions {
  readonly url: string;
  /** Default POST. */
  readonly method?: 'GET' | 'POST';
  /** Sent with every request; `content-type: application/json` is added unless given. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Bodies sent in turn instead of `body`: each request takes the next one (one counter shared by all
   * connections, wrapping around), so concurrent requests carry different bodies — e.g. mutations on
   * different objects.
   */
  readonly bodies?: readonly string[];
  /** Concurrent keep-alive connections, each with one request in flight. */
  readonly connections: number;
  readonly durationSeconds: number;
  /** When given, every response body is compared with it; a different one counts in `mismatches`. */
  readonly expectBody?: string;
}

export interface LoadResult {
  /** Completed requests (any status) per second over the run. */
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses with a status outside 2xx. */
  readonly non2xx: number;
  /** Responses whose body differed from `expectBody`. */
  readonly mismatches: number;
  readonly durationSeconds: number;
}

/** Runs autocannon in a child process and resolves with its figures; rejects if the worker fails or exits early. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const worker = join(__dirname, 'loadWorker.js');
  if (!existsSync(worker)) {
    return Promise.reject(new Error(`${worker} is missing: run benchmarks compiled (npm run bench), not from the TypeScript sources`));
  }
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.once('message', (message: { result?: LoadResult; error?: string }) => {
      settled = true;
      if (message.result) resolve(message.result);
      else reject(new Error(`load worker failed: ${message.error ?? 'no result'}`));
    });
    child.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`load worker exited (code ${code}, signal ${signal}) before sending its result`));
      settled = true;
    });
    child.send(options);
  });
}

/** Fails loudly when a run had failures: a benchmark of error responses measures nothing. */
export function assertClean(name: string, result: LoadResult): void {
  if (result.errors > 0 || result.non2xx > 0 || result.mismatches > 0) {
    throw new Error(
      `${name}: ${result.errors} connection errors, ${result.non2xx} non-2xx responses, ${result.mismatches} unexpected bodies out of ${result.requests} requests`,
    );
  }
}
