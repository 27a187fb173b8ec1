import { once } from 'node:events';
import { connect, createServer, Socket, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { handleProtocols, type Client } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../../src/logger';
import {
  SEND_HIGH_WATER_MARK,
  serveGraphqlWs,
  textFrame,
  WriteCoalescer,
  type SocketExtra,
  type WebSocketTransport,
} from '../../src/server/webSocketTransport';
import { createMci, renameMci } from '../support/api';
import { withTimeout } from '../support/async';
import { renamesInOneCommit } from '../support/feedBursts';
import { ADMIN, startTestService, type TestService } from '../support/service';
import { EventsSubscription, socketClient } from '../support/ws';

/*
 * Our binding of graphql-ws to `ws` sockets (src/server/webSocketTransport.ts): the frames it builds
 * itself, read back by ws's own receiver (what a client runs); the WriteCoalescer on a real loopback
 * TCP pair, with a clock and timers the test moves by hand; direct writes and back-pressure on the
 * transport's own sockets (a real ws server, a raw ws client); and the coalescing of a turn's writes
 * into one write per socket, seen on a real service's socket.
 */

/** ws's frame parser (exported by the package, not typed by @types/ws): what every `ws` client runs on the bytes it reads. */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'finish', listener: () => void): this;
  end(chunk: Buffer): this;
}
const { Receiver } = WebSocket as unknown as { Receiver: new (options: { isServer: boolean }) => FrameReceiver };

/** The messages a client reads from these bytes (frames back to back), or the protocol error it fails with. */
function readFrames(bytes: Buffer): Promise<Array<{ text: string; isBinary: boolean }>> {
  // A client's receiver: it accepts only unmasked frames, as a server must send them.
  const receiver = new Receiver({ isServer: false });
  const messages: Array<{ text: string; isBinary: boolean }> = [];
  return new Promise((resolve, reject) => {
    receiver.on('message', (data, isBinary) => messages.push({ text: data.toString('utf8'), isBinary }));
    receiver.on('error', reject);
    receiver.on('finish', () => resolve(messages));
    receiver.end(bytes);
  });
}

/** Head, body and tail of exactly `length` bytes in all, with two- and four-byte UTF-8 characters whenever they fit. */
function partsOfLength(length: number): { head: Buffer; body: Buffer; tail: Buffer } {
  const head = Buffer.from('{"é":"');
  const tail = Buffer.from('😀"}');
  const rest = length - head.length - tail.length - 4;
  if (rest < 0) return { head: Buffer.from('a'.repeat(length)), body: Buffer.alloc(0), tail: Buffer.alloc(0) };
  return { head, body: Buffer.from(`😀${'ab'.repeat(rest >> 1)}${rest % 2 ? 'c' : ''}`), tail };
}

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 200 * 1024 + 3])(
    'frames %d bytes of payload as one unmasked text frame that ws reads back as the same text',
    async (length) => {
      const { head, body, tail } = partsOfLength(length);
      expect(head.length + body.length + tail.length).toBe(length);
      const frame = textFrame(head, body, tail);

      // The header RFC 6455 §5.2 asks for: the shortest length encoding, FIN + text, no mask.
      const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
      expect(frame.length).toBe(headerLength + length);
      expect(frame[0]).toBe(0x81);
      expect((frame[1] as number) & 0x80).toBe(0);
      const expected = Buffer.concat([head, body, tail]).toString('utf8');
      expect(await readFrames(frame)).toEqual([{ text: expected, isBinary: false }]);
    },
  );

  it('joins the parts byte for byte, so a character split across them arrives whole', async () => {
    const emoji = Buffer.from('😀');
    const frame = textFrame(Buffer.concat([Buffer.from('é'), emoji.subarray(0, 1)]), emoji.subarray(1, 3), emoji.subarray(3));
    expect(await readFrames(frame)).toEqual([{ text: 'é😀', isBinary: false }]);
  });

  it('gives frames written back to back (one write carrying a turn of messages) as separate messages, in order', async () => {
    const sizes = [0, 3, 130, 70_000, 5];
    const parts = sizes.map(partsOfLength);
    const messages = await readFrames(Buffer.concat(parts.map(({ head, body, tail }) => textFrame(head, body, tail))));
    expect(messages).toEqual(
      parts.map(({ head, body, tail }) => ({ text: Buffer.concat([head, body, tail]).toString('utf8'), isBinary: false })),
    );
  });
});

