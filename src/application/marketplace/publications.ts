import { createHash } from 'node:crypto';
import { fold } from '../../domain/decider';
import { DomainError, ErrorCode } from '../../domain/errors';
import { accountGroupDecider } from '../../domain/marketplace/accountGroup';
import {
  NO_SUCH_PUBLICATION,
  PUBLICATION_EVENT_TYPES,
  PUBLICATION_STREAM_PREFIX,
  publicationDecider,
  publicationStream,
  type GroupFacts,
  type PublicationCommand,
  type PublicationEvent,
  type PublicationState,
  type PublishableKind,
  type PublishedComponentFacts,
  type PublishedDependency,
  type PublishRequest,
  MAX_PUBLICATION_GROUPS,
} from '../../domain/marketplace/publication';
import { stateAtRevision as serverTemplateAtRevision } from '../../domain/serverTemplates/serverTemplate';
import { contentPins } from '../../domain/serverTemplates/pins';
import type { ServerTemplateEvent } from '../../domain/serverTemplates/serverTemplate.types';
import type { ImportOrigin } from '../../domain/versionControl/versioned';
import type { RecordedEvent } from '../../eventStore/port';
import type { PublicationRow } from '../../readModels/marketplaceQueries';
import type { Services } from '../../services';
import type { CommandContext, HandledCommand } from '../commandHandler';
import { COMPONENT_ID, readComponentStream, type ComponentKind } from '../components';
import { multiCloudImageKind } from '../multiCloudImages';
import { parseDomainEvent } from '../parseEvent';
import { rightScriptKind } from '../rightScripts';
import { serverTemplateKind } from '../serverTemplates';
import { accountGroupKind } from './accountGroups';

/*
 * Publishing, deprecating and reading publications (domain.md, "MultiCloud Marketplace and sharing").
 *
 * A publication's id is derived from the component and the revision (`publicationIdOf`), so
 * "each revision is published once" is decided by the store: the append to `publication-<id>` is at
 * the stream's end as read, and a concurrent second publish loses the race, reads again and is
 * refused ALREADY_PUBLISHED by the decider. The component and the groups are folded from their own
 * streams, never read from a read model that could lag.
 */

export type MarketplaceServices = Pick<Services, 'store' | 'commands' | 'projections' | 'queries'>;

export const parsePublicationEvent = (recorded: RecordedEvent): PublicationEvent =>
  parseDomainEvent<PublicationEvent>(recorded, PUBLICATION_EVENT_TYPES);

/** Where publications are read from: `publication-<id>`. */
export const publicationStreamKind = { kind: 'Publication', streamPrefix: PUBLICATION_STREAM_PREFIX } as const;

/**
 * The id of the publication of `revision` of `componentId`: a UUID-shaped digest, so the same
 * revision always lands on the same stream (the store then refuses a second one) without telling
 * anyone who sees the id which component it is.
 */
