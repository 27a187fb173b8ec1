import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/*
 * Subscribers of the fan-out benchmark, in their own process (fanout.ts forks two): plain `ws` sockets
 * speaking the graphql-ws protocol (graphql-transport-ws) by hand, far lighter than the graphql-ws
 * client, so a thousand of them don't starve the machine the server runs on. Each socket holds one
 * `events` subscription and reads only what it needs from each message: the event's `seq` (to count
 * losses, repeats and disorder) and its `occurredAt` (the store's `recordedAt`, stamped at the commit:
 * latency is receipt minus that, on the same machine's clock).
 *
 * Messages in: { kind: 'connect', ... }, { kind: 'collect', waitMs }. Out: { kind: 'connected' },
 * { kind: 'warm' } (every socket received a warm-up event: every subscription is live), { kind:
 * 'collected', ... }.
 */

export type ClientsRequest =
  | { readonly kind: 'connect'; readonly url: string; readonly token: string; readonly count: number; readonly after: string }
  | { readonly kind: 'collect'; readonly expected: number; readonly waitMs: number }
  /** The measured run begins: CPU is counted from here. */
  | { readonly kind: 'run' };

export type ClientsReport =
  | { readonly kind: 'connected' }
  | { readonly kind: 'warm' }
  | {
      readonly kind: 'collected';
      readonly sockets: number;
      /** Measured events received, all sockets together. */
      readonly received: number;
      /** Events skipped: a later one arrived first (a gap in what a socket received). */
      readonly lost: number;
      /** Events that arrived again or after a later one. */
      readonly disorder: number;
      /** Events not yet received by the end of the wait on sockets still open: late, not lost. */
      readonly late: number;
      /** Events not received on sockets the server closed (too slow: 4008, told where to resume). */
      readonly missedByClosed: number;
      /** Sockets the server closed (code → how many). */
      readonly closes: Readonly<Record<string, number>>;
      /** CPU this client process used from the run's start until the collection ended, in seconds. */
      readonly cpuSeconds: number;
      /** Latency histogram, [milliseconds, count] pairs. */
      readonly histogram: ReadonlyArray<readonly [number, number]>;
    };

const QUERY = 'subscription($after: String) { events(after: $after) { cursor id type streamId occurredAt data } }';
const MAX_LATENCY_MS = 120_000;
const CONNECT_CONCURRENCY = 50;

interface Subscriber {
  readonly socket: WebSocket;
  warm: boolean;
  /** The next `seq` expected (measured events are numbered from 1). */
  next: number;
  received: number;
  lost: number;
  disorder: number;
  ended: boolean;
  closedWith: number | undefined;
}

const histogram = new Uint32Array(MAX_LATENCY_MS + 1);
const subscribers: Subscriber[] = [];
let runCpu = process.cpuUsage();
let onChange: (() => void) | undefined;

const send = (report: ClientsReport): void => {
  process.send?.(report);
};

const NEXT = Buffer.from('"type":"next"');
const SEQ = Buffer.from('"seq":');
const OCCURRED_AT = Buffer.from('"occurredAt":"');
const QUOTE = 0x22;
const MINUS = 0x2d;

/**
 * `"seq":<int>` and `"occurredAt":"<iso>"` from a `next` message, read from its bytes without decoding
 * or parsing the whole message: the clients share the server's two cores, so they stay light.
 */
function readEvent(data: Buffer): { seq: number; occurredAt: number } | undefined {
  const seqAt = data.indexOf(SEQ);
  const occurredAt = data.indexOf(OCCURRED_AT);
  if (seqAt < 0 || occurredAt < 0) return undefined;
  let at = seqAt + SEQ.length;
  const negative = data[at] === MINUS;
  if (negative) at += 1;
  let seq = 0;
  for (let digit = (data[at] ?? 0) - 0x30; digit >= 0 && digit <= 9; digit = (data[at] ?? 0) - 0x30) {
    seq = seq * 10 + digit;
    at += 1;
  }
  const start = occurredAt + OCCURRED_AT.length;
  return { seq: negative ? -seq : seq, occurredAt: Date.parse(data.toString('latin1', start, data.indexOf(QUOTE, start))) };
}

