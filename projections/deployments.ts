import { DEPLOYMENT_EVENT_TYPES, DEPLOYMENT_STREAM_PREFIX, type DeploymentEvent } from '../src/domain/deployments/deployment';
import { componentSortKey } from './componentTables';
import type { Projection, ReadModelWriter } from './projection';

/*
 * Deployments and their servers as the API reads them, written from the `deployment-<id>` streams:
 *
 * - `rm_deployments`: one row per deployment, with the stream revision of its last event (`version`,
 *   what a client passes back as `expectedVersion`) and its place in the list order.
 * - `rm_servers`: one row per server, in the order it was added, with what it was built from (the
 *   template and MCI revisions) and what it runs (image, instance type). The MCI's newest revision
 *   when the server took it is kept, so the API can tell a server that a newer one exists by joining
 *   the MCI's head row.
 *
 * Idempotent under replay: an event at or below the deployment row's version is skipped.
 */

export const DEPLOYMENT_TABLES = ['rm_deployments', 'rm_servers'] as const;

function touch(db: ReadModelWriter, id: string, version: bigint, at: string): void {
  db.run('UPDATE rm_deployments SET version = ?, updated_at = ? WHERE id = ?', version, at, id);
}

export const deploymentsProjection: Projection = {
  name: 'deployments',
  version: 1,
  handles: DEPLOYMENT_EVENT_TYPES,
  tables: DEPLOYMENT_TABLES,
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_deployments (
       id           TEXT PRIMARY KEY,
       account_id   TEXT NOT NULL,
       name         TEXT NOT NULL,
       version      INTEGER NOT NULL,
       server_count INTEGER NOT NULL,
       sort_key     TEXT NOT NULL,
       created_at   TEXT NOT NULL,
       updated_at   TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_deployments_account ON rm_deployments (account_id, sort_key)`,
    `CREATE TABLE IF NOT EXISTS rm_servers (
       deployment_id            TEXT NOT NULL,
       id                       TEXT NOT NULL,
       ordinal                  INTEGER NOT NULL,
       name                     TEXT NOT NULL,
       cloud_id                 TEXT NOT NULL,
       server_template_id       TEXT NOT NULL,
       server_template_revision INTEGER NOT NULL,
       mci_id                   TEXT NOT NULL,
       mci_revision             INTEGER NOT NULL,
       mci_latest_revision      INTEGER NOT NULL,
       image_id                 TEXT NOT NULL,
       instance_type_id         TEXT NOT NULL,
       created_at               TEXT NOT NULL,
       updated_at               TEXT NOT NULL,
       PRIMARY KEY (deployment_id, id)
     )`,
    `CREATE INDEX IF NOT EXISTS rm_servers_order ON rm_servers (deployment_id, ordinal)`,
    // Impact analysis: which servers were built from an MCI or a template.
    `CREATE INDEX IF NOT EXISTS rm_servers_mci ON rm_servers (mci_id)`,
    `CREATE INDEX IF NOT EXISTS rm_servers_template ON rm_servers (server_template_id)`,
  ],
  apply(event, db) {
    if (!event.stream.startsWith(DEPLOYMENT_STREAM_PREFIX)) return;
    const id = event.stream.slice(DEPLOYMENT_STREAM_PREFIX.length);
    const row = db.get<{ version: number | bigint; server_count: number | bigint }>(
      'SELECT version, server_count FROM rm_deployments WHERE id = ?',
      id,
    );
    if (row && BigInt(row.version) >= event.revision) return;
    // The decider wrote these events and the hash chain guards them: their shape is trusted here.
    const domainEvent = { type: event.type, data: event.data } as DeploymentEvent;
    const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
    switch (domainEvent.type) {
      case 'DeploymentCreated': {
        const { accountId, name } = domainEvent.data;
        db.run(
          `INSERT INTO rm_deployments (id, account_id, name, version, server_count, sort_key, created_at, updated_at)
           VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
          id,
          accountId,
          name,
          event.revision,
          componentSortKey(event.position),
          at,
          at,
        );
        return;
      }
      case 'ServerAdded': {
        if (!row) return;
        const server = domainEvent.data;
        db.run(
          `INSERT INTO rm_servers (deployment_id, id, ordinal, name, cloud_id, server_template_id, server_template_revision,
                                   mci_id, mci_revision, mci_latest_revision, image_id, instance_type_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          server.serverId,
          row.server_count,
          server.name,
          server.cloudId,
          server.serverTemplate.id,
          server.serverTemplate.revision,
          server.multiCloudImage.id,
          server.multiCloudImage.revision,
          server.multiCloudImageLatestRevision,
          server.imageId,
          server.instanceTypeId,
          at,
          at,
        );
        db.run('UPDATE rm_deployments SET server_count = server_count + 1 WHERE id = ?', id);
        touch(db, id, event.revision, at);
        return;
      }
      case 'ServerUpdated': {
        if (!row) return;
        const changed = domainEvent.data;
        db.run(
          `UPDATE rm_servers SET
             mci_id = coalesce(?, mci_id),
             mci_revision = coalesce(?, mci_revision),
             mci_latest_revision = coalesce(?, mci_latest_revision),
             image_id = coalesce(?, image_id),
             instance_type_id = coalesce(?, instance_type_id),
             updated_at = ?
           WHERE deployment_id = ? AND id = ?`,
          changed.multiCloudImage?.id ?? null,
          changed.multiCloudImage?.revision ?? null,
          changed.multiCloudImageLatestRevision ?? null,
          changed.imageId ?? null,
          changed.instanceTypeId ?? null,
          at,
          id,
          changed.serverId,
        );
        touch(db, id, event.revision, at);
        return;
      }
      default: {
        const unknown: never = domainEvent;
        throw new Error(`unknown Deployment event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
