import { fieldChanges, keyedChanges, type Change } from '../versionControl/change';
import { textFieldChanges } from '../versionControl/textDiff';
import type { RightScriptContent, RightScriptInput } from './rightScript';

/*
 * Field-level diff of two RightScript contents (any two revisions of one script, or of two scripts).
 * Paths: `name`, `description`, `source` (CHANGED, with its line hunks), `inputs.<NAME>` (a whole
 * input ADDED or REMOVED) and `inputs.<NAME>.type` / `inputs.<NAME>.default` (CHANGED).
 */

const byName = (inputs: readonly RightScriptInput[]): Record<string, RightScriptInput> =>
  Object.fromEntries(inputs.map((input) => [input.name, input]));

export function diffRightScripts(before: RightScriptContent, after: RightScriptContent): Change[] {
  return [
    ...fieldChanges('name', before.name, after.name),
    ...fieldChanges('description', before.description, after.description),
    ...textFieldChanges('source', before.source, after.source),
    ...keyedChanges('inputs', byName(before.inputs), byName(after.inputs), (path, left, right) => [
      ...fieldChanges(`${path}.type`, left.type, right.type),
      ...fieldChanges(`${path}.default`, left.default, right.default),
    ]),
  ];
}
