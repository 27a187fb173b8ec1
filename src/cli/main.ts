#!/usr/bin/env node
import { ConfigError } from '../config';
import { SERVICE_VERSION } from '../version';
import { EXIT, UsageError, type CliIo } from './io';
import { VERIFY_USAGE, verifyCommand } from './verify';
import { REBUILD_USAGE, rebuildCommand } from './rebuild';
import { EXPORT_USAGE, exportCommand, VERIFY_EXPORT_USAGE, verifyExportCommand } from './exportBundle';
import { MIGRATE_USAGE, migrateCommand } from './migrate';

/*
 * The operator's command line: `npm run cli -- <command>` or the `multicloud-images` bin. It reads the
 * service's own configuration (DATA_DIR, EVENT_STORE, EVENTSTORE_URL) from the environment.
 */

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly usage: string }>> = {
  verify: { run: verifyCommand, usage: VERIFY_USAGE },
  rebuild: { run: rebuildCommand, usage: REBUILD_USAGE },
  export: { run: exportCommand, usage: EXPORT_USAGE },
  'verify-export': { run: verifyExportCommand, usage: VERIFY_EXPORT_USAGE },
  migrate: { run: migrateCommand, usage: MIGRATE_USAGE },
};

export const USAGE = `Usage: multicloud-images <command> [options]   (npm run cli -- <command> [options])

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n\n')}

  help | version

Configuration comes from the environment, as for the service: DATA_DIR (default ./data),
EVENT_STORE (sqlite or eventstoredb), EVENTSTORE_URL, SQLITE_SYNCHRONOUS.
Exit codes: 0 ok, 1 verification failed or differences found, 2 usage or configuration error,
3 the command could not finish (e.g. the store can't be reached).
`;

/** Runs one command; returns its exit code. Never calls `process.exit` (tests call it in-process). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (name === 'version' || name === '--version') {
    io.stdout.write(`${SERVICE_VERSION}\n`);
    return EXIT.OK;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.stderr.write(
      `multicloud-images: ${name === undefined ? 'no command given' : `unknown command '${name}'`} (expected one of ${Object.keys(COMMANDS).join(', ')}, help)\n` +
        `Run 'multicloud-images help' for usage.\n`,
    );
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`multicloud-images ${name}: ${error.message}\nUsage: multicloud-images ${command.usage}\n`);
      return EXIT.USAGE;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`multicloud-images ${name}: configuration error: ${error.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr.write(`multicloud-images ${name}: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.ERROR;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
