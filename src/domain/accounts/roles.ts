/**
 * Roles are granted per account, on API tokens (domain.md, "Accounts, users, roles"). Every role
 * implies `observer`. The system operator right (catalog and account creation) is not a role of an
 * account: only the bootstrap admin holds it.
 */
export const ROLES = ['observer', 'designer', 'library', 'publisher', 'actor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What an `@Authorized(...)` declaration may ask for: a role, or the system operator right. */
export type Right = Role | 'systemOperator';

/** The authenticated caller of one request: resolved from its API token, never from the client's word. */
export interface Viewer {
  readonly accountId: string;
  readonly userId: string;
  readonly tokenId: string;
  readonly roles: readonly Role[];
  readonly systemOperator: boolean;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when the viewer holds at least one of `rights` (an empty list: any authenticated viewer). */
export function holdsAnyRight(viewer: Viewer, rights: readonly Right[]): boolean {
  if (rights.length === 0) return true;
  return rights.some((right) => {
    if (right === 'systemOperator') return viewer.systemOperator;
    if (right === 'observer') return viewer.roles.length > 0 || viewer.systemOperator;
    return viewer.roles.includes(right);
  });
}
