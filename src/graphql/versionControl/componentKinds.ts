import { COMPONENT_ID, componentOwner, componentStream, type ComponentKind } from '../../application/components';
import { multiCloudImageKind } from '../../application/multiCloudImages';
import { diffMultiCloudImages } from '../../domain/multiCloudImages/diff';
import type { ActiveMultiCloudImage, MultiCloudImageContent } from '../../domain/multiCloudImages/multiCloudImage';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Change } from '../../domain/versionControl/change';
import type { GraphQLContext } from '../context';
import { multiCloudImageContentAt, pastView as multiCloudImagePastView } from '../multiCloudImages/multiCloudImages.views';
import type { VersionedComponent } from './versionControl.types';
import { rightScriptKind } from '../../application/rightScripts';
import { diffRightScripts } from '../../domain/rightScripts/diff';
import type { ActiveRightScript, RightScriptContent } from '../../domain/rightScripts/rightScript';
import { pastView as rightScriptPastView, rightScriptContentAt } from '../rightScripts/rightScripts.views';
import { serverTemplateKind } from '../../application/serverTemplates';
import { diffServerTemplates } from '../../domain/serverTemplates/diff';
import type { ActiveServerTemplate, ServerTemplateContent } from '../../domain/serverTemplates/serverTemplate.types';
import { pastView as serverTemplatePastView, serverTemplateContentAt } from '../serverTemplates/serverTemplates.views';

/*
 * The component kinds the version-control operations (history, componentAt, diff, and whatever reads
 * every kind alike) dispatch over. Each kind registers here once, with how the API reads its content
 * and shows a past state; the component's kind is found from which stream holds its id.
 */

export interface ComponentKindApi<Content = unknown, Active = unknown> {
  /** How its stream is read and folded (application layer). */
  readonly component: ComponentKind;
  /** The content diff compares, at a revision (omitted or 0: HEAD); NOT_FOUND outside the viewer's account. */
  contentAt(ctx: GraphQLContext, id: string, revision: number | null | undefined): Promise<Content>;
  diff(before: Content, after: Content): Change[];
  /** Time travel: the component as its folded HEAD stood at an instant. */
  pastView(state: Active, version: number): VersionedComponent;
}

/** Declares a kind with its own content and state types, checked here, stored untyped in the list. */
export function componentKindApi<Content, Active>(api: ComponentKindApi<Content, Active>): ComponentKindApi {
  return api as unknown as ComponentKindApi;
}

export const COMPONENT_KINDS: readonly ComponentKindApi[] = [
  componentKindApi<MultiCloudImageContent, ActiveMultiCloudImage>({
    component: multiCloudImageKind as unknown as ComponentKind,
    contentAt: multiCloudImageContentAt,
    diff: diffMultiCloudImages,
    pastView: multiCloudImagePastView,
  }),
  componentKindApi<RightScriptContent, ActiveRightScript>({
    component: rightScriptKind as unknown as ComponentKind,
    contentAt: rightScriptContentAt,
    diff: diffRightScripts,
    pastView: rightScriptPastView,
  }),
  componentKindApi<ServerTemplateContent, ActiveServerTemplate>({
    component: serverTemplateKind as unknown as ComponentKind,
    contentAt: serverTemplateContentAt,
    diff: diffServerTemplates,
    pastView: serverTemplatePastView,
  }),
];

const NO_SUCH_COMPONENT = 'no such component';

/**
 * The kind of a component of the viewer's account with this id, found from the stream catalog and
 * checked against the owner its stream records. NOT_FOUND, always with the same message, when no
 * component has the id or another account's has: not even the kind of a foreign id leaks.
 */
export async function kindOfComponent(ctx: GraphQLContext, id: string): Promise<ComponentKindApi> {
  if (COMPONENT_ID.test(id)) {
    const streams = COMPONENT_KINDS.map((api) => componentStream(api.component, id));
    const [found] = ctx.services.queries.streams.existing(streams);
    const api = COMPONENT_KINDS.find((candidate) => componentStream(candidate.component, id) === found);
    if (api && (await componentOwner(ctx.services.store, api.component, id)) === ctx.viewer.accountId) return api;
  }
  throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_COMPONENT);
}

/** Both ends of a diff must be of one kind. */
export async function sameKind(ctx: GraphQLContext, fromId: string, toId: string): Promise<ComponentKindApi> {
  const [from, to] = await Promise.all([kindOfComponent(ctx, fromId), kindOfComponent(ctx, toId)]);
  if (from !== to) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `diff compares components of one kind: '${fromId}' is a ${from.component.kind}, '${toId}' is a ${to.component.kind}`,
    );
  }
  return from;
}
