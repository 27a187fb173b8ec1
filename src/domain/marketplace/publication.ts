import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { MAX_GROUP_ID_LENGTH, noOwnedGroup } from './accountGroup';
import { assertRevisionNumber, isHead } from '../versionControl/revisions';
import { utf8ByteLength } from '../versionControl/text';
import { unknownRevision, type ImportOrigin } from '../versionControl/versioned';

/*
 * A publication (domain.md, "MultiCloud Marketplace and sharing"): one committed revision of an MCI,
 * a RightScript or a ServerTemplate offered to everyone (PUBLIC) or to chosen account groups (GROUPS).
 * One aggregate per publication, stream `publication-<id>`; the id is derived from the component and
 * the revision by the application, so "each revision is published once" is the store's own
 * `no_stream` check, not a read model that could lag. Publications are never deleted; deprecation
 * only stops listing one as its lineage's newest.
 */

export const PUBLICATION_STREAM_PREFIX = 'publication-';
export const publicationStream = (id: string): string => `${PUBLICATION_STREAM_PREFIX}${id}`;

export const PUBLISHABLE_KINDS = ['MultiCloudImage', 'RightScript', 'ServerTemplate'] as const;
export type PublishableKind = (typeof PUBLISHABLE_KINDS)[number];

export const VISIBILITIES = ['PUBLIC', 'GROUPS'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const MAX_SHORT_DESCRIPTION_LENGTH = 255;
/** 16 KiB of UTF-8. */
export const MAX_LONG_DESCRIPTION_BYTES = 16 * 1024;
export const MAX_CATEGORIES = 20;
export const MAX_CATEGORY_LENGTH = 64;
/** A publication shared with more groups than this is better made PUBLIC. */
export const MAX_PUBLICATION_GROUPS = 50;

/** What every publication records, whatever its kind. */
export interface PublicationRecord {
  readonly publicationId: string;
  readonly kind: PublishableKind;
  readonly componentId: string;
  readonly revision: number;
  /** The publisher's lineage: a consumer's import is `behind` when a newer revision of it is published. */
  readonly lineage: string;
  readonly publisherAccountId: string;
  readonly visibility: Visibility;
  /** Empty for PUBLIC; sorted, once each, for GROUPS. */
  readonly accountGroupIds: readonly string[];
  readonly shortDescription: string;
  readonly longDescription: string;
  /** Once each, in the order given. */
  readonly categories: readonly string[];
  readonly publishedAt: string;
  /** Set on an MCI or RightScript revision published because a template that pins it was: that template's publication. */
  readonly publishedWith: string | null;
}

/** A revision a template revision pins and the publication that offers it (its own, or the origin of an import). */
export interface PublishedDependency {
  readonly kind: 'MultiCloudImage' | 'RightScript';
  readonly componentId: string;
  readonly revision: number;
  readonly publicationId: string;
}

export type PublicationEvent =
  | { type: 'ComponentPublished'; data: PublicationRecord & { kind: 'MultiCloudImage' | 'RightScript' } }
  | { type: 'TemplatePublished'; data: PublicationRecord & { kind: 'ServerTemplate'; dependencies: readonly PublishedDependency[] } }
  | { type: 'PublicationDeprecated'; data: { publicationId: string; deprecatedAt: string } };

export type PublicationEventType = PublicationEvent['type'];
export const PUBLICATION_EVENT_TYPES: readonly PublicationEventType[] = [
  'ComponentPublished',
  'TemplatePublished',
  'PublicationDeprecated',
];

export interface ActivePublication extends PublicationRecord {
  readonly status: 'published';
  readonly dependencies: readonly PublishedDependency[];
  readonly deprecated: boolean;
}

export type PublicationState = { readonly status: 'empty' } | ActivePublication;

/**
 * The component to publish as the application read it from its own stream: `undefined` when no
 * component of a publishable kind has the id.
 */
export interface PublishedComponentFacts {
  readonly kind: PublishableKind;
  readonly id: string;
  readonly accountId: string;
  readonly status: 'active' | 'deleted';
  readonly lineage: string;
  readonly latestRevision: number;
  readonly origin: ImportOrigin | null;
}

/** A group the publication names, as its own stream says: `ownerAccountId` undefined when no such group exists. */
export interface GroupFacts {
  readonly id: string;
  readonly ownerAccountId: string | undefined;
}

/** What a publish asks for, as the client sent it. */
export interface PublishRequest {
  readonly componentId: string;
  readonly revision?: number | null | undefined;
  readonly visibility: Visibility;
  readonly accountGroupIds?: readonly string[] | null | undefined;
  readonly shortDescription?: string | null | undefined;
  readonly longDescription?: string | null | undefined;
  readonly categories?: readonly string[] | null | undefined;
}

export type PublicationCommand =
  | {
      type: 'Publish';
      data: {
        request: PublishRequest;
        /** The publication's id, derived from component and revision by the application. */
        publicationId: string;
        accountId: string;
        component: PublishedComponentFacts | undefined;
        /** One per distinct id of `request.accountGroupIds`. */
        groups: readonly GroupFacts[];
        publishedAt: string;
        publishedWith: string | null;
        /** For a template: what its revision pins, with the publication of each. */
        dependencies: readonly PublishedDependency[];
      };
    }
  | { type: 'DeprecatePublication'; data: { accountId: string; deprecatedAt: string } };

export const NO_SUCH_PUBLICATION = 'no such publication';
const noSuchPublication = (): DomainError => new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_PUBLICATION);

