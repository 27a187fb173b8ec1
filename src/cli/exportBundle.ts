import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AuditBundleWriter, verifyBundle, type BundleProblem, type BundleSelection } from '../application/auditBundle';
import { logUpTo, streamEvents } from '../application/verification';
import { loadConfig } from '../config';
import { comparePositions } from '../eventStore/cursor';
import { EventStoreError, StreamNotFoundError } from '../eventStore/errors';
import type { EventStore, LogPosition, RecordedEvent } from '../eventStore/port';
import { SERVICE_VERSION } from '../version';
import { parseArgs, stringOption } from './args';
import { counted, EXIT, UsageError, writeOut, type CliIo, type OutputStream } from './io';
import { Progress } from './progress';
import { openConfiguredStore } from './stores';

/*
 * `export` writes an audit bundle (src/application/auditBundle.ts) of an account or a stream;
 * `verify-export` checks one offline.
 */

export const EXPORT_USAGE = `export (--account <id> | --stream <name>) [--since <cursor>] [--out <file>]
    Writes an audit bundle as JSON Lines: a header naming the selection, one line per event with its
    data, metadata, hash and prevHash, and a trailer with counts, each stream's head and a digest.
    --account <id>    the account's stream and every stream it created (components, deployments…)
    --stream <name>   one stream, e.g. mci-<id>
    --since <cursor>  only events after this cursor (an event's cursor from the API or a bundle;
                      a bundle's header.upTo continues where it ended)
    --out <file>      write to a new file instead of stdout`;

export const VERIFY_EXPORT_USAGE = `verify-export <file>
    Checks an audit bundle offline (needs no DATA_DIR): every event's hash, each stream's chain
    (from its first event's prevHash when the bundle starts mid-stream), the log order, the trailer's
    counts and stream heads, and the digest of the lines.`;

const MAX_ID_LENGTH = 256;

export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    account: { takesValue: true },
    stream: { takesValue: true },
    since: { takesValue: true },
    out: { takesValue: true },
  });
  const account = stringOption(args, 'account');
  const stream = stringOption(args, 'stream');
  const since = stringOption(args, 'since');
  const out = stringOption(args, 'out');
  if ((account === undefined) === (stream === undefined)) throw new UsageError('give either --account <id> or --stream <name>');
  for (const [name, value] of [
    ['account', account],
    ['stream', stream],
  ] as const) {
    if (value !== undefined && value.length > MAX_ID_LENGTH)
      throw new UsageError(`--${name}: expected at most ${MAX_ID_LENGTH} characters, got ${value.length}`);
  }
  const config = loadConfig(io.env);
  const store = await openConfiguredStore(config);
  let file: WriteStream | undefined;
  try {
    let after: LogPosition | undefined;
    try {
      after = since === undefined ? undefined : store.parseCursor(since);
    } catch (error) {
      if (error instanceof EventStoreError) throw new UsageError(`--since: ${error.message}`);
      throw error;
    }
    const selected = stream ?? `account-${account}`;
    if (!(await streamExists(store, selected))) {
      throw new UsageError(
        account === undefined ? `no stream '${selected}' in the log` : `no account '${account}' in the log (no stream '${selected}')`,
      );
    }
    if (out !== undefined) file = await openNewFile(out);
    const target: OutputStream = file ?? io.stdout;
    const head = await store.headPosition();
    const bundle = new AuditBundleWriter((line) => writeOut(target, line));
    const selection: BundleSelection = {
      ...(account === undefined ? {} : { account }),
      ...(stream === undefined ? {} : { stream }),
      ...(since === undefined ? {} : { since }),
    };
    await bundle.header({
      selection,
      upTo: head ? store.cursorOf(head) : null,
      createdAt: new Date(io.now?.() ?? Date.now()).toISOString(),
      createdBy: `multicloud-images ${SERVICE_VERSION}`,
      eventStore: store.kind,
    });
    const progress = new Progress(io, 'export');
    const inRange = (event: RecordedEvent): boolean =>
      (!after || comparePositions(event.position, after) > 0) && (!head || comparePositions(event.position, head) <= 0);
    if (stream !== undefined) {
      for await (const event of streamEvents(store, stream)) {
        if (inRange(event)) await bundle.event(event);
        progress.update(Number(event.position.commit), head ? Number(head.commit) : 0, 'of the log');
      }
    } else {
      // An account's streams are those it created: known from each stream's first event, which may lie
      // before --since, so the log is read from its start.
      const owned = new Map<string, boolean>();
      for await (const event of logUpTo(store, head)) {
        let mine = owned.get(event.stream);
        if (mine === undefined) {
          mine = event.stream === selected || creatorOf(event) === account;
          owned.set(event.stream, mine);
        }
        if (mine && inRange(event)) await bundle.event(event);
        progress.update(Number(event.position.commit), head ? Number(head.commit) : 0, 'of the log');
      }
    }
    const trailer = await bundle.finish();
    progress.finish(`${counted(trailer.events, 'event')} of ${counted(Object.keys(trailer.streams).length, 'stream')} exported`);
    if (file) {
      await new Promise<void>((resolve, reject) =>
        (file as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      file = undefined;
      io.stderr.write(`wrote ${out} (${counted(trailer.events, 'event')}, ${trailer.digest})\n`);
    }
    return EXIT.OK;
  } catch (error) {
    if (file && out !== undefined) {
      file.destroy();
      rmSync(out, { force: true });
    }
    throw error;
  } finally {
    await store.close();
  }
}

/** Who created a stream: its first event's `data.accountId`, or (its first event gone) who wrote what remains. */
function creatorOf(event: RecordedEvent): string | undefined {
  const data = event.data as { accountId?: unknown } | null;
  const claimed = event.revision === 0n && typeof data === 'object' && data !== null ? data.accountId : event.metadata.accountId;
  return typeof claimed === 'string' ? claimed : undefined;
}

async function streamExists(store: EventStore, stream: string): Promise<boolean> {
  try {
    return (await store.readStream(stream, { maxCount: 1 })).length > 0;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return false;
    if (error instanceof EventStoreError && error.code === 'INVALID_REQUEST') throw new UsageError(error.message);
    throw error;
  }
}

async function openNewFile(path: string): Promise<WriteStream> {
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EEXIST' ? new UsageError(`--out: ${path} already exists: choose a new file`) : error),
    );
  });
  return file;
}

