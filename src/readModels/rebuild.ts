import { createHash } from 'node:crypto';
import type { Projection, ReadModelWriter, SqlValue } from '../../projections/projection';
import { comparePositions } from '../eventStore/cursor';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import { QueryRecorder } from './queryRecorder';
import { openReadModelDatabase } from './readModelDatabase';
import { VerificationQueries, type ProjectionCheckpoint } from './verificationQueries';

/*
 * Rebuilding the read models from scratch into a new file and comparing them with the live ones: the
 * proof that what the API serves is what the log says. Each projection is replayed exactly up to the
 * checkpoint the live file records for it (in one read snapshot of the live file), so a service that
 * keeps running meanwhile doesn't show up as a difference. Rows are compared as multisets, table by
 * table; the runner's own bookkeeping (checkpoints, timestamps of it) is not compared.
 */

export type ComparableRow = Readonly<Record<string, string | number | null>>;

export interface TableDifference {
  readonly projection: string;
  readonly table: string;
  readonly liveRows: number;
  readonly rebuiltRows: number;
  readonly onlyLive: number;
  readonly onlyRebuilt: number;
  /** A few rows of each side, for the report. */
  readonly samplesOnlyLive: readonly ComparableRow[];
  readonly samplesOnlyRebuilt: readonly ComparableRow[];
}

export interface RebuildResult {
  /** Nothing differs and everything could be compared. */
  readonly identical: boolean;
  readonly eventsReplayed: number;
  readonly tablesCompared: number;
  readonly rowsCompared: number;
  readonly differences: readonly TableDifference[];
  /** Projections that could not be compared, and why (no live checkpoint, another version, a failure…). */
  readonly notCompared: ReadonlyArray<{ readonly projection: string; readonly reason: string }>;
}

export interface RebuildOptions {
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  /** The live read-model file; `undefined` to only build. */
  readonly livePath: string | undefined;
  /** The new file (created; must not exist yet). */
  readonly outPath: string;
  readonly samples?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly clock?: () => Date;
}

interface Lane {
  readonly projection: Projection;
  readonly handles: ReadonlySet<string> | 'all';
  /** Replay up to here (inclusive); `undefined`: nothing (the live one never applied an event). */
  readonly target: LogPosition | undefined;
  readonly compare: boolean;
  failure: string | undefined;
}

const PAGE = 1_000;

