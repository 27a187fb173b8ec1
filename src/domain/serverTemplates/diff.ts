import { fieldChanges, keyedChanges, type Change } from '../versionControl/change';
import { diffSequences } from '../versionControl/textDiff';
import { SEQUENCES, type RightScriptBinding, type ServerTemplateContent, type TemplateMultiCloudImage } from './serverTemplate.types';

/*
 * Field-level diff of two ServerTemplate contents (any two revisions of one template, or of two
 * templates). Paths: `name`, `description`; `multiCloudImages.<mciId>` (an MCI attached or detached,
 * value `{revision, position}`) and `multiCloudImages.<mciId>.revision` (re-pinned);
 * `defaultMultiCloudImage`; `rightScripts.<SEQUENCE>.<rightScriptId>` (bound or unbound, value
 * `{position, revision}`) and `rightScripts.<SEQUENCE>.<rightScriptId>.revision` (re-pinned).
 */

interface MultiCloudImagePlace {
  readonly revision: number;
  readonly position: number;
}

const byMultiCloudImage = (mcis: readonly TemplateMultiCloudImage[]): Record<string, MultiCloudImagePlace> =>
  Object.fromEntries(mcis.map((mci, index) => [mci.multiCloudImageId, { revision: mci.revision, position: index + 1 }]));

/**
 * One sequence's changes, read like a line diff: walking both lists, a binding only on the left is
 * REMOVED, only on the right ADDED, on both (in the common subsequence) compared by its pin. A moved
 * RightScript is outside the common subsequence, so it shows as REMOVED and ADDED on one path.
 */
function sequenceChanges(prefix: string, before: readonly RightScriptBinding[], after: readonly RightScriptBinding[]): Change[] {
  const changes: Change[] = [];
  const removed = (index: number): void => {
    const binding = before[index];
    if (binding)
      changes.push({
        path: `${prefix}.${binding.rightScriptId}`,
        kind: 'REMOVED',
        before: { position: index + 1, revision: binding.revision },
        after: null,
      });
  };
  const added = (index: number): void => {
    const binding = after[index];
    if (binding)
      changes.push({
        path: `${prefix}.${binding.rightScriptId}`,
        kind: 'ADDED',
        before: null,
        after: { position: index + 1, revision: binding.revision },
      });
  };
  // The bindings kept in the same relative order: a longest common subsequence of the two id lists.
  const common = diffSequences(
    before.map((binding) => binding.rightScriptId),
    after.map((binding) => binding.rightScriptId),
  )
    .filter((edit) => edit.kind === 'kept')
    .map((edit) => [edit.fromIndex, edit.toIndex] as const);
  let i = 0;
  let j = 0;
  for (const [left, right] of [...common, [before.length, after.length] as const]) {
    while (i < left) removed(i++);
    while (j < right) added(j++);
    const kept = before[left];
    if (kept) changes.push(...fieldChanges(`${prefix}.${kept.rightScriptId}.revision`, kept.revision, after[right]?.revision));
    i = left + 1;
    j = right + 1;
  }
  return changes;
}

export function diffServerTemplates(before: ServerTemplateContent, after: ServerTemplateContent): Change[] {
  return [
    ...fieldChanges('name', before.name, after.name),
    ...fieldChanges('description', before.description, after.description),
    // Positions of attached MCIs only matter when one comes or goes: a detach shifts the rest without changing them.
    ...keyedChanges(
      'multiCloudImages',
      byMultiCloudImage(before.multiCloudImages),
      byMultiCloudImage(after.multiCloudImages),
      (path, left, right) => fieldChanges(`${path}.revision`, left.revision, right.revision),
    ),
    ...fieldChanges('defaultMultiCloudImage', before.defaultMultiCloudImageId, after.defaultMultiCloudImageId),
    ...SEQUENCES.flatMap((sequence) =>
      sequenceChanges(`rightScripts.${sequence}`, before.rightScripts[sequence], after.rightScripts[sequence]),
    ),
  ];
}
