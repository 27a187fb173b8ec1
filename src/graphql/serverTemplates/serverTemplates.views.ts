import { SERVER_TEMPLATE_KIND, type ServerTemplateContent } from '../../domain/serverTemplates/serverTemplate.types';
import type { ServerTemplateSnapshot } from '../../readModels/serverTemplatesQueries';
import { componentViews } from '../versionControl/componentViews';
import { serverTemplateHeadLoader, serverTemplateSnapshotLoader } from './serverTemplates.loaders';
import type { ServerTemplate } from './serverTemplates.types';

/*
 * The plain objects behind the ServerTemplate GraphQL type (componentViews.ts: HEAD, a committed
 * revision, a past instant; another account's template is NOT_FOUND, exactly like a missing one).
 * What HEAD and a committed revision pin is loaded in batch from the pins table by (id, revision);
 * only a past instant's content, which no table keeps, travels in the view.
 */

const views = componentViews<ServerTemplateContent, ServerTemplateSnapshot, ServerTemplate>({
  name: SERVER_TEMPLATE_KIND,
  heads: serverTemplateHeadLoader,
  snapshots: serverTemplateSnapshotLoader,
  queries: (ctx) => ctx.services.queries.serverTemplates,
  frozenInPast: (content) => ({ frozenContent: content }),
});

export const { headView, snapshotView, pastView, freshHeadView } = views;
export const loadServerTemplateView = views.loadView;
export const serverTemplateContentAt = views.contentAt;
