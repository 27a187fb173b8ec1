import { DomainError, ErrorCode } from '../errors';

/*
 * Bounds on the free text every component kind carries (names, descriptions, commit messages), so a
 * refusal reads the same whichever kind it is.
 */

export const MAX_NAME_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 4096;
export const MAX_COMMIT_MESSAGE_LENGTH = 4096;

/** A name: not blank, at most 255 characters. */
export function checkName(name: string, what = 'name'): void {
  if (name.trim().length === 0)
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected 1 to ${MAX_NAME_LENGTH} characters, got a blank name`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${what}: expected 1 to ${MAX_NAME_LENGTH} characters, got ${name.length}`);
  }
}

/** A description: may be empty, at most 4096 characters. */
export function checkDescription(description: string, what = 'description'): void {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `${what}: expected at most ${MAX_DESCRIPTION_LENGTH} characters, got ${description.length}`,
    );
  }
}

/** A commit message: required (not blank), at most 4096 characters. */
export function checkCommitMessage(message: string): void {
  if (message.trim().length === 0) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `commit message: expected 1 to ${MAX_COMMIT_MESSAGE_LENGTH} characters saying what changed, got a blank message`,
    );
  }
  if (message.length > MAX_COMMIT_MESSAGE_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `commit message: expected at most ${MAX_COMMIT_MESSAGE_LENGTH} characters, got ${message.length}`,
    );
  }
}

/** Bytes of `text` in UTF-8, counted without Node's Buffer so the domain stays pure. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
