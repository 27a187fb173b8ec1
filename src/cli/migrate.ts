import { logUpTo } from '../application/verification';
import { loadConfig } from '../config';
import { EventStoreUnavailableError, InvalidRequestError, StreamNotFoundError, VersionConflictError } from '../eventStore/errors';
import {
  openEventStoreDbEventStore,
  type EventStoreDbEventStore,
  type SealedImport,
} from '../eventStore/eventstoredb/eventStoreDbEventStore';
import { computeEventHash } from '../eventStore/hashChain';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import { parseArgs, positiveIntegerOption, stringOption } from './args';
import { counted, EXIT, formatCount, UsageError, writeOut, type CliIo } from './io';
import { Progress } from './progress';
import { openEmbeddedLog } from './stores';

/*
 * `migrate`: the embedded log copied into EventStoreDB, in log order, every event with its id, data,
 * metadata and hashes (the adapter's import path checks each batch's chain before sending it, so a
 * tampered log stops the copy at the first broken event). Resumable: what a stream already holds in
 * EventStoreDB is skipped, so a re-run after an interruption continues where the copy stopped, and
 * EventStoreDB's own idempotency (event ids at a revision) makes a batch that was written but not
 * acknowledged harmless. The copy is then read back whole and compared with the embedded log.
 */

export const MIGRATE_USAGE = `migrate --to <esdb url> [--limit <n>]
    Copies the embedded log (DATA_DIR/events.sqlite) into EventStoreDB in log order, keeping every
    event's id, data, metadata and hashes; each batch's chain is checked before it is sent. Run it
    again after an interruption: it continues where the copy stopped and never duplicates. At the end
    it reads the copy back and compares it with the embedded log (order, ids, hashes).
    --to <url>    e.g. 'esdb://127.0.0.1:2113?tls=false': an empty server, or this log's earlier copy
    --limit <n>   copy at most n events in this run (then run again to continue)`;

const MAX_BATCH_EVENTS = 500;
/** Below EventStoreDB's default maximum append size (1 MiB); a larger single event goes alone. */
const MAX_BATCH_BYTES = 900 * 1024;

export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { to: { takesValue: true }, limit: { takesValue: true } });
  const url = stringOption(args, 'to');
  if (url === undefined) throw new UsageError('--to <esdb url> is required');
  if (!/^esdb(\+discover)?:\/\//u.test(url))
    throw new UsageError(`--to: expected an esdb:// or esdb+discover:// connection string, got '${url}'`);
  const limit = positiveIntegerOption(args, 'limit');
  const config = loadConfig(io.env);
  const source = openEmbeddedLog(config);
  let target: EventStoreDbEventStore;
  try {
    target = openEventStoreDbEventStore({ url });
  } catch (error) {
    await source.close();
    if (error instanceof InvalidRequestError) throw new UsageError(`--to: ${error.message}`);
    throw error;
  }
  try {
    return await migrate(source, target, url, limit, io);
  } catch (error) {
    if (error instanceof EventStoreUnavailableError) {
      throw new Error(`${error.message}. What was copied stays copied: run migrate again to continue.`, { cause: error });
    }
    throw error;
  } finally {
    await target.close();
    await source.close();
  }
}

