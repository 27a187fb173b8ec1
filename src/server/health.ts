import { comparePositions } from '../eventStore/cursor';
import type { RunnerStatus } from '../readModels/projectionRunner';
import type { Services } from '../services';

export interface Readiness {
  readonly ready: boolean;
  readonly eventStore: { readonly kind: string; readonly reachable: boolean; readonly error?: string; readonly position?: string | null };
  readonly projections: RunnerStatus;
  /** Per read model: has it applied everything up to the store position read just now? (its lag) */
  readonly upToDate?: Readonly<Record<string, boolean>>;
}

const STORE_CHECK_TIMEOUT_MS = 2_000;

/** Ready = the event store answers and every read model has caught up with the log. */
export async function readiness(services: Services): Promise<Readiness> {
  const projections = services.projections.status();
  let timer: NodeJS.Timeout | undefined;
  try {
    const head = await Promise.race([
      services.store.headPosition(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`)), STORE_CHECK_TIMEOUT_MS);
      }),
    ]);
    const upToDate = Object.fromEntries(
      projections.projections.map((p) => [
        p.name,
        head === undefined || (p.checkpoint !== undefined && comparePositions(services.store.parseCursor(p.checkpoint), head) >= 0),
      ]),
    );
    return {
      ready: projections.caughtUp,
      eventStore: { kind: services.store.kind, reachable: true, position: head ? services.store.cursorOf(head) : null },
      projections,
      upToDate,
    };
  } catch (error) {
    return { ready: false, eventStore: { kind: services.store.kind, reachable: false, error: (error as Error).message }, projections };
  } finally {
    clearTimeout(timer);
  }
}
