import { connect, type Socket } from 'node:net';
import { withTimeout } from './async';

/*
 * HTTP/1.1 by hand over one TCP connection, for what fetch can't do: hold a request half sent
 * (`Expect: 100-continue`: the server's "100 Continue" proves it has taken the request in) and
 * pipeline another request behind it on the same connection.
 */

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface PostRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Ask for "100 Continue" before sending the body. */
  readonly expectContinue?: boolean;
}

export function requestHead(host: string, request: PostRequest): string {
  const lines = [
    `POST ${request.path} HTTP/1.1`,
    `Host: ${host}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(request.body)}`,
    ...(request.expectContinue ? ['Expect: 100-continue'] : []),
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One connection: write raw bytes, read parsed responses (interim `100 Continue` included) in order. */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket, `${hostname}:${port}`)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next response on the connection; rejects when the server closes it first. */
  next(ms = 15_000): Promise<RawResponse> {
    return withTimeout(this.read(), ms, 'a response on the raw connection');
  }

  /** Resolves once the server has closed the connection. */
  closed(ms = 15_000): Promise<void> {
    return withTimeout(
      (async () => {
        while (!this.ended) await new Promise<void>((resolve) => this.waiting.push(resolve));
      })(),
      ms,
      'the server to close the connection',
    );
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async read(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.ended) throw new Error(`the server closed the connection; unparsed: ${JSON.stringify(this.buffer.toString('utf8'))}`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private parse(): RawResponse | undefined {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...headerLines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/u.exec(statusLine)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let offset = headEnd + 4;
    let body = Buffer.alloc(0);
    if (status >= 200 && headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = this.buffer.indexOf('\r\n', offset);
        if (lineEnd < 0) return undefined;
        const size = parseInt(this.buffer.subarray(offset, lineEnd).toString('latin1'), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (status >= 200) {
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < offset + length) return undefined;
      body = this.buffer.subarray(offset, offset + length);
      offset += length;
    }
    this.buffer = this.buffer.subarray(offset);
    return { status, headers, body: body.toString('utf8') };
  }
}
