import type { Projection } from './projection';

export const catalogProjection: Projection = {
  name: 'catalog',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
