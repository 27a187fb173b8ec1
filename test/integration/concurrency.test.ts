import { randomUUID } from 'node:crypto';
import { contentHash } from '../../src/application/components';
import { parseMultiCloudImageEvent } from '../../src/application/multiCloudImages';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fold } from '../../src/domain/decider';
import {
  multiCloudImageDecider,
  type MultiCloudImageContent,
  type MultiCloudImageState,
} from '../../src/domain/multiCloudImages/multiCloudImage';
import type { RecordedEvent } from '../../src/eventStore/port';
import { ok } from '../support/api';
import { withTimeout } from '../support/async';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdbTestServer';
import { ADMIN, graphql, startTestService, type GraphQLResponse, type TestService } from '../support/service';
import { ADD_MCI, createMci, createTemplate, DFW, EAST, EU, GCE } from './serverTemplatesFixtures';

/*
 * Many clients writing one MultiCloud Image at once, over real HTTP, on both event stores. What must
 * hold whatever the interleaving: with `expectedVersion` each version is won by exactly one writer and
 * every other gets VERSION_CONFLICT (no lost update); without it every write applies, one after the
 * other; a commit freezes exactly the HEAD of the moment it is appended; the state folded from the
 * stored events, the read model and every response agree.
 */

const CLIENTS = 50;
/** Read-modify-write clients cost O(n²) requests (each win makes every other writer read again): fewer of them. */
const READ_MODIFY_WRITE_CLIENTS = 12;
const CLOUDS = [EAST, EU, DFW, GCE] as const;
const MCI_FIELDS = 'id version name description settings { cloud { id } image { id } instanceType { id } userData }';

interface MciView {
  id: string;
  version: number;
  name: string;
  description: string;
  settings: Array<{ cloud: { id: string }; image: { id: string }; instanceType: { id: string }; userData: string | null }>;
}

/** What a view and a folded state share, in one comparable shape. */
interface Comparable {
  name: string;
  description: string;
  settings: Record<string, { imageId: string; instanceTypeId: string; userData: string | null }>;
}

const fromView = (view: Pick<MciView, 'name' | 'description' | 'settings'>): Comparable => ({
  name: view.name,
  description: view.description,
  settings: Object.fromEntries(
    view.settings.map((s) => [s.cloud.id, { imageId: s.image.id, instanceTypeId: s.instanceType.id, userData: s.userData }]),
  ),
});

const fromContent = (content: MultiCloudImageContent): Comparable => ({
  name: content.name,
  description: content.description,
  settings: Object.fromEntries(
    Object.values(content.settings).map((s) => [s.cloudId, { imageId: s.imageId, instanceTypeId: s.instanceTypeId, userData: s.userData }]),
  ),
});

function headOf(state: MultiCloudImageState): MultiCloudImageContent {
  if (state.status !== 'active') throw new Error(`expected an active MCI, got ${state.status}`);
  return state.head;
}

const codeOf = (response: GraphQLResponse): string => String(response.body.errors?.[0]?.extensions?.['code'] ?? 'OK');

/** Each request of a burst must be answered within this (a hang fails naming the request; speed is not measured). */
const REQUEST_TIMEOUT_MS = 20_000;

/** Sends a mutation with a request id of its own, so its events can be found by their correlation id. */
async function send(
  url: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ requestId: string; response: GraphQLResponse<Record<string, MciView>> }> {
  const requestId = randomUUID();
  const response = await withTimeout(
    graphql<Record<string, MciView>>(url, query, variables, { ...ADMIN, 'x-request-id': requestId }),
    REQUEST_TIMEOUT_MS,
    `the answer to request ${requestId} (${query.slice(0, 40)}…)`,
  );
  return { requestId, response };
}

