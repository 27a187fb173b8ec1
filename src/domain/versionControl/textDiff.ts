import type { Change } from './change';

/*
 * Line diff of two texts (a RightScript's source, and later any multi-line field): an edit script of
 * kept, removed and added lines (Myers' O((N+M)D) greedy algorithm), and the unified hunks a reader
 * (or `patch`) understands. The edit script is the core that three-way line merge builds on.
 *
 * A line is what `splitLines` cuts: its text with its `\n`, so a last line without a line break
 * differs from the same line with one, and joining the kept and added lines gives the new text back.
 */

export type LineEditKind = 'kept' | 'removed' | 'added';

/** One step of the edit script, in order: read `from` top to bottom, applying each step, and `to` comes out. */
export interface LineEdit {
  readonly kind: LineEditKind;
  /** The line as it appears in the text, with its `\n` (none on a last line without a line break). */
  readonly line: string;
  /** Kept and removed: the line's index in `from`. Added: the index in `from` it is inserted before. */
  readonly fromIndex: number;
  /** Kept and added: the line's index in `to`. Removed: the index in `to` it would have had. */
  readonly toIndex: number;
}

/** A unified diff hunk: line numbers are 1-based; a count of 0 puts the start on the line before (0: before the first). */
export interface TextHunk {
  readonly fromLine: number;
  readonly fromCount: number;
  readonly toLine: number;
  readonly toCount: number;
  /** Each line prefixed ' ' (context), '-' (removed) or '+' (added), without its line break; a line that had none is followed by `NO_NEWLINE_MARKER`. */
  readonly lines: readonly string[];
}

export const NO_NEWLINE_MARKER = '\\ No newline at end of file';
export const DEFAULT_CONTEXT_LINES = 3;

/**
 * How much comparing a diff may cost before it gives up on a minimal script: roughly the number of
 * line comparisons and trace cells. Sources are at most 256 KiB, so a handful of edits to a huge
 * script stays exact (common head and tail are trimmed first, for free); a rewrite of thousands of
 * lines gets a correct but coarse script (the differing middle removed, then added) instead of
 * seconds of CPU and a quadratic trace.
 */
export const DEFAULT_MAX_DIFF_WORK = 4_000_000;

/** The lines of `text`, each with its `\n`; the last one has none when the text doesn't end with a line break. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end === -1) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  return lines;
}

/** The edit script from `from` to `to`, line by line. */
export function diffLines(from: string, to: string, options: { maxWork?: number } = {}): LineEdit[] {
  return diffSequences(splitLines(from), splitLines(to), options);
}

/**
 * The edit script between two sequences of lines (as `splitLines` gives them): minimal (fewest
 * removed + added lines) unless it would cost more than `maxWork`, then still correct but coarser.
 */
export function diffSequences(from: readonly string[], to: readonly string[], options: { maxWork?: number } = {}): LineEdit[] {
  const maxWork = options.maxWork ?? DEFAULT_MAX_DIFF_WORK;
  // Lines become small integers: comparisons in the inner loop are then integer compares.
  const ids = new Map<string, number>();
  const intern = (lines: readonly string[]): Int32Array => {
    const out = new Int32Array(lines.length);
    lines.forEach((line, i) => {
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        ids.set(line, id);
      }
      out[i] = id;
    });
    return out;
  };
  const a = intern(from);
  const b = intern(to);

  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;

  const edits: LineEdit[] = [];
  for (let i = 0; i < head; i++) edits.push({ kind: 'kept', line: from[i] as string, fromIndex: i, toIndex: i });
  const middle =
    shortestEditScript(a.subarray(head, a.length - tail), b.subarray(head, b.length - tail), maxWork) ??
    coarseScript(a.length - head - tail, b.length - head - tail);
  for (const [kind, x, y] of middle) {
    const fromIndex = head + x;
    const toIndex = head + y;
    const line = (kind === 'added' ? to[toIndex] : from[fromIndex]) as string;
    edits.push({ kind, line, fromIndex, toIndex });
  }
  for (let i = tail; i > 0; i--) {
    const fromIndex = a.length - i;
    const toIndex = b.length - i;
    edits.push({ kind: 'kept', line: from[fromIndex] as string, fromIndex, toIndex });
  }
  return edits;
}

/** A step of the middle's script with its indexes relative to the middle. */
type Step = readonly [LineEditKind, number, number];

/** Every line of the middle removed, then every new one added: what a diff over budget settles for. */
function coarseScript(fromLength: number, toLength: number): Step[] {
  const steps: Step[] = [];
  for (let x = 0; x < fromLength; x++) steps.push(['removed', x, 0]);
  for (let y = 0; y < toLength; y++) steps.push(['added', fromLength, y]);
  return steps;
}

