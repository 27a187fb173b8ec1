import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load';

/*
 * The load generator's own process (forked by `runLoad` in load.ts): runs autocannon against the
 * server, so the client's CPU never counts against the server it measures in the benchmark process,
 * and sends back the figures. One message in (the options), one message out (the result or an error).
 */

process.once('message', (options: LoadOptions) => {
  const instance = autocannon(
    {
      url: options.url,
      method: options.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.bodies === undefined || options.bodies.length === 0 ? {} : { requests: [rotatingBodies(options.bodies)] }),
      connections: options.connections,
      duration: options.durationSeconds,
      ...(options.expectBody === undefined ? {} : { expectBody: options.expectBody }),
    },
    (error, result) => {
      if (error) {
        process.send?.({ error: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
        return;
      }
      const completed = result.requests.total;
      const summary: LoadResult = {
        requestsPerSecond: completed / result.duration,
        requests: completed,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        latencyMaxMs: result.latency.max,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        mismatches: result.mismatches,
        durationSeconds: result.duration,
      };
      process.send?.({ result: summary }, () => process.exit(0));
    },
  );
  // Stop early, cleanly, when the parent goes away.
  process.once('disconnect', () => instance.stop());
});

/** One request whose body is the next of `bodies` each time it is built (shared by all connections). */
function rotatingBodies(bodies: readonly string[]): autocannon.Request {
  let next = 0;
  return {
    setupRequest: (request) => {
      const body = bodies[next % bodies.length] as string;
      next += 1;
      return { ...request, body };
    },
  };
}
