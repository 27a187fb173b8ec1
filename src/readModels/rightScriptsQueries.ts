import type { RightScriptContent, RightScriptInput } from '../domain/rightScripts/rightScript';
import type { SqliteDatabase } from '../sqlite/database';
import {
  ComponentQueries,
  IDS,
  toCommittedRevision,
  type CommittedRevisionRow,
  type ComponentHead,
  type SnapshotRow,
} from './componentQueries';
import type { QueryRecorder } from './queryRecorder';

/** A script's head row: what every view of it shares, whichever revision is shown. */
export type RightScriptHead = ComponentHead;

export interface RightScriptRevisionRow extends CommittedRevisionRow {
  readonly rightScriptId: string;
}

/** A committed revision with the content it froze. */
export interface RightScriptSnapshot extends RightScriptRevisionRow {
  readonly content: RightScriptContent;
}

/**
 * Reads of the rightScripts read models (tables written by projections/rightScripts.ts): the reads
 * every component kind shares (ComponentQueries, recorded as `rightScripts.<read>`) and HEAD's source
 * and inputs, read out of the head row's state without parsing the rest.
 *
 * Usage: const [head] = queries.rightScripts.headsByIds(viewer.accountId, [id]);
 */
export class RightScriptQueries extends ComponentQueries<RightScriptContent, RightScriptRevisionRow, RightScriptSnapshot> {
  constructor(db: SqliteDatabase, recorder: QueryRecorder) {
    super(db, recorder, {
      heads: 'rm_right_scripts',
      snapshots: 'rm_right_script_revisions',
      componentColumn: 'right_script_id',
      readPrefix: 'rightScripts.',
    });
  }

  protected override toRevision(row: SnapshotRow): RightScriptRevisionRow {
    return { rightScriptId: row.component_id, ...toCommittedRevision(row) };
  }

  protected override toSnapshot(row: SnapshotRow & { readonly content: string }): RightScriptSnapshot {
    return { ...this.toRevision(row), content: JSON.parse(row.content) as RightScriptContent };
  }

  /** HEAD's source of the given scripts. */
  sourcesByRightScriptIds(ids: readonly string[]): Array<{ rightScriptId: string; source: string }> {
    this.recorder.record('rightScripts.sourcesByRightScriptIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT id, json_extract(state, '$.head.source') AS source FROM rm_right_scripts WHERE deleted = 0 AND id IN (${IDS})`)
      .all(JSON.stringify(ids)) as Array<{ id: string; source: string | null }>;
    return rows.map((row) => ({ rightScriptId: row.id, source: row.source ?? '' }));
  }

  /** HEAD's inputs of the given scripts, by name. */
  inputsByRightScriptIds(ids: readonly string[]): Array<{ rightScriptId: string; inputs: RightScriptInput[] }> {
    this.recorder.record('rightScripts.inputsByRightScriptIds');
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(`SELECT id, json_extract(state, '$.head.inputs') AS inputs FROM rm_right_scripts WHERE deleted = 0 AND id IN (${IDS})`)
      .all(JSON.stringify(ids)) as Array<{ id: string; inputs: string | null }>;
    return rows.map((row) => ({
      rightScriptId: row.id,
      inputs: row.inputs === null ? [] : (JSON.parse(row.inputs) as RightScriptInput[]),
    }));
  }

  /** The committed revisions of the given scripts (without their content), oldest first. */
  revisionsByRightScriptIds(ids: readonly string[]): RightScriptRevisionRow[] {
    this.recorder.record('rightScripts.revisionsByRightScriptIds');
    return this.revisionsOf(ids);
  }
}
