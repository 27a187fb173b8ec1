/*
 * What a CLI command may touch of its process, passed in so the commands run the same in a terminal
 * and in tests: where output goes, the environment (the service's configuration), the clock.
 */

export interface OutputStream {
  write(text: string): boolean | void;
  /** Node streams: resolve writes after backpressure. */
  once?(event: 'drain', listener: () => void): unknown;
}

export interface CliIo {
  /** Results: what scripts read. */
  readonly stdout: OutputStream;
  /** Progress, warnings and errors; a progress bar when it is a terminal. */
  readonly stderr: OutputStream & { readonly isTTY?: boolean; readonly columns?: number };
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

/** Exit codes: scripts can tell "tampered" from "couldn't look". */
export const EXIT = {
  OK: 0,
  /** Verification failed, or the rebuilt read models differ from the live ones. */
  FAILED: 1,
  /** Wrong arguments or configuration: nothing was done. */
  USAGE: 2,
  /** The command could not finish (store unreachable, unreadable file…). */
  ERROR: 3,
} as const;

/** Wrong arguments or a setting that makes the command impossible: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Writes, waiting for the stream to drain when it asks to. */
export async function writeOut(stream: OutputStream, text: string): Promise<void> {
  if (stream.write(text) === false && stream.once) {
    await new Promise<void>((resolve) => stream.once?.('drain', resolve));
  }
}

export const formatCount = (n: number | bigint): string => n.toLocaleString('en-US');

/** `1 event`, `2,000 events`. */
export const counted = (n: number | bigint, noun: string): string => `${formatCount(n)} ${noun}${n === 1 || n === 1n ? '' : 's'}`;
