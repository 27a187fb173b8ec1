import type { Projection } from './projection';

/** RightScripts as the API reads them. (Placeholder: filled in by the change that adds them.) */
export const rightScriptsProjection: Projection = {
  name: 'rightScripts',
  version: 1,
  handles: [],
  tables: [],
  schema: [],
  apply() {},
};
