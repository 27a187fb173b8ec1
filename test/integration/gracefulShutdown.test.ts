import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { SHUTTING_DOWN_MESSAGE, shuttingDownError } from '../../src/server/shutdown';
import { ok } from '../support/api';
import { eventually, withTimeout } from '../support/async';
import { startChildService, type ChildService } from '../support/childService';
import { ledgerProblems, readWholeLog, rebuildAndCompare, verifyDataDir } from '../support/dataDirChecks';
import { RawConnection, requestHead } from '../support/rawHttp';
import { ADMIN, startTestService, TEST_ADMIN_TOKEN } from '../support/service';
import { seededRandom, WriteStorm, type StormRequest } from '../support/writeStorm';
import { socketClient, socketUrl, subscribeToEvents } from '../support/ws';
import WebSocket from 'ws';

/*
 * Graceful shutdown (issue 8, item 7) of the built service in a child process: SIGTERM while clients
 * write. A request the server had taken in before the signal runs to the end and is answered; a
 * request that arrives after is refused with 503 UNAVAILABLE (or finds the port closed) and writes
 * nothing; open WebSockets get 1001 "server shutting down"; the process exits 0 within 10 s; on
 * restart the data is whole. "Taken in" is made certain, not timed: the held request asks for
 * `100 Continue`, which the server sends only once the request is inside, and its body is sent
 * only after the stop began.
 */

const MCI_FIELDS = 'id version settings { cloud { id } userData }';
const EAST = 'aws-us-east-1';

interface MappedMci {
  id: string;
  version: number;
  settings: Array<{ cloud: { id: string }; userData: string | null }>;
}

describe('graceful shutdown on SIGTERM', () => {
  let dataDir: string;
  let child: ChildService | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mci-shutdown-'));
  });
  afterEach(async () => {
    await child?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the mutations in flight, refuses new ones, closes WebSockets with 1001 and exits 0 within 10 s; the data is whole', async () => {
    const started = await startChildService(dataDir);
    child = started.child;
    const { url } = started;

    // A live change-feed subscription, to see how it is closed.
    const closes: Array<{ code: number; reason: string }> = [];
    const socket = socketClient(url, ADMIN, { closed: (event) => closes.push({ code: event.code, reason: event.reason }) });
    const feed = subscribeToEvents(socket);
    await feed.waitFor((events) => events.length > 0, 'the first event on the feed');

    const { createMultiCloudImage: mci } = await ok<{ createMultiCloudImage: { id: string } }>(
      url,
      `mutation { createMultiCloudImage(input: { name: "held across the stop" }) { id } }`,
    );

    // Load: clients writing all along.
    const storm = new WriteStorm({ url, label: 'shutdown-storm', clients: 3, random: seededRandom(7) });
    const stormDone = storm.run();
    await eventually(() => storm.acknowledged >= 5, 'five acknowledged storm mutations', 15_000);

    // A mutation the server has taken in (its "100 Continue" came back) but whose body is still to come.
    const held = await RawConnection.open(url);
    const mapBody = JSON.stringify({
      query: `mutation($input: MapImageInput!) { mapImage(input: $input) { ${MCI_FIELDS} } }`,
      variables: {
        input: {
          multiCloudImageId: mci.id,
          cloudId: EAST,
          imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
          instanceTypeId: starterInstanceTypeId(EAST, 'small'),
          userData: 'mapped while stopping',
        },
      },
    });
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    held.write(
      requestHead(held.host, {
        path: '/graphql',
        headers: { ...auth, 'x-request-id': 'shutdown-held' },
        body: mapBody,
        expectContinue: true,
      }),
    );
    expect((await held.next()).status).toBe(100);

    child.process.kill('SIGTERM');
    await child.waitForLine((line) => (line.includes('stopping: finishing in-flight requests') ? true : undefined), 'the stop to begin');

    // Now the held request's body and, pipelined behind it in the same write (so the server reads both
    // before it answers the first and lets the connection go), a new mutation.
    const lateBody = JSON.stringify({ query: `mutation { createMultiCloudImage(input: { name: "too late" }) { id } }` });
    held.write(
      mapBody +
        requestHead(held.host, { path: '/graphql', headers: { ...auth, 'x-request-id': 'shutdown-late' }, body: lateBody }) +
        lateBody,
    );

    const answered = await held.next();
    expect(answered.status).toBe(200);
    const mapped = (JSON.parse(answered.body) as { data: { mapImage: MappedMci } }).data.mapImage;
    expect(mapped.settings).toEqual([{ cloud: { id: EAST }, userData: 'mapped while stopping' }]);

    const refused = await held.next();
    expect({ status: refused.status, connection: refused.headers['connection'], body: JSON.parse(refused.body) as unknown }).toEqual({
      status: 503,
      connection: 'close',
      body: { errors: [{ message: SHUTTING_DOWN_MESSAGE, extensions: { code: 'UNAVAILABLE' } }] },
    });
    await held.closed();

    // A new connection finds the door refusing or already shut, never a half-done request.
    const late = await fetch(`${url}/healthz`).then(
      (response) => response.status,
      () => 'refused' as const,
    );
    expect([503, 'refused']).toContain(late);

    expect(await withTimeout(child.exited, 10_000, 'the process to exit within 10 s of SIGTERM')).toEqual({ code: 0, signal: null });
    expect(child.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    await eventually(() => closes.length > 0, 'the WebSocket to close');
    expect(closes[0]).toEqual({ code: 1001, reason: 'server shutting down' });
    storm.stop();
    await stormDone;
    await socket.dispose();

    // Every storm answer was a success or the coded refusal: no masked error, no 5xx but 503.
    const refusals = storm.requests.flatMap((r) => (r.outcome.kind === 'refused' ? [r.outcome] : []));
    for (const refusal of refusals)
      expect({ code: refusal.code, message: refusal.message }).toEqual({ code: 'UNAVAILABLE', message: SHUTTING_DOWN_MESSAGE });

    // The data as the stop left it: what was acknowledged is there, what was refused is not, nothing half.
    const requests: StormRequest[] = [
      ...storm.requests,
      {
        requestId: 'shutdown-held',
        operation: 'mapImage',
        targetId: mci.id,
        outcome: { kind: 'acknowledged', componentId: mci.id, version: mapped.version },
      },
      {
        requestId: 'shutdown-late',
        operation: 'createMultiCloudImage',
        outcome: { kind: 'refused', code: 'UNAVAILABLE', message: SHUTTING_DOWN_MESSAGE },
      },
    ];
    expect(ledgerProblems(requests, await readWholeLog(dataDir), 'shutdown-')).toEqual([]);
    expect((await verifyDataDir(dataDir)).problems).toEqual([]);
    const rebuilt = await rebuildAndCompare(dataDir);
    expect({ differences: rebuilt.differences, notCompared: rebuilt.notCompared, identical: rebuilt.identical }).toEqual({
      differences: [],
      notCompared: [],
      identical: true,
    });

    // And the restarted service serves the mutation that was in flight.
    const restarted = await startChildService(dataDir);
    child = restarted.child;
    const { multiCloudImage } = await ok<{ multiCloudImage: MappedMci }>(
      restarted.url,
      `query($id: ID!) { multiCloudImage(id: $id) { ${MCI_FIELDS} } }`,
      {
        id: mci.id,
      },
    );
    expect(multiCloudImage).toEqual(mapped);
  }, 90_000);
});

