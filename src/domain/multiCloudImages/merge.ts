import { jsonEqual } from '../versionControl/change';
import { mergeKeyed, mergeLedger, type MergeContents } from '../versionControl/merge';
import type { MultiCloudImageContent, MultiCloudImageEvent, MultiCloudImageSetting } from './multiCloudImage';

/*
 * Three-way merge of MCI contents (domain.md, "Merge": cloud by cloud for settings). Units, each
 * merged whole and named by its diff path: `name`, `description`, and `settings.<cloudId>` (a cloud's
 * whole setting: mapped, unmapped or changed on one side applies; both sides changing one cloud
 * differently, or one changing it while the other unmaps it, is a conflict there). Settings of
 * different clouds never conflict with each other.
 */

const settingsOf = (content: MultiCloudImageContent): Map<string, MultiCloudImageSetting> => new Map(Object.entries(content.settings));

export const mergeMultiCloudImages: MergeContents<MultiCloudImageContent> = (base, ours, theirs, resolutions) => {
  const ledger = mergeLedger(resolutions);
  const name = ledger.value('name', base.name, ours.name, theirs.name);
  const description = ledger.value('description', base.description, ours.description, theirs.description);
  const settings = mergeKeyed(ledger, 'settings', settingsOf(base), settingsOf(ours), settingsOf(theirs));
  return ledger.outcome({ name, description, settings: Object.fromEntries(settings) });
};

/**
 * The ordinary events that turn HEAD `ours` into `merged` (what a merge appends before its
 * `MergeApplied`): the name and description that changed, then each cloud unmapped, then each cloud
 * mapped or re-mapped (carrying the setting it replaces), so history, blame and projections read a
 * merge like the same edits made by hand. Clouds go in sorted order so the events are deterministic.
 */
export function multiCloudImageMergeEvents(ours: MultiCloudImageContent, merged: MultiCloudImageContent): MultiCloudImageEvent[] {
  const events: MultiCloudImageEvent[] = [];
  const updated: { name?: string; description?: string } = {};
  if (merged.name !== ours.name) updated.name = merged.name;
  if (merged.description !== ours.description) updated.description = merged.description;
  if (Object.keys(updated).length > 0) events.push({ type: 'MultiCloudImageUpdated', data: updated });
  for (const cloudId of Object.keys(ours.settings).sort()) {
    const removed = ours.settings[cloudId];
    if (removed && !merged.settings[cloudId]) events.push({ type: 'ImageUnmapped', data: { cloudId, removed } });
  }
  for (const cloudId of Object.keys(merged.settings).sort()) {
    const setting = merged.settings[cloudId];
    const replaced = ours.settings[cloudId] ?? null;
    if (setting && !jsonEqual(setting, replaced)) events.push({ type: 'ImageMapped', data: { ...setting, replaced } });
  }
  return events;
}
