import { parseArgs, positiveIntegerOption } from '../../src/cli/args';
import { UsageError } from '../../src/cli/io';
import { main, USAGE } from '../../src/cli/main';
import { Progress, renderBar } from '../../src/cli/progress';

/*
 * The CLI's own plumbing: argument parsing with messages that say what was expected, the progress
 * bar on a terminal and plain lines elsewhere, and the dispatch with its exit codes.
 */

describe('parseArgs', () => {
  const spec = { stream: { takesValue: true }, json: { takesValue: false } };

  it('reads --name value, --name=value, flags and positionals', () => {
    const parsed = parseArgs(['--stream', 'mci-1', '--json', 'file'], spec, { min: 1, max: 1, names: 'a file' });
    expect([...parsed.options]).toEqual([
      ['stream', 'mci-1'],
      ['json', true],
    ]);
    expect(parsed.positionals).toEqual(['file']);
    expect(parseArgs(['--stream=mci-2'], spec).options.get('stream')).toBe('mci-2');
    expect(parseArgs(['--', '--json'], spec, { min: 1, max: 1, names: 'a file' }).positionals).toEqual(['--json']);
  });

  it.each([
    [['--nope'], "unknown option '--nope' (expected --stream, --json)"],
    [['-x'], "unknown option '-x' (expected --stream, --json)"],
    [['--stream'], '--stream needs a value'],
    [['--stream', '--json'], '--stream needs a value'],
    [['--stream='], '--stream needs a non-empty value'],
    [['--json=yes'], "--json takes no value, got 'yes'"],
    [['--json', '--json'], '--json is given twice'],
    [['extra'], "expected no arguments besides options, got 'extra'"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseArgs(argv, spec)).toThrow(new UsageError(message));
  });

  it('checks positive integers', () => {
    const limit = (value: string): number | undefined =>
      positiveIntegerOption(parseArgs([`--limit=${value}`], { limit: { takesValue: true } }), 'limit');
    expect(limit('25')).toBe(25);
    expect(() => limit('-1')).toThrow("--limit: expected a positive integer, got '-1'");
    expect(() => limit('1e3')).toThrow("--limit: expected a positive integer, got '1e3'");
  });
});

describe('Progress', () => {
  const sink = (isTTY: boolean): { text: string; stderr: { isTTY: boolean; write(t: string): void } } => {
    const out = { text: '', stderr: { isTTY, write: (t: string) => void (out.text += t) } };
    return out;
  };

  it('draws a bar in place on a terminal, at most every 100 ms', () => {
    let now = 0;
    const out = sink(true);
    const progress = new Progress({ stdout: { write: () => true }, stderr: out.stderr, env: {}, now: () => now }, 'verify');
    progress.update(10, 40);
    progress.update(20, 40); // within 100 ms: not drawn
    now = 150;
    progress.update(30, 40);
    progress.finish('done');
    expect(out.text).toBe(
      `\r${renderBar('verify', 10, 40, 'events')}\x1b[K\r${renderBar('verify', 30, 40, 'events')}\x1b[K\rverify: done\x1b[K\n`,
    );
    expect(renderBar('verify', 30, 40, 'events')).toBe('verify [#######################-------]  75% 30/40 events');
  });

  it('writes plain lines every 5 seconds elsewhere', () => {
    let now = 0;
    const out = sink(false);
    const progress = new Progress({ stdout: { write: () => true }, stderr: out.stderr, env: {}, now: () => now }, 'export');
    progress.update(1, 4000);
    now = 5_000;
    progress.update(2000, 4000, 'of the log');
    now = 6_000;
    progress.update(3000, 4000);
    progress.finish('4,000 events exported');
    expect(out.text).toBe('export: 50% (2,000 of 4,000 of the log)\nexport: 4,000 events exported\n');
  });
});

describe('main', () => {
  const run = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: { write: (t: string) => void (stdout += t) },
      stderr: { write: (t: string) => void (stderr += t) },
      env: {},
    });
    return { code, stdout, stderr };
  };

  it('prints usage for help, and the version', async () => {
    expect(await run(['help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    for (const command of ['verify [--stream', 'rebuild [--out', 'export (--account', 'verify-export <file>', 'migrate --to'])
      expect(USAGE).toContain(command);
    expect((await run(['version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/u);
  });

  it('answers a missing or unknown command with exit code 2', async () => {
    expect(await run([])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "multicloud-images: no command given (expected one of verify, rebuild, export, verify-export, migrate, help)\nRun 'multicloud-images help' for usage.\n",
    });
    expect((await run(['verfy'])).stderr).toMatch(/^multicloud-images: unknown command 'verfy' \(expected one of /u);
  });
});