async function migrate(
  source: EventStore,
  target: EventStoreDbEventStore,
  url: string,
  limit: number | undefined,
  io: CliIo,
): Promise<number> {
  const head = await source.headPosition();
  if (!head) {
    await writeOut(io.stdout, 'the embedded log is empty: nothing to migrate\n');
    return EXIT.OK;
  }
  const [firstSource] = (await source.readAll({ maxCount: 1 })).events;
  const [firstTarget] = (await target.readAll({ maxCount: 1 })).events;
  if (firstTarget && firstTarget.id !== firstSource?.id) {
    throw new UsageError(
      `EventStoreDB at ${url} already holds other events (its first is ${firstTarget.type} in '${firstTarget.stream}', id ${firstTarget.id}): migrate into an empty server`,
    );
  }

  const known = new Map<string, bigint>();
  let copied = 0;
  let present = 0;
  const progress = new Progress(io, 'migrate');
  const copy = async (batch: RecordedEvent[]): Promise<boolean> => {
    const stream = (batch[0] as RecordedEvent).stream;
    const there = known.get(stream) ?? (await lastRevision(target, stream));
    let pending = batch.filter((event) => event.revision > there);
    present += batch.length - pending.length;
    if (limit !== undefined) pending = pending.slice(0, limit - copied);
    if (pending.length > 0) {
      try {
        await target.importSealedEvents(stream, pending.map(toImport));
      } catch (error) {
        if (error instanceof InvalidRequestError || error instanceof VersionConflictError) throw new MigrationStopped(error.message);
        throw error;
      }
      copied += pending.length;
    }
    const last = pending[pending.length - 1] ?? batch[batch.length - 1];
    known.set(stream, last && last.revision > there ? last.revision : there);
    progress.update(Number((batch[batch.length - 1] as RecordedEvent).position.commit), Number(head.commit), 'of the log');
    return limit === undefined || copied < limit;
  };

  let stoppedAtLimit = false;
  try {
    let batch: RecordedEvent[] = [];
    let bytes = 0;
    for await (const event of logUpTo(source, head)) {
      const size = Buffer.byteLength(JSON.stringify(event.data)) + Buffer.byteLength(JSON.stringify(event.metadata));
      const first = batch[0];
      if (first && (first.stream !== event.stream || batch.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
        if (!(await copy(batch))) {
          stoppedAtLimit = true;
          batch = [];
          break;
        }
        batch = [];
        bytes = 0;
      }
      batch.push(event);
      bytes += size;
    }
    if (batch.length > 0 && !(await copy(batch))) stoppedAtLimit = true;
  } catch (error) {
    progress.abandon();
    if (error instanceof MigrationStopped) {
      io.stderr.write(
        `multicloud-images migrate: stopped: ${error.message}\n` +
          `The embedded log fails verification there (run 'multicloud-images verify'), or EventStoreDB holds something else; nothing after it was copied.\n`,
      );
      return EXIT.FAILED;
    }
    throw error;
  }
  const summary = `${counted(copied, 'event')} copied${present ? `, ${formatCount(present)} already there` : ''}`;
  if (stoppedAtLimit) {
    progress.finish(summary);
    await writeOut(io.stdout, `incomplete: ${summary}; stopped at --limit ${limit}: run migrate again to continue\n`);
    return EXIT.OK;
  }
  progress.finish(summary);

  const comparison = await compareLogs(source, target, head, io);
  if (comparison.difference) {
    await writeOut(io.stdout, `MIGRATION DIFFERS: ${summary}, but ${comparison.difference}\n`);
    return EXIT.FAILED;
  }
  await writeOut(
    io.stdout,
    [
      `migrated: ${summary}; EventStoreDB holds the ${counted(comparison.compared, 'event')} of the embedded log, verified in order with their ids and hashes`,
      'next: stop the service, move DATA_DIR/read-models.sqlite aside (its positions are those of the embedded log; the service',
      `rebuilds the read models from EventStoreDB), then start it with EVENT_STORE=eventstoredb EVENTSTORE_URL='${url}'`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}

class MigrationStopped extends Error {}

function toImport(event: RecordedEvent): SealedImport {
  return { id: event.id, type: event.type, revision: event.revision, data: event.data, metadata: event.metadata };
}

async function lastRevision(store: EventStore, stream: string): Promise<bigint> {
  try {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : -1n;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return -1n;
    throw error;
  }
}

/** Reads both logs in step: the same events, in the same order, with the same ids and hashes, each hash matching its content. */
async function compareLogs(
  source: EventStore,
  target: EventStore,
  head: LogPosition,
  io: CliIo,
): Promise<{ compared: number; difference: string | undefined }> {
  const progress = new Progress(io, 'migrate: verifying the copy');
  const copy = logUpTo(target, await target.headPosition())[Symbol.asyncIterator]();
  let compared = 0;
  const describe = (event: RecordedEvent): string => `${event.type} '${event.stream}' revision ${event.revision} (id ${event.id})`;
  for await (const original of logUpTo(source, head)) {
    const next = await copy.next();
    if (next.done) return { compared, difference: `EventStoreDB ends before ${describe(original)}` };
    const copied = next.value;
    if (copied.stream !== original.stream || copied.revision !== original.revision || copied.id !== original.id) {
      return { compared, difference: `EventStoreDB holds ${describe(copied)} where the embedded log has ${describe(original)}` };
    }
    if (copied.metadata.hash !== original.metadata.hash || computeEventHash(copied) !== copied.metadata.hash) {
      return { compared, difference: `${describe(copied)} does not hash as in the embedded log: its content changed on the way` };
    }
    compared += 1;
    progress.update(Number(original.position.commit), Number(head.commit), 'of the log');
  }
  const extra = await copy.next();
  if (!extra.done) {
    return { compared, difference: `EventStoreDB holds more: ${describe(extra.value)} is not in the embedded log` };
  }
  progress.finish(`${counted(compared, 'event')} compared`);
  return { compared, difference: undefined };
}