describe('a WebSocket operation that arrives once the stop began', () => {
  it('is refused (UNAVAILABLE), not run, while the socket closes with 1001', async () => {
    const service = await startTestService();
    try {
      const socket = new WebSocket(socketUrl(service.url), 'graphql-transport-ws');
      const received: Array<{ type: string }> = [];
      const acknowledged = new Promise<void>((resolve, reject) => {
        socket.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString('utf8')) as { type: string };
          received.push(message);
          if (message.type === 'connection_ack') resolve();
        });
        socket.once('error', reject);
      });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') })),
      );
      await withTimeout(new Promise((resolve) => socket.once('open', resolve)), 10_000, 'the socket to open');
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }));
      await withTimeout(acknowledged, 10_000, 'connection_ack');
      const head = await service.services.store.headPosition();

      // The stop begins: the server sends its close frame now. In the same tick, before this client can
      // have read that frame, it sends a mutation, which reaches the server on a socket still closing.
      const stopping = service.http.stop();
      socket.send(
        JSON.stringify({
          id: 'late',
          type: 'subscribe',
          payload: { query: 'mutation { createMultiCloudImage(input: { name: "after the stop" }) { id } }' },
        }),
      );

      expect(await withTimeout(closed, 10_000, 'the socket to close')).toEqual({ code: 1001, reason: 'server shutting down' });
      await stopping;
      await eventually(
        () =>
          service.logs.some(
            (line) => line['msg'] === 'refused a WebSocket operation: the server is shutting down' && line['operationId'] === 'late',
          ),
        'the late operation to be refused',
      );
      // What graphql-ws hands the socket for it: the coded refusal HTTP gives after the stop began.
      expect(shuttingDownError().toJSON()).toEqual({ message: SHUTTING_DOWN_MESSAGE, extensions: { code: 'UNAVAILABLE' } });
      // Refused, not run: nothing was written, and no result came back (the socket was already closing).
      expect(await service.services.store.headPosition()).toEqual(head);
      expect(received.map((message) => message.type)).toEqual(['connection_ack']);
    } finally {
      await service.stop();
    }
  });
});
