import { esdbTestServerSetup, sqliteFileSetup, sqliteMemorySetup, type StoreSetup } from '../contract/eventStoreSetups';

/**
 * The projection runner runs on every adapter the contract suite covers, each test on a log of its
 * own (projections read the whole log, so tests must not see each other's events).
 */
export function runnerSetups(): StoreSetup[] {
  return [sqliteFileSetup(), sqliteMemorySetup(), esdbTestServerSetup({ serverPerStore: true })];
}
