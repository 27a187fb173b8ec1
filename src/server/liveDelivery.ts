import type { ExecutionResult } from 'graphql';
import type { FeedSink, FeedSubscription } from '../application/changeFeed';
import type { RecordedEvent } from '../eventStore/port';
import type { DirectDelivery } from '../graphql/context';
import type { SharedResponse } from './sharedExecution';

/*
 * A live subscription's events written straight to its socket. graphql-ws pulls a subscription one
 * event at a time: a promise, a `next` hook, a serialization and a write callback per event and per
 * subscriber, which with a thousand subscribers costs more than everything else together. Here the
 * change feed pushes each event to this sink synchronously (FeedSubscription.push), the event's shared
 * response (src/server/sharedExecution.ts) is serialized once for all subscribers, and each
 * subscriber's `next` frame is its operation id around that JSON, written with the turn's other writes
 * (src/server/webSocketTransport.ts): the frame is byte for byte what graphql-ws would have sent.
 *
 * graphql-ws still runs the protocol: it calls `next()` once and waits while the events flow past it.
 * What it must see itself goes back through that `next()`: a response carrying errors (its `onNext`
 * hook formats and logs them), the feed's failure (it sends the `error` message) and the end (it sends
 * `complete`). While it handles one, nothing is written here, so the order of messages stays the
 * order of events.
 *
 * Back-pressure is the feed's own: when the socket is full, or a response is still being computed,
 * this sink asks for no more, the feed queues what comes (and closes a client that stays too slow,
 * 4008, as before), and the sink takes the queue once the socket has room again.
 */

/** Whether a subscription's source can push its events (the change feed can). */
export function isPushable(source: unknown): source is FeedSubscription {
  const candidate = source as Partial<FeedSubscription> | null;
  return typeof candidate?.push === 'function' && typeof candidate.sent === 'function';
}

const CLOSING_BRACE = Buffer.from('}');

type Waiter = { resolve: (step: IteratorResult<ExecutionResult>) => void; reject: (error: unknown) => void };

export class LiveDelivery implements AsyncIterableIterator<ExecutionResult>, FeedSink {
  /** Events taken from the feed and not yet written, oldest first: their responses are being computed. */
  private readonly pending: RecordedEvent[] = [];
  /** graphql-ws waiting in `next()`: while it is, frames are written here. */
  private waiter: Waiter | undefined;
  /** This is the feed's sink. */
  private attached = false;
  /** The socket is full: nothing is written until it says it has room. */
  private blocked = false;
  /** Waiting for the first pending event's response. */
  private computing = false;
  /** The feed is over (`error` undefined: it just ended); told to graphql-ws once `pending` is written. */
  private ending: { readonly error: unknown } | undefined;
  private done = false;
  /** The cursor of a response handed to graphql-ws: sent once it asks for the next one. */
  private handedBack: string | undefined;
  /** What goes around a response in this operation's `next` messages. */
  private readonly head: Buffer;

  constructor(
    private readonly source: FeedSubscription,
    private readonly responseTo: (event: RecordedEvent) => SharedResponse,
    private readonly socket: DirectDelivery,
    private readonly onFinished: () => void = () => undefined,
  ) {
    this.head = Buffer.from(`{"id":${JSON.stringify(socket.operationId)},"type":"next","payload":`);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('a live delivery is read by one consumer at a time'));
    if (this.handedBack !== undefined) {
      this.source.sent(this.handedBack);
      this.handedBack = undefined;
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.resume();
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.reject(error);
  }

  take(event: RecordedEvent): boolean {
    this.pending.push(event);
    this.write();
    const more = this.pending.length === 0 && !this.blocked && this.waiter !== undefined;
    if (!more) this.attached = false;
    return more;
  }

  end(error: unknown): void {
    this.attached = false;
    if (this.done) return;
    this.ending = { error };
    this.resume();
  }

  /** Writes what can be written, then takes the feed's events again, or tells graphql-ws the feed is over. */
  private resume(): void {
    this.write();
    if (this.done || !this.waiter || this.blocked || this.pending.length > 0) return;
    const { ending } = this;
    if (ending) {
      this.finish(ending.error === undefined ? undefined : { error: ending.error });
      return;
    }
    if (this.attached) return;
    this.attached = true;
    this.source.push(this);
  }

  /** Writes the pending events whose responses are ready, in order, while graphql-ws waits and the socket has room. */
  private write(): void {
    while (this.waiter && !this.blocked && !this.computing) {
      const event = this.pending[0];
      if (event === undefined) return;
      const response = this.responseTo(event);
      if (!response.settled) {
        this.computing = true;
        response.whenSettled(() => {
          this.computing = false;
          this.resume();
        });
        return;
      }
      this.pending.shift();
      const { result } = response;
      if (result === undefined) {
        this.finish({ error: response.failure });
        return;
      }
      if (result.errors) {
        // graphql-ws formats (and logs) errors in its `onNext` hook: it sends this one itself.
        const waiter = this.waiter;
        this.waiter = undefined;
        this.handedBack = event.cursor;
        waiter.resolve({ value: result, done: false });
        return;
      }
      const open = this.socket.write(this.head, response.toJson(), CLOSING_BRACE);
      this.source.sent(event.cursor);
      if (!open) {
        this.blocked = true;
        this.socket.whenWritable(() => {
          this.blocked = false;
          this.resume();
        });
      }
    }
  }

  /** Over: the feed is closed, and graphql-ws told the end (`failed`: it sends the error). */
  private finish(failed?: { readonly error: unknown }): void {
    if (this.done) return;
    this.done = true;
    this.onFinished();
    this.pending.length = 0;
    this.attached = false;
    void this.source.return?.();
    const waiter = this.waiter;
    this.waiter = undefined;
    if (failed) waiter?.reject(failed.error);
    else waiter?.resolve({ value: undefined, done: true });
  }
}
