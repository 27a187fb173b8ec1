import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTimeout } from '../support/async';
import { startTestService, type TestService } from '../support/service';

/*
 * The built CLI as the `multicloud-images` bin runs it (dist/, built by the suite's global setup), in
 * a child process: it reads DATA_DIR from the environment, prints results on stdout and progress on
 * stderr, exits with its code, and leaves nothing running.
 */

const BIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

function runBin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return withTimeout(new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))), 15_000, 'the CLI to exit');
}

describe('the multicloud-images bin', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('is an executable script that verifies the DATA_DIR it is given and exits 0', async () => {
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const run = await runBin(['verify'], { DATA_DIR: service.dataDir });
    expect(run).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^ok: \d+ events in \d+ streams verified\n/u),
      stderr: expect.stringMatching(/^verify: \d+ events in \d+ streams checked\n$/u),
    });
  });

  it('exits 2 with usage on a wrong command line', async () => {
    const run = await runBin(['verify', '--bogus'], { DATA_DIR: service.dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("multicloud-images verify: unknown option '--bogus'");
    expect(run.stdout).toBe('');
  });
});
