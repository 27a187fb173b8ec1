import type { Architecture, CloudInfo, Image, ImageStatus, InstanceType } from '../domain/catalog/cloud';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import type { QueryRecorder } from './queryRecorder';

interface ImageRow {
  id: string;
  cloud_id: string;
  name: string;
  os: string;
  os_version: string;
  architecture: string;
  status: string;
}

interface InstanceTypeRow {
  id: string;
  cloud_id: string;
  name: string;
  architectures: string;
}

// The rows were written by projections/catalog.ts from events the cloud decider checked: their
// architecture and status values are the domain's own.
const toImage = (row: ImageRow): Image => ({
  id: row.id,
  cloudId: row.cloud_id,
  name: row.name,
  os: row.os,
  osVersion: row.os_version,
  architecture: row.architecture as Architecture,
  status: row.status as ImageStatus,
});

const toInstanceType = (row: InstanceTypeRow): InstanceType => ({
  id: row.id,
  cloudId: row.cloud_id,
  name: row.name,
  architectures: row.architectures.split(',').filter((a) => a.length > 0) as Architecture[],
});

/*
 * Batch reads bind the whole id list as one JSON parameter (`json_each`), so each method is one
 * prepared statement whatever the batch size: a DataLoader batch costs one read.
 */
const IDS = 'SELECT value FROM json_each(?)';

/**
 * Reads of the catalog read models (tables written by projections/catalog.ts). Batch methods return
 * the rows found, in no promised order: the DataLoaders put them in key order.
 *
 * Usage: const [image] = queries.catalog.imagesByIds(['aws-us-east-1/RightImage_CentOS_5.6_x64_v5.7']);
 */
export class CatalogQueries {
  private readonly statements: StatementCache;
  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** Every registered cloud, by provider then id. */
  allClouds(): CloudInfo[] {
    this.recorder.record('allClouds');
    return this.statements.get('SELECT id, name, provider FROM rm_clouds ORDER BY provider, id').all() as CloudInfo[];
  }

  cloudsByIds(ids: readonly string[]): CloudInfo[] {
    this.recorder.record('cloudsByIds');
    if (ids.length === 0) return [];
    return this.statements.get(`SELECT id, name, provider FROM rm_clouds WHERE id IN (${IDS})`).all(JSON.stringify(ids)) as CloudInfo[];
  }

  imagesByIds(ids: readonly string[]): Image[] {
    this.recorder.record('imagesByIds');
    if (ids.length === 0) return [];
    return (this.statements.get(`SELECT * FROM rm_images WHERE id IN (${IDS})`).all(JSON.stringify(ids)) as ImageRow[]).map(toImage);
  }

  instanceTypesByIds(ids: readonly string[]): InstanceType[] {
    this.recorder.record('instanceTypesByIds');
    if (ids.length === 0) return [];
    return (this.statements.get(`SELECT * FROM rm_instance_types WHERE id IN (${IDS})`).all(JSON.stringify(ids)) as InstanceTypeRow[]).map(
      toInstanceType,
    );
  }

  /** The images of these clouds, each cloud's by name then id. */
  imagesByCloudIds(cloudIds: readonly string[]): Image[] {
    this.recorder.record('imagesByCloudIds');
    if (cloudIds.length === 0) return [];
    return (
      this.statements
        .get(`SELECT * FROM rm_images WHERE cloud_id IN (${IDS}) ORDER BY cloud_id, name, id`)
        .all(JSON.stringify(cloudIds)) as ImageRow[]
    ).map(toImage);
  }

  /** The instance types of these clouds, each cloud's by name then id. */
  instanceTypesByCloudIds(cloudIds: readonly string[]): InstanceType[] {
    this.recorder.record('instanceTypesByCloudIds');
    if (cloudIds.length === 0) return [];
    return (
      this.statements
        .get(`SELECT * FROM rm_instance_types WHERE cloud_id IN (${IDS}) ORDER BY cloud_id, name, id`)
        .all(JSON.stringify(cloudIds)) as InstanceTypeRow[]
    ).map(toInstanceType);
  }
}
