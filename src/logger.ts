import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** JSON logs on stdout (pipe them through `pino-pretty` to read them by eye). Secrets are redacted. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'multicloud-images' },
      redact: { paths: ['req.headers.authorization', '*.authorization', '*.token', '*.adminToken'], censor: '[redacted]' },
    },
    destination,
  );
}
