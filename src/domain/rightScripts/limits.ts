import { DomainError, ErrorCode } from '../errors';
import { utf8ByteLength } from '../versionControl/text';

/*
 * The bounds of a RightScript's content. Their own module because both the decider (rightScript.ts)
 * and the three-way merge (merge.ts), which the decider imports, check them: neither imports the other
 * for them.
 */

export const MAX_SOURCE_BYTES = 256 * 1024;
export const MAX_INPUTS = 100;
export const MAX_INPUT_DEFAULT_BYTES = 4 * 1024;

export function checkSource(source: string): void {
  const bytes = utf8ByteLength(source);
  if (bytes > MAX_SOURCE_BYTES) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `source: expected at most ${MAX_SOURCE_BYTES} bytes (256 KiB) in UTF-8, got ${bytes}`);
  }
}
