import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStoreDbEventStore } from '../src/eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore } from '../src/eventStore/port';
import { openSqliteEventStore, SqliteEventStore } from '../src/eventStore/sqlite/sqliteEventStore';
import { openDatabase, type SqliteDatabase, type Synchronous } from '../src/sqlite/database';
import { startEsdbTestServer, type EsdbTestServer } from '../test/support/esdbTestServer';
import { formatNumber, formatRatio, median, rate, rotate, table, time } from './harness';

/*
 * Event-store throughput: single-writer and 20-writer append rates and the global-log read rate,
 * for the SQLite adapter (FULL with group commit and with one transaction per append, NORMAL) and the
 * EventStoreDB adapter via the in-process test server (issue 7, benchmark 7), next to raw better-sqlite3
 * doing the same inserts and reads in the same run. The contenders and the 20-writer measure are
 * exported: the mutations benchmark reuses them.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SINGLE_APPENDS = Number(process.env['BENCH_APPENDS'] ?? 600);
export const WRITERS = 20;
const READ_EVENTS = Number(process.env['BENCH_READ_EVENTS'] ?? 20_000);
const PAGE = 500;

/** A realistic event: an ImageMapped with a small setting, and the metadata the application adds. */
function eventData(i: number) {
  return {
    type: 'ImageMapped',
    data: { cloudId: `aws-us-east-${i % 4}`, imageId: `ami-${(100000 + i).toString(16)}`, instanceTypeId: 'm1.small', userData: null },
    metadata: {
      accountId: 'acc-bench',
      actorId: 'user-bench',
      correlationId: `req-${i}`,
      causationId: `req-${i}`,
      occurredAt: '2026-11-26T12:00:00.000Z',
      schemaVersion: 1,
    },
  };
}

export interface Target {
  /** Appends one event to `stream`, expecting it at `revision` (-1: new stream). */
  append(stream: string, revision: number): Promise<void>;
  /** Appends `count` events in batches, for the read benchmark. */
  seed(count: number): Promise<void>;
  /** Reads the whole log in pages; returns how many events were read. */
  readAll(): Promise<number>;
  /** Appends written so far per commit (group commit's batching), when the target commits in groups. */
  appendsPerCommit?(): number;
  close(): Promise<void>;
}

export interface Contender {
  readonly name: string;
  /** Name of the contender its figures are divided by. */
  readonly baseline?: string;
  open(dir: string): Promise<Target>;
}

function adapterTarget(store: EventStore, onClose: () => Promise<void> = async () => {}): Target {
  return {
    ...(store instanceof SqliteEventStore
      ? {
          appendsPerCommit: () => {
            const stats = store.groupCommitStats();
            return stats.appends / stats.groups;
          },
        }
      : {}),
    async append(stream, revision) {
      await store.append(stream, [eventData(revision + 1)], { expectedRevision: revision < 0 ? 'no_stream' : BigInt(revision) });
    },
    async seed(count) {
      for (let i = 0; i < count; i += 100) {
        await store.append(
          `seed-${i}`,
          Array.from({ length: Math.min(100, count - i) }, (_, k) => eventData(i + k)),
          { expectedRevision: 'no_stream' },
        );
      }
    },
    async readAll() {
      let read = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll({ ...(after ? { after } : {}), maxCount: PAGE });
        read += page.events.length;
        after = page.cursor;
        if (page.isEnd) return read;
      }
    },
    async close() {
      await store.close();
      await onClose();
    },
  };
}

/** Raw better-sqlite3: one autocommit INSERT per append, a plain paged SELECT with JSON parsing per read. */
function rawTarget(db: SqliteDatabase): Target {
  const insert = db.prepare(
    `INSERT INTO events (stream, revision, id, type, data, metadata, prev_hash, hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, NULL, '', ?)`,
  );
  const page = db.prepare(`SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?`);
  let id = 0;
  return {
    async append(stream, revision) {
      const event = eventData(revision + 1);
      insert.run(stream, revision + 1, `id-${id++}`, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), Date.now());
    },
    async seed(count) {
      const batch = db.transaction((from: number, n: number) => {
        for (let k = 0; k < n; k++) {
          const event = eventData(from + k);
          insert.run(`seed-${from}`, k, `id-${id++}`, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), Date.now());
        }
      });
      for (let i = 0; i < count; i += 100) batch(i, Math.min(100, count - i));
    },
    async readAll() {
      let read = 0;
      let after = 0;
      for (;;) {
        const rows = page.all(after, PAGE) as Array<{ position: number; data: string; metadata: string }>;
        for (const row of rows) {
          JSON.parse(row.data);
          JSON.parse(row.metadata);
        }
        read += rows.length;
        if (rows.length < PAGE) return read;
        after = (rows[rows.length - 1] as { position: number }).position;
      }
    },
    async close() {
      db.close();
    },
  };
}

const RAW_SCHEMA = [
  `CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL,
     type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, prev_hash TEXT, hash TEXT NOT NULL, recorded_at INTEGER NOT NULL,
     UNIQUE (stream, revision)) STRICT`,
];

export function raw(synchronous: Synchronous): Contender {
  return {
    name: `raw better-sqlite3 ${synchronous}`,
    async open(dir) {
      return rawTarget(openDatabase(join(dir, 'raw.sqlite'), { synchronous, migrations: RAW_SCHEMA, label: 'bench' }));
    },
  };
}