export function publicationIdOf(componentId: string, revision: number): string {
  const hex = createHash('sha256').update(`publication:${componentId}:${revision}`, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The kinds that can be published, and how each is read from its stream. */
const PUBLISHABLE: Readonly<Record<PublishableKind, ComponentKind>> = {
  MultiCloudImage: multiCloudImageKind as unknown as ComponentKind,
  RightScript: rightScriptKind as unknown as ComponentKind,
  ServerTemplate: serverTemplateKind as unknown as ComponentKind,
};

interface LoadedPublishable {
  readonly facts: PublishedComponentFacts;
  readonly events: readonly unknown[];
}

/** The folded state every component kind shares: what a publish needs to know of it. */
type PublishableState =
  | { readonly status: 'empty' }
  | {
      readonly status: 'active' | 'deleted';
      readonly id: string;
      readonly accountId: string;
      readonly lineage: string;
      readonly latestRevision: number;
      readonly origin?: ImportOrigin | null;
    };

/** The component `id` of one of `kinds`, from its own stream; `undefined` when no such component exists. */
async function loadPublishable(
  services: Pick<Services, 'store'>,
  id: string,
  kinds: readonly PublishableKind[] = ['MultiCloudImage', 'RightScript', 'ServerTemplate'],
): Promise<LoadedPublishable | undefined> {
  if (!COMPONENT_ID.test(id)) return undefined;
  const streams = await Promise.all(kinds.map((kind) => readComponentStream(services.store, PUBLISHABLE[kind], id)));
  for (const [index, recorded] of streams.entries()) {
    if (recorded.length === 0) continue;
    const kind = kinds[index] as PublishableKind;
    const componentKind = PUBLISHABLE[kind];
    const events = recorded.map(componentKind.parseEvent);
    const state = fold(componentKind.decider, events) as PublishableState;
    if (state.status === 'empty') return undefined;
    return {
      facts: {
        kind,
        id,
        accountId: state.accountId,
        status: state.status,
        lineage: state.lineage,
        latestRevision: state.latestRevision,
        origin: state.origin ?? null,
      },
      events,
    };
  }
  return undefined;
}

/** Each distinct group a publish names, as its own stream says (at most the bound; more are refused by the decider). */
async function loadGroupFacts(services: Pick<Services, 'store'>, ids: readonly string[] | null | undefined): Promise<GroupFacts[]> {
  const distinct = [...new Set(ids ?? [])];
  if (distinct.length > MAX_PUBLICATION_GROUPS) return [];
  return Promise.all(
    distinct.map(async (id) => {
      const state = fold(
        accountGroupDecider,
        (await readComponentStream(services.store, accountGroupKind, id)).map(accountGroupKind.parseEvent),
      );
      return { id, ownerAccountId: state.status === 'active' ? state.ownerAccountId : undefined };
    }),
  );
}

async function loadPublication(services: Pick<Services, 'store'>, publicationId: string): Promise<PublicationState> {
  return fold(
    publicationDecider,
    (await readComponentStream(services.store, publicationStreamKind, publicationId)).map(parsePublicationEvent),
  );
}

interface PlannedPublish {
  readonly publicationId: string;
  readonly command: PublicationCommand;
}

/** A template revision's pins that need publishing with it, and the publication of every pin. */
async function planDependencies(
  services: Pick<Services, 'store'>,
  context: CommandContext,
  template: LoadedPublishable,
  revision: number,
  templatePublicationId: string,
  request: PublishRequest,
  groups: readonly GroupFacts[],
  publishedAt: string,
): Promise<{ dependencies: PublishedDependency[]; toPublish: PlannedPublish[] }> {
  const atRevision = serverTemplateAtRevision(template.events as readonly ServerTemplateEvent[], revision);
  if (atRevision?.status !== 'active') throw new Error(`ServerTemplate '${template.facts.id}' revision ${revision} could not be folded`);
  const dependencies: PublishedDependency[] = [];
  const toPublish: PlannedPublish[] = [];
  const seen = new Set<string>();
  for (const pin of contentPins(atRevision.head)) {
    const key = `${pin.kind}:${pin.componentId}:${pin.componentRevision}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const loaded = await loadPublishable(services, pin.componentId, [pin.kind]);
    if (loaded?.facts.origin) {
      // An import's revision is already published: by its origin, which the template lists instead.
      // Whoever may import the template receives that pin too, so the template may not reach further
      // than the origin's publisher chose: only a PUBLIC origin can travel inside another's template.
      const origin = await loadPublication(services, loaded.facts.origin.publicationId);
      if (origin.status !== 'published' || origin.visibility !== 'PUBLIC') {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `ServerTemplate '${template.facts.id}' revision ${revision} pins ${pin.kind} '${pin.componentId}', an import of a publication its publisher shared only with account groups: it can't be passed on inside your template; clone it and pin your own copy`,
          { componentId: pin.componentId },
        );
      }
      dependencies.push({
        kind: pin.kind,
        componentId: pin.componentId,
        revision: pin.componentRevision,
        publicationId: loaded.facts.origin.publicationId,
      });
      continue;
    }
    const publicationId = publicationIdOf(pin.componentId, pin.componentRevision);
    dependencies.push({ kind: pin.kind, componentId: pin.componentId, revision: pin.componentRevision, publicationId });
    const existing = await loadPublication(services, publicationId);
    if (existing.status !== 'empty') continue;
    const command: PublicationCommand = {
      type: 'Publish',
      data: {
        request: {
          componentId: pin.componentId,
          revision: pin.componentRevision,
          visibility: request.visibility,
          accountGroupIds: request.accountGroupIds,
          shortDescription: `Published with ServerTemplate '${template.facts.id}' revision ${revision}`,
          longDescription: '',
          categories: request.categories,
        },
        publicationId,
        accountId: context.accountId,
        component: loaded?.facts,
        groups,
        publishedAt,
        publishedWith: templatePublicationId,
        dependencies: [],
      },
    };
    // Refuses here, before anything is written, whatever the append would refuse (a deleted pin, say).
    try {
      publicationDecider.decide(command, existing);
    } catch (error) {
      if (error instanceof DomainError) {
        throw new DomainError(
          error.code,
          `ServerTemplate '${template.facts.id}' revision ${revision} pins ${pin.kind} '${pin.componentId}' revision ${pin.componentRevision}, which can't be published: ${error.message}`,
          error.details,
        );
      }
      throw error;
    }
    toPublish.push({ publicationId, command });
  }
  return { dependencies, toPublish };
}

/**
 * Runs one command on one publication's stream. Losing a race decides once more on the newer state,
 * which is always safe here: a second publish of the same revision is then refused ALREADY_PUBLISHED,
 * and deprecation is a flag that only ever turns on.
 */
