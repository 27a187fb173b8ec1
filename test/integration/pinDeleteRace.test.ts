import { DEFAULT_ACCOUNT_ID } from '../../src/application/bootstrap';
import { pinLockKey, pinLocksOf } from '../../src/application/pinLocks';
import type { PinnedKind } from '../../src/domain/serverTemplates/serverTemplate.types';
import type { AppendOptions, AppendResult, EventStore, NewEvent } from '../../src/eventStore/port';
import { ok } from '../support/api';
import { eventually } from '../support/async';
import { ADMIN, graphql, startTestService, type GraphQLResponse, type TestService } from '../support/service';
import { ADD_MCI, BIND, CLONE, createMci, createScript, createTemplate, EAST, REMOVE_MCI } from './serverTemplatesFixtures';

/*
 * The IN_USE race (domain.md: "An MCI referenced by any ServerTemplate revision or HEAD can't be
 * deleted"): a delete checks the pins (a read model), then appends to the component's stream; a
 * template command reads the component from its stream, then appends its pin to the template's stream.
 * Each interleaving is forced deterministically: the real store's append is held at a gate for the
 * chosen stream (the command has done all its reading by then), the other command is started, and the
 * test waits until that one is either finished or queued on the component's pin lock. Whichever of the
 * two comes second must see the first's write: never both succeed.
 */

interface Gate {
  /** Resolves once an append to a gated stream arrived (and is held). */
  readonly reached: Promise<string>;
  release(): void;
  restore(): void;
}

/** Holds the first append to a stream `matches` picks until `release()`; every other append passes. */
function gateAppends(store: EventStore, matches: (stream: string) => boolean): Gate {
  const original = store.append.bind(store);
  let onReached!: (stream: string) => void;
  const reached = new Promise<string>((resolve) => {
    onReached = resolve;
  });
  let onRelease!: () => void;
  const released = new Promise<void>((resolve) => {
    onRelease = resolve;
  });
  let held = false;
  const spy = jest
    .spyOn(store, 'append')
    .mockImplementation(async (stream: string, events: readonly NewEvent[], options: AppendOptions) => {
      if (!held && matches(stream)) {
        held = true;
        onReached(stream);
        await released;
      }
      return original(stream, events, options) as Promise<AppendResult>;
    });
  return { reached, release: onRelease, restore: () => spy.mockRestore() };
}

interface Settled {
  done: boolean;
  response?: GraphQLResponse;
}

function track(promise: Promise<GraphQLResponse>): { settled: Settled; promise: Promise<GraphQLResponse> } {
  const settled: Settled = { done: false };
  return {
    settled,
    promise: promise.then((response) => {
      settled.done = true;
      settled.response = response;
      return response;
    }),
  };
}

const codeOf = (response: GraphQLResponse): unknown => response.body.errors?.[0]?.extensions?.['code'] ?? 'OK';

const DELETE_OF: Record<PinnedKind, string> = {
  MultiCloudImage: `mutation($id: ID!) { deleteMultiCloudImage(id: $id) }`,
  RightScript: `mutation($id: ID!) { deleteRightScript(id: $id) }`,
};
const STREAM_OF: Record<PinnedKind, (id: string) => string> = {
  MultiCloudImage: (id) => `mci-${id}`,
  RightScript: (id) => `rightscript-${id}`,
};