/** The embedded store's adapter; `groupCommit` false: one IMMEDIATE transaction (and one fsync at FULL) per append. */
export function sqlite(synchronous: Synchronous, groupCommit: boolean): Contender {
  return {
    name: `sqlite adapter ${synchronous}, ${groupCommit ? 'group commit' : 'one transaction per append'}`,
    baseline: `raw better-sqlite3 ${synchronous}`,
    async open(dir) {
      return adapterTarget(openSqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous, groupCommit }));
    },
  };
}

const eventStoreDb: Contender = {
  name: 'eventstoredb adapter (test gRPC server)',
  baseline: 'raw better-sqlite3 NORMAL',
  async open() {
    const server: EsdbTestServer = await startEsdbTestServer({ maxAppendSize: 9 * 1024 * 1024 });
    return adapterTarget(openEventStoreDbEventStore({ url: server.url }), () => server.close());
  },
};

const CONTENDERS: readonly Contender[] = [
  raw('FULL'),
  sqlite('FULL', true),
  sqlite('FULL', false),
  raw('NORMAL'),
  sqlite('NORMAL', true),
  eventStoreDb,
];

interface Figures {
  single: number[];
  concurrent: number[];
  read: number[];
}

/**
 * `appends` one-event appends from `WRITERS` concurrent writers, each on its own stream with its
 * expected revision; appends per second, and appends per commit when the target commits in groups.
 */
export async function concurrentAppends(target: Target, appends: number): Promise<{ perSecond: number; appendsPerCommit?: number }> {
  const perWriter = Math.ceil(appends / WRITERS);
  const sample = await time(perWriter * WRITERS, async () => {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await target.append(`writer-${w}`, i - 1);
      }),
    );
  });
  const perCommit = target.appendsPerCommit?.();
  return { perSecond: rate(sample), ...(perCommit === undefined ? {} : { appendsPerCommit: perCommit }) };
}

/** Opens `contender` in a fresh temporary directory, runs `body` on it, and removes everything after. */
export async function withTarget<T>(contender: Contender, body: (target: Target) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'mci-bench-'));
  const target = await contender.open(dir);
  try {
    return await body(target);
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(contender: Contender, figures: Figures): Promise<void> {
  await withTarget(contender, async (target) => {
    const streams = 50;
    const revisions = new Array<number>(streams).fill(-1);
    figures.single.push(
      rate(
        await time(SINGLE_APPENDS, async () => {
          for (let i = 0; i < SINGLE_APPENDS; i++) {
            const s = i % streams;
            await target.append(`single-${s}`, revisions[s] as number);
            revisions[s] = (revisions[s] as number) + 1;
          }
        }),
      ),
    );
    figures.concurrent.push((await concurrentAppends(target, SINGLE_APPENDS)).perSecond);
    await target.seed(READ_EVENTS);
    let read = 0;
    const sample = await time(0, async () => {
      read = await target.readAll();
    });
    figures.read.push(read / sample.seconds);
  });
}

export async function eventStoreBenchmark(): Promise<string> {
  const figures = new Map<string, Figures>(CONTENDERS.map((c) => [c.name, { single: [], concurrent: [], read: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of rotate(CONTENDERS, round)) {
      process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${contender.name}\n`);
      await measure(contender, figures.get(contender.name) as Figures);
    }
  }
  const medians = (name: string | undefined) => {
    const f = name ? figures.get(name) : undefined;
    return f ? { single: median(f.single), concurrent: median(f.concurrent), read: median(f.read) } : undefined;
  };
  const rows = CONTENDERS.map((contender) => {
    const m = medians(contender.name) as { single: number; concurrent: number; read: number };
    const b = medians(contender.baseline);
    return [
      contender.name,
      formatNumber(m.single),
      b ? formatRatio(m.single / b.single) : '',
      formatNumber(m.concurrent),
      b ? formatRatio(m.concurrent / b.concurrent) : '',
      formatNumber(m.read),
      b ? formatRatio(m.read / b.read) : '',
    ];
  });
  return [
    `eventStore: medians of ${ROUNDS} alternating rounds; ${SINGLE_APPENDS} one-event appends per writer setup, ${WRITERS} concurrent writers, ` +
      `reads of ${READ_EVENTS.toLocaleString('en-US')}+ events in pages of ${PAGE}; ratios against the raw better-sqlite3 row named in the notes`,
    table(['contender', 'appends/s (1 writer)', 'vs raw', `appends/s (${WRITERS} writers)`, 'vs raw', 'events read/s', 'vs raw'], rows),
    'notes: adapter rows are compared with raw better-sqlite3 at the same synchronous level (one autocommit INSERT per append);' +
      ' "group commit" lets concurrent appends share one transaction and fsync (SQLITE_GROUP_COMMIT=on, the default), "one transaction' +
      ' per append" is SQLITE_GROUP_COMMIT=off; the EventStoreDB adapter row (issue 7, benchmark 7) is compared with raw NORMAL' +
      ' (the test server keeps its log in memory: its figures are the gRPC and adapter overhead, not a real server).',
  ].join('\n');
}
