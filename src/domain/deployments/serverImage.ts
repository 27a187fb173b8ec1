import { DomainError, ErrorCode } from '../errors';
import type { MultiCloudImageSetting } from '../multiCloudImages/multiCloudImage';

/*
 * Which image and instance type a server gets (domain.md, "Deployments and servers"): the MCI is
 * chosen among its template's, its setting for the server's cloud gives the image and instance
 * type, and either may be overridden by any image or instance type of that cloud, as long as the
 * cloud's catalog allows it (the image exists there and is not OBSOLETE, the type runs its
 * architecture).
 */

/** An MCI attached to a template revision, as the application read it from the MCI's own stream. */
export interface TemplateMultiCloudImageFacts {
  readonly multiCloudImageId: string;
  /** The revision the template pins (0: HEAD). */
  readonly revision: number;
  readonly isDefault: boolean;
  /** That revision's settings by cloud id (a HEAD pin: HEAD's settings now). */
  readonly settings: Readonly<Record<string, MultiCloudImageSetting>>;
  /** The MCI's newest committed revision now (0 before its first commit). */
  readonly latestRevision: number;
}

/** A ServerTemplate as the application found it in its stream, for the viewer's account or not. */
export interface ServerTemplateFacts {
  readonly id: string;
  readonly accountId: string;
  /** Its newest committed revision (0 before its first commit), to name the ones that exist. */
  readonly latestRevision: number;
  /** The revision asked for (0: HEAD). */
  readonly revision: number;
  /** The MCIs that revision pins, in the template's order; undefined when that revision was never committed. */
  readonly multiCloudImages: readonly TemplateMultiCloudImageFacts[] | undefined;
}

/** A template revision that exists, with the MCIs it pins. */
export type TemplateRevisionFacts = ServerTemplateFacts & { readonly multiCloudImages: readonly TemplateMultiCloudImageFacts[] };

/** Whether the template was found at that revision (with the MCIs it pins). */
export const isTemplateRevision = (template: ServerTemplateFacts | undefined): template is TemplateRevisionFacts =>
  template?.multiCloudImages !== undefined;

/** The MCI a server takes, with its setting for the server's cloud. */
export type SelectedMultiCloudImage = TemplateMultiCloudImageFacts & { readonly setting: MultiCloudImageSetting };

const quoted = (ids: readonly string[]): string => ids.map((id) => `'${id}'`).join(', ');
export const revisionName = (revision: number): string => (revision === 0 ? 'HEAD' : `revision ${revision}`);

/** The clouds any of the template revision's MCIs covers, sorted: its supported clouds. */
export function supportedClouds(template: TemplateRevisionFacts): string[] {
  return [...new Set(template.multiCloudImages.flatMap((mci) => Object.keys(mci.settings)))].sort();
}

/**
 * The MCI a server in `cloudId` uses, with its setting there: the one asked for (it must be the
 * template's and cover the cloud), else the default MCI if it covers the cloud, else the first
 * attached MCI that does.
 */
export function selectMultiCloudImage(
  template: TemplateRevisionFacts,
  cloudId: string,
  multiCloudImageId: string | null | undefined,
): SelectedMultiCloudImage {
  const covering = template.multiCloudImages.flatMap((mci) => {
    const setting = mci.settings[cloudId];
    return setting ? [{ ...mci, setting }] : [];
  });
  const where = `ServerTemplate '${template.id}' ${revisionName(template.revision)}`;
  if (multiCloudImageId !== undefined && multiCloudImageId !== null) {
    const asked = template.multiCloudImages.find((mci) => mci.multiCloudImageId === multiCloudImageId);
    if (!asked) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `multiCloudImageId: expected one of the MultiCloudImages of ${where} (${quoted(template.multiCloudImages.map((m) => m.multiCloudImageId))}), got '${multiCloudImageId}'`,
      );
    }
    const selected = covering.find((mci) => mci.multiCloudImageId === asked.multiCloudImageId);
    if (!selected) {
      const clouds = Object.keys(asked.settings).sort();
      throw new DomainError(
        ErrorCode.NO_MCI_FOR_CLOUD,
        `MultiCloudImage '${asked.multiCloudImageId}' (${revisionName(asked.revision)}) has no setting for cloud '${cloudId}': it covers ${clouds.length > 0 ? quoted(clouds) : 'no cloud'}`,
        { cloudId, multiCloudImageId: asked.multiCloudImageId, multiCloudImageClouds: clouds, supportedClouds: supportedClouds(template) },
      );
    }
    return selected;
  }
  const chosen = covering.find((mci) => mci.isDefault) ?? covering[0];
  if (!chosen) {
    const supported = supportedClouds(template);
    throw new DomainError(
      ErrorCode.NO_MCI_FOR_CLOUD,
      `${where} has no MultiCloudImage for cloud '${cloudId}': its supported clouds are ${supported.length > 0 ? quoted(supported) : 'none'}`,
      { cloudId, supportedClouds: supported },
    );
  }
  return chosen;
}
