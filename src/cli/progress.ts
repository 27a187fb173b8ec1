import type { CliIo } from './io';

/*
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, plain lines every few
 * seconds otherwise (a log file or CI keeps readable lines, no carriage returns). Results go to
 * stdout, so piping a command's output never captures its progress.
 */

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const PLAIN_LINE_MS = 5_000;

export class Progress {
  private readonly tty: boolean;
  private readonly now: () => number;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private lastLine: number;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
  ) {
    this.tty = io.stderr.isTTY === true;
    this.now = io.now ?? Date.now;
    this.lastLine = this.now();
  }

  update(done: number, total: number, unit = 'events'): void {
    const now = this.now();
    if (this.tty) {
      if (now - this.lastDrawn < REDRAW_MS) return;
      this.lastDrawn = now;
      this.drawn = true;
      this.io.stderr.write(`\r${renderBar(this.label, done, total, unit)}\x1b[K`);
    } else if (now - this.lastLine >= PLAIN_LINE_MS) {
      this.lastLine = now;
      this.io.stderr.write(
        `${this.label}: ${percent(done, total)}% (${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${unit})\n`,
      );
    }
  }

  /** Ends the bar (or writes the closing plain line) with a short summary. */
  finish(summary: string): void {
    if (this.tty) {
      this.io.stderr.write(`\r${this.label}: ${summary}\x1b[K\n`);
    } else {
      this.io.stderr.write(`${this.label}: ${summary}\n`);
    }
    this.drawn = false;
  }

  /** Clears a half-drawn bar before an error message. */
  abandon(): void {
    if (this.tty && this.drawn) this.io.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((done / total) * 100));
}

export function renderBar(label: string, done: number, total: number, unit: string): string {
  const pct = percent(done, total);
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit}`;
}
