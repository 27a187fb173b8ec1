import Database from 'better-sqlite3';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { computeEventHash } from '../../src/eventStore/hashChain';

/*
 * What an attacker with write access to DATA_DIR can do to the embedded log, done with a plain SQLite
 * connection (as they would), and the CLI run in this process against that DATA_DIR.
 */

export interface EventRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  prev_hash: string | null;
  hash: string;
  recorded_at: number;
}

/** Opens the events file of a DATA_DIR as an attacker would, runs `change`, closes it. */
export function tamper<T>(dataDir: string, change: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'events.sqlite'));
  try {
    return change(db);
  } finally {
    db.close();
  }
}

export function rowsOf(dataDir: string, stream: string): EventRow[] {
  return tamper(dataDir, (db) => db.prepare(`SELECT * FROM events WHERE stream = ? ORDER BY revision`).all(stream) as EventRow[]);
}

export function lastRowOfLog(dataDir: string): EventRow {
  return tamper(dataDir, (db) => db.prepare(`SELECT * FROM events ORDER BY position DESC LIMIT 1`).get() as EventRow);
}

export function deleteRow(dataDir: string, position: number): void {
  tamper(dataDir, (db) => db.prepare(`DELETE FROM events WHERE position = ?`).run(position));
}

export function restoreRow(dataDir: string, row: EventRow): void {
  tamper(dataDir, (db) => {
    db.prepare(`DELETE FROM events WHERE position = ?`).run(row.position);
    db.prepare(
      `INSERT INTO events (position, stream, revision, id, type, data, metadata, prev_hash, hash, recorded_at)
       VALUES (@position, @stream, @revision, @id, @type, @data, @metadata, @prev_hash, @hash, @recorded_at)`,
    ).run(row);
  });
}

/** Swaps the positions of two rows (their place in the log), leaving their content alone. */
export function swapPositions(dataDir: string, a: number, b: number): void {
  tamper(dataDir, (db) =>
    db.transaction(() => {
      db.prepare(`UPDATE events SET position = -1 WHERE position = ?`).run(a);
      db.prepare(`UPDATE events SET position = ? WHERE position = ?`).run(a, b);
      db.prepare(`UPDATE events SET position = ? WHERE position = -1`).run(b);
    })(),
  );
}

/** The hash a row's content gives, as an attacker who knows the algorithm would recompute it. */
export function rehash(row: EventRow, prevHash: string | null = row.prev_hash): string {
  return computeEventHash({
    id: row.id,
    stream: row.stream,
    revision: BigInt(row.revision),
    type: row.type,
    data: JSON.parse(row.data),
    metadata: { ...JSON.parse(row.metadata), prevHash },
  });
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, as `multicloud-images <args>` with this environment. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { tty?: boolean; now?: () => number } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => void (stdout += text) },
    stderr: { write: (text: string) => void (stderr += text), isTTY: options.tty ?? false },
    env: { PATH: process.env['PATH'] ?? '', ...env },
    ...(options.now ? { now: options.now } : {}),
  });
  return { code, stdout, stderr };
}
