import type { Projection } from './projection';

/** ServerTemplates as the API reads them. (Placeholder: filled in by the change that adds them.) */
export const serverTemplatesProjection: Projection = {
  name: 'serverTemplates',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