describe('deleting a component races a template command that pins it', () => {
  let service: TestService;
  let store: EventStore;
  beforeAll(async () => {
    service = await startTestService();
    store = service.services.store;
  });
  afterAll(() => service.stop());

  /** Waits until the other command either finished or is queued behind the holder of the component's pin lock. */
  async function blockedOrDone(kind: PinnedKind, id: string, other: Settled): Promise<void> {
    await eventually(
      () => other.done || pinLocksOf(store).holdersAndWaiters(pinLockKey(kind, id)) >= 2,
      'the second command to finish or queue',
    );
  }

  /** The pinning commands, each given a fresh target component and a template it may edit. */
  const pinningCommands: Array<{ name: string; kind: PinnedKind; run: (target: string, template: string) => Promise<GraphQLResponse> }> = [
    {
      name: 'createServerTemplate',
      kind: 'MultiCloudImage',
      run: (target) =>
        graphql(
          service.url,
          `
            mutation ($m: ID!) {
              createServerTemplate(input: { name: "racer", multiCloudImageId: $m }) {
                id
              }
            }
          `,
          { m: target },
          ADMIN,
        ),
    },
    {
      name: 'addTemplateMultiCloudImage',
      kind: 'MultiCloudImage',
      run: (target, template) => graphql(service.url, ADD_MCI, { templateId: template, mci: target }, ADMIN),
    },
    {
      name: 'bindRightScript',
      kind: 'RightScript',
      run: (target, template) => graphql(service.url, BIND, { templateId: template, script: target, sequence: 'BOOT' }, ADMIN),
    },
  ];

  async function fixture(kind: PinnedKind): Promise<{ target: string; template: string }> {
    const base = await createMci(service.url, 'base', [EAST]);
    const template = (await createTemplate(service.url, 'T', base)).id;
    const target = kind === 'MultiCloudImage' ? await createMci(service.url, 'target', [EAST]) : await createScript(service.url, 'target');
    return { target, template };
  }

  /** Does any template (HEAD or revision) of the account pin the component, according to the pins read model? */
  const pinnedBy = (kind: PinnedKind, id: string): number =>
    service.services.queries.serverTemplates.usedBy(DEFAULT_ACCOUNT_ID, kind, [id]).length;

  describe.each(pinningCommands)('$name', ({ kind, run }) => {
    it('pin first: a delete arriving while the pin is being written waits for it and is refused IN_USE', async () => {
      const { target, template } = await fixture(kind);
      const gate = gateAppends(store, (stream) => stream.startsWith('template-'));
      try {
        const pin = track(run(target, template));
        await gate.reached;
        const headBefore = await store.headPosition();
        const deletion = track(graphql(service.url, DELETE_OF[kind], { id: target }, ADMIN));
        await blockedOrDone(kind, target, deletion.settled);
        // The delete must not have decided while the pin it can't see yet was in flight.
        expect({ deleteFinished: deletion.settled.done, answer: deletion.settled.response?.body }).toEqual({
          deleteFinished: false,
          answer: undefined,
        });
        expect(await store.headPosition()).toEqual(headBefore);
        gate.release();
        expect(codeOf(await pin.promise)).toBe('OK');
        const refused = await deletion.promise;
        expect(codeOf(refused)).toBe('IN_USE');
      } finally {
        gate.release();
        gate.restore();
      }
      // The component is still there, and pinned.
      expect((await store.readStream(STREAM_OF[kind](target))).map((e) => e.type)).not.toContain('ComponentDeleted');
      expect(pinnedBy(kind, target)).toBeGreaterThan(0);
    });

    it('delete first: a pin arriving while the delete is being written waits for it and is refused NOT_FOUND', async () => {
      const { target, template } = await fixture(kind);
      const gate = gateAppends(store, (stream) => stream === STREAM_OF[kind](target));
      try {
        const deletion = track(graphql(service.url, DELETE_OF[kind], { id: target }, ADMIN));
        await gate.reached;
        const headBefore = await store.headPosition();
        const pin = track(run(target, template));
        await blockedOrDone(kind, target, pin.settled);
        expect({ pinFinished: pin.settled.done, answer: pin.settled.response?.body }).toEqual({ pinFinished: false, answer: undefined });
        expect(await store.headPosition()).toEqual(headBefore);
        gate.release();
        expect(codeOf(await deletion.promise)).toBe('OK');
        expect(codeOf(await pin.promise)).toBe('NOT_FOUND');
      } finally {
        gate.release();
        gate.restore();
      }
      expect(pinnedBy(kind, target)).toBe(0);
    });
  });

  it('a clone of a template pins what the source pinned: the source letting go meanwhile does not let the delete through', async () => {
    // T pins `base` (default) and `target`; T is cloned while T drops `target` and `target` is deleted.
    const { target, template } = await fixture('MultiCloudImage');
    await ok(service.url, ADD_MCI, { templateId: template, mci: target });
    const gate = gateAppends(store, (stream) => stream.startsWith('template-') && stream !== `template-${template}`);
    try {
      const clone = track(graphql(service.url, CLONE, { id: template, name: 'clone' }, ADMIN));
      await gate.reached;
      await ok(service.url, REMOVE_MCI, { templateId: template, mci: target });
      const deletion = track(graphql(service.url, DELETE_OF.MultiCloudImage, { id: target }, ADMIN));
      await blockedOrDone('MultiCloudImage', target, deletion.settled);
      expect(deletion.settled.done).toBe(false);
      gate.release();
      expect(codeOf(await clone.promise)).toBe('OK');
      expect(codeOf(await deletion.promise)).toBe('IN_USE');
    } finally {
      gate.release();
      gate.restore();
    }
  });

  it('never lets both win when the two are simply fired together, many times', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 25; round++) {
      const { target, template } = await fixture('MultiCloudImage');
      const [pin, deletion] = await Promise.all([
        graphql(service.url, ADD_MCI, { templateId: template, mci: target }, ADMIN),
        graphql(service.url, DELETE_OF.MultiCloudImage, { id: target }, ADMIN),
      ]);
      const outcome = `${String(codeOf(pin))}/${String(codeOf(deletion))}`;
      outcomes.add(outcome);
      // Exactly one of them wins; the loser says why.
      expect(['OK/IN_USE', 'NOT_FOUND/OK']).toContain(outcome);
      expect(pinnedBy('MultiCloudImage', target) > 0).toBe(outcome === 'OK/IN_USE');
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
