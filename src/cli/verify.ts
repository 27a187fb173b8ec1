import { loadConfig } from '../config';
import {
  describePosition,
  formatAnchor,
  parseAnchor,
  verifyLog,
  verifyStream,
  type BrokenEvent,
  type LogVerification,
  type StreamVerification,
} from '../application/verification';
import type { EventStore } from '../eventStore/port';
import { parseArgs, stringOption } from './args';
import { counted, EXIT, UsageError, writeOut, type CliIo } from './io';
import { Progress } from './progress';
import { openConfiguredStore, readLogFacts, readStreamTally } from './stores';

/*
 * `verify`: the whole log (or one stream) checked against its hash chains and against everything the
 * store and the read models remember about it. Exit 0 when intact, 1 when anything was tampered with.
 */

export const VERIFY_USAGE = `verify [--stream <name>] [--anchor <count>:<sha256>] [--no-read-models] [--json]
    Checks every event's hash, every stream's chain, revisions and order, the log's positions and
    the store's position counter, and the read models' record of each stream (DATA_DIR/read-models.sqlite).
    Prints the log's anchor: keep it elsewhere and pass it back with --anchor to prove later that the
    first <count> events are unchanged (this also catches rewrites the chains alone can't).
    --stream <name>      check one stream only (e.g. mci-<id>)
    --no-read-models     don't compare with the read models (e.g. read models of another store)
    --json               the result as one JSON object`;

const MAX_PRINTED = 20;

export async function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    stream: { takesValue: true },
    anchor: { takesValue: true },
    'no-read-models': { takesValue: false },
    json: { takesValue: false },
  });
  const stream = stringOption(args, 'stream');
  const anchorText = stringOption(args, 'anchor');
  const anchor = anchorText === undefined ? undefined : parseAnchor(anchorText);
  if (anchorText !== undefined && !anchor) {
    throw new UsageError(`--anchor: expected <count>:<sha256 in hex> as printed by verify, got '${anchorText}'`);
  }
  if (stream !== undefined && anchor) throw new UsageError('--anchor covers the whole log: give it without --stream');
  const json = args.options.has('json');
  const config = loadConfig(io.env);

  const readModels = !args.options.has('no-read-models');
  const store = await openConfiguredStore(config);
  try {
    // Read models and counters before the log is read: all they count is in it by then.
    if (stream !== undefined) {
      const tally = readModels ? readStreamTally(config, stream) : undefined;
      const result = await verifyStream(store, stream, tally ? { tally } : {});
      if (result.eventsChecked === 0 && !tally) throw new UsageError(`no stream '${stream}' in the log`);
      await report(io, store, json, { ...result, stream });
      return result.ok ? EXIT.OK : EXIT.FAILED;
    }
    const facts = readLogFacts(config, { readModels });
    const progress = new Progress(io, 'verify');
    const result = await verifyLog(store, {
      ...facts,
      densePositions: store.kind === 'sqlite',
      ...(anchor ? { anchor } : {}),
      onProgress: (p) => progress.update(p.done, p.total, p.phase === 'log' ? 'positions read' : 'events followed'),
    });
    progress.finish(`${counted(result.eventsChecked, 'event')} in ${counted(result.streamsChecked, 'stream')} checked`);
    await report(io, store, json, result);
    return result.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    await store.close();
  }
}

type Outcome = (LogVerification & { stream?: undefined }) | (StreamVerification & { stream: string; problemCount?: undefined });

async function report(io: CliIo, store: EventStore, json: boolean, result: Outcome): Promise<void> {
  const problemCount = result.problemCount ?? result.problems.length;
  if (json) {
    const plain = (broken: BrokenEvent | undefined): unknown =>
      broken && {
        stream: broken.stream ?? null,
        revision: broken.revision === undefined ? null : Number(broken.revision),
        id: broken.id ?? null,
        position: broken.position ? describePosition(broken.position) : null,
        cursor: broken.position ? store.cursorOf(broken.position) : null,
        problem: broken.problem,
        detail: broken.detail,
      };
    const body = {
      ok: result.ok,
      ...(result.stream !== undefined ? { stream: result.stream } : {}),
      eventsChecked: result.eventsChecked,
      ...('streamsChecked' in result ? { streamsChecked: result.streamsChecked } : {}),
      problemCount,
      firstBrokenEvent: plain(result.firstBrokenEvent) ?? null,
      problems: result.problems.map(plain),
      ...('anchor' in result ? { anchor: formatAnchor(result.anchor), crossChecks: result.crossChecks } : {}),
    };
    await writeOut(io.stdout, `${JSON.stringify(body)}\n`);
    return;
  }
  const scope =
    result.stream !== undefined
      ? `${counted(result.eventsChecked, 'event')} of stream ${result.stream}`
      : `${counted(result.eventsChecked, 'event')} in ${counted(result.streamsChecked, 'stream')}`;
  const lines: string[] = [];
  if (result.ok) {
    lines.push(`ok: ${scope} verified`);
    if (result.stream === undefined) {
      lines.push(`checked: hashes, chains, revisions, order within streams${result.crossChecks.map((c) => `, ${c}`).join('')}`);
      lines.push(`anchor: ${formatAnchor(result.anchor)}`);
      lines.push(`  (keep it outside this machine; 'verify --anchor ${formatAnchor(result.anchor)}' later proves these events unchanged)`);
    }
  } else {
    lines.push(`TAMPERED: ${problemCount} problem${problemCount === 1 ? '' : 's'} in ${scope}`);
    lines.push(`first broken event: ${describeBroken(result.firstBrokenEvent as BrokenEvent)}`);
    if (problemCount > 1) {
      lines.push('problems, in log order:');
      for (const broken of result.problems.slice(0, MAX_PRINTED)) lines.push(`  - ${describeBroken(broken)}`);
      if (problemCount > MAX_PRINTED)
        lines.push(`  … and ${problemCount - MAX_PRINTED} more (--json lists up to ${result.problems.length})`);
    }
  }
  await writeOut(io.stdout, `${lines.join('\n')}\n`);
}

function describeBroken(broken: BrokenEvent): string {
  const where = [
    broken.stream === undefined ? 'stream unknown' : `stream ${broken.stream}`,
    ...(broken.revision === undefined ? [] : [`revision ${broken.revision}`]),
    ...(broken.id === undefined ? [] : [`id ${broken.id}`]),
    ...(broken.position === undefined ? [] : [`position ${describePosition(broken.position)}`]),
  ];
  return `${broken.problem} at ${where.join(', ')}: ${broken.detail}`;
}