/** The descriptions and categories of a publication, checked; categories kept once each, in the order given. */
export function checkPublicationText(request: Pick<PublishRequest, 'shortDescription' | 'longDescription' | 'categories'>): {
  shortDescription: string;
  longDescription: string;
  categories: string[];
} {
  const shortDescription = request.shortDescription ?? '';
  const longDescription = request.longDescription ?? '';
  if (shortDescription.length > MAX_SHORT_DESCRIPTION_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `shortDescription: expected at most ${MAX_SHORT_DESCRIPTION_LENGTH} characters, got ${shortDescription.length}`,
    );
  }
  const longBytes = utf8ByteLength(longDescription);
  if (longBytes > MAX_LONG_DESCRIPTION_BYTES) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `longDescription: expected at most ${MAX_LONG_DESCRIPTION_BYTES} bytes of UTF-8, got ${longBytes}`,
    );
  }
  const categories = request.categories ?? [];
  if (categories.length > MAX_CATEGORIES) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `categories: expected at most ${MAX_CATEGORIES}, got ${categories.length}`);
  }
  for (const [index, category] of categories.entries()) {
    if (category.trim().length === 0 || category.length > MAX_CATEGORY_LENGTH) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `categories[${index}]: expected 1 to ${MAX_CATEGORY_LENGTH} characters (not only spaces), got ${category.trim().length === 0 ? 'a blank category' : `${category.length} characters`}`,
      );
    }
  }
  return { shortDescription, longDescription, categories: [...new Set(categories)] };
}

/**
 * PUBLIC names no groups; GROUPS names at least one, every one owned by the publisher's account. A
 * group of another account reads exactly like a missing one. Returns the group ids sorted, once each.
 */
