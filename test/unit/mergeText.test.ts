import fc from 'fast-check';
import { mergeText } from '../../src/domain/versionControl/textMerge';

/** A text of the given lines, each ending in a line break. */
const text = (...lines: string[]): string => lines.map((line) => `${line}\n`).join('');

describe('three-way line merge', () => {
  const base = text('a', 'b', 'c', 'd', 'e', 'f', 'g');

  it('applies a change made on one side only, from either side', () => {
    const changed = text('a', 'B', 'c', 'd', 'e', 'f', 'g');
    expect(mergeText(base, changed, base)).toEqual({ text: changed, conflicts: [] });
    expect(mergeText(base, base, changed)).toEqual({ text: changed, conflicts: [] });
  });

  it('applies non-overlapping hunks of both sides', () => {
    const ours = text('a', 'B', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'c', 'd', 'e', 'F', 'g', 'h');
    expect(mergeText(base, ours, theirs)).toEqual({ text: text('a', 'B', 'c', 'd', 'e', 'F', 'g', 'h'), conflicts: [] });
  });

  it('applies insertions and deletions of both sides separated by an unchanged line', () => {
    const ours = text('a', 'b', 'x', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'c', 'e', 'f', 'g');
    expect(mergeText(base, ours, theirs)).toEqual({ text: text('a', 'b', 'x', 'c', 'e', 'f', 'g'), conflicts: [] });
  });

  it('applies the same change made on both sides once', () => {
    const both = text('a', 'B', 'c', 'd', 'E', 'f', 'g');
    expect(mergeText(base, both, both)).toEqual({ text: both, conflicts: [] });
    // The same hunk on both sides, plus a different one elsewhere on one side.
    const ours = text('a', 'B', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'B', 'c', 'd', 'e', 'F', 'g');
    expect(mergeText(base, ours, theirs)).toEqual({ text: text('a', 'B', 'c', 'd', 'e', 'F', 'g'), conflicts: [] });
  });

  it('reports overlapping different hunks as a conflict, keeping ours there and merging the rest', () => {
    const ours = text('a', 'B1', 'C1', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'C2', 'D2', 'e', 'f', 'G');
    expect(mergeText(base, ours, theirs)).toEqual({
      text: text('a', 'B1', 'C1', 'd', 'e', 'f', 'G'),
      conflicts: [{ baseLine: 2, base: ['b\n', 'c\n', 'd\n'], ours: ['B1\n', 'C1\n', 'd\n'], theirs: ['b\n', 'C2\n', 'D2\n'] }],
    });
  });

  it('reports hunks that touch (no unchanged line between them) as one conflict', () => {
    const ours = text('a', 'B', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'C', 'd', 'e', 'f', 'g');
    expect(mergeText(base, ours, theirs).conflicts).toEqual([
      { baseLine: 2, base: ['b\n', 'c\n'], ours: ['B\n', 'c\n'], theirs: ['b\n', 'C\n'] },
    ]);
  });

  it('reports an insertion right after the other side changed a line as a conflict', () => {
    const ours = text('a', 'B', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'x', 'c', 'd', 'e', 'f', 'g');
    expect(mergeText(base, ours, theirs).conflicts).toEqual([{ baseLine: 2, base: ['b\n'], ours: ['B\n'], theirs: ['b\n', 'x\n'] }]);
  });

  it('reports different insertions at the same place as a conflict, and the same insertion as none', () => {
    const ours = text('a', 'b', 'x', 'c', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'y', 'c', 'd', 'e', 'f', 'g');
    expect(mergeText(base, ours, theirs)).toEqual({
      text: ours,
      conflicts: [{ baseLine: 3, base: [], ours: ['x\n'], theirs: ['y\n'] }],
    });
    expect(mergeText(base, ours, ours)).toEqual({ text: ours, conflicts: [] });
  });

  it('reports different lines appended at the end as a conflict past the last line', () => {
    const merged = mergeText(base, `${base}x\n`, `${base}y\n`);
    expect(merged.conflicts).toEqual([{ baseLine: 8, base: [], ours: ['x\n'], theirs: ['y\n'] }]);
  });

  it('reports a deletion against a change of the same line as a conflict', () => {
    const ours = text('a', 'b', 'd', 'e', 'f', 'g');
    const theirs = text('a', 'b', 'C', 'd', 'e', 'f', 'g');
    expect(mergeText(base, ours, theirs).conflicts).toEqual([{ baseLine: 3, base: ['c\n'], ours: [], theirs: ['C\n'] }]);
  });

  it('treats a last line without a line break as its own line', () => {
    // Adding the final line break changes the last line: it merges with an edit two lines up, not with one right above.
    expect(mergeText('a\nb\nc', 'a\nb\nc\n', 'A\nb\nc')).toEqual({ text: 'A\nb\nc\n', conflicts: [] });
    expect(mergeText('a\nb', 'a\nb\n', 'A\nb').conflicts).toHaveLength(1);
    expect(mergeText('a', 'a\n', 'a\nz').conflicts).toHaveLength(1);
  });

  it('merges from and into empty texts', () => {
    expect(mergeText('', 'x\n', '')).toEqual({ text: 'x\n', conflicts: [] });
    expect(mergeText('', '', 'y\n')).toEqual({ text: 'y\n', conflicts: [] });
    expect(mergeText(text('a'), '', text('a'))).toEqual({ text: '', conflicts: [] });
    expect(mergeText('', 'x\n', 'y\n').conflicts).toEqual([{ baseLine: 1, base: [], ours: ['x\n'], theirs: ['y\n'] }]);
  });

  describe('properties', () => {
    // Few distinct short lines, so sides share lines and diffs find real common subsequences.
    const lineArb = fc.constantFrom('a\n', 'b\n', 'c\n', 'd\n', 'e\n', 'f');
    const fullLineArb = fc.constantFrom('a\n', 'b\n', 'c\n');
    const textArb = fc.array(lineArb, { maxLength: 12 }).map((lines) => lines.join(''));
    const params = { numRuns: 200 };

    it('merging into an unchanged side gives the other side', () =>
      fc.assert(
        fc.property(textArb, textArb, (base, source) => {
          expect(mergeText(base, base, source)).toEqual({ text: source, conflicts: [] });
          expect(mergeText(base, source, base)).toEqual({ text: source, conflicts: [] });
        }),
        params,
      ));

    it('the same edit on both sides merges cleanly to it', () =>
      fc.assert(
        fc.property(textArb, textArb, (base, edited) => expect(mergeText(base, edited, edited)).toEqual({ text: edited, conflicts: [] })),
        params,
      ));

    it('a clean merge is the same with the sides swapped; a conflict is one either way round', () =>
      fc.assert(
        fc.property(textArb, textArb, textArb, (base, ours, theirs) => {
          const forward = mergeText(base, ours, theirs);
          const backward = mergeText(base, theirs, ours);
          expect(backward.conflicts.length === 0).toBe(forward.conflicts.length === 0);
          if (forward.conflicts.length === 0) expect(backward.text).toBe(forward.text);
          else expect(backward.conflicts.map((c) => [c.baseLine, c.base])).toEqual(forward.conflicts.map((c) => [c.baseLine, c.base]));
        }),
        params,
      ));

    it('edits of disjoint line ranges separated by an untouched line merge cleanly to both edits', () =>
      fc.assert(
        fc.property(
          fc.array(fullLineArb, { minLength: 3, maxLength: 12 }),
          fc.array(fullLineArb, { maxLength: 3 }),
          fc.array(fullLineArb, { maxLength: 3 }),
          fc.nat(),
          (lines, oursLines, theirsLines, cut) => {
            // Ours rewrites the part before a marker line, theirs the part after it; the marker never changes.
            const at = cut % lines.length;
            const before = lines.slice(0, at);
            const after = lines.slice(at);
            const marker = 'MARKER\n';
            const base = [...before, marker, ...after].join('');
            const ours = [...oursLines, marker, ...after].join('');
            const theirs = [...before, marker, ...theirsLines].join('');
            const expected = [...oursLines, marker, ...theirsLines].join('');
            expect(mergeText(base, ours, theirs)).toEqual({ text: expected, conflicts: [] });
            expect(mergeText(base, theirs, ours)).toEqual({ text: expected, conflicts: [] });
          },
        ),
        params,
      ));
  });
});
