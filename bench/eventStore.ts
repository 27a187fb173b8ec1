import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStoreDbEventStore } from '../src/eventStore/eventstoredb/eventStoreDbEventStore';
import type { EventStore } from '../src/eventStore/port';
import { openSqliteEventStore } from '../src/eventStore/sqlite/sqliteEventStore';
import { openDatabase, type SqliteDatabase, type Synchronous } from '../src/sqlite/database';
import { startEsdbTestServer, type EsdbTestServer } from '../test/support/esdbTestServer';
import { formatNumber, formatRatio, median, rate, rotate, table, time } from './harness';

/*
 * Event-store throughput: single-writer and 20-writer append rates and the global-log read rate,
 * for the SQLite adapter (FULL and NORMAL) and the EventStoreDB adapter via the in-process test
 * server, next to raw better-sqlite3 doing the same inserts and reads in the same run.
 */

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SINGLE_APPENDS = Number(process.env['BENCH_APPENDS'] ?? 600);
const WRITERS = 20;
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

interface Target {
  /** Appends one event to `stream`, expecting it at `revision` (-1: new stream). */
  append(stream: string, revision: number): Promise<void>;
  /** Appends `count` events in batches, for the read benchmark. */
  seed(count: number): Promise<void>;
  /** Reads the whole log in pages; returns how many events were read. */
  readAll(): Promise<number>;
  close(): Promise<void>;
}

interface Contender {
  readonly name: string;
  /** Name of the contender its figures are divided by. */
  readonly baseline?: string;
  open(dir: string): Promise<Target>;
}

function adapterTarget(store: EventStore, onClose: () => Promise<void> = async () => {}): Target {
  return {
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

function raw(synchronous: Synchronous): Contender {
  return {
    name: `raw better-sqlite3 ${synchronous}`,
    async open(dir) {
      return rawTarget(openDatabase(join(dir, 'raw.sqlite'), { synchronous, migrations: RAW_SCHEMA, label: 'bench' }));
    },
  };
}

function sqlite(synchronous: Synchronous): Contender {
  return {
    name: `sqlite adapter ${synchronous}`,
    baseline: `raw better-sqlite3 ${synchronous}`,
    async open(dir) {
      return adapterTarget(openSqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous }));
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

const CONTENDERS: readonly Contender[] = [raw('FULL'), sqlite('FULL'), raw('NORMAL'), sqlite('NORMAL'), eventStoreDb];

interface Figures {
  single: number[];
  concurrent: number[];
  read: number[];
}

async function measure(contender: Contender, figures: Figures): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mci-bench-'));
  const target = await contender.open(dir);
  try {
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
    const perWriter = Math.ceil(SINGLE_APPENDS / WRITERS);
    figures.concurrent.push(
      rate(
        await time(perWriter * WRITERS, async () => {
          await Promise.all(
            Array.from({ length: WRITERS }, async (_, w) => {
              for (let i = 0; i < perWriter; i++) await target.append(`writer-${w}`, i - 1);
            }),
          );
        }),
      ),
    );
    await target.seed(READ_EVENTS);
    let read = 0;
    const sample = await time(0, async () => {
      read = await target.readAll();
    });
    figures.read.push(read / sample.seconds);
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
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
    'notes: adapter rows are compared with raw better-sqlite3 at the same synchronous level; the EventStoreDB adapter row with raw NORMAL' +
      ' (the test server keeps its log in memory: its figures are the gRPC and adapter overhead, not a real server).',
  ].join('\n');
}