/** One call the server socket's stream made to its system-call layer: `_write` (one chunk) or `_writev` (several), as text. */
interface RecordedWrite {
  readonly kind: '_write' | '_writev';
  readonly chunks: readonly string[];
}

/**
 * Records every `_write`/`_writev` of `socket` from now on, calling through to Node's own. A writable
 * stream looks both up on the stream itself at each write: these wrap them for this socket only.
 */
function recordWrites(socket: Socket): RecordedWrite[] {
  type WriteFn = (chunk: Buffer | string, encoding: BufferEncoding, done: (error?: Error | null) => void) => void;
  type WritevFn = (chunks: Array<{ chunk: Buffer | string }>, done: (error?: Error | null) => void) => void;
  const methods = socket as unknown as { _write: WriteFn; _writev: WritevFn };
  const write = methods._write.bind(socket);
  const writev = methods._writev.bind(socket);
  const writes: RecordedWrite[] = [];
  const text = (chunk: Buffer | string): string => (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  methods._write = (chunk, encoding, done) => {
    writes.push({ kind: '_write', chunks: [text(chunk)] });
    write(chunk, encoding, done);
  };
  methods._writev = (chunks, done) => {
    writes.push({ kind: '_writev', chunks: chunks.map(({ chunk }) => text(chunk)) });
    writev(chunks, done);
  };
  return writes;
}

/** A connected TCP pair on loopback: the server's end, whose writes are recorded, and the client's, whose bytes are read. */
interface LoopbackPair {
  readonly server: Socket;
  /** Every `_write`/`_writev` of the server socket, in order. */
  readonly writes: RecordedWrite[];
  /** Resolves once the client has read as many bytes as `text` has, with what it read. */
  received(text: string): Promise<string>;
  close(): Promise<void>;
}

async function loopbackPair(): Promise<LoopbackPair> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);

  const writes = recordWrites(server);

  const read: Buffer[] = [];
  let readBytes = 0;
  let waiter: { bytes: number; resolve: () => void } | undefined;
  client.on('data', (data: Buffer) => {
    read.push(data);
    readBytes += data.length;
    if (waiter && readBytes >= waiter.bytes) waiter.resolve();
  });

  return {
    server,
    writes,
    async received(expected) {
      const bytes = Buffer.byteLength(expected);
      if (readBytes < bytes) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve, reject) => {
          waiter = { bytes, resolve };
          timer = setTimeout(
            () => reject(new Error(`the client read ${readBytes} of ${bytes} bytes (${JSON.stringify(expected)})`)),
            5_000,
          );
        }).finally(() => {
          clearTimeout(timer);
          waiter = undefined;
        });
      }
      return Buffer.concat(read).toString('utf8');
    },
    async close() {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/**
 * Resolves after every immediate queued before it: after the coalescer's end-of-turn release, which
 * its first `hold` in the turn queued. Immediates run in the order they were queued.
 */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteCoalescer', () => {
  let pair: LoopbackPair;
  let coalescer: WriteCoalescer;

  beforeEach(async () => {
    pair = await loopbackPair();
    coalescer = new WriteCoalescer();
  });
  afterEach(async () => {
    await pair.close();
  });

  /** One turn's work: `writes` to `socket`, each held first, as the transport does. */
  const turn = async (socket: Socket, writes: readonly string[]): Promise<void> => {
    for (const text of writes) {
      coalescer.hold(socket);
      socket.write(text);
    }
    await endOfTurn();
  };

  it('sends the writes of one turn in one write at the end of the turn, and nothing before', async () => {
    const { server, writes } = pair;
    coalescer.hold(server);
    server.write('one ');
    coalescer.hold(server);
    server.write('two ');
    coalescer.hold(server);
    server.write('three ');
    // Corked for the rest of the turn.
    expect(writes).toEqual([]);
    expect(server.writableCorked).toBe(1);
    await endOfTurn();
    expect(writes).toEqual([{ kind: '_writev', chunks: ['one ', 'two ', 'three '] }]);
    expect(server.writableCorked).toBe(0);
    expect(await pair.received('one two three ')).toBe('one two three ');
  });

  it('gives each turn its own write, in order', async () => {
    const { server, writes } = pair;
    await turn(server, ['a ', 'b ']);
    await turn(server, ['c ']);
    await turn(server, ['d ', 'e ']);
    expect(writes).toEqual([
      { kind: '_writev', chunks: ['a ', 'b '] },
      { kind: '_write', chunks: ['c '] },
      { kind: '_writev', chunks: ['d ', 'e '] },
    ]);
    expect(await pair.received('a b c d e ')).toBe('a b c d e ');
  });

  it('flush() uncorks at once; a later write in the same turn is corked again and leaves at the end of the turn', async () => {
    const { server, writes } = pair;
    coalescer.hold(server);
    server.write('a ');
    coalescer.hold(server);
    server.write('b ');
    coalescer.flush(server);
    expect(writes).toEqual([{ kind: '_writev', chunks: ['a ', 'b '] }]);
    expect(server.writableCorked).toBe(0);
    // Flushing a socket that holds nothing does nothing.
    coalescer.flush(server);
    expect(server.writableCorked).toBe(0);

    coalescer.hold(server);
    server.write('c ');
    expect(server.writableCorked).toBe(1);
    await endOfTurn();
    expect(writes.slice(1)).toEqual([{ kind: '_write', chunks: ['c '] }]);
    expect(server.writableCorked).toBe(0);
    expect(await pair.received('a b c ')).toBe('a b c ');
  });

  it('uncorks every socket of the turn, each in its own write', async () => {
    const other = await loopbackPair();
    try {
      coalescer.hold(pair.server);
      pair.server.write('p1 ');
      coalescer.hold(other.server);
      other.server.write('o1 ');
      coalescer.hold(pair.server);
      pair.server.write('p2 ');
      await endOfTurn();
      expect(pair.writes).toEqual([{ kind: '_writev', chunks: ['p1 ', 'p2 '] }]);
      expect(other.writes).toEqual([{ kind: '_write', chunks: ['o1 '] }]);
      expect(await other.received('o1 ')).toBe('o1 ');
      expect(await pair.received('p1 p2 ')).toBe('p1 p2 ');
    } finally {
      await other.close();
    }
  });

  it('lets a socket destroyed while corked go without an error, and keeps serving the others', async () => {
    const other = await loopbackPair();
    try {
      coalescer.hold(pair.server);
      pair.server.write('lost ');
      pair.server.destroy();
      coalescer.hold(other.server);
      other.server.write('kept ');
      await endOfTurn();
      expect(other.writes).toEqual([{ kind: '_write', chunks: ['kept '] }]);
      expect(await other.received('kept ')).toBe('kept ');
    } finally {
      await other.close();
    }
  });
});

