import {
  RIGHT_SCRIPT_EVENT_TYPES,
  RIGHT_SCRIPT_STREAM_PREFIX,
  rightScriptDecider,
  type RightScriptEvent,
  type RightScriptState,
} from '../src/domain/rightScripts/rightScript';
import { applyToHead, headTableSchema, insertSnapshot, snapshotTableSchema, type HeadTable, type SnapshotTable } from './componentTables';
import type { Projection } from './projection';

/*
 * RightScripts as the API reads them, written from the `rightscript-<id>` streams: `rm_right_scripts`
 * (head rows) and `rm_right_script_revisions` (revision snapshots), the tables every component kind
 * keeps (componentTables.ts). HEAD's source and inputs are read out of the head row's state with
 * `json_extract`, so a page that doesn't ask for a 256 KiB source never parses it.
 */

export const RIGHT_SCRIPT_TABLES = ['rm_right_scripts', 'rm_right_script_revisions'] as const;

const HEADS: HeadTable<RightScriptState, RightScriptEvent> = {
  table: 'rm_right_scripts',
  streamPrefix: RIGHT_SCRIPT_STREAM_PREFIX,
  decider: rightScriptDecider,
};
const SNAPSHOTS: SnapshotTable = { table: 'rm_right_script_revisions', componentColumn: 'right_script_id' };

export const rightScriptsProjection: Projection = {
  name: 'rightScripts',
  version: 1,
  handles: RIGHT_SCRIPT_EVENT_TYPES,
  tables: RIGHT_SCRIPT_TABLES,
  schema: [...headTableSchema(HEADS.table), snapshotTableSchema(SNAPSHOTS)],
  apply(event, db) {
    // `RevisionCommitted`, `ComponentCloned` and `ComponentDeleted` are shared with other kinds: the
    // stream prefix tells them apart.
    const applied = applyToHead(HEADS, event, db);
    if (applied?.event.type === 'RevisionCommitted' && applied.state.status === 'active') {
      insertSnapshot(db, SNAPSHOTS, applied.id, applied.event.data, applied.state.head);
    }
  },
};