export async function verifyExportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {}, { min: 1, max: 1, names: 'one bundle file' });
  const path = args.positionals[0] as string;
  const input = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' || error.code === 'EISDIR'
          ? new UsageError(`can't read ${path}: ${error.code === 'ENOENT' ? 'no such file' : 'it is a directory'}`)
          : error,
      ),
    );
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const result = await verifyBundle(lines);
  const header = result.header;
  const selection = header
    ? [
        header.selection.account !== undefined ? `account ${header.selection.account}` : `stream ${header.selection.stream ?? '?'}`,
        ...(header.selection.since !== undefined ? [`since ${header.selection.since}`] : []),
      ].join(', ')
    : 'unknown selection';
  const out: string[] = [];
  if (result.ok) {
    out.push(`ok: ${path}: ${counted(result.eventsChecked, 'event')} in ${counted(result.streams.size, 'stream')} verified`);
    out.push(
      `bundle of ${selection}, created ${header?.createdAt ?? '?'} by ${header?.createdBy ?? '?'} from the ${header?.eventStore ?? '?'} store`,
    );
    if (result.streams.size > 0) {
      out.push('stream heads (compare them with the live log or a record kept elsewhere):');
      for (const [stream, head] of result.streams) out.push(`  ${stream} revision ${head.lastRevision} hash ${head.lastHash}`);
    }
  } else {
    out.push(
      `TAMPERED: ${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} in ${path} (${counted(result.eventsChecked, 'event')}, ${selection})`,
    );
    out.push(`first problem: ${describeBundleProblem(result.problems[0] as BundleProblem)}`);
    if (result.problemCount > 1) {
      out.push('problems, in line order:');
      for (const problem of result.problems.slice(0, 20)) out.push(`  - ${describeBundleProblem(problem)}`);
      if (result.problemCount > 20) out.push(`  … and ${result.problemCount - 20} more`);
    }
  }
  await writeOut(io.stdout, `${out.join('\n')}\n`);
  return result.ok ? EXIT.OK : EXIT.FAILED;
}

function describeBundleProblem(problem: BundleProblem): string {
  const where = [
    ...(problem.line === undefined ? ['the bundle'] : [`line ${problem.line}`]),
    ...(problem.stream === undefined ? [] : [`stream ${problem.stream}`]),
    ...(problem.revision === undefined ? [] : [`revision ${problem.revision}`]),
    ...(problem.id === undefined ? [] : [`id ${problem.id}`]),
  ];
  return `${problem.problem} at ${where.join(', ')}: ${problem.detail}`;
}
