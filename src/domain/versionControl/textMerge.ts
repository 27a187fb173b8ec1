import { diffSequences, splitLines } from './textDiff';

/*
 * Three-way line merge (diff3) of two texts against their common base, for a RightScript's source.
 * Each side's edit script against the base (the Myers diff of textDiff.ts) gives its hunks: base
 * ranges it replaced with its own lines (an insertion replaces an empty range). Hunks of the two
 * sides that overlap or touch form one region; a region only one side changed takes that side's
 * lines, a region both sides changed to the same lines takes them once, any other is a conflict.
 *
 * "Touch" is decided like diff3 and git: two hunks with no unchanged base line between them (one
 * ends where the other starts, or both insert at the same place) are one region. With no line both
 * sides left alone in between, there is no order to put two insertions in, and an edit next to the
 * other side's edit was made without seeing it: merging them silently would guess.
 */

/** One region both sides changed differently: the lines of each there (each with its `\n`). */
export interface TextConflictRegion {
  /** 1-based line of `base` where the region starts (for an insertion: the line it is inserted before; past the end: lines + 1). */
  readonly baseLine: number;
  readonly base: readonly string[];
  readonly ours: readonly string[];
  readonly theirs: readonly string[];
}

/** The merged text (conflicting regions keep OURS' lines) and the regions that conflict; none: a clean merge. */
export interface TextMerge {
  readonly text: string;
  readonly conflicts: readonly TextConflictRegion[];
}

/** A side's replacement of the base lines `start` up to (not including) `end` by `lines`. */
interface Hunk {
  readonly side: 'ours' | 'theirs';
  readonly start: number;
  readonly end: number;
  readonly lines: readonly string[];
}

/** The hunks that turn `base` into `side`: each maximal run of removed and added lines of the edit script. */
function hunksAgainst(base: readonly string[], lines: readonly string[], side: Hunk['side']): Hunk[] {
  const edits = diffSequences(base, lines);
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < edits.length) {
    const first = edits[i];
    if (!first || first.kind === 'kept') {
      i++;
      continue;
    }
    // Removed lines and the insertion point of added ones both name base positions: the run starts at the first.
    const start = first.fromIndex;
    let removed = 0;
    const added: string[] = [];
    for (let edit = edits[i]; edit && edit.kind !== 'kept'; edit = edits[++i]) {
      if (edit.kind === 'removed') removed++;
      else added.push(edit.line);
    }
    hunks.push({ side, start, end: start + removed, lines: added });
  }
  return hunks;
}

/** One side's lines for the base range `start`..`end`, with that side's hunks (all inside the range) applied. */
function sideLines(base: readonly string[], start: number, end: number, hunks: readonly Hunk[]): string[] {
  const out: string[] = [];
  let at = start;
  for (const hunk of hunks) {
    out.push(...base.slice(at, hunk.start), ...hunk.lines);
    at = hunk.end;
  }
  out.push(...base.slice(at, end));
  return out;
}

const sameLines = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((line, i) => line === b[i]);

/** Merges `ours` and `theirs`, both edited from `base`, line by line. */
export function mergeText(base: string, ours: string, theirs: string): TextMerge {
  if (ours === theirs || base === theirs) return { text: ours, conflicts: [] };
  if (base === ours) return { text: theirs, conflicts: [] };
  const baseLines = splitLines(base);
  // Sorted by start, an insertion before a replacement starting at the same line: each next hunk then only has to be compared with the region so far.
  const hunks = [...hunksAgainst(baseLines, splitLines(ours), 'ours'), ...hunksAgainst(baseLines, splitLines(theirs), 'theirs')].sort(
    (a, b) => a.start - b.start || a.end - b.end,
  );

  const out: string[] = [];
  const conflicts: TextConflictRegion[] = [];
  let copied = 0;
  let i = 0;
  while (i < hunks.length) {
    const region: Hunk[] = [hunks[i] as Hunk];
    const start = (hunks[i] as Hunk).start;
    let end = (hunks[i] as Hunk).end;
    // `<=`: a hunk starting where the region ends touches it, so it belongs to the region (see the rule above).
    for (i++; i < hunks.length && (hunks[i] as Hunk).start <= end; i++) {
      const next = hunks[i] as Hunk;
      region.push(next);
      end = Math.max(end, next.end);
    }
    out.push(...baseLines.slice(copied, start));
    copied = end;
    const oursHunks = region.filter((hunk) => hunk.side === 'ours');
    const theirsHunks = region.filter((hunk) => hunk.side === 'theirs');
    const oursLines = sideLines(baseLines, start, end, oursHunks);
    if (theirsHunks.length === 0) {
      out.push(...oursLines);
      continue;
    }
    const theirsLines = sideLines(baseLines, start, end, theirsHunks);
    if (oursHunks.length > 0 && !sameLines(oursLines, theirsLines)) {
      conflicts.push({ baseLine: start + 1, base: baseLines.slice(start, end), ours: oursLines, theirs: theirsLines });
      out.push(...oursLines);
    } else out.push(...theirsLines);
  }
  out.push(...baseLines.slice(copied));
  return { text: out.join(''), conflicts };
}