function onPublication(
  services: MarketplaceServices,
  context: CommandContext,
  { publicationId, command }: PlannedPublish,
): Promise<HandledCommand<PublicationState, PublicationEvent>> {
  return services.commands.handle({
    stream: publicationStream(publicationId),
    decider: publicationDecider,
    parseEvent: parsePublicationEvent,
    command,
    context,
    retriesOnConflict: 1,
  });
}

export type PublishInput = PublishRequest;

/**
 * Publishes a committed revision of one of the account's own components (domain.md). For a template,
 * the MCI and RightScript revisions it pins that aren't published yet are published first, each its
 * own append with the template's visibility and groups; the template's publication comes last, so a
 * failure midway never leaves a template publication whose pins aren't published, and running the
 * publish again takes what was published as it is (the ids are the same). Every refusal that doesn't
 * depend on a race comes before anything is written.
 */
export async function publish(services: MarketplaceServices, context: CommandContext, input: PublishInput): Promise<PublicationRow> {
  const component = await loadPublishable(services, input.componentId);
  const revision = typeof input.revision === 'number' && input.revision > 0 && Number.isSafeInteger(input.revision) ? input.revision : 0;
  const publicationId = publicationIdOf(input.componentId, revision);
  const [groups, existing] = await Promise.all([
    loadGroupFacts(services, input.accountGroupIds),
    revision > 0 ? loadPublication(services, publicationId) : Promise.resolve<PublicationState>({ status: 'empty' }),
  ]);
  const publishedAt = new Date().toISOString();
  const command = (dependencies: readonly PublishedDependency[]): PublicationCommand => ({
    type: 'Publish',
    data: {
      request: input,
      publicationId,
      accountId: context.accountId,
      component: component?.facts,
      groups,
      publishedAt,
      publishedWith: null,
      dependencies,
    },
  });
  // Every rule on the template (or component) itself, before any dependency is touched.
  publicationDecider.decide(command([]), existing);
  let dependencies: PublishedDependency[] = [];
  if (component?.facts.kind === 'ServerTemplate') {
    const plan = await planDependencies(services, context, component, revision, publicationId, input, groups, publishedAt);
    dependencies = plan.dependencies;
    // One at a time, dependencies first: each append stands on its own.
    for (const planned of plan.toPublish) {
      try {
        await onPublication(services, context, planned);
      } catch (error) {
        // Published meanwhile by someone else's publish of another template: it is there, which is all we need.
        if (!(error instanceof DomainError && error.code === ErrorCode.ALREADY_PUBLISHED)) throw error;
      }
    }
  }
  const handled = await onPublication(services, context, { publicationId, command: command(dependencies) });
  await services.projections.waitForPosition(handled.position);
  return requirePublication(services, context.accountId, publicationId);
}

/**
 * Deprecates one of the account's own publications: it is no longer listed as its lineage's newest,
 * the previous non-deprecated revision is again. Imports of it are untouched; nothing is deleted.
 * Deprecating a deprecated publication writes nothing and answers the publication (a retry is safe).
 * Anyone else's publication, visible or not, is NOT_FOUND like a missing one.
 */
export async function deprecatePublication(
  services: MarketplaceServices,
  context: CommandContext,
  publicationId: string,
): Promise<PublicationRow> {
  if (!COMPONENT_ID.test(publicationId)) throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_PUBLICATION);
  const handled = await onPublication(services, context, {
    publicationId,
    command: { type: 'DeprecatePublication', data: { accountId: context.accountId, deprecatedAt: new Date().toISOString() } },
  });
  await services.projections.waitForPosition(handled.position);
  return requirePublication(services, context.accountId, publicationId);
}

function requirePublication(services: Pick<Services, 'queries'>, accountId: string, publicationId: string): PublicationRow {
  const [row] = services.queries.marketplace.visibleByIds(accountId, [publicationId]);
  if (!row) throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_PUBLICATION);
  return row;
}

/**
 * The publication `publicationId` as the account may see it: PUBLIC, its own, or shared with a group
 * it owns or belongs to. A missing id and one the account may not see are both NOT_FOUND "no such
 * publication". Deprecated publications are returned too (with `deprecated`): they are never deleted.
 *
 * Reads the read model. That is safe for a decision (an import, say) because visibility only ever
 * grows (nothing is unpublished, no member leaves a group, groups never change owner), so a read model
 * that lags can only refuse something just made visible, never admit something that isn't; and every
 * mutation that widens visibility (publish, acceptInvitation) answers only once its events are
 * projected, so a caller that learned of a publication through the API finds it here.
 */
export function visiblePublication(services: Pick<Services, 'queries'>, accountId: string, publicationId: string): PublicationRow {
  if (!COMPONENT_ID.test(publicationId)) throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_PUBLICATION);
  return requirePublication(services, accountId, publicationId);
}
