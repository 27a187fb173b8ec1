import type { SqliteDatabase } from '../sqlite/database';
import { AccountQueries } from './accountsQueries';
import { CatalogQueries } from './catalogQueries';
import { MultiCloudImageQueries } from './multiCloudImagesQueries';

/** Every read of the read models the API makes, one class per projection family. */
export interface ReadModelQueries {
  readonly accounts: AccountQueries;
  readonly catalog: CatalogQueries;
  readonly multiCloudImages: MultiCloudImageQueries;
}

export function createReadModelQueries(db: SqliteDatabase): ReadModelQueries {
  return { accounts: new AccountQueries(db), catalog: new CatalogQueries(db), multiCloudImages: new MultiCloudImageQueries(db) };
}
