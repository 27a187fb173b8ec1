import type { SqliteDatabase } from '../sqlite/database';
import { AccountQueries } from './accountsQueries';
import { CatalogQueries } from './catalogQueries';
import { DeploymentQueries } from './deploymentsQueries';
import { ImportQueries } from './importsQueries';
import { MarketplaceQueries } from './marketplaceQueries';
import { MultiCloudImageQueries } from './multiCloudImagesQueries';
import { QueryRecorder } from './queryRecorder';
import { RightScriptQueries } from './rightScriptsQueries';
import { ServerTemplateQueries } from './serverTemplatesQueries';
import { StreamQueries } from './streamQueries';
import { VerificationQueries } from './verificationQueries';

/** Every read of the read models the API makes, one class per projection family. */
export interface ReadModelQueries {
  readonly accounts: AccountQueries;
  readonly catalog: CatalogQueries;
  readonly multiCloudImages: MultiCloudImageQueries;
  readonly rightScripts: RightScriptQueries;
  readonly serverTemplates: ServerTemplateQueries;
  readonly deployments: DeploymentQueries;
  readonly streams: StreamQueries;
  readonly verification: VerificationQueries;
  // marketplace
  readonly marketplace: MarketplaceQueries;
  // imports
  readonly imports: ImportQueries;
  /** Every query method calls `recorder.record('<method>')` first. */
  readonly recorder: QueryRecorder;
}

export function createReadModelQueries(db: SqliteDatabase): ReadModelQueries {
  const recorder = new QueryRecorder();
  return {
    accounts: new AccountQueries(db, recorder),
    catalog: new CatalogQueries(db, recorder),
    multiCloudImages: new MultiCloudImageQueries(db, recorder),
    rightScripts: new RightScriptQueries(db, recorder),
    serverTemplates: new ServerTemplateQueries(db, recorder),
    deployments: new DeploymentQueries(db, recorder),
    streams: new StreamQueries(db, recorder),
    verification: new VerificationQueries(db, recorder),
    // marketplace
    marketplace: new MarketplaceQueries(db, recorder),
    // imports
    imports: new ImportQueries(db, recorder),
    recorder,
  };
}
