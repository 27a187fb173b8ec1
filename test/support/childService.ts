import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { withTimeout } from './async';
import { TEST_ADMIN_TOKEN } from './service';

/*
 * The built service (dist/, built by the suite's global setup) in a child process, as `npm start`
 * runs it: for what only a separate process can show (SIGKILL, SIGTERM, exit codes, another uid).
 */

export const SERVICE_MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** Run as this user and group (e.g. `nobody` when the test runs as root, for whom permissions don't apply). */
  readonly uid?: number;
  readonly gid?: number;
}

export class ChildService {
  /** Every line the process wrote to stdout or stderr, in order. */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly changes = new EventEmitter();

  constructor(readonly process: ChildProcessWithoutNullStreams) {
    this.changes.setMaxListeners(100);
    let partial = '';
    const collect = (chunk: Buffer): void => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts.filter(Boolean));
      this.changes.emit('change');
    };
    process.stdout.on('data', collect);
    process.stderr.on('data', collect);
    this.exited = new Promise<Exit>((resolve) =>
      process.on('exit', (code, signal) => {
        if (partial) this.lines.push(partial);
        resolve({ code, signal });
        this.changes.emit('change');
      }),
    );
  }

  get pid(): number {
    return this.process.pid as number;
  }

  /** Resolves with the first line `match` accepts; rejects if the process exits first or after `ms`. */
  waitForLine<T>(match: (line: string) => T | undefined, what: string, ms = 20_000): Promise<T> {
    return withTimeout(
      new Promise<T>((resolve, reject) => {
        let seen = 0;
        const look = (): void => {
          for (; seen < this.lines.length; seen++) {
            const found = match(this.lines[seen] as string);
            if (found !== undefined) {
              this.changes.off('change', look);
              return resolve(found);
            }
          }
          if (this.process.exitCode !== null || this.process.signalCode !== null) {
            this.changes.off('change', look);
            reject(new Error(`the service exited (${this.process.exitCode ?? this.process.signalCode}) before ${what}:\n${this.tail()}`));
          }
        };
        this.changes.on('change', look);
        look();
      }),
      ms,
      what,
    );
  }

  /** The service's base URL, once it logged that it is serving. */
  listening(ms = 20_000): Promise<string> {
    return this.waitForLine((line) => /"url":"(http:\/\/[^"]+)\/graphql"/u.exec(line)?.[1], 'the service to listen', ms);
  }

  /** Log lines parsed as JSON (other lines skipped). */
  logs(): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  tail(count = 20): string {
    return this.lines.slice(-count).join('\n');
  }

  /** SIGKILL, and waits until the process is gone (its files are closed by then). */
  async kill(): Promise<Exit> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * The child's environment besides `env`. Its clients (write storms, the crash soak) send every mutation
 * with the one admin token, far past the production rate limit (600 a minute, bursts of 100): unless a
 * test asks for the limit, it is off (`RATE_LIMIT_MUTATIONS_PER_MINUTE=0`), so a refusal never comes
 * from the limiter but from what is under test.
 */
const CHILD_DEFAULTS = { PORT: '0', HOST: '127.0.0.1', BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN, RATE_LIMIT_MUTATIONS_PER_MINUTE: '0' } as const;

/** Starts `node dist/src/main.js` with only PATH, CHILD_DEFAULTS and `env` in its environment (the admin token is TEST_ADMIN_TOKEN). */
export function spawnService(env: Record<string, string>, options: ChildOptions = {}): ChildService {
  const child = spawn(process.execPath, [SERVICE_MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...CHILD_DEFAULTS, ...env },
    stdio: 'pipe',
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  return new ChildService(child);
}

/** Starts the service on `dataDir` and waits until it serves; returns it and its URL. */
export async function startChildService(
  dataDir: string,
  env: Record<string, string> = {},
  options: ChildOptions = {},
): Promise<{ child: ChildService; url: string }> {
  const child = spawnService({ DATA_DIR: dataDir, ...env }, options);
  try {
    return { child, url: await child.listening() };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/** Polls `GET /readyz` until it answers 200 (the store answers and every read model has caught up). */
export async function waitUntilReady(url: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    const response = await fetch(`${url}/readyz`).catch((error: unknown) => error as Error);
    if (!(response instanceof Error) && response.status === 200) return;
    last = response instanceof Error ? response.message : `${response.status} ${await response.text()}`;
    if (Date.now() > deadline) throw new Error(`the service was not ready within ${ms} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