function connect(url: string, token: string, after: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/u, 'ws')}/graphql`, 'graphql-transport-ws');
    const subscriber: Subscriber = { socket, warm: false, next: 1, received: 0, lost: 0, disorder: 0, ended: false, closedWith: undefined };
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('close', (code) => {
      subscriber.closedWith = code;
      onChange?.();
    });
    socket.on('message', (data: Buffer) => {
      if (data.indexOf(NEXT) >= 0) {
        const event = readEvent(data);
        if (!event) throw new Error(`unexpected message: ${data.toString('utf8', 0, 300)}`);
        if (event.seq === 0) {
          if (!subscriber.warm) {
            subscriber.warm = true;
            onChange?.();
          }
        } else if (event.seq === -1) {
          subscriber.ended = true;
          onChange?.();
        } else {
          const latency = Math.min(MAX_LATENCY_MS, Math.max(0, Date.now() - event.occurredAt));
          histogram[latency] = (histogram[latency] ?? 0) + 1;
          subscriber.received += 1;
          if (event.seq < subscriber.next) {
            subscriber.disorder += 1;
          } else {
            subscriber.lost += event.seq - subscriber.next;
            subscriber.next = event.seq + 1;
          }
        }
        return;
      }
      const text = data.toString('utf8');
      if (text.includes('"type":"connection_ack"')) {
        // An id of its own, as graphql-ws's client makes (a UUID): no two subscribers' frames are alike.
        socket.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: QUERY, variables: { after } } }));
        resolve(subscriber);
      } else if (text.includes('"type":"ping"')) {
        socket.send('{"type":"pong"}');
      } else if (text.includes('"type":"error"') || text.includes('"type":"complete"')) {
        throw new Error(`the subscription ended: ${text.slice(0, 300)}`);
      }
    });
  });
}

/** Resolves once `done()` holds (checked on every change), or after `ms` regardless. */
function until(done: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      onChange = undefined;
      resolve();
    }
    onChange = () => {
      if (done()) finish();
    };
    onChange();
  });
}

process.on('message', (request: ClientsRequest) => {
  void (async () => {
    if (request.kind === 'connect') {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < request.count) {
          next += 1;
          subscribers.push(await connect(request.url, request.token, request.after));
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, request.count) }, worker));
      send({ kind: 'connected' });
      await until(() => subscribers.every((s) => s.warm || s.closedWith !== undefined), 60_000);
      send({ kind: 'warm' });
    } else if (request.kind === 'run') {
      runCpu = process.cpuUsage();
    } else {
      await until(() => subscribers.every((s) => s.ended || s.closedWith !== undefined), request.waitMs);
      const closes: Record<string, number> = {};
      for (const { closedWith } of subscribers) if (closedWith !== undefined) closes[closedWith] = (closes[closedWith] ?? 0) + 1;
      const pairs: Array<[number, number]> = [];
      histogram.forEach((count, ms) => {
        if (count > 0) pairs.push([ms, count]);
      });
      send({
        kind: 'collected',
        sockets: subscribers.length,
        received: subscribers.reduce((sum, s) => sum + s.received, 0),
        lost: subscribers.reduce((sum, s) => sum + s.lost, 0),
        disorder: subscribers.reduce((sum, s) => sum + s.disorder, 0),
        late: subscribers.reduce((sum, s) => sum + (s.closedWith === undefined ? request.expected - (s.next - 1) : 0), 0),
        missedByClosed: subscribers.reduce((sum, s) => sum + (s.closedWith === undefined ? 0 : request.expected - (s.next - 1)), 0),
        closes,
        cpuSeconds: ((used) => (used.user + used.system) / 1e6)(process.cpuUsage(runCpu)),
        histogram: pairs,
      });
      for (const { socket } of subscribers) socket.terminate();
    }
  })().catch((error: unknown) => {
    process.stderr.write(`fan-out clients: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
});
