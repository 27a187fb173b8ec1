import { DomainError, ErrorCode } from '../errors';
import { jsonEqual } from '../versionControl/change';
import { mergeKeyed, mergeLedger, threeWay, type MergeContents } from '../versionControl/merge';
import { diffSequences } from '../versionControl/textDiff';
import {
  MAX_TEMPLATE_MULTI_CLOUD_IMAGES,
  SEQUENCES,
  type RightScriptBinding,
  type Sequence,
  type ServerTemplateContent,
  type ServerTemplateEvent,
  type TemplateMultiCloudImage,
} from './serverTemplate.types';

/*
 * Three-way merge of ServerTemplate contents (domain.md, "Merge": per attached MCI and pin, per
 * sequence for bindings). Units, named by their diff paths and merged whole:
 * - `name`, `description`;
 * - `multiCloudImages.<mciId>`: the attached MCI with its pin (attached, detached or re-pinned on
 *   one side applies; re-pinned differently, or re-pinned on one side and detached on the other, is
 *   a conflict). The merged list keeps ours' order, then the MCIs only theirs attached, in theirs'
 *   order; but theirs' order (then ours' additions) when ours kept base's order and theirs did not
 *   (see `orderedAttachments`), so a target still at the base takes the source exactly;
 * - `defaultMultiCloudImage`: the default's id;
 * - `rightScripts.<SEQUENCE>`: the whole ordered list of one sequence. Positions shift with every
 *   bind, so a per-binding merge of two reorderings would be a guess: one side changing a sequence
 *   takes its list, both changing it differently is a conflict (values: the lists).
 *
 * Validity: a template's default is always attached (and so the list is never empty). When the
 * default merges cleanly to an MCI the merge may detach (one side made or kept it the default, the
 * other detached it; or its attachment is itself a conflict one side of which detaches it), that is a
 * conflict at `defaultMultiCloudImage` too, whatever the resolutions: the conflicts never depend on
 * them, so resolving exactly what a preview lists always works. Choosing a side there (or OURS while
 * unresolved) takes that side's default TOGETHER WITH that side's attachment of it, so either choice
 * gives a valid template. Resolutions that keep a default and detach it contradict each other:
 * BAD_USER_INPUT. More than 50 attached MCIs after a merge: BAD_USER_INPUT.
 */

const DEFAULT_PATH = 'defaultMultiCloudImage';

const attachedOf = (content: ServerTemplateContent): Map<string, TemplateMultiCloudImage> =>
  new Map(content.multiCloudImages.map((mci) => [mci.multiCloudImageId, mci]));

export const mergeServerTemplates: MergeContents<ServerTemplateContent> = (base, ours, theirs, resolutions) => {
  const ledger = mergeLedger(resolutions);
  const name = ledger.value('name', base.name, ours.name, theirs.name);
  const description = ledger.value('description', base.description, ours.description, theirs.description);
  const sides = { base: attachedOf(base), ours: attachedOf(ours), theirs: attachedOf(theirs) };
  const attached = mergeKeyed(ledger, 'multiCloudImages', sides.base, sides.ours, sides.theirs);

  // Whether the MCI stays attached whatever the resolutions say: so the conflicts a preview lists are the ones to resolve, never more or fewer.
  const surelyAttached = (id: string): boolean => {
    const entry = threeWay(sides.base.get(id), sides.ours.get(id), sides.theirs.get(id));
    return entry.status === 'clean' ? entry.value !== undefined : sides.ours.has(id) && sides.theirs.has(id);
  };
  const defaults = threeWay(base.defaultMultiCloudImageId, ours.defaultMultiCloudImageId, theirs.defaultMultiCloudImageId);
  let defaultMultiCloudImageId: string;
  if (defaults.status === 'clean' && surelyAttached(defaults.value)) defaultMultiCloudImageId = defaults.value;
  else {
    // Both changed the default differently, or the agreed default may be detached: one conflict, settled by taking a side's default with its attachment.
    const choice = ledger.conflict(
      DEFAULT_PATH,
      base.defaultMultiCloudImageId,
      ours.defaultMultiCloudImageId,
      theirs.defaultMultiCloudImageId,
    );
    const side = choice === 'OURS' ? ours : theirs;
    defaultMultiCloudImageId = side.defaultMultiCloudImageId;
    if (!attached.has(defaultMultiCloudImageId)) {
      const entryPath = `multiCloudImages.${defaultMultiCloudImageId}`;
      const entryChoice = ledger.resolutionAt(entryPath);
      if (ledger.resolutionAt(DEFAULT_PATH) && entryChoice) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `resolutions: '${DEFAULT_PATH}' ${choice} makes '${defaultMultiCloudImageId}' the default, but '${entryPath}' ${entryChoice} detaches it: a default must stay attached, choose the same side for both`,
        );
      }
      const entry = attachedOf(side).get(defaultMultiCloudImageId);
      if (entry) attached.set(defaultMultiCloudImageId, entry);
    }
  }
  const multiCloudImages = orderedAttachments(attached, base, ours, theirs);
  if (multiCloudImages.length > MAX_TEMPLATE_MULTI_CLOUD_IMAGES) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `merged multiCloudImages: expected at most ${MAX_TEMPLATE_MULTI_CLOUD_IMAGES} attached MultiCloudImages, got ${multiCloudImages.length} (${ours.multiCloudImages.length} ours, ${theirs.multiCloudImages.length} theirs): remove some on either side first`,
    );
  }

  const rightScripts = Object.fromEntries(
    SEQUENCES.map((sequence) => [
      sequence,
      ledger.value(`rightScripts.${sequence}`, base.rightScripts[sequence], ours.rightScripts[sequence], theirs.rightScripts[sequence]),
    ]),
  ) as Record<Sequence, readonly RightScriptBinding[]>;

  return ledger.outcome({ name, description, multiCloudImages, defaultMultiCloudImageId, rightScripts });
};

