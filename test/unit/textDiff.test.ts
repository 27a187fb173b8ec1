import {
  NO_NEWLINE_MARKER,
  diffLines,
  diffSequences,
  diffText,
  hunksOf,
  renderUnified,
  splitLines,
  textFieldChanges,
  type LineEdit,
} from '../../src/domain/versionControl/textDiff';

const lines = (count: number, label = 'line'): string => Array.from({ length: count }, (_, i) => `${label} ${i + 1}\n`).join('');
const replaceLine = (text: string, lineNumber: number, replacement: string): string => {
  const all = splitLines(text);
  all[lineNumber - 1] = replacement;
  return all.join('');
};

/** Applying the script must give both texts back, and each index must point at its line. */
function expectConsistent(from: string, to: string, edits: readonly LineEdit[]): void {
  expect(
    edits
      .filter((e) => e.kind !== 'added')
      .map((e) => e.line)
      .join(''),
  ).toBe(from);
  expect(
    edits
      .filter((e) => e.kind !== 'removed')
      .map((e) => e.line)
      .join(''),
  ).toBe(to);
  const fromLines = splitLines(from);
  const toLines = splitLines(to);
  const misplaced = edits.filter(
    (edit) =>
      (edit.kind !== 'added' && fromLines[edit.fromIndex] !== edit.line) ||
      (edit.kind !== 'removed' && toLines[edit.toIndex] !== edit.line),
  );
  expect(misplaced).toEqual([]);
}

