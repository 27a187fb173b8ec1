import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from '../versionControl/change';
import { mergeKeyed, mergeLedger, threeWay, type MergeContents, type MergeLedger } from '../versionControl/merge';
import { mergeText } from '../versionControl/textMerge';
import { MAX_INPUTS, checkSource } from './limits';
import type { RightScriptContent, RightScriptEvent, RightScriptInput } from './rightScript';

/*
 * Three-way merge of RightScript contents (domain.md, "Merge"). Units, named by their diff paths:
 * `name`, `description` (whole values); `source`, merged line by line (textMerge.ts): hunks of the
 * two sides that don't touch both apply, the same hunk on both sides applies once, and any region
 * both changed differently makes ONE conflict at `source` whose base/ours/theirs are the whole
 * texts, so choosing a side takes that side's whole source (what the conflict shows is what the
 * choice gives, like every other path); `inputs.<NAME>` (an input added, removed or changed whole).
 *
 * A clean merge whose result breaks a bound that each side kept (256 KiB of source, 100 inputs) is
 * not a conflict (no side's choice is wrong): it is refused with BAD_USER_INPUT saying by how much.
 */

const inputsOf = (content: RightScriptContent): Map<string, RightScriptInput> =>
  new Map(content.inputs.map((input) => [input.name, input]));

function mergeSource(ledger: MergeLedger, base: string, ours: string, theirs: string): string {
  const whole = threeWay(base, ours, theirs);
  if (whole.status === 'clean') return whole.value;
  const lines = mergeText(base, ours, theirs);
  if (lines.conflicts.length === 0) {
    try {
      checkSource(lines.text);
    } catch (error) {
      if (error instanceof DomainError) throw new DomainError(error.code, `merged ${error.message}`);
      throw error;
    }
    return lines.text;
  }
  return ledger.conflict('source', base, ours, theirs) === 'OURS' ? ours : theirs;
}

export const mergeRightScripts: MergeContents<RightScriptContent> = (base, ours, theirs, resolutions) => {
  const ledger = mergeLedger(resolutions);
  const name = ledger.value('name', base.name, ours.name, theirs.name);
  const description = ledger.value('description', base.description, ours.description, theirs.description);
  const source = mergeSource(ledger, base.source, ours.source, theirs.source);
  const byName = mergeKeyed(ledger, 'inputs', inputsOf(base), inputsOf(ours), inputsOf(theirs));
  // Inputs are a set kept sorted by name (rightScript.ts), whatever order the merge met them in.
  const inputs = [...byName.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  if (inputs.length > MAX_INPUTS) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `merged inputs: expected at most ${MAX_INPUTS} inputs, got ${inputs.length} (${ours.inputs.length} ours, ${theirs.inputs.length} theirs): remove some on either side first`,
    );
  }
  return ledger.outcome({ name, description, source, inputs });
};

/**
 * The ordinary event that turns HEAD `ours` into `merged`: one `RightScriptUpdated` with the fields
 * that changed (`inputs` then the whole new list, as the event always carries it); none when equal.
 */
export function rightScriptMergeEvents(ours: RightScriptContent, merged: RightScriptContent): RightScriptEvent[] {
  const changed: { name?: string; description?: string; source?: string; inputs?: readonly RightScriptInput[] } = {};
  if (merged.name !== ours.name) changed.name = merged.name;
  if (merged.description !== ours.description) changed.description = merged.description;
  if (merged.source !== ours.source) changed.source = merged.source;
  if (!jsonEqual(merged.inputs, ours.inputs)) changed.inputs = merged.inputs;
  return Object.keys(changed).length === 0 ? [] : [{ type: 'RightScriptUpdated', data: changed }];
}
