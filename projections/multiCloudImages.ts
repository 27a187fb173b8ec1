import type { Projection } from './projection';

export const multiCloudImagesProjection: Projection = {
  name: 'multiCloudImages',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
