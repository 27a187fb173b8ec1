import type { AccountEvent } from '../src/domain/accounts/account';
import type { Projection } from './projection';

/**
 * Accounts, users and API tokens: what authentication looks up on every request (a token by the hash
 * of its secret) and what `viewer` shows.
 */
export const accountsProjection: Projection = {
  name: 'accounts',
  version: 1,
  handles: ['AccountCreated', 'UserCreated', 'ApiTokenCreated', 'ApiTokenRevoked'],
  tables: ['rm_accounts', 'rm_users', 'rm_api_tokens'],
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_accounts (
       id         TEXT PRIMARY KEY,
       name       TEXT NOT NULL,
       created_at TEXT NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS rm_users (
       id         TEXT PRIMARY KEY,
       account_id TEXT NOT NULL,
       name       TEXT NOT NULL,
       created_at TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_users_account ON rm_users (account_id, name, id)`,
    `CREATE TABLE IF NOT EXISTS rm_api_tokens (
       id              TEXT PRIMARY KEY,
       account_id      TEXT NOT NULL,
       user_id         TEXT NOT NULL,
       name            TEXT NOT NULL,
       roles           TEXT NOT NULL,
       system_operator INTEGER NOT NULL,
       token_hash      TEXT NOT NULL UNIQUE,
       created_at      TEXT NOT NULL,
       revoked_at      TEXT
     )`,
    `CREATE INDEX IF NOT EXISTS rm_api_tokens_account ON rm_api_tokens (account_id, created_at)`,
  ],
  apply(recorded, db) {
    const accountId = recorded.stream.slice('account-'.length);
    const at = String(recorded.metadata.occurredAt);
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    // Every statement is an upsert or a guarded update, so applying an event twice changes nothing.
    switch (event.type) {
      case 'AccountCreated':
        db.run(
          `INSERT INTO rm_accounts (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          accountId,
          event.data.name,
          at,
        );
        return;
      case 'UserCreated':
        db.run(
          `INSERT INTO rm_users (id, account_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          event.data.userId,
          accountId,
          event.data.name,
          at,
        );
        return;
      case 'ApiTokenCreated':
        db.run(
          `INSERT INTO rm_api_tokens (id, account_id, user_id, name, roles, system_operator, token_hash, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          event.data.tokenId,
          accountId,
          event.data.userId,
          event.data.name,
          JSON.stringify(event.data.roles),
          event.data.systemOperator === true ? 1 : 0,
          event.data.tokenHash,
          at,
        );
        return;
      case 'ApiTokenRevoked':
        db.run(
          `UPDATE rm_api_tokens SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL`,
          at,
          event.data.tokenId,
          accountId,
        );
        return;
      default: {
        const unknown: never = event;
        throw new Error(`accounts projection: unexpected event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
