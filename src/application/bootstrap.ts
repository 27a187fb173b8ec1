import { randomUUID } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { accountStream } from '../domain/accounts/account';
import { StreamNotFoundError } from '../eventStore/errors';
import type { EventStore } from '../eventStore/port';
import type { Logger } from '../logger';
import type { ProjectionRunner } from '../readModels/projectionRunner';
import type { AccountService } from './accounts';
import type { CommandHandler } from './commandHandler';
import { registerStarterCatalog } from './starterCatalog';
import { newTokenSecret } from './tokens';

/** The account the first start creates. A fixed id makes "is this the first start?" one stream read. */
export const DEFAULT_ACCOUNT_ID = 'default';
export const BOOTSTRAP_TOKEN_FILE = 'bootstrap-token';

export interface BootstrapOptions {
  readonly store: EventStore;
  readonly commands: CommandHandler;
  readonly accounts: AccountService;
  readonly projections: Pick<ProjectionRunner, 'waitForPosition'>;
  readonly dataDir: string;
  /** BOOTSTRAP_TOKEN: when set, the first admin's token is this value and no file is written. */
  readonly bootstrapToken: string | undefined;
  readonly logger: Logger;
}

/**
 * First start on an empty store: account `Default` with an admin holding every role and the system
 * operator right, and that admin's token in `<DATA_DIR>/bootstrap-token` (mode 0600). Then the starter
 * catalog, once. Safe to run on every start: each step is skipped when its stream already exists, and
 * the account is one atomic append, so a crash leaves either no account or a whole one.
 */
export async function bootstrap(options: BootstrapOptions): Promise<void> {
  const { store, logger } = options;
  const context = { actorId: 'system', correlationId: `bootstrap-${randomUUID()}` };
  if (!(await streamExists(store, accountStream(DEFAULT_ACCOUNT_ID)))) {
    const token = options.bootstrapToken ?? newTokenSecret();
    // The file is written before the account exists: a crash in between leaves a file whose token
    // works nowhere, replaced on the next start, rather than an account whose token was never shown.
    const file = options.bootstrapToken ? undefined : writeSecretFile(options.dataDir, token);
    try {
      await options.accounts.createAccount(
        { accountId: DEFAULT_ACCOUNT_ID, name: 'Default', adminName: 'admin', token, systemOperator: true },
        context,
      );
    } catch (error) {
      if (file) rmSync(file, { force: true });
      throw error;
    }
    if (file) logger.info({ file }, 'first start: created account Default and its admin; the admin API token is in this file (mode 0600)');
    else logger.info('first start: created account Default and its admin; the admin API token is the BOOTSTRAP_TOKEN value');
  } else if (options.bootstrapToken && !options.accounts.authenticate(`Bearer ${options.bootstrapToken}`)) {
    logger.warn('BOOTSTRAP_TOKEN is set but the store was bootstrapped before: it is only used on the first start and is ignored');
  }
  const catalog = await registerStarterCatalog(store, options.commands, { ...context, accountId: DEFAULT_ACCOUNT_ID });
  // The service answers requests only once the catalog it just wrote can be read.
  await options.projections.waitForPosition(catalog.position);
}

async function streamExists(store: EventStore, stream: string): Promise<boolean> {
  try {
    await store.readStream(stream, { maxCount: 1 });
    return true;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return false;
    throw error;
  }
}

/** Writes the token so that only the service's user can read it, replacing any earlier file atomically. */
function writeSecretFile(dataDir: string, secret: string): string {
  const file = join(dataDir, BOOTSTRAP_TOKEN_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  return file;
}