/** A message of exactly `payload` bytes, `{"n":<n>,"pad":"xx…"}`, as the head, body and tail DirectWrites takes. */
function numbered(n: number, payload: number): { head: Buffer; body: Buffer; tail: Buffer } {
  const head = Buffer.from('{"n":');
  const body = Buffer.from(String(n));
  return { head, body, tail: Buffer.from(`,"pad":"${'x'.repeat(payload - head.length - body.length - 10)}"}`) };
}

const numbers = (count: number): number[] => Array.from({ length: count }, (_, n) => n);

describe('serveGraphqlWs: direct writes and back-pressure', () => {
  let webSockets: WebSocketServer;
  let transport: WebSocketTransport;
  let url: string;
  const logs: string[] = [];
  /** What the server does on a socket once its client said `connection_init`; graphql-ws sends `connection_ack` once it returns. */
  let onConnect: (extra: SocketExtra) => void | Promise<void> = () => undefined;

  beforeAll(async () => {
    webSockets = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols });
    await once(webSockets, 'listening');
    url = `ws://127.0.0.1:${(webSockets.address() as AddressInfo).port}`;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    transport = serveGraphqlWs(
      {
        onConnect: async ({ extra }) => {
          await onConnect(extra);
          return true;
        },
      },
      webSockets,
      { keepAliveMs: 0, logger: createLogger('info', sink) },
    );
  });
  afterAll(() => transport.dispose());
  afterEach(() => {
    expect(logs).toEqual([]);
  });

  /** A raw ws client speaking graphql-transport-ws: connects, says `connection_init`, and resolves with every message before the ack. */
  async function messagesBeforeAck(): Promise<Array<{ n: number }>> {
    const client = new WebSocket(url, 'graphql-transport-ws');
    const messages: Array<{ n: number }> = [];
    const acked = new Promise<void>((resolve, reject) => {
      client.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as { n: number; type?: string };
        if (message.type === 'connection_ack') resolve();
        else messages.push(message);
      });
      client.once('close', (code, reason) => reject(new Error(`the socket closed with ${code} ${reason.toString('utf8')}`)));
    });
    try {
      await once(client, 'open');
      client.send(JSON.stringify({ type: 'connection_init' }));
      await withTimeout(acked, 10_000, `connection_ack (after ${messages.length} messages)`);
      return messages;
    } finally {
      client.close();
    }
  }

  it('takes a turn’s writes past SEND_HIGH_WATER_MARK while the kernel takes the bytes: what its own cork holds is no back-pressure', async () => {
    // 1 KiB messages, 1.5 high-water marks' worth in one turn: far less than loopback's buffers take while this client reads nothing.
    const payload = 1024;
    const count = (1.5 * SEND_HIGH_WATER_MARK) / payload;
    const sample = numbered(0, payload);
    const frameBytes = textFrame(sample.head, sample.body, sample.tail).length;
    const accepted: boolean[] = [];
    let writes: RecordedWrite[] = [];
    onConnect = ({ direct, request }) => {
      writes = recordWrites(request.socket);
      for (let n = 0; n < count; n += 1) {
        const { head, body, tail } = numbered(n, payload);
        accepted.push(direct?.write(head, body, tail) ?? false);
      }
    };

    const messages = await messagesBeforeAck();
    expect(accepted).toEqual(numbers(count).map(() => true));
    expect(messages.map(({ n }) => n)).toEqual(numbers(count));
    // The cork went out as soon as it held the high-water mark's worth; the rest, graphql-ws's ack with
    // them, at the end of the turn.
    expect(writes.map(({ kind }) => kind)).toEqual(['_writev', '_writev']);
    expect(writes[0]?.chunks).toHaveLength(Math.ceil(SEND_HIGH_WATER_MARK / frameBytes));
  });

  it('says a socket is full once the kernel stops taking its bytes, and calls back once the client has read them', async () => {
    const payload = 64 * 1024;
    // 64 MiB: far more than loopback's buffers hold.
    const most = 1024;
    let written = 0;
    let full = false;
    let unsentAtResume: number | undefined;
    onConnect = async ({ direct, request }) => {
      // This client runs in this process: it reads nothing while the loop runs, and the kernel's buffers fill.
      while (!full && written < most) {
        const { head, body, tail } = numbered(written, payload);
        written += 1;
        full = !(direct?.write(head, body, tail) ?? false);
      }
      await new Promise<void>((resolve) =>
        direct?.whenWritable(() => {
          unsentAtResume = request.socket.writableLength;
          resolve();
        }),
      );
    };

    const messages = await messagesBeforeAck();
    expect(full).toBe(true);
    expect(written).toBeLessThan(most);
    expect(unsentAtResume).toBeLessThan(SEND_HIGH_WATER_MARK);
    // The write that said "full" was written too.
    expect(messages.map(({ n }) => n)).toEqual(numbers(written));
  });
});

