import { timingSafeEqual } from 'node:crypto';
import { isRole, type Role, type Viewer } from '../domain/accounts/roles';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

export interface AccountRow {
  readonly id: string;
  readonly name: string;
}

export interface UserRow {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
}

export interface ApiTokenRow {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

interface TokenRecord {
  id: string;
  account_id: string;
  user_id: string;
  roles: string;
  system_operator: number;
  token_hash: string;
  revoked_at: string | null;
}

/** Reads of the accounts read models (tables written by projections/accounts.ts). */
export class AccountQueries {
  private readonly statements: StatementCache;
  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /**
   * The viewer a live token stands for, by the SHA-256 of its secret; `undefined` for an unknown or
   * revoked token alike, so callers can't tell the two apart.
   */
  viewerByTokenHash(tokenHash: string): Viewer | undefined {
    this.recorder.record('viewerByTokenHash');
    const row = this.statements
      .get(`SELECT id, account_id, user_id, roles, system_operator, token_hash, revoked_at FROM rm_api_tokens WHERE token_hash = ?`)
      .get(tokenHash) as TokenRecord | undefined;
    // The index found the row by the hash; comparing the full hash in constant time as well means no
    // part of the lookup's timing depends on how much of a guess was right.
    const presented = Buffer.from(tokenHash, 'hex');
    const stored = Buffer.from(row?.token_hash ?? '00'.repeat(presented.length || 32), 'hex');
    const same = presented.length === stored.length && timingSafeEqual(presented, stored);
    if (!row || !same || row.revoked_at !== null) return undefined;
    return {
      accountId: row.account_id,
      userId: row.user_id,
      tokenId: row.id,
      roles: parseRoles(row.roles),
      systemOperator: row.system_operator === 1,
    };
  }

  account(id: string): AccountRow | undefined {
    this.recorder.record('account');
    return this.statements.get(`SELECT id, name FROM rm_accounts WHERE id = ?`).get(id) as AccountRow | undefined;
  }

  /** A user of `accountId`; a user of another account is as absent as one that never existed. */
  user(accountId: string, userId: string): UserRow | undefined {
    this.recorder.record('user');
    return this.statements
      .get(`SELECT id, account_id AS accountId, name FROM rm_users WHERE id = ? AND account_id = ?`)
      .get(userId, accountId) as UserRow | undefined;
  }

  users(accountId: string): UserRow[] {
    this.recorder.record('users');
    return this.statements
      .get(`SELECT id, account_id AS accountId, name FROM rm_users WHERE account_id = ? ORDER BY name, id`)
      .all(accountId) as UserRow[];
  }

  apiTokens(accountId: string): ApiTokenRow[] {
    this.recorder.record('apiTokens');
    const rows = this.statements.get(`${TOKEN_COLUMNS} WHERE account_id = ? ORDER BY created_at, id`).all(accountId) as TokenRow[];
    return rows.map(toApiTokenRow);
  }

  /** A token of `accountId`; one of another account is as absent as one that never existed. */
  apiToken(accountId: string, tokenId: string): ApiTokenRow | undefined {
    this.recorder.record('apiToken');
    const row = this.statements.get(`${TOKEN_COLUMNS} WHERE account_id = ? AND id = ?`).get(accountId, tokenId) as TokenRow | undefined;
    return row && toApiTokenRow(row);
  }
}

const TOKEN_COLUMNS = `SELECT id, user_id AS userId, name, roles, created_at AS createdAt, revoked_at AS revokedAt FROM rm_api_tokens`;
type TokenRow = Omit<ApiTokenRow, 'roles'> & { roles: string };
const toApiTokenRow = (row: TokenRow): ApiTokenRow => ({ ...row, roles: parseRoles(row.roles) });

function parseRoles(json: string): Role[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter(isRole) : [];
}