/**
 * Replays the log into a new read-model file and, given the live file, compares them.
 *
 * Usage: const result = await rebuildReadModels({ store, projections: allProjections, livePath, outPath });
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const clock = options.clock ?? (() => new Date());
  const rebuilt = openReadModelDatabase(options.outPath);
  let live: SqliteDatabase | undefined;
  try {
    for (const projection of options.projections) {
      rebuilt.transaction(() => {
        for (const ddl of projection.schema) rebuilt.exec(ddl);
      })();
    }
    let liveCheckpoints: ProjectionCheckpoint[] | undefined;
    if (options.livePath !== undefined) {
      live = openReadModelDatabase(options.livePath);
      live.pragma('query_only = ON');
      // Held until the comparison is done: checkpoints and rows come from one snapshot.
      live.exec('BEGIN');
      liveCheckpoints = new VerificationQueries(live, new QueryRecorder()).checkpoints();
    }
    // Read after the live snapshot, so every live checkpoint is at or before it.
    const head = await options.store.headPosition();
    const notCompared: Array<{ projection: string; reason: string }> = [];
    const lanes: Lane[] = options.projections.map((projection) => {
      const handles: Lane['handles'] = projection.handles === 'all' ? 'all' : new Set(projection.handles);
      if (!liveCheckpoints) return { projection, handles, target: head, compare: false, failure: undefined };
      const checkpoint = liveCheckpoints.find((c) => c.name === projection.name);
      if (!checkpoint) {
        notCompared.push({ projection: projection.name, reason: 'the live read models have no such projection yet' });
        return { projection, handles, target: head, compare: false, failure: undefined };
      }
      if (checkpoint.version !== projection.version) {
        notCompared.push({
          projection: projection.name,
          reason: `the live read model is version ${checkpoint.version}, this build's is ${projection.version} (the service rebuilds it on its next start)`,
        });
        return { projection, handles, target: head, compare: false, failure: undefined };
      }
      return { projection, handles, target: checkpoint.position, compare: true, failure: undefined };
    });

    const eventsReplayed = await replay(options.store, rebuilt, lanes, options.onProgress);
    const now = clock().getTime();
    const setCheckpoint = rebuilt.prepare(
      `INSERT INTO projection_checkpoints (name, version, commit_position, prepare_position, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, commit_position = excluded.commit_position,
         prepare_position = excluded.prepare_position, updated_at = excluded.updated_at`,
    );
    rebuilt.transaction(() => {
      for (const lane of lanes) {
        if (lane.failure) continue;
        setCheckpoint.run(lane.projection.name, lane.projection.version, lane.target?.commit ?? null, lane.target?.prepare ?? null, now);
      }
    })();

    const differences: TableDifference[] = [];
    let tablesCompared = 0;
    let rowsCompared = 0;
    if (live) {
      for (const lane of lanes) {
        if (lane.failure) {
          notCompared.push({ projection: lane.projection.name, reason: lane.failure });
          continue;
        }
        if (!lane.compare) continue;
        for (const table of lane.projection.tables) {
          const compared = compareTable(live, rebuilt, lane.projection.name, table, options.samples ?? 5);
          if ('reason' in compared) {
            notCompared.push({ projection: lane.projection.name, reason: compared.reason });
            continue;
          }
          tablesCompared += 1;
          rowsCompared += compared.liveRows;
          if (compared.onlyLive > 0 || compared.onlyRebuilt > 0) differences.push(compared);
        }
      }
      live.exec('COMMIT');
    }
    return {
      identical: live !== undefined && differences.length === 0 && notCompared.length === 0,
      eventsReplayed,
      tablesCompared,
      rowsCompared,
      differences,
      notCompared,
    };
  } finally {
    if (live?.inTransaction) live.exec('ROLLBACK');
    live?.close();
    rebuilt.close();
  }
}

/** Applies the log to each lane up to its target, page by page, one transaction per page. */
async function replay(
  store: EventStore,
  db: SqliteDatabase,
  lanes: Lane[],
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<number> {
  let furthest: LogPosition | undefined;
  for (const lane of lanes) if (lane.target && (!furthest || comparePositions(lane.target, furthest) > 0)) furthest = lane.target;
  if (!furthest) return 0;
  const statements = new StatementCache(db);
  const writer: ReadModelWriter = {
    run: (sql, ...params) => {
      statements.get(sql).run(...params);
    },
    get: <Row>(sql: string, ...params: SqlValue[]) => statements.get(sql).get(...params) as Row | undefined,
    all: <Row>(sql: string, ...params: SqlValue[]) => statements.get(sql).all(...params) as Row[],
  };
  // Nested in the page's transaction this is a savepoint: a projection that throws leaves no half-applied event.
  const inSavepoint = db.transaction((apply: () => void) => apply());
  const applyPage = db.transaction((events: RecordedEvent[]) => {
    for (const event of events) {
      for (const lane of lanes) {
        if (lane.failure || !lane.target || comparePositions(event.position, lane.target) > 0) continue;
        if (lane.handles !== 'all' && !lane.handles.has(event.type)) continue;
        try {
          inSavepoint(() => lane.projection.apply(event, writer));
        } catch (error) {
          lane.failure = `replaying it failed at ${event.type} (${event.id}) of '${event.stream}' revision ${event.revision}: ${(error as Error)?.message ?? String(error)}`;
        }
      }
    }
  });
  let replayed = 0;
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: PAGE });
    const events = page.events.filter((event) => comparePositions(event.position, furthest) <= 0);
    applyPage(events);
    replayed += events.length;
    const last = events[events.length - 1];
    if (last) onProgress?.(Number(last.position.commit), Number(furthest.commit));
    if (events.length < page.events.length || page.isEnd || page.events.length === 0) break;
    after = page.cursor;
  }
  return replayed;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function columnsOf(db: SqliteDatabase, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map((c) => c.name);
}

