import { DomainError, ErrorCode } from '../errors';
import { isCompatible, type Image, type InstanceType, type RegisteredCloud } from './cloud';

/*
 * The catalog rules an MCI setting and a server both obey (domain.md, "Clouds and their resources"):
 * an image exists in one cloud, an OBSOLETE one can't be newly used, an instance type is offered by its
 * cloud and must run the image's architecture. Each check says what was expected and what arrived.
 */

const quoted = (ids: readonly string[]): string => ids.map((id) => `'${id}'`).join(', ');

/**
 * An image of `cloud` that may be newly used: it exists there (IMAGE_NOT_IN_CLOUD) and is not OBSOLETE
 * (IMAGE_OBSOLETE). `what` names it in messages (`image`, `kernel image`, `image 'x' of MCI …`), `use` is
 * what it is about to be (`mapped`, `launched`).
 */
export function availableImage(cloud: RegisteredCloud, imageId: string, use: 'mapped' | 'launched', what = `image '${imageId}'`): Image {
  const image = cloud.images[imageId];
  if (!image) {
    const known = Object.keys(cloud.images).slice(0, 10);
    throw new DomainError(
      ErrorCode.IMAGE_NOT_IN_CLOUD,
      `${what} is not an image of cloud '${cloud.id}' (${known.length > 0 ? `its images include ${quoted(known)}` : 'it has no images'})`,
      { cloudId: cloud.id, imageId },
    );
  }
  if (image.status === 'OBSOLETE') {
    throw new DomainError(
      ErrorCode.IMAGE_OBSOLETE,
      `${what} of cloud '${cloud.id}' is OBSOLETE: it can't be newly ${use}; choose an ACTIVE image`,
      { cloudId: cloud.id, imageId },
    );
  }
  return image;
}

/** An instance type `cloud` offers (BAD_USER_INPUT otherwise, listing what it offers). */
export function offeredInstanceType(cloud: RegisteredCloud, instanceTypeId: string): InstanceType {
  const instanceType = cloud.instanceTypes[instanceTypeId];
  if (!instanceType) {
    const offered = Object.keys(cloud.instanceTypes);
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `instanceTypeId: expected an instance type of cloud '${cloud.id}' (${offered.length > 0 ? quoted(offered) : 'it offers none'}), got '${instanceTypeId}'`,
    );
  }
  return instanceType;
}

/** ARCHITECTURE_MISMATCH unless the instance type runs the image's architecture. */
export function assertRunsOn(image: Image, instanceType: InstanceType): void {
  if (isCompatible(image, instanceType)) return;
  throw new DomainError(
    ErrorCode.ARCHITECTURE_MISMATCH,
    `instance type '${instanceType.id}' runs ${instanceType.architectures.join(', ')}, but image '${image.id}' is ${image.architecture}`,
    { imageArchitecture: image.architecture, instanceTypeArchitectures: [...instanceType.architectures] },
  );
}
