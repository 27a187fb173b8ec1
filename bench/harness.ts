/**
 * Small helpers every benchmark shares: timing, medians, ratios and a plain-text table.
 * Machines here are noisy, so benchmarks run their baseline in the same invocation, alternate the
 * order of what they compare, repeat, and report medians and ratios rather than single figures.
 */

export interface Sample {
  readonly operations: number;
  readonly seconds: number;
}

export async function time(operations: number, body: () => Promise<void> | void): Promise<Sample> {
  const started = process.hrtime.bigint();
  await body();
  return { operations, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export const rate = (sample: Sample): number => sample.operations / sample.seconds;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Rounds to a readable number of significant digits, with thousands separators. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Rotates `items` by `round`, so no contender always runs first (warm caches) or last (hot CPU). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