/**
 * Myers' greedy shortest edit script; undefined when it would cost more than `maxWork`. The trace
 * keeps, for each edit distance d, the furthest x reached on each diagonal k in -d..d; walking it
 * back from the end gives the script. Removals come before additions at the same place.
 */
function shortestEditScript(a: Int32Array, b: Int32Array, maxWork: number): Step[] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return coarseScript(n, m);
  const maxD = Math.min(n + m, Math.floor(Math.sqrt(maxWork)));
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  let work = 0;
  let found = -1;
  for (let d = 0; d <= maxD && found < 0; d++) {
    work += 2 * d + 1;
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))
          ? (v[offset + k + 1] as number)
          : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
        work++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
      // Checked per diagonal: one round of long snakes on repetitive text could otherwise blow the budget.
      if (work > maxWork) return undefined;
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  if (found < 0) return undefined;

  const steps: Step[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const previous = trace[d - 1] as Int32Array;
    const at = (k: number): number => previous[k + d - 1] as number;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      steps.push(['kept', x, y]);
    }
    if (x === previousX) steps.push(['added', x, y - 1]);
    else steps.push(['removed', x - 1, y]);
    x = previousX;
    y = previousY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    steps.push(['kept', x, y]);
  }
  return steps.reverse();
}

/**
 * The unified hunks of an edit script: each change with `context` lines around it; changes whose
 * contexts touch or overlap (at most 2 × context kept lines apart) share one hunk.
 */
export function hunksOf(edits: readonly LineEdit[], context: number = DEFAULT_CONTEXT_LINES): TextHunk[] {
  const changed: number[] = [];
  edits.forEach((edit, i) => {
    if (edit.kind !== 'kept') changed.push(i);
  });
  const hunks: TextHunk[] = [];
  let g = 0;
  while (g < changed.length) {
    let last = g;
    while (last + 1 < changed.length && (changed[last + 1] as number) - (changed[last] as number) - 1 <= 2 * context) last++;
    const start = Math.max(0, (changed[g] as number) - context);
    const end = Math.min(edits.length, (changed[last] as number) + 1 + context);
    hunks.push(hunk(edits, start, end));
    g = last + 1;
  }
  return hunks;
}

function hunk(edits: readonly LineEdit[], start: number, end: number): TextHunk {
  const first = edits[start] as LineEdit;
  // Lines of each text before the hunk: an added line's fromIndex, a removed line's toIndex, say where it sits.
  const fromBefore = first.fromIndex;
  const toBefore = first.toIndex;
  let fromCount = 0;
  let toCount = 0;
  const lines: string[] = [];
  for (let i = start; i < end; i++) {
    const edit = edits[i] as LineEdit;
    if (edit.kind !== 'added') fromCount++;
    if (edit.kind !== 'removed') toCount++;
    const prefix = edit.kind === 'kept' ? ' ' : edit.kind === 'removed' ? '-' : '+';
    const ends = edit.line.endsWith('\n');
    lines.push(prefix + (ends ? edit.line.slice(0, -1) : edit.line));
    if (!ends) lines.push(NO_NEWLINE_MARKER);
  }
  return {
    fromLine: fromCount === 0 ? fromBefore : fromBefore + 1,
    fromCount,
    toLine: toCount === 0 ? toBefore : toBefore + 1,
    toCount,
    lines,
  };
}

/** The hunks between two texts, with `context` lines of context (3 by default). */
export function diffText(from: string, to: string, context: number = DEFAULT_CONTEXT_LINES): TextHunk[] {
  return hunksOf(diffLines(from, to), context);
}

/**
 * Hunks as unified diff text (`@@ -a,b +c,d @@` headers, both counts always written), each line
 * ending in `\n`; with `labels`, preceded by the `---` / `+++` file lines. No hunks: the empty text.
 */
export function renderUnified(hunks: readonly TextHunk[], labels?: { readonly from: string; readonly to: string }): string {
  if (hunks.length === 0) return '';
  const out: string[] = labels ? [`--- ${labels.from}`, `+++ ${labels.to}`] : [];
  for (const h of hunks) out.push(`@@ -${h.fromLine},${h.fromCount} +${h.toLine},${h.toCount} @@`, ...h.lines);
  return `${out.join('\n')}\n`;
}

/** A CHANGED entry for a multi-line text field, carrying its hunks; nothing when the texts are equal. */
export function textFieldChanges(path: string, before: string, after: string): Change[] {
  return before === after ? [] : [{ path, kind: 'CHANGED', before, after, hunks: diffText(before, after) }];
}
