import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allProjections } from '../../projections';
import { loadConfig } from '../config';
import { rebuildReadModels, type RebuildResult } from '../readModels/rebuild';
import { parseArgs, stringOption } from './args';
import { counted, EXIT, formatCount, UsageError, writeOut, type CliIo } from './io';
import { Progress } from './progress';
import { openConfiguredStore, readModelsPath } from './stores';

export const REBUILD_USAGE = `rebuild [--out <file>]
    Replays the whole log through every projection into a new read-model file, then compares it
    table by table with the live one (DATA_DIR/read-models.sqlite, read in one snapshot, each
    projection up to its own checkpoint): prints "identical" or the differing tables and rows.
    --out <file>   keep the rebuilt file there (a new file; by default it is discarded)`;

const MAX_TABLES_SHOWN = 20;

export async function rebuildCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { out: { takesValue: true } });
  const out = stringOption(args, 'out');
  const config = loadConfig(io.env);
  if (out !== undefined && existsSync(out)) throw new UsageError(`--out: ${out} already exists: choose a new file`);
  const livePath = readModelsPath(config);
  const hasLive = existsSync(livePath);
  if (!hasLive && out === undefined) {
    throw new UsageError(`no live read models at ${livePath} to compare with (give --out <file> to only build new ones)`);
  }
  const store = await openConfiguredStore(config);
  const scratch = out === undefined ? mkdtempSync(join(tmpdir(), 'mci-rebuild-')) : undefined;
  const outPath = out ?? join(scratch as string, 'read-models.sqlite');
  const progress = new Progress(io, 'rebuild');
  try {
    const result = await rebuildReadModels({
      store,
      projections: allProjections,
      livePath: hasLive ? livePath : undefined,
      outPath,
      onProgress: (done, total) => progress.update(done, total, 'of the log'),
    });
    progress.finish(`${counted(result.eventsReplayed, 'event')} replayed through ${allProjections.length} projections`);
    await writeOut(io.stdout, `${describe(result, hasLive, out)}\n`);
    if (!hasLive) return EXIT.OK;
    return result.identical ? EXIT.OK : EXIT.FAILED;
  } catch (error) {
    progress.abandon();
    if (out !== undefined) for (const suffix of ['', '-wal', '-shm']) rmSync(`${out}${suffix}`, { force: true });
    throw error;
  } finally {
    await store.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

function describe(result: RebuildResult, compared: boolean, out: string | undefined): string {
  const lines: string[] = [];
  if (!compared) {
    lines.push(`built ${out ?? ''} from ${counted(result.eventsReplayed, 'event')}; no live read models to compare with`);
    return lines.join('\n');
  }
  if (result.identical) {
    lines.push(
      `identical: ${result.tablesCompared} tables, ${formatCount(result.rowsCompared)} rows, rebuilt from ${counted(result.eventsReplayed, 'event')}`,
    );
  } else {
    lines.push(
      `DIFFERENT: ${result.differences.length} of ${result.tablesCompared} tables differ${result.notCompared.length ? `, ${result.notCompared.length} could not be compared` : ''}`,
    );
    for (const difference of result.differences.slice(0, MAX_TABLES_SHOWN)) {
      lines.push(
        `  ${difference.table} (${difference.projection}): ${difference.liveRows} rows live, ${difference.rebuiltRows} rebuilt; ${difference.onlyLive} only live, ${difference.onlyRebuilt} only rebuilt`,
      );
      for (const row of difference.samplesOnlyLive) lines.push(`    - live:    ${JSON.stringify(row)}`);
      for (const row of difference.samplesOnlyRebuilt) lines.push(`    + rebuilt: ${JSON.stringify(row)}`);
    }
    if (result.differences.length > MAX_TABLES_SHOWN) lines.push(`  … and ${result.differences.length - MAX_TABLES_SHOWN} more tables`);
    for (const skipped of result.notCompared) lines.push(`  not compared: ${skipped.projection}: ${skipped.reason}`);
  }
  if (out !== undefined) lines.push(`rebuilt read models kept in ${out} (stop the service before swapping it in as read-models.sqlite)`);
  return lines.join('\n');
}