/** What a socket's stream handed its system-call layer: one call to `_write` (one chunk) or `_writev` (several). */
interface SocketWrite {
  readonly socket: Socket;
  readonly kind: '_write' | '_writev';
  readonly chunks: readonly Buffer[];
}

/**
 * Records every write of every TCP socket of this process (the server's and the clients'), calling
 * through to Node's own. Writable streams look `_write` and `_writev` up on the socket at each write.
 */
function recordSocketWrites(): { writes: SocketWrite[]; restore: () => void } {
  const writes: SocketWrite[] = [];
  type Write = (this: Socket, chunk: Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void) => void;
  type Writev = (this: Socket, chunks: Array<{ chunk: Buffer | string }>, done: (error?: Error | null) => void) => void;
  const prototype = Socket.prototype as unknown as { _write: Write; _writev: Writev };
  const write = prototype._write;
  const writev = prototype._writev;
  prototype._write = function (chunk, encoding, done) {
    writes.push({ socket: this, kind: '_write', chunks: [Buffer.from(chunk)] });
    write.call(this, chunk, encoding, done);
  };
  prototype._writev = function (chunks, done) {
    writes.push({ socket: this, kind: '_writev', chunks: chunks.map(({ chunk }) => Buffer.from(chunk)) });
    writev.call(this, chunks, done);
  };
  return {
    writes,
    restore: () => {
      prototype._write = write;
      prototype._writev = writev;
    },
  };
}

