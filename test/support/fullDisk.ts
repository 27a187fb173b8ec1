import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A DATA_DIR whose disk can be filled up and freed again while the service runs.
 * - `tmpfs`: a small tmpfs mounted for the test (needs mount rights: root with CAP_SYS_ADMIN, as in
 *   CI's containers). Filled by a ballast file written until ENOSPC, freed by deleting it: the very
 *   condition a full disk is, SQLite sees ENOSPC and answers SQLITE_FULL.
 * - `file-size-limit`, where mounting is not allowed: the running service's RLIMIT_FSIZE is lowered
 *   (prlimit) to 0, so every write to a file fails (stricter than a full disk, which still lets
 *   allocated space be rewritten); SQLite sees EFBIG and answers SQLITE_IOERR_WRITE. Node ignores
 *   SIGXFSZ, so the write fails instead of killing the process; pipes (the log) are not limited.
 */

export interface FillableDisk {
  readonly technique: 'tmpfs' | 'file-size-limit';
  readonly dataDir: string;
  /** From now on the data files in `dataDir` can't grow. `pid`: the service's process. */
  fill(pid: number): void;
  /** Space is back. */
  free(pid: number): void;
  dispose(): void;
}

const TMPFS_SIZE = '32m';

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` };
}

export function fillableDisk(): FillableDisk {
  const root = mkdtempSync(join(tmpdir(), 'mci-full-disk-'));
  const dataDir = join(root, 'data');
  // MCI_TEST_DISK=file-size-limit tries the fallback where mounting would work.
  const mounted =
    process.env['MCI_TEST_DISK'] !== 'file-size-limit' && run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', root]).ok;
  mkdirSync(dataDir);
  if (mounted) {
    const ballast = join(root, 'ballast');
    return {
      technique: 'tmpfs',
      dataDir,
      fill() {
        const fd = openSync(ballast, 'w');
        try {
          // Big chunks first, then one page at a time, until not one more byte fits.
          for (const size of [1024 * 1024, 4096, 1]) {
            const chunk = Buffer.alloc(size, 1);
            for (;;) {
              try {
                writeSync(fd, chunk);
              } catch (error) {
                if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
                throw error;
              }
            }
          }
        } finally {
          closeSync(fd);
        }
      },
      free() {
        rmSync(ballast, { force: true });
      },
      dispose() {
        const unmounted = run('umount', [root]);
        if (!unmounted.ok) throw new Error(`umount ${root} failed: ${unmounted.output}`);
        rmSync(root, { recursive: true, force: true });
      },
    };
  }
  const prlimit = (pid: number, soft: string): void => {
    const result = run('prlimit', ['--pid', String(pid), `--fsize=${soft}:`]);
    if (!result.ok) throw new Error(`neither mount nor prlimit can fill a disk here: ${result.output}`);
  };
  return {
    technique: 'file-size-limit',
    dataDir,
    fill(pid) {
      prlimit(pid, '0');
    },
    free(pid) {
      prlimit(pid, 'unlimited');
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
