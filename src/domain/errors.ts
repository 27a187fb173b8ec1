/**
 * Every error code a client can see in `extensions.code`: the contract of design.md. One list, so the
 * error mapper, the tests and the docs can't disagree.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  NOT_HEAD: 'NOT_HEAD',
  READ_ONLY: 'READ_ONLY',
  NO_CHANGES: 'NO_CHANGES',
  HEAD_DEPENDENCIES: 'HEAD_DEPENDENCIES',
  IMAGE_NOT_IN_CLOUD: 'IMAGE_NOT_IN_CLOUD',
  IMAGE_OBSOLETE: 'IMAGE_OBSOLETE',
  ARCHITECTURE_MISMATCH: 'ARCHITECTURE_MISMATCH',
  NO_MCI_FOR_CLOUD: 'NO_MCI_FOR_CLOUD',
  IN_USE: 'IN_USE',
  MERGE_CONFLICT: 'MERGE_CONFLICT',
  NO_COMMON_ANCESTOR: 'NO_COMMON_ANCESTOR',
  ALREADY_PUBLISHED: 'ALREADY_PUBLISHED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A rule of the domain said no. Carries a stable code for clients and optional structured details
 * (e.g. the conflicts of a merge) that the error mapper passes on in `extensions`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
