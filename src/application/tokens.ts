import { createHash, randomBytes } from 'node:crypto';

/** Prefix that makes a leaked token easy to recognise (and to scan for) as one of ours. */
const TOKEN_PREFIX = 'mci_';

/** A new API token secret: 256 random bits. Shown once to its creator, never stored. */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What is stored instead of the secret. The secret has 256 bits of entropy, so a fast hash is enough. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Longest token accepted in a header: anything longer can't be one of ours or a BOOTSTRAP_TOKEN. */
export const MAX_TOKEN_LENGTH = 256;

/**
 * The token of an `Authorization: Bearer <token>` header (or graphql-ws connection param), or
 * `undefined` when there is none or it is malformed.
 */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/iu.exec(header);
  const token = match?.[1];
  return token !== undefined && token.length <= MAX_TOKEN_LENGTH ? token : undefined;
}
