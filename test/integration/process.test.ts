import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../support/async';
import { graphql } from '../support/service';

/*
 * The built service as `npm start` runs it (dist/, built by the suite's global setup), in a child
 * process: it starts on a free port, serves, and stops cleanly on SIGTERM and SIGINT.
 */

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'pipe' });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, lines, exited };
}

async function listeningUrl(child: Child): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        for (const line of child.lines) {
          const match = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(line);
          if (match?.[1]) return resolve(match[1]);
        }
        if (child.process.exitCode !== null) return reject(new Error(`exited early:\n${child.lines.join('\n')}`));
        setTimeout(check, 20);
      };
      check();
    }),
    15_000,
    'the service to listen',
  );
}

describe('the service process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mci-process-'));
  });
  afterEach(() => {
    chmodSync(dataDir, 0o700);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('serves GraphQL, then stops cleanly with exit code 0 on %s', async (signal) => {
    const child = startChild({ PORT: '0', DATA_DIR: dataDir });
    try {
      const url = await listeningUrl(child);
      // The first start wrote the admin token next to the data, as a newcomer would find it.
      const token = readFileSync(join(dataDir, 'bootstrap-token'), 'utf8').trim();
      const info = await graphql<{ serverInfo: { eventStore: string } }>(url, '{ serverInfo { eventStore } }', undefined, {
        authorization: `Bearer ${token}`,
      });
      expect(info.body.data?.serverInfo.eventStore).toBe('sqlite');
      child.process.kill(signal);
      expect(await withTimeout(child.exited, 10_000, 'the process to exit')).toEqual({ code: 0, signal: null });
      expect(child.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  it('exits with code 2 and names the variable on a configuration error', async () => {
    const child = startChild({ PORT: 'http', DATA_DIR: dataDir });
    expect(await withTimeout(child.exited, 10_000, 'the process to exit')).toEqual({ code: 2, signal: null });
    expect(child.lines.join('\n')).toBe("multicloud-images: configuration error: PORT: expected an integer from 0 to 65535, got 'http'");
  });

  it('exits with code 1 and a clear message when DATA_DIR is read-only', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path under a regular file instead, which no one can create.
      const child = startChild({ PORT: '0', DATA_DIR: join(MAIN, 'data') });
      expect(await withTimeout(child.exited, 10_000, 'the process to exit')).toEqual({ code: 1, signal: null });
      expect(child.lines.join('\n')).toMatch(/DATA_DIR .*main\.js\/data is not a writable directory/);
      return;
    }
    chmodSync(dataDir, 0o500);
    const child = startChild({ PORT: '0', DATA_DIR: join(dataDir, 'inner') });
    expect(await withTimeout(child.exited, 10_000, 'the process to exit')).toEqual({ code: 1, signal: null });
    expect(child.lines.join('\n')).toMatch(/is not a writable directory/);
  });
});
