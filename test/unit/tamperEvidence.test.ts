import { Readable } from 'node:stream';
import { AuditBundleWriter, BUNDLE_FORMAT, verifyBundle } from '../../src/application/auditBundle';
import { ChainFollower, formatAnchor, parseAnchor, type ChainEvent } from '../../src/application/verification';
import { sealEvents } from '../../src/eventStore/hashChain';
import type { JsonObject } from '../../src/eventStore/json';
import type { RecordedEvent } from '../../src/eventStore/port';
import { prepareAppend } from '../../src/eventStore/appendRules';

/*
 * The pure parts of tamper evidence: following a chain event by event, the anchor's notation, and
 * the audit bundle's offline check, on events sealed by the store's own hashChain.
 */

function sealedStream(stream: string, count: number, firstPosition = 1): ChainEvent[] {
  const { events } = prepareAppend(
    stream,
    Array.from({ length: count }, (_, n) => ({ type: 'Noted', data: { n } })),
    'any',
  );
  return sealEvents(stream, undefined, events).map((event, i) => ({
    id: event.id,
    stream,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: event.metadata as JsonObject,
    position: { commit: BigInt(firstPosition + i), prepare: BigInt(firstPosition + i) },
  }));
}

const follow = (events: ChainEvent[], options?: { startsMidStream?: boolean }): Array<[string, bigint | undefined]> => {
  const follower = new ChainFollower((events[0] as ChainEvent).stream, options);
  return events.flatMap((event) => follower.next(event)).map((f) => [f.problem, f.revision]);
};

describe('ChainFollower', () => {
  const events = sealedStream('mci-1', 4);

  it('accepts an intact chain', () => {
    expect(follow(events)).toEqual([]);
  });

  it('names a changed event, a broken link, a gap and a move', () => {
    const changed = events.map((e, i) => (i === 1 ? { ...e, data: { n: 'x' } } : e));
    expect(follow(changed)).toEqual([['hash mismatch', 1n]]);
    const relinked = events.map((e, i) => (i === 2 ? { ...e, metadata: { ...e.metadata, prevHash: 'f'.repeat(64) } } : e));
    expect(follow(relinked)).toEqual([
      ['hash mismatch', 2n],
      ['chain broken', 2n],
    ]);
    expect(follow([events[0], events[2], events[3]] as ChainEvent[])).toEqual([['missing event', 1n]]);
    const moved = events.map((e, i) => (i === 2 ? { ...e, position: { commit: 0n, prepare: 0n } } : e));
    expect(follow(moved)).toEqual([['out of order', 2n]]);
  });

  it('starts an excerpt from its first prevHash as given, except at revision 0', () => {
    expect(follow(events.slice(2), { startsMidStream: true })).toEqual([]);
    expect(follow(events.slice(2))).toEqual([['missing event', 0n]]);
    const forgedStart = { ...(events[0] as ChainEvent), metadata: { ...(events[0] as ChainEvent).metadata, prevHash: 'a'.repeat(64) } };
    expect(follow([forgedStart], { startsMidStream: true })).toEqual([
      ['hash mismatch', 0n],
      ['chain broken', 0n],
    ]);
  });

  it('reports a stream shorter than the read models counted', () => {
    const follower = new ChainFollower('mci-1');
    for (const event of events) follower.next(event);
    expect(follower.end({ revision: 3n, eventCount: 4n })).toEqual([]);
    expect(follower.end({ revision: 5n, eventCount: 6n }).map((f) => [f.problem, f.revision, f.detail])).toEqual([
      [
        'missing event',
        4n,
        'the read models recorded revision 5 (6 events), but the log ends at revision 3: its newest 2 events were removed',
      ],
    ]);
  });
});

describe('anchors', () => {
  it('round-trips and refuses anything else', () => {
    const anchor = { count: 12, digest: 'ab'.repeat(32) };
    expect(parseAnchor(formatAnchor(anchor))).toEqual(anchor);
    for (const bad of ['12', `x:${'ab'.repeat(32)}`, `12:${'AB'.repeat(32)}`, `012:${'ab'.repeat(32)}`, `12:${'ab'.repeat(31)}`]) {
      expect(parseAnchor(bad)).toBeUndefined();
    }
  });
});

