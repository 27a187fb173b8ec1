import type { Projection, ReadModelWriter } from './projection';

/*
 * The cloud catalog as the API lists it: clouds, their images and instance types. One row per cloud,
 * image and instance type, written from the `cloud-<id>` streams.
 *
 * Idempotent under replay: each cloud row remembers the revision of the last event of its stream
 * that was applied, and an event at or below it is skipped. Image and instance type ids are unique
 * across clouds (the application checks that before it appends); should two clouds ever claim one
 * id, the first registration keeps it, so the read model never fails on the log.
 */

const CATALOG_EVENTS = ['CloudRegistered', 'ImageRegistered', 'InstanceTypeRegistered', 'ImageDeprecated'] as const;

/** How a row stores the architectures an instance type runs: sorted, comma-separated (`i386,x86_64`). */
export const joinArchitectures = (architectures: readonly string[]): string => [...new Set(architectures)].sort().join(',');

interface CatalogEventData {
  readonly cloudId: string;
  readonly name: string;
  readonly provider: string;
  readonly id: string;
  readonly os: string;
  readonly osVersion: string;
  readonly architecture: string;
  readonly architectures: readonly string[];
  readonly imageId: string;
  readonly status?: string;
}

function cloudRevision(db: ReadModelWriter, cloudId: string): bigint | undefined {
  const row = db.get<{ revision: number | bigint }>('SELECT revision FROM rm_clouds WHERE id = ?', cloudId);
  return row === undefined ? undefined : BigInt(row.revision);
}

export const catalogProjection: Projection = {
  name: 'catalog',
  version: 1,
  handles: CATALOG_EVENTS,
  tables: ['rm_clouds', 'rm_images', 'rm_instance_types'],
  schema: [
    `CREATE TABLE IF NOT EXISTS rm_clouds (
       id        TEXT PRIMARY KEY,
       name      TEXT NOT NULL,
       provider  TEXT NOT NULL,
       revision  INTEGER NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS rm_images (
       id           TEXT PRIMARY KEY,
       cloud_id     TEXT NOT NULL,
       name         TEXT NOT NULL,
       os           TEXT NOT NULL,
       os_version   TEXT NOT NULL,
       architecture TEXT NOT NULL,
       status       TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_images_cloud ON rm_images (cloud_id, name, id)`,
    `CREATE TABLE IF NOT EXISTS rm_instance_types (
       id            TEXT PRIMARY KEY,
       cloud_id      TEXT NOT NULL,
       name          TEXT NOT NULL,
       architectures TEXT NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS rm_instance_types_cloud ON rm_instance_types (cloud_id, name, id)`,
  ],
  apply(event, db) {
    if (!event.stream.startsWith('cloud-')) return;
    const data = event.data as unknown as CatalogEventData;
    if (event.type === 'CloudRegistered') {
      db.run(
        'INSERT INTO rm_clouds (id, name, provider, revision) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        data.cloudId,
        data.name,
        data.provider,
        event.revision,
      );
      return;
    }
    const applied = cloudRevision(db, data.cloudId);
    // No cloud row: an event of a stream whose registration we never saw (can't happen in a valid log).
    if (applied === undefined || event.revision <= applied) return;
    switch (event.type) {
      case 'ImageRegistered':
        db.run(
          `INSERT INTO rm_images (id, cloud_id, name, os, os_version, architecture, status) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO NOTHING`,
          data.id,
          data.cloudId,
          data.name,
          data.os,
          data.osVersion,
          data.architecture,
          data.status ?? 'ACTIVE',
        );
        break;
      case 'InstanceTypeRegistered':
        db.run(
          `INSERT INTO rm_instance_types (id, cloud_id, name, architectures) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          data.id,
          data.cloudId,
          data.name,
          joinArchitectures(data.architectures),
        );
        break;
      case 'ImageDeprecated':
        db.run('UPDATE rm_images SET status = ? WHERE id = ? AND cloud_id = ?', data.status ?? 'DEPRECATED', data.imageId, data.cloudId);
        break;
      default:
        return;
    }
    db.run('UPDATE rm_clouds SET revision = ? WHERE id = ?', event.revision, data.cloudId);
  },
};
