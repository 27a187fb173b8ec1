import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFeedTailMode, type FeedTailMode } from '../src/application/feedTail';
import { loadConfig } from '../src/config';
import type { JsonObject } from '../src/eventStore/json';
import { createLogger } from '../src/logger';
import { startHttpServer } from '../src/server/httpServer';
import { openServices } from '../src/services';

/*
 * The server under test of the fan-out benchmark, in its own process (forked by fanout.ts), so neither
 * the clients nor the benchmark's bookkeeping take its CPU. It runs the real service on the seeded
 * DATA_DIR it is given and, on request, writes the events the subscribers receive: direct appends
 * through the service's store (one event per append, each its own commit), paced at a given rate. The
 * events belong to the subscribers' account, so each of them sees every one.
 *
 * Messages in: { kind: 'warmup', everyMs } (an event every `everyMs` until the next message),
 * { kind: 'run', rate, seconds }, { kind: 'usage' }, { kind: 'stop' }. Out: { kind: 'listening', url,
 * after } once serving, { kind: 'ran', ... } once the run's events are written, { kind: 'usage', ... }.
 */

export type ServerRequest =
  | { readonly kind: 'warmup'; readonly everyMs: number }
  | { readonly kind: 'run'; readonly rate: number; readonly seconds: number }
  /** The server's CPU and event-loop delay since the run began (asked once every subscriber is done). */
  | { readonly kind: 'usage' }
  | { readonly kind: 'stop' };

export type ServerReport =
  | { readonly kind: 'listening'; readonly url: string; readonly after: string }
  | {
      readonly kind: 'ran';
      /** Measured events written (their `seq` runs 1..written), then one end marker. */
      readonly written: number;
      readonly seconds: number;
    }
  | {
      readonly kind: 'usage';
      readonly cpuSeconds: number;
      /** Of which in the kernel (system calls: socket writes, fsync). */
      readonly systemSeconds: number;
      readonly eventLoopDelayP99Ms: number;
    };

const dataDir = process.env['FANOUT_DATA_DIR'] as string;
const accountId = process.env['FANOUT_ACCOUNT_ID'] as string;
const mode = (process.env['FANOUT_TAIL'] ?? 'shared') as FeedTailMode;
/** 'per-subscriber': every event executed per subscriber and written per message, as before the shared delivery. */
const perSubscriber = process.env['FANOUT_DELIVERY'] === 'per-subscriber';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const send = (report: ServerReport): void => {
  process.send?.(report);
};

async function main(): Promise<void> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_MUTATIONS_PER_MINUTE: '0' });
  const services = await openServices(config, createLogger('silent'));
  setFeedTailMode(services.store, mode);
  const http = await startHttpServer(
    services,
    undefined,
    perSubscriber ? { subscriptionExecution: 'per-subscriber', socketWrites: 'per-message' } : {},
  );
  const { store } = services;
  const head = await store.headPosition();
  if (!head) throw new Error('the seeded log is empty');
  const stream = `benchfanout-${process.pid}`;
  const append = (data: JsonObject): Promise<unknown> =>
    store.append(stream, [{ type: 'FanoutProbe', data, metadata: { accountId, actorId: 'bench' } }], { expectedRevision: 'any' });

  let warming = false;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  let runCpu = process.cpuUsage();
  process.on('message', (request: ServerRequest) => {
    void (async () => {
      if (request.kind === 'warmup') {
        warming = true;
        while (warming) {
          await append({ seq: 0 });
          await sleep(request.everyMs);
        }
      } else if (request.kind === 'run') {
        warming = false;
        delay.enable();
        runCpu = process.cpuUsage();
        const started = performance.now();
        const total = Math.round(request.rate * request.seconds);
        const appends: Array<Promise<unknown>> = [];
        let seq = 0;
        // Every tick appends whatever its schedule says is due: when fan-out keeps the event loop busy,
        // the ticks come late and append several, so the offered rate stays the asked one.
        await new Promise<void>((resolve) => {
          const tick = (): void => {
            const due = Math.min(total, Math.floor(((performance.now() - started) * request.rate) / 1000) + 1);
            while (seq < due) {
              seq += 1;
              appends.push(append({ seq, note: 'a small event, as an MCI update is' }));
            }
            if (seq < total) return;
            clearInterval(timer);
            resolve();
          };
          const timer = setInterval(tick, 1000 / request.rate);
          tick();
        });
        await Promise.all(appends);
        const seconds = (performance.now() - started) / 1000;
        await append({ seq: -1 });
        send({ kind: 'ran', written: total, seconds });
      } else if (request.kind === 'usage') {
        const used = process.cpuUsage(runCpu);
        delay.disable();
        send({
          kind: 'usage',
          cpuSeconds: (used.user + used.system) / 1e6,
          systemSeconds: used.system / 1e6,
          eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        });
      } else {
        warming = false;
        await http.stop();
        await services.close();
        process.exit(0);
      }
    })().catch((error: unknown) => {
      process.stderr.write(`fan-out server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
  });
  send({ kind: 'listening', url: http.url, after: store.cursorOf(head) });
}

main().catch((error: unknown) => {
  process.stderr.write(`fan-out server failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