const ids = (content: ServerTemplateContent): string[] => content.multiCloudImages.map((mci) => mci.multiCloudImageId);

/**
 * Whether `side` kept base's order: its list is base's, less what it detached, plus what it attached
 * at the end (re-pins stay in place): what attaching, detaching and re-pinning alone give.
 */
function keptBaseOrder(base: ServerTemplateContent, side: ServerTemplateContent): boolean {
  const sideIds = ids(side);
  const inSide = new Set(sideIds);
  return ids(base)
    .filter((id) => inSide.has(id))
    .every((id, i) => sideIds[i] === id);
}

/**
 * The order of the merged attachments, merged three-way as a whole: theirs' order when only theirs
 * reordered (ours kept base's order), ours' otherwise; the MCIs only the other side has follow, in
 * its order. So a target still at the base takes the source's order exactly. (The order is no diff
 * path: a reorder alone shows no change, so it never conflicts; both reordering: ours wins.)
 */
function orderedAttachments(
  attached: ReadonlyMap<string, TemplateMultiCloudImage>,
  base: ServerTemplateContent,
  ours: ServerTemplateContent,
  theirs: ServerTemplateContent,
): TemplateMultiCloudImage[] {
  const [first, second] = keptBaseOrder(base, ours) && !keptBaseOrder(base, theirs) ? [theirs, ours] : [ours, theirs];
  const ordered = new Map<string, TemplateMultiCloudImage>();
  for (const id of [...ids(first), ...ids(second)]) {
    const entry = attached.get(id);
    if (entry && !ordered.has(id)) ordered.set(id, entry);
  }
  return [...ordered.values()];
}

/**
 * The ordinary events that turn HEAD `ours` into `merged`, in an order whose every intermediate
 * state is a valid template (the decider's own `removeMultiCloudImage` does the same):
 * 1. `ServerTemplateUpdated` with the name and description that changed;
 * 2. the attachments (`multiCloudImageEvents`): re-pins in place, then attaches in merged's order
 *    (`isDefault` on the new default; an MCI that moved is detached just before), then the default
 *    change, then the detaches: the list never empties and the default never dangles;
 * 3. per sequence: `RightScriptUnbound` (from the last position back, so earlier positions hold),
 *    `RightScriptRepinned` for bindings kept with another pin, `RightScriptBound` from the first
 *    position on. Unbinding first means a moved script is never bound twice in one sequence.
 */
export function serverTemplateMergeEvents(ours: ServerTemplateContent, merged: ServerTemplateContent): ServerTemplateEvent[] {
  const events: ServerTemplateEvent[] = [];
  const updated: { name?: string; description?: string } = {};
  if (merged.name !== ours.name) updated.name = merged.name;
  if (merged.description !== ours.description) updated.description = merged.description;
  if (Object.keys(updated).length > 0) events.push({ type: 'ServerTemplateUpdated', data: updated });

  events.push(...multiCloudImageEvents(ours, merged));

  for (const sequence of SEQUENCES) events.push(...sequenceEvents(sequence, ours.rightScripts[sequence], merged.rightScripts[sequence]));
  return events;
}

