import { fieldChanges, keyedChanges, type Change } from '../versionControl/change';
import type { MultiCloudImageContent, MultiCloudImageSetting } from './multiCloudImage';

/*
 * Field-level diff of two MCI contents (any two revisions of one MCI, or of two MCIs). Paths:
 * `name`, `description`, `settings.<cloudId>` (a whole setting ADDED or REMOVED) and
 * `settings.<cloudId>.<field>` (CHANGED) for the fields below.
 */

/** Setting fields as diff paths name them (the API's names, without the `Id` suffix). */
export const SETTING_FIELDS: ReadonlyArray<readonly [string, keyof MultiCloudImageSetting]> = [
  ['image', 'imageId'],
  ['instanceType', 'instanceTypeId'],
  ['kernelImage', 'kernelImageId'],
  ['ramdiskImage', 'ramdiskImageId'],
  ['userData', 'userData'],
];

export function diffMultiCloudImages(before: MultiCloudImageContent, after: MultiCloudImageContent): Change[] {
  return [
    ...fieldChanges('name', before.name, after.name),
    ...fieldChanges('description', before.description, after.description),
    ...keyedChanges('settings', before.settings, after.settings, (path, left, right) =>
      SETTING_FIELDS.flatMap(([field, key]) => fieldChanges(`${path}.${field}`, left[key], right[key])),
    ),
  ];
}