describe('the audit bundle', () => {
  const recorded = (event: ChainEvent): RecordedEvent => ({
    ...event,
    metadata: event.metadata as RecordedEvent['metadata'],
    position: event.position as RecordedEvent['position'],
    cursor: `c${event.position?.commit}`,
    recordedAt: new Date(0),
  });

  async function bundleOf(events: ChainEvent[], since?: string): Promise<string[]> {
    const lines: string[] = [];
    const writer = new AuditBundleWriter(async (line) => void lines.push(line.trimEnd()));
    await writer.header({
      selection: { stream: 'mci-1', ...(since ? { since } : {}) },
      upTo: null,
      createdAt: '2024-01-01T00:00:00.000Z',
      createdBy: 'test',
      eventStore: 'sqlite',
    });
    for (const event of events) await writer.event(recorded(event));
    await writer.finish();
    return lines;
  }
  const check = (lines: string[]): ReturnType<typeof verifyBundle> => verifyBundle(Readable.from(lines));
  const problemsOf = async (lines: string[]): Promise<string[]> =>
    (await check(lines)).problems.map((p) => `${p.line ?? '-'} ${p.problem}`);

  it('verifies what it wrote, with CRLF line ends too', async () => {
    const lines = await bundleOf(sealedStream('mci-1', 3));
    const result = await check(lines);
    expect(result).toMatchObject({ ok: true, eventsChecked: 3, problemCount: 0 });
    expect(result.header).toMatchObject({ kind: 'header', format: BUNDLE_FORMAT, version: 1 });
    expect((await check(lines.map((l) => `${l}\r`))).ok).toBe(true);
  });

  it('refuses malformed, unknown and misplaced lines', async () => {
    const lines = await bundleOf(sealedStream('mci-1', 2));
    expect(await problemsOf([lines[0] as string, 'not json', ...lines.slice(1)])).toEqual(['2 malformed', '5 digest mismatch']);
    expect(await problemsOf([lines[0] as string, '{"kind":"note"}', ...lines.slice(1)])).toEqual(['2 malformed', '5 digest mismatch']);
    expect(await problemsOf([lines[0] as string, '{"kind":"event","stream":"mci-1"}', ...lines.slice(1)])).toEqual([
      '2 malformed',
      '5 digest mismatch',
    ]);
    expect(await problemsOf([...lines, lines[1] as string])).toEqual(['5 malformed']);
    // Without its header, the first event stands where the header must be.
    expect(await problemsOf(lines.slice(1))).toEqual([
      '1 malformed',
      '2 missing event',
      '3 count mismatch',
      '3 count mismatch',
      '3 count mismatch',
      '3 digest mismatch',
    ]);
    const newer = [(lines[0] as string).replace('"version":1', '"version":2'), ...lines.slice(1)];
    expect((await check(newer)).problems[0]?.detail).toBe('bundle format version 2: this build reads version 1');
    expect(await problemsOf([])).toEqual(['- incomplete']);
  });

  it('catches a trailer that doesn’t match the lines', async () => {
    const lines = await bundleOf(sealedStream('mci-1', 2));
    const trailer = JSON.parse(lines[3] as string) as Record<string, unknown>;
    const recount = [...lines.slice(0, 3), JSON.stringify({ ...trailer, events: 5 })];
    expect(await problemsOf(recount)).toEqual(['4 count mismatch']);
    const dropped = [lines[0], lines[1], JSON.stringify(trailer)] as string[];
    expect(await problemsOf(dropped)).toEqual([
      '3 count mismatch',
      '3 count mismatch',
      '3 count mismatch',
      '3 missing event',
      '3 digest mismatch',
    ]);
  });

  it('checks a bundle exported since a cursor from its first event’s prevHash', async () => {
    const lines = await bundleOf(sealedStream('mci-1', 4).slice(2), 'c2');
    expect((await check(lines)).ok).toBe(true);
  });
});
