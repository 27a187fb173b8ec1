import type { Projection } from './projection';

export const accountsProjection: Projection = {
  name: 'accounts',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
