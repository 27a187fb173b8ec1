import { RIGHT_SCRIPT_KIND, type RightScriptContent } from '../../domain/rightScripts/rightScript';
import type { RightScriptSnapshot } from '../../readModels/rightScriptsQueries';
import { componentViews } from '../versionControl/componentViews';
import { rightScriptHeadLoader, rightScriptSnapshotLoader } from './rightScripts.loaders';
import type { RightScript } from './rightScripts.types';

/*
 * The plain objects behind the RightScript GraphQL type (componentViews.ts: HEAD, a committed
 * revision, a past instant; another account's script is NOT_FOUND, exactly like a missing one). A
 * revision's or a past instant's content is at hand and travels in the view; HEAD's source and inputs
 * are loaded in batch by their fields.
 */

const frozen = (content: RightScriptContent): Pick<RightScript, 'frozen'> => ({ frozen: content });

const views = componentViews<RightScriptContent, RightScriptSnapshot, RightScript>({
  name: RIGHT_SCRIPT_KIND,
  heads: rightScriptHeadLoader,
  snapshots: rightScriptSnapshotLoader,
  queries: (ctx) => ctx.services.queries.rightScripts,
  frozenAtRevision: frozen,
  frozenInPast: frozen,
});

export const { headView, snapshotView, pastView, freshHeadView } = views;
export const loadRightScriptView = views.loadView;
export const rightScriptContentAt = views.contentAt;
