import type { Image } from '../catalog/cloud';
import type { MultiCloudImageContent } from './multiCloudImage';

/*
 * Best practice for an MCI (domain.md): every setting points at the same OS, OS version and
 * architecture, and the MCI is named after that image (e.g. `RightImage_CentOS_5.6_x64_v5.7`).
 * A lint, not a rule: it warns, it never refuses.
 */

export const WARNING_CODES = [
  'MIXED_OS',
  'MIXED_OS_VERSION',
  'MIXED_ARCHITECTURE',
  'NAME_MISMATCH',
  'DEPRECATED_IMAGE',
  'OBSOLETE_IMAGE',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Warning {
  readonly code: WarningCode;
  readonly message: string;
}

/** How the lint finds a setting's images: the catalog as the caller has it (undefined: unknown image). */
export type ImageLookup = (cloudId: string, imageId: string) => Image | undefined;

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function mixed(code: WarningCode, what: string, byCloud: ReadonlyArray<readonly [string, string]>): Warning[] {
  const values = distinct(byCloud.map(([, value]) => value));
  if (values.length < 2) return [];
  const where = values.map(
    (value) =>
      `${value} (${byCloud
        .filter(([, v]) => v === value)
        .map(([cloudId]) => cloudId)
        .join(', ')})`,
  );
  return [
    {
      code,
      message: `settings point at images of different ${what}: ${where.join('; ')}; best practice is one ${what} per MultiCloudImage`,
    },
  ];
}

/** The warnings for `content`, in a stable order: mixes first, then the name, then image status per cloud. */
export function lintMultiCloudImage(content: MultiCloudImageContent, imageOf: ImageLookup): Warning[] {
  const settings = Object.values(content.settings).sort((a, b) => (a.cloudId < b.cloudId ? -1 : a.cloudId > b.cloudId ? 1 : 0));
  const images = settings.flatMap((setting) => {
    const image = imageOf(setting.cloudId, setting.imageId);
    return image ? [[setting.cloudId, image] as const] : [];
  });
  const warnings: Warning[] = [
    ...mixed(
      'MIXED_OS',
      'OS',
      images.map(([cloudId, image]) => [cloudId, image.os]),
    ),
    ...mixed(
      'MIXED_OS_VERSION',
      'OS version',
      images.map(([cloudId, image]) => [cloudId, `${image.os} ${image.osVersion}`]),
    ),
    ...mixed(
      'MIXED_ARCHITECTURE',
      'architecture',
      images.map(([cloudId, image]) => [cloudId, image.architecture]),
    ),
  ];

  // Named after its image: the name contains the image's name (a suffix like " (web)" is fine).
  const name = content.name.trim().toLowerCase();
  const unmatched = distinct(images.map(([, image]) => image.name).filter((imageName) => !name.includes(imageName.toLowerCase())));
  if (unmatched.length > 0) {
    warnings.push({
      code: 'NAME_MISMATCH',
      message: `name '${content.name}' doesn't match its image${unmatched.length > 1 ? 's' : ''} ${unmatched.map((n) => `'${n}'`).join(', ')}; best practice is to name a MultiCloudImage after its image`,
    });
  }

  for (const setting of settings) {
    const used: Array<readonly [string, string | null]> = [
      ['image', setting.imageId],
      ['kernel image', setting.kernelImageId],
      ['ramdisk image', setting.ramdiskImageId],
    ];
    for (const [what, imageId] of used) {
      if (imageId === null) continue;
      const image = imageOf(setting.cloudId, imageId);
      if (image?.status === 'DEPRECATED') {
        warnings.push({
          code: 'DEPRECATED_IMAGE',
          message: `${what} '${image.name}' (${image.id}) of cloud '${setting.cloudId}' is DEPRECATED: it still works, but plan to move to an ACTIVE image`,
        });
      } else if (image?.status === 'OBSOLETE') {
        warnings.push({
          code: 'OBSOLETE_IMAGE',
          message: `${what} '${image.name}' (${image.id}) of cloud '${setting.cloudId}' is OBSOLETE: servers can't be launched from it; map an ACTIVE image`,
        });
      }
    }
  }
  return warnings;
}