/** One value's exact identity: type and content (integers as bigint, so nothing is rounded). */
function keyOf(value: unknown): string {
  if (value === null) return 'n';
  if (typeof value === 'bigint') return `i${value}`;
  if (typeof value === 'number') return `r${value}`;
  if (typeof value === 'string') return `s${value}`;
  if (Buffer.isBuffer(value)) return `b${value.toString('base64')}`;
  return `?${String(value)}`;
}

/** A row's exact identity (every value's type and content), as a SHA-256 digest. */
function digestOf(row: readonly unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify(row.map(keyOf)), 'utf8')
    .digest('base64');
}

function shown(columns: readonly string[], row: readonly unknown[]): ComparableRow {
  const entries = columns.map((column, i) => {
    const value = row[i];
    if (typeof value === 'bigint') return [column, Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()];
    if (Buffer.isBuffer(value)) return [column, `base64:${value.toString('base64')}`];
    return [column, value as string | number | null];
  });
  return Object.fromEntries(entries) as ComparableRow;
}

function compareTable(
  live: SqliteDatabase,
  rebuilt: SqliteDatabase,
  projection: string,
  table: string,
  samples: number,
): TableDifference | { reason: string } {
  const liveColumns = columnsOf(live, table);
  const rebuiltColumns = columnsOf(rebuilt, table);
  if (liveColumns.length === 0) return { reason: `table ${table} is missing from the live read models` };
  const sorted = (columns: string[]): string => [...columns].sort().join(', ');
  if (sorted(liveColumns) !== sorted(rebuiltColumns)) {
    return { reason: `table ${table} has columns (${sorted(liveColumns)}) live but (${sorted(rebuiltColumns)}) in this build` };
  }
  const select = `SELECT ${rebuiltColumns.map(quote).join(', ')} FROM ${quote(table)}`;
  const rows = (db: SqliteDatabase): Iterable<unknown[]> =>
    db.prepare(select).raw(true).safeIntegers(true).iterate() as Iterable<unknown[]>;
  // The rebuilt rows by digest: memory per distinct row stays small however large its content.
  const remaining = new Map<string, number>();
  let rebuiltRows = 0;
  for (const row of rows(rebuilt)) {
    rebuiltRows += 1;
    const digest = digestOf(row);
    remaining.set(digest, (remaining.get(digest) ?? 0) + 1);
  }
  let liveRows = 0;
  let onlyLive = 0;
  const samplesOnlyLive: ComparableRow[] = [];
  for (const row of rows(live)) {
    liveRows += 1;
    const digest = digestOf(row);
    const count = remaining.get(digest);
    if (count !== undefined) {
      if (count === 1) remaining.delete(digest);
      else remaining.set(digest, count - 1);
      continue;
    }
    onlyLive += 1;
    if (samplesOnlyLive.length < samples) samplesOnlyLive.push(shown(rebuiltColumns, row));
  }
  let onlyRebuilt = 0;
  for (const count of remaining.values()) onlyRebuilt += count;
  // The rows behind the digests left over: one per distinct row, in the rebuilt table's order.
  const samplesOnlyRebuilt: ComparableRow[] = [];
  if (onlyRebuilt > 0 && samples > 0) {
    for (const row of rows(rebuilt)) {
      if (!remaining.delete(digestOf(row))) continue;
      samplesOnlyRebuilt.push(shown(rebuiltColumns, row));
      if (samplesOnlyRebuilt.length === samples) break;
    }
  }
  return { projection, table, liveRows, rebuiltRows, onlyLive, onlyRebuilt, samplesOnlyLive, samplesOnlyRebuilt };
}
