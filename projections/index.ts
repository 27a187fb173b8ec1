import { accountsProjection } from './accounts';
import { catalogProjection } from './catalog';
import { deploymentsProjection } from './deployments';
import { importsProjection } from './imports';
import { marketplaceProjection } from './marketplace';
import { multiCloudImagesProjection } from './multiCloudImages';
import type { Projection } from './projection';
import { rightScriptsProjection } from './rightScripts';
import { serverTemplatesProjection } from './serverTemplates';
import { streamCatalog } from './streamCatalog';

/** Every projection the service runs, in the order they are applied within a batch. */
export const allProjections: readonly Projection[] = [
  streamCatalog,
  accountsProjection,
  catalogProjection,
  multiCloudImagesProjection,
  rightScriptsProjection,
  serverTemplatesProjection,
  deploymentsProjection,
  // marketplace
  marketplaceProjection,
  // imports
  importsProjection,
];

export type { Projection, ReadModelWriter, SqlValue } from './projection';
