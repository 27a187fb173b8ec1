import { accountsProjection } from './accounts';
import { catalogProjection } from './catalog';
import { multiCloudImagesProjection } from './multiCloudImages';
import type { Projection } from './projection';
import { streamCatalog } from './streamCatalog';

/** Every projection the service runs, in the order they are applied within a batch. */
export const allProjections: readonly Projection[] = [streamCatalog, accountsProjection, catalogProjection, multiCloudImagesProjection];

export type { Projection, ReadModelWriter, SqlValue } from './projection';
