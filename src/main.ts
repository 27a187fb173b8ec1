import { loadConfig, ConfigError } from './config';
import { createLogger, type Logger } from './logger';
import { startHttpServer } from './server/httpServer';
import { openServices, StartupError } from './services';

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`multicloud-images: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let services;
  try {
    services = await openServices(config, logger);
  } catch (error) {
    // A StartupError's message says what is wrong and where (DATA_DIR, the store): one line, no stack.
    if (error instanceof StartupError) logger.fatal({ dataDir: config.dataDir }, error.message);
    else logger.fatal({ err: error }, 'startup failed');
    process.exit(1);
  }
  const http = await startHttpServer(services).catch(async (error: unknown) => {
    logger.fatal({ err: error }, `can't listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    await services.close();
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error(`graceful stop took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void shutdown(logger, http.stop, services.close).then((ok) => process.exit(ok ? 0 : 1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Logged only once the signal handlers are in place: whoever waits for this line may send SIGTERM at once.
  logger.info(
    { url: `${http.url}/graphql`, eventStore: config.eventStore, dataDir: config.dataDir },
    `multicloud-images is serving GraphQL at ${http.url}/graphql`,
  );
}

async function shutdown(logger: Logger, ...steps: Array<() => Promise<void>>): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      ok = false;
      logger.error({ err: error }, 'error while stopping');
    }
  }
  if (ok) logger.info('stopped');
  return ok;
}

void main();