/** Length of a longest common subsequence, by the textbook table: the yardstick for minimality. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = table[i] as number[];
      const above = table[i - 1] as number[];
      row[j] = a[i - 1] === b[j - 1] ? (above[j - 1] as number) + 1 : Math.max(above[j] as number, row[j - 1] as number);
    }
  }
  return (table[a.length] as number[])[b.length] as number;
}

/** A deterministic pseudo-random generator (mulberry32), so property cases are the same every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('splitLines', () => {
  it('keeps each line break with its line, and a last line without one as it is', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('a\n')).toEqual(['a\n']);
    expect(splitLines('a\n\nb')).toEqual(['a\n', '\n', 'b']);
    expect(splitLines('\n')).toEqual(['\n']);
    expect(splitLines('a\r\nb\r\n')).toEqual(['a\r\n', 'b\r\n']);
  });
});

describe('text diff: edit script', () => {
  it('keeps every line of equal texts', () => {
    const text = lines(5);
    const edits = diffLines(text, text);
    expect(edits.map((e) => e.kind)).toEqual(['kept', 'kept', 'kept', 'kept', 'kept']);
    expectConsistent(text, text, edits);
    expect(diffText(text, text)).toEqual([]);
  });

  it('has nothing to say about two empty texts', () => {
    expect(diffLines('', '')).toEqual([]);
    expect(diffText('', '')).toEqual([]);
  });

  it('removes before it adds where a line is replaced', () => {
    const edits = diffLines('a\nb\nc\n', 'a\nx\nc\n');
    expect(edits.map((e) => [e.kind, e.line])).toEqual([
      ['kept', 'a\n'],
      ['removed', 'b\n'],
      ['added', 'x\n'],
      ['kept', 'c\n'],
    ]);
    expect(edits[1]).toMatchObject({ fromIndex: 1, toIndex: 1 });
    expect(edits[2]).toMatchObject({ fromIndex: 2, toIndex: 1 });
  });

  it('finds a minimal script on many random pairs, and both texts come back from it', () => {
    const next = random(42);
    const alphabet = ['a\n', 'b\n', 'c\n', 'd\n', 'e'];
    const text = (): string[] => Array.from({ length: Math.floor(next() * 14) }, () => alphabet[Math.floor(next() * 4)] as string);
    for (let round = 0; round < 300; round++) {
      const from = text();
      const to = text();
      const edits = diffSequences(from, to);
      expectConsistent(from.join(''), to.join(''), edits);
      const changed = edits.filter((e) => e.kind !== 'kept').length;
      expect(changed).toBe(from.length + to.length - 2 * lcsLength(from, to));
    }
  });

  it('settles for a correct but coarse script when the work would exceed its budget', () => {
    const from = lines(50, 'old');
    const to = lines(50, 'new');
    const interleavedFrom = from.replace('old 25\n', 'shared\n');
    const interleavedTo = to.replace('new 25\n', 'shared\n');
    const coarse = diffLines(interleavedFrom, interleavedTo, { maxWork: 10 });
    expectConsistent(interleavedFrom, interleavedTo, coarse);
    expect(coarse.filter((e) => e.kind === 'kept')).toEqual([]);
    const exact = diffLines(interleavedFrom, interleavedTo);
    expect(exact.filter((e) => e.kind === 'kept').map((e) => e.line)).toEqual(['shared\n']);
  });

  it('rewrites a large source wholesale within its budget: every old line removed, every new one added', () => {
    const from = lines(20_000, 'old');
    const to = lines(20_000, 'new');
    const edits = diffLines(from, to);
    expectConsistent(from, to, edits);
    expect(edits.filter((e) => e.kind === 'removed')).toHaveLength(20_000);
    expect(diffText(from, to)).toHaveLength(1);
  });

  it('stays exact on a 256 KiB source with a few scattered edits (head and tail are trimmed first)', () => {
    const from = lines(20_000);
    expect(from.length).toBeGreaterThan(256 * 1024 - 100_000);
    let to = replaceLine(from, 3, 'changed 3\n');
    to = replaceLine(to, 10_000, 'changed 10000\n');
    to = replaceLine(to, 19_999, 'changed 19999\n');
    const edits = diffLines(from, to);
    expectConsistent(from, to, edits);
    expect(edits.filter((e) => e.kind !== 'kept')).toHaveLength(6);
    expect(hunksOf(edits).map((h) => [h.fromLine, h.fromCount, h.toLine, h.toCount])).toEqual([
      [1, 6, 1, 6],
      [9997, 7, 9997, 7],
      [19996, 5, 19996, 5],
    ]);
  });
});

describe('text diff: unified hunks', () => {
  it('adds every line to an empty text in one hunk starting at line 0 of the old text', () => {
    expect(diffText('', 'a\nb\n')).toEqual([{ fromLine: 0, fromCount: 0, toLine: 1, toCount: 2, lines: ['+a', '+b'] }]);
  });

  it('removes every line down to an empty text', () => {
    expect(diffText('a\nb\n', '')).toEqual([{ fromLine: 1, fromCount: 2, toLine: 0, toCount: 0, lines: ['-a', '-b'] }]);
  });

  it('shows a line that gained or lost its final line break, with the no-newline marker', () => {
    expect(diffText('a\nb', 'a\nb\n')).toEqual([
      { fromLine: 1, fromCount: 2, toLine: 1, toCount: 2, lines: [' a', '-b', NO_NEWLINE_MARKER, '+b'] },
    ]);
    expect(diffText('a\nb\n', 'a\nb')).toEqual([
      { fromLine: 1, fromCount: 2, toLine: 1, toCount: 2, lines: [' a', '-b', '+b', NO_NEWLINE_MARKER] },
    ]);
    expect(diffText('x\nend', 'y\nend')).toEqual([
      { fromLine: 1, fromCount: 2, toLine: 1, toCount: 2, lines: ['-x', '+y', ' end', NO_NEWLINE_MARKER] },
    ]);
  });

  it('inserts at the start with three lines of context after', () => {
    expect(diffText(lines(6), `first\n${lines(6)}`)).toEqual([
      { fromLine: 1, fromCount: 3, toLine: 1, toCount: 4, lines: ['+first', ' line 1', ' line 2', ' line 3'] },
    ]);
  });

  it('inserts at the end with three lines of context before', () => {
    expect(diffText(lines(6), `${lines(6)}last\n`)).toEqual([
      { fromLine: 4, fromCount: 3, toLine: 4, toCount: 4, lines: [' line 4', ' line 5', ' line 6', '+last'] },
    ]);
  });

  it('inserts in the middle: an empty old range starts on the line before', () => {
    const [hunk] = diffText(lines(10), lines(10).replace('line 5\n', 'line 5\nnew\n'), 0);
    expect(hunk).toEqual({ fromLine: 5, fromCount: 0, toLine: 6, toCount: 1, lines: ['+new'] });
  });

  it('gives changes far apart their own hunks', () => {
    const from = lines(30);
    const to = replaceLine(replaceLine(from, 2, 'two\n'), 28, 'twenty-eight\n');
    expect(diffText(from, to)).toEqual([
      { fromLine: 1, fromCount: 5, toLine: 1, toCount: 5, lines: [' line 1', '-line 2', '+two', ' line 3', ' line 4', ' line 5'] },
      {
        fromLine: 25,
        fromCount: 6,
        toLine: 25,
        toCount: 6,
        lines: [' line 25', ' line 26', ' line 27', '-line 28', '+twenty-eight', ' line 29', ' line 30'],
      },
    ]);
  });

  it('joins changes whose contexts touch (6 unchanged lines between) and splits them at 7', () => {
    const from = lines(30);
    const touching = replaceLine(replaceLine(from, 10, 'x\n'), 17, 'y\n');
    expect(diffText(from, touching)).toHaveLength(1);
    expect(diffText(from, touching)[0]).toMatchObject({ fromLine: 7, fromCount: 14, toLine: 7, toCount: 14 });
    const apart = replaceLine(replaceLine(from, 10, 'x\n'), 18, 'y\n');
    expect(diffText(from, apart).map((h) => [h.fromLine, h.fromCount])).toEqual([
      [7, 7],
      [15, 7],
    ]);
  });

  it('counts shifted line numbers in the new text after earlier insertions', () => {
    const from = lines(30);
    const to = replaceLine(from, 1, 'zero\nline 1\n').replace('line 25\n', 'changed\n');
    expect(diffText(from, to).map((h) => [h.fromLine, h.fromCount, h.toLine, h.toCount])).toEqual([
      [1, 3, 1, 4],
      [22, 7, 23, 7],
    ]);
  });

  it('renders unified text, with file labels when given', () => {
    const hunks = diffText('a\nb\nc\n', 'a\nB\nc\n');
    expect(renderUnified(hunks)).toBe('@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(renderUnified(hunks, { from: 'rs@1', to: 'rs@2' })).toBe('--- rs@1\n+++ rs@2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(renderUnified([])).toBe('');
  });

  it('treats a CRLF line as different from the same LF line', () => {
    expect(diffText('a\r\nb\n', 'a\nb\n')).toEqual([{ fromLine: 1, fromCount: 2, toLine: 1, toCount: 2, lines: ['-a\r', '+a', ' b'] }]);
  });
});

describe('textFieldChanges', () => {
  it('is one CHANGED entry with hunks when the texts differ, nothing when equal', () => {
    expect(textFieldChanges('source', 'x\n', 'x\n')).toEqual([]);
    expect(textFieldChanges('source', 'x\n', 'y\n')).toEqual([
      {
        path: 'source',
        kind: 'CHANGED',
        before: 'x\n',
        after: 'y\n',
        hunks: [{ fromLine: 1, fromCount: 1, toLine: 1, toCount: 1, lines: ['-x', '+y'] }],
      },
    ]);
  });
});
