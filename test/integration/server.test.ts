import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { StartupError } from '../../src/services';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEsdbTestServer } from '../support/esdbTestServer';
import { ADMIN, graphql, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../support/service';
import { eventually } from '../support/async';

const SERVER_INFO = '{ serverInfo { version eventStore position } }';

describe('the service over real HTTP and WebSocket (embedded SQLite)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('answers /healthz and reports readiness with the store and the read models', async () => {
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      eventStore: { kind: 'sqlite', reachable: true },
      projections: { caughtUp: true, projections: expect.arrayContaining([expect.objectContaining({ name: 'accounts', state: 'live' })]) },
      upToDate: { streamCatalog: true },
    });
  });

  it('serves serverInfo over HTTP, with the position of the newest event', async () => {
    const before = await graphql<{ serverInfo: { version: string; eventStore: string; position: string | null } }>(
      service.url,
      SERVER_INFO,
      undefined,
      ADMIN,
    );
    expect(before.status).toBe(200);
    expect(before.body.data?.serverInfo).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), eventStore: 'sqlite' });
    expect(before.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const appended = await service.services.store.append('probe-1', [{ type: 'Probed', data: {} }], { expectedRevision: 'any' });
    const after = await graphql<{ serverInfo: { position: string | null } }>(service.url, SERVER_INFO, undefined, ADMIN);
    expect(after.body.data?.serverInfo.position).toBe(appended.cursor);
    await service.services.projections.waitForPosition(appended.position);
    expect(service.services.readModels.prepare(`SELECT event_count FROM rm_streams WHERE stream = 'probe-1'`).get()).toEqual({
      event_count: 1,
    });
  });

  it('serves the same operation over graphql-ws on the same port', async () => {
    const client = createClient({
      url: service.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let value: unknown;
        client.subscribe({ query: SERVER_INFO }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
      });
      expect(result).toMatchObject({ data: { serverInfo: { eventStore: 'sqlite' } } });
    } finally {
      await client.dispose();
    }
  });

  it('keeps a caller’s safe request id and replaces an unsafe one', async () => {
    const kept = await graphql(service.url, SERVER_INFO, undefined, { ...ADMIN, 'x-request-id': 'trace-abc.123' });
    expect(kept.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await graphql(service.url, SERVER_INFO, undefined, { ...ADMIN, 'x-request-id': 'bad id\twith spaces' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed requests with a clear 4xx and code, never a crash', async () => {
    const notJson = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      errors: [
        {
          message: expect.stringMatching(/^request body: expected JSON, got text that does not parse: /),
          extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_JSON' },
        },
      ],
    });

    const huge = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN },
      body: JSON.stringify({ query: SERVER_INFO, variables: { pad: 'x'.repeat(1024 * 1024 + 10) } }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { errors: Array<{ message: string }> }).errors[0]?.message).toBe(
      'request body: expected at most 1048576 bytes, got more',
    );

    const invalid = await graphql(service.url, '{ serverInfo { nope } }', undefined, ADMIN);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors?.[0]).toMatchObject({
      message: 'Cannot query field "nope" on type "ServerInfo".',
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(JSON.stringify(invalid.body)).not.toMatch(/stacktrace/);

    const unparsable = await graphql(service.url, '{ serverInfo { ', undefined, ADMIN);
    expect(unparsable.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' });

    const elsewhere = await fetch(`${service.url}/nowhere`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ error: 'no route for GET /nowhere: GraphQL is at /graphql' });
  });
});

describe('the service on the EventStoreDB adapter', () => {
  it('serves serverInfo from EventStoreDB and reports an unreachable store on /readyz', async () => {
    const esdb = await startEsdbTestServer({ maxAppendSize: 9 * 1024 * 1024 });
    const service = await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url });
    try {
      const info = await graphql<{ serverInfo: { eventStore: string } }>(service.url, SERVER_INFO, undefined, ADMIN);
      expect(info.body.data?.serverInfo.eventStore).toBe('eventstoredb');
      const appended = await service.services.store.append('probe-2', [{ type: 'Probed', data: {} }], { expectedRevision: 'no_stream' });
      await service.services.projections.waitForPosition(appended.position);
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

      await esdb.stop();
      const down = await fetch(`${service.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ready: false, eventStore: { kind: 'eventstoredb', reachable: false } });
      const failing = await graphql(service.url, SERVER_INFO, undefined, ADMIN);
      expect(failing.body.errors?.[0]).toEqual({
        message: 'the event store is unavailable; try again shortly',
        locations: [{ line: 1, column: 3 }],
        path: ['serverInfo'],
        extensions: { code: 'UNAVAILABLE' },
      });

      await esdb.start();
      await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, 'readiness after the store came back', 10_000);
    } finally {
      await service.stop();
      await esdb.close();
    }
  });
});

describe('startup errors', () => {
  it('refuses a DATA_DIR that is not a writable directory, with a message naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mci-bad-data-'));
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    try {
      const error = await startTestService({ DATA_DIR: file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StartupError);
      expect((error as Error).message).toMatch(new RegExp(`^DATA_DIR ${file} is not a writable directory`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
