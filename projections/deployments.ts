import type { Projection } from './projection';

/** Deployments and servers as the API reads them. (Placeholder: filled in by the change that adds them.) */
export const deploymentsProjection: Projection = {
  name: 'deployments',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
