import { startEsdbTestServer } from './esdbTestServer';
import { startTestService, type TestService } from './service';

/*
 * A test service on each event store adapter, for suites that must pass on both
 * (`describe.each(SERVICE_STORES)('… on $name', …)`): the embedded SQLite store, and the EventStoreDB
 * adapter over real gRPC against the in-process test server.
 */

export interface ServiceStore {
  readonly name: 'SQLite' | 'EventStoreDB';
  /** A started service, and how to stop it with whatever it runs on. */
  start(): Promise<{ service: TestService; stop: () => Promise<void> }>;
}

export const SERVICE_STORES: readonly ServiceStore[] = [
  {
    name: 'SQLite',
    start: async () => {
      const service = await startTestService();
      return { service, stop: () => service.stop() };
    },
  },
  {
    name: 'EventStoreDB',
    start: async () => {
      const esdb = await startEsdbTestServer();
      const service = await startTestService({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.url });
      return {
        service,
        stop: async () => {
          await service.stop();
          await esdb.close();
        },
      };
    },
  },
];