/** One sequence's bindings from `from` to `to`: the scripts kept in order are a longest common subsequence of the two id lists. */
function sequenceEvents(sequence: Sequence, from: readonly RightScriptBinding[], to: readonly RightScriptBinding[]): ServerTemplateEvent[] {
  if (jsonEqual(from, to)) return [];
  const edits = diffSequences(
    from.map((binding) => binding.rightScriptId),
    to.map((binding) => binding.rightScriptId),
  );
  const events: ServerTemplateEvent[] = [];
  const removedIndexes = edits.filter((edit) => edit.kind === 'removed').map((edit) => edit.fromIndex);
  for (const index of removedIndexes.reverse()) {
    const removed = from[index];
    if (removed) events.push({ type: 'RightScriptUnbound', data: { sequence, position: index + 1, removed } });
  }
  // With the removed ones gone, the kept bindings sit at consecutive positions, in order.
  edits
    .filter((edit) => edit.kind === 'kept')
    .forEach((edit, keptIndex) => {
      const was = from[edit.fromIndex];
      const now = to[edit.toIndex];
      if (was && now && was.revision !== now.revision) {
        events.push({
          type: 'RightScriptRepinned',
          data: { sequence, position: keptIndex + 1, rightScriptId: was.rightScriptId, from: was.revision, revision: now.revision },
        });
      }
    });
  // Bound in increasing position: each lands where `to` has it, the bindings before it being already in place.
  for (const edit of edits) {
    const added = to[edit.toIndex];
    if (edit.kind === 'added' && added) events.push({ type: 'RightScriptBound', data: { ...added, sequence, position: edit.toIndex + 1 } });
  }
  return events;
}

/**
 * The attachment events from `ours` to `merged`. An attach always appends, so the longest start of
 * `merged` that ours already has in that order stays in place (re-pinned where needed) and the rest
 * is attached after it in order: new MCIs, and MCIs ours has elsewhere, detached and attached again
 * to move them. Every detach comes after something else holds the default, and the MCIs merged drops
 * go last, so the list never empties and the default never dangles.
 */
function multiCloudImageEvents(ours: ServerTemplateContent, merged: ServerTemplateContent): ServerTemplateEvent[] {
  const events: ServerTemplateEvent[] = [];
  const oursEntries = attachedOf(ours);
  const oursIndex = new Map(ids(ours).map((id, index) => [id, index]));
  const target = merged.multiCloudImages;
  let inPlace = 0;
  for (let last = -1; inPlace < target.length; inPlace++) {
    const index = oursIndex.get((target[inPlace] as TemplateMultiCloudImage).multiCloudImageId);
    if (index === undefined || index < last) break;
    last = index;
  }
  for (const to of target.slice(0, inPlace)) {
    const from = oursEntries.get(to.multiCloudImageId);
    if (from && !jsonEqual(from, to)) events.push({ type: 'TemplateMultiCloudImageRepinned', data: { from, to } });
  }

  const attachedNow = new Set(ids(ours));
  let defaultNow = ours.defaultMultiCloudImageId;
  const makeDefault = (multiCloudImageId: string): void => {
    if (multiCloudImageId === defaultNow) return;
    events.push({ type: 'DefaultMultiCloudImageChanged', data: { multiCloudImageId, previous: defaultNow } });
    defaultNow = multiCloudImageId;
  };
  const detach = (removed: TemplateMultiCloudImage): void => {
    const { multiCloudImageId } = removed;
    if (multiCloudImageId === defaultNow) {
      // Something else attached holds the default first: the merged default when it already is, else the first other one.
      const others = [...attachedNow].filter((id) => id !== multiCloudImageId);
      const stand = others.includes(merged.defaultMultiCloudImageId) ? merged.defaultMultiCloudImageId : others[0];
      if (stand === undefined)
        throw new Error(`merge events: no other MultiCloudImage to hold the default while detaching '${multiCloudImageId}'`);
      makeDefault(stand);
    }
    events.push({ type: 'TemplateMultiCloudImageRemoved', data: { multiCloudImageId, removed } });
    attachedNow.delete(multiCloudImageId);
  };

  for (const added of target.slice(inPlace)) {
    const moved = oursEntries.get(added.multiCloudImageId);
    if (moved) detach(moved);
    const isDefault = added.multiCloudImageId === merged.defaultMultiCloudImageId;
    events.push({ type: 'TemplateMultiCloudImageAdded', data: { ...added, isDefault } });
    attachedNow.add(added.multiCloudImageId);
    if (isDefault) defaultNow = added.multiCloudImageId;
  }
  makeDefault(merged.defaultMultiCloudImageId);
  const kept = new Set(ids(merged));
  for (const removed of ours.multiCloudImages) if (!kept.has(removed.multiCloudImageId)) detach(removed);
  return events;
}