describe('write coalescing, on a real server', () => {
  let service: TestService;
  let client: Client | undefined;
  let recording: ReturnType<typeof recordSocketWrites> | undefined;

  beforeAll(async () => {
    // No keep-alive pings: nothing but the feed writes to the subscriber's socket. The live flush
    // interval is the default (LIVE_FLUSH_INTERVAL_MS): what these tests count does not depend on it.
    service = await startTestService({}, { keepAliveMs: 0 });
  });
  afterEach(async () => {
    recording?.restore();
    recording = undefined;
    await client?.dispose();
  });
  afterAll(() => service.stop());

  it('sends the events a turn fans out to a socket in ONE writev, every frame in it, in log order', async () => {
    const mci = await createMci(service.url, 'Coalesced');
    const head = await service.services.store.headPosition();
    client = socketClient(service.url, ADMIN);
    const feed = new EventsSubscription(
      client,
      { after: service.services.store.cursorOf(head as NonNullable<typeof head>), filter: { componentIds: [mci] } },
      'cursor data',
    );
    recording = recordSocketWrites();
    // A first event makes the subscription live (past its replay) and shows which server socket is the subscriber's.
    await renameMci(service.url, mci, 'warm-up marker');
    await feed.waitFor((events) => events.length === 1, 'the warm-up rename');
    const { writes } = recording;
    // The server's end of a connection is the one on the service's port; its frames are unmasked, so the
    // name shows in them (the mutation's HTTP answer holds only an id).
    const server = writes.find(
      ({ socket, chunks }) => socket.localPort === service.http.port && Buffer.concat(chunks).includes('warm-up marker'),
    )?.socket;
    expect(server).toBeDefined();
    writes.length = 0;

    const names = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
    await renamesInOneCommit(service.services.store, mci, names);
    await feed.waitFor((events) => events.length === 6, 'the five renames of the commit');
    expect(feed.events.map((event) => event.data['name'])).toEqual(['warm-up marker', ...names]);

    const toSubscriber = writes.filter((write) => write.socket === server);
    expect(toSubscriber.map(({ kind, chunks }) => [kind, chunks.length])).toEqual([['_writev', 5]]);
    const frames = await readFrames(Buffer.concat(toSubscriber[0]?.chunks ?? []));
    const sent = frames.map(({ text }) => JSON.parse(text) as { type: string; payload: { data: { events: { cursor: string } } } });
    expect(sent.map(({ type }) => type)).toEqual(['next', 'next', 'next', 'next', 'next']);
    expect(sent.map(({ payload }) => payload.data.events)).toEqual(feed.events.slice(1));
  });
});