const UPDATE = `mutation($input: UpdateMultiCloudImageInput!) { updateMultiCloudImage(input: $input) { ${MCI_FIELDS} } }`;
const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { ${MCI_FIELDS} } }`;
const COMMIT = `mutation($id: ID!, $message: String!) { commitMultiCloudImage(id: $id, message: $message) { revision } }`;
const GET = `query($id: ID!, $revision: Int) { multiCloudImage(id: $id, revision: $revision) { ${MCI_FIELDS} } }`;
const CLONE = `mutation($id: ID!, $revision: Int) { cloneMultiCloudImage(id: $id, revision: $revision) { id name clonedFrom { id revision } } }`;
const CREATE = `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id name version } }`;

const setups: Array<{ name: string; start: () => Promise<{ service: TestService; esdb?: EsdbTestServer }> }> = [
  { name: 'embedded SQLite', start: async () => ({ service: await startTestService() }) },
  {
    name: 'EventStoreDB',
    start: async () => {
      const esdb = await startEsdbTestServer();
      return { esdb, service: await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url }) };
    },
  },
];

describe.each(setups)('$name: concurrent writers of one MultiCloud Image', ({ start }) => {
  let service: TestService;
  let esdb: EsdbTestServer | undefined;
  beforeAll(async () => {
    ({ service, esdb } = await start());
  });
  afterAll(async () => {
    await service.stop();
    await esdb?.close();
  });

  const stream = (id: string): string => `mci-${id}`;
  const recorded = (id: string): Promise<RecordedEvent[]> => service.services.store.readStream(stream(id));
  const folded = async (id: string, upTo?: number): Promise<MultiCloudImageState> =>
    fold(multiCloudImageDecider, (await recorded(id)).slice(0, upTo).map(parseMultiCloudImageEvent));
  const view = async (id: string, revision?: number): Promise<MciView> =>
    (await ok<{ multiCloudImage: MciView }>(service.url, GET, { id, revision })).multiCloudImage;

  /** The read model's HEAD equals the fold of the stored events, and its version is the stream's last revision. */
  async function expectReadModelEqualsFold(id: string): Promise<void> {
    const events = await recorded(id);
    const head = await view(id);
    expect(fromView(head)).toEqual(fromContent(headOf(fold(multiCloudImageDecider, events.map(parseMultiCloudImageEvent)))));
    expect(head.version).toBe(events.length - 1);
  }

  /** The revision of the one event a request wrote to the stream (found by its correlation id). */
  async function writtenBy(id: string, requestIds: readonly string[]): Promise<Map<string, number[]>> {
    const byRequest = new Map<string, number[]>(requestIds.map((r) => [r, []]));
    for (const event of await recorded(id)) byRequest.get(String(event.metadata.correlationId))?.push(Number(event.revision));
    return byRequest;
  }

  it(`${CLIENTS} clients sending the same expectedVersion: exactly one applies, every other gets VERSION_CONFLICT and writes nothing`, async () => {
    const id = await createMci(service.url, 'Contended', [EAST]);
    const { version } = await view(id);
    const sent = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        send(service.url, UPDATE, { input: { id, description: `client ${i}`, expectedVersion: version } }),
      ),
    );
    const codes = sent.map(({ response }) => codeOf(response));
    expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
    expect(codes.filter((code) => code === 'VERSION_CONFLICT')).toHaveLength(CLIENTS - 1);
    const winner = sent[codes.indexOf('OK')] as (typeof sent)[number];
    const events = await recorded(id);
    expect(events).toHaveLength(version + 2);
    expect(events[version + 1]?.metadata.correlationId).toBe(winner.requestId);
    expect(winner.response.body.data?.['updateMultiCloudImage']?.version).toBe(version + 1);
    expect((await view(id)).description).toBe(winner.response.body.data?.['updateMultiCloudImage']?.description);
    for (const { response } of sent.filter((_, i) => codes[i] !== 'OK')) {
      expect(response.body.errors?.[0]?.message).toBe(
        `expectedVersion ${version} is out of date: it is at version ${version + 1} now; read it again and retry`,
      );
    }
    await expectReadModelEqualsFold(id);
  });

  it(`${READ_MODIFY_WRITE_CLIENTS} clients each reading, changing and writing back with expectedVersion until it applies: no update is lost`, async () => {
    const id = await createMci(service.url, 'Counter', [EAST]);
    const start = (await view(id)).version;
    const attempts: Array<{ client: number; expected: number; code: string; requestId: string }> = [];
    const client = async (i: number): Promise<void> => {
      for (let attempt = 0; attempt < 10 * READ_MODIFY_WRITE_CLIENTS; attempt++) {
        const current = await view(id);
        const { requestId, response } = await send(service.url, UPDATE, {
          input: { id, description: `${current.description}[${i}]`, expectedVersion: current.version },
        });
        const code = codeOf(response);
        attempts.push({ client: i, expected: current.version, code, requestId });
        if (code === 'OK') return;
        expect(code).toBe('VERSION_CONFLICT');
      }
      throw new Error(`client ${i} never got its write in`);
    };
    await Promise.all(Array.from({ length: READ_MODIFY_WRITE_CLIENTS }, (_, i) => client(i)));

    const wins = attempts.filter((a) => a.code === 'OK');
    expect(wins).toHaveLength(READ_MODIFY_WRITE_CLIENTS);
    // Each version was won by exactly one writer, and its event sits right after the version it read.
    expect(new Set(wins.map((w) => w.expected)).size).toBe(READ_MODIFY_WRITE_CLIENTS);
    const written = await writtenBy(
      id,
      attempts.map((a) => a.requestId),
    );
    for (const attempt of attempts) {
      expect({ attempt: attempt.requestId, revisions: written.get(attempt.requestId) }).toEqual({
        attempt: attempt.requestId,
        revisions: attempt.code === 'OK' ? [attempt.expected + 1] : [],
      });
    }
    const final = await view(id);
    expect(final.version).toBe(start + READ_MODIFY_WRITE_CLIENTS);
    // Every client's mark made it into the final description: no read-modify-write overwrote another.
    expect([...final.description.matchAll(/\[(\d+)\]/gu)].map((m) => Number(m[1])).sort((a, b) => a - b)).toEqual(
      Array.from({ length: READ_MODIFY_WRITE_CLIENTS }, (_, i) => i),
    );
    await expectReadModelEqualsFold(id);
  });

  it(`${CLIENTS} clients without expectedVersion: every write applies, one after the other, and each answer is HEAD as of its version`, async () => {
    const id = await createMci(service.url, 'Serial', [EAST]);
    const start = (await view(id)).version;
    const sent = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        i % 2 === 0
          ? send(service.url, UPDATE, { input: { id, description: `writer ${i}` } })
          : send(service.url, MAP, {
              input: {
                multiCloudImageId: id,
                cloudId: CLOUDS[i % CLOUDS.length],
                imageId: starterImageId(CLOUDS[i % CLOUDS.length] as string, STARTER_IMAGE_NAMES.centosX64),
                instanceTypeId: starterInstanceTypeId(CLOUDS[i % CLOUDS.length] as string, 'large'),
                userData: `writer ${i}`,
              },
            }),
      ),
    );
    expect(sent.map(({ response }) => codeOf(response))).toEqual(Array(CLIENTS).fill('OK'));
    // Each write is exactly one event, and the events are the writes in one serial order.
    const written = await writtenBy(
      id,
      sent.map((s) => s.requestId),
    );
    const revisions = sent.map(({ requestId }) => written.get(requestId) ?? []);
    expect(revisions.every((r) => r.length === 1)).toBe(true);
    expect(revisions.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: CLIENTS }, (_, i) => start + 1 + i));
    // Every answer shows HEAD exactly as the fold has it at the version the answer names (its own write included).
    for (const [index, { response }] of sent.entries()) {
      const answer = Object.values(response.body.data ?? {})[0] as MciView;
      const ownRevision = (revisions[index] as number[])[0] as number;
      expect(answer.version).toBeGreaterThanOrEqual(ownRevision);
      expect(fromView(answer)).toEqual(fromContent(headOf(await folded(id, answer.version + 1))));
    }
    await expectReadModelEqualsFold(id);
  });

  it('commits racing edits: every committed revision holds exactly the HEAD of the moment it was committed', async () => {
    const id = await createMci(service.url, 'Committed under fire', [EAST]);
    const requests = Array.from({ length: CLIENTS }, (_, i) => {
      const cloud = CLOUDS[i % CLOUDS.length] as string;
      if (i % 5 === 0) return send(service.url, COMMIT, { id, message: `commit ${i}` });
      if (i % 5 === 1) return send(service.url, UPDATE, { input: { id, description: `edit ${i}` } });
      return send(service.url, MAP, {
        input: {
          multiCloudImageId: id,
          cloudId: cloud,
          imageId: starterImageId(cloud, STARTER_IMAGE_NAMES.centosX64),
          instanceTypeId: starterInstanceTypeId(cloud, 'large'),
          userData: `edit ${i}`,
        },
      });
    });
    const sent = await Promise.all(requests);
    sent.forEach(({ response }, i) => {
      // An edit always applies; a commit applies, or finds nothing new since the last one.
      expect({ i, code: codeOf(response) }).toEqual({ i, code: i % 5 === 0 ? expect.stringMatching(/^(OK|NO_CHANGES)$/u) : 'OK' });
    });

    const events = await recorded(id);
    const commits = events.flatMap((event, index) => (event.type === 'RevisionCommitted' ? [{ event, index }] : []));
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.length).toBe(sent.filter(({ response }, i) => i % 5 === 0 && codeOf(response) === 'OK').length);
    for (const [n, { event, index }] of commits.entries()) {
      const data = event.data as { revision: number; contentHash: string };
      expect(data.revision).toBe(n + 1); // dense, in commit order
      const headAtCommit = headOf(await folded(id, index));
      expect(data.contentHash).toBe(contentHash(headAtCommit));
      expect(fromView(await view(id, data.revision))).toEqual(fromContent(headAtCommit));
    }
    await expectReadModelEqualsFold(id);
  });

  it('creates and clones racing each other: every one gets its own new stream, none is lost', async () => {
    const source = await createMci(service.url, 'Racing Base v1', [EAST], { commit: true });
    const before = (await ok<{ multiCloudImages: { totalCount: number } }>(service.url, `{ multiCloudImages { totalCount } }`))
      .multiCloudImages.totalCount;
    const sent = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        i % 2 === 0 ? send(service.url, CREATE, { name: `racer ${i}` }) : send(service.url, CLONE, { id: source, revision: 1 }),
      ),
    );
    expect(sent.map(({ response }) => codeOf(response))).toEqual(Array(CLIENTS).fill('OK'));
    const made = sent.map(({ response }) => Object.values(response.body.data ?? {})[0] as unknown as { id: string; name: string });
    expect(new Set(made.map((m) => m.id)).size).toBe(CLIENTS);
    for (const [i, { requestId }] of sent.entries()) {
      const events = await recorded((made[i] as { id: string }).id);
      expect(events.map((e) => [e.type, e.metadata.correlationId])).toEqual([
        [i % 2 === 0 ? 'MultiCloudImageCreated' : 'ComponentCloned', requestId],
      ]);
    }
    for (const clone of made.filter((_, i) => i % 2 === 1)) {
      expect(clone).toMatchObject({ name: 'Racing Base v2', clonedFrom: { id: source, revision: 1 } });
    }
    const after = (await ok<{ multiCloudImages: { totalCount: number } }>(service.url, `{ multiCloudImages { totalCount } }`))
      .multiCloudImages.totalCount;
    expect(after).toBe(before + CLIENTS);
  });

  it('templates pinning MCIs while those MCIs are deleted: for each MCI either the delete or the pins win, never both', async () => {
    const base = await createMci(service.url, 'base', [EAST]);
    const templates = await Promise.all([1, 2, 3].map(async (n) => (await createTemplate(service.url, `pinner ${n}`, base)).id));
    const targets = await Promise.all(Array.from({ length: 8 }, (_, i) => createMci(service.url, `target ${i}`, [EU])));
    const outcomes = await Promise.all(
      targets.map(async (target) => {
        const [deletion, ...pins] = await Promise.all([
          send(service.url, `mutation ($id: ID!) { deleteMultiCloudImage(id: $id) }`, { id: target }),
          ...templates.map((templateId) => send(service.url, ADD_MCI, { templateId, mci: target })),
        ]);
        return {
          target,
          deletion: codeOf((deletion as { response: GraphQLResponse }).response),
          pins: pins.map((pin) => codeOf(pin.response)),
        };
      }),
    );
    for (const { target, deletion, pins } of outcomes) {
      const pinned = service.services.queries.serverTemplates.usedBy('default', 'MultiCloudImage', [target]).length;
      if (deletion === 'OK') {
        expect({ target, pins, pinned }).toEqual({ target, pins: pins.map(() => 'NOT_FOUND'), pinned: 0 });
      } else {
        expect({ target, deletion, pinned: pinned > 0 }).toEqual({ target, deletion: 'IN_USE', pinned: true });
        expect(pins.filter((code) => code === 'OK').length).toBeGreaterThan(0);
        expect(pins.every((code) => code === 'OK')).toBe(true);
      }
    }
  });
});