export function checkAudience(
  accountId: string,
  visibility: Visibility,
  accountGroupIds: readonly string[] | null | undefined,
  groups: readonly GroupFacts[],
): string[] {
  const ids = [...new Set(accountGroupIds ?? [])].sort();
  const overlong = ids.find((id) => id.length > MAX_GROUP_ID_LENGTH);
  if (overlong !== undefined) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `accountGroupIds: expected ids of at most ${MAX_GROUP_ID_LENGTH} characters, got one of ${overlong.length}`,
    );
  }
  switch (visibility) {
    case 'PUBLIC':
      if (ids.length > 0) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `accountGroupIds: a PUBLIC publication is for everyone and names no groups, got ${ids.length}; use visibility GROUPS to share with groups`,
        );
      }
      return [];
    case 'GROUPS': {
      if (ids.length === 0) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          'accountGroupIds: visibility GROUPS needs at least one account group you own, got none',
        );
      }
      if (ids.length > MAX_PUBLICATION_GROUPS) {
        throw new DomainError(ErrorCode.BAD_USER_INPUT, `accountGroupIds: expected at most ${MAX_PUBLICATION_GROUPS}, got ${ids.length}`);
      }
      for (const id of ids) {
        const group = groups.find((candidate) => candidate.id === id);
        if (group?.ownerAccountId !== accountId) throw noOwnedGroup(id);
      }
      return ids;
    }
    default: {
      const unknown: never = visibility;
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `visibility: expected PUBLIC or GROUPS, got ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The committed revision to publish: the component is the account's own (another account's or a
 * missing one is NOT_FOUND alike), not an import (READ_ONLY: clone it to publish your own), not
 * deleted, and the revision was committed (HEAD can't be published: it changes).
 */
export function checkPublishable(
  accountId: string,
  request: Pick<PublishRequest, 'componentId' | 'revision'>,
  component: PublishedComponentFacts | undefined,
): number {
  if (!component || component.accountId !== accountId) throw new DomainError(ErrorCode.NOT_FOUND, 'no such component');
  if (component.status === 'deleted') throw new DomainError(ErrorCode.NOT_FOUND, `${component.kind} '${component.id}' was deleted`);
  if (component.origin !== null) {
    throw new DomainError(
      ErrorCode.READ_ONLY,
      `${component.kind} '${component.id}' is an import of publication '${component.origin.publicationId}' and can't be published again: clone it and publish the clone`,
    );
  }
  const { revision } = request;
  if (isHead(revision)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `revision: expected a committed revision of ${component.kind} '${component.id}' (1, 2, 3 …), got ${revision === 0 ? '0 (HEAD)' : 'none (HEAD)'}: HEAD changes, so commit it first and publish the revision`,
    );
  }
  const committed = revision as number;
  assertRevisionNumber(committed);
  if (committed > component.latestRevision) throw unknownRevision(component.kind, component.id, committed, component.latestRevision);
  return committed;
}

function published(state: PublicationState, accountId: string): ActivePublication {
  if (state.status !== 'published' || state.publisherAccountId !== accountId) throw noSuchPublication();
  return state;
}

export const publicationDecider: Decider<PublicationState, PublicationCommand, PublicationEvent> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'Publish': {
        const { request, publicationId, accountId, component, groups, publishedAt, publishedWith, dependencies } = command.data;
        const text = checkPublicationText(request);
        const revision = checkPublishable(accountId, request, component);
        const publishedComponent = component as PublishedComponentFacts;
        if (state.status !== 'empty') {
          throw new DomainError(
            ErrorCode.ALREADY_PUBLISHED,
            `revision ${revision} of ${publishedComponent.kind} '${publishedComponent.id}' is already published as '${state.publicationId}': each revision is published once; commit and publish a new revision`,
            { publicationId: state.publicationId },
          );
        }
        const accountGroupIds = checkAudience(accountId, request.visibility, request.accountGroupIds, groups);
        const record: PublicationRecord = {
          publicationId,
          kind: publishedComponent.kind,
          componentId: publishedComponent.id,
          revision,
          lineage: publishedComponent.lineage,
          publisherAccountId: accountId,
          visibility: request.visibility,
          accountGroupIds,
          ...text,
          publishedAt,
          publishedWith,
        };
        switch (record.kind) {
          case 'ServerTemplate':
            return [{ type: 'TemplatePublished', data: { ...record, kind: record.kind, dependencies: [...dependencies] } }];
          case 'MultiCloudImage':
          case 'RightScript':
            return [{ type: 'ComponentPublished', data: { ...record, kind: record.kind } }];
          default: {
            const unknown: never = record.kind;
            throw new Error(`unknown publishable kind ${JSON.stringify(unknown)}`);
          }
        }
      }
      case 'DeprecatePublication': {
        const publication = published(state, command.data.accountId);
        // Deprecating twice asks for what already holds: nothing to write, no error (a retry is safe).
        if (publication.deprecated) return [];
        return [
          { type: 'PublicationDeprecated', data: { publicationId: publication.publicationId, deprecatedAt: command.data.deprecatedAt } },
        ];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown publication command ${JSON.stringify(unknown)}`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ComponentPublished':
        return { status: 'published', ...event.data, dependencies: [], deprecated: false };
      case 'TemplatePublished':
        return { status: 'published', ...event.data, dependencies: event.data.dependencies, deprecated: false };
      case 'PublicationDeprecated':
        return state.status === 'published' ? { ...state, deprecated: true } : state;
      default: {
        const unknown: never = event;
        throw new Error(`unknown publication event ${JSON.stringify(unknown)}`);
      }
    }
  },
};
