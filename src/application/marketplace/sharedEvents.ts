import type { Viewer } from '../../domain/accounts/roles';
import { ACCOUNT_GROUP_STREAM_PREFIX } from '../../domain/marketplace/accountGroup';
import { PUBLICATION_STREAM_PREFIX } from '../../domain/marketplace/publication';
import type { RecordedEvent } from '../../eventStore/port';
import type { MarketplaceQueries } from '../../readModels/marketplaceQueries';
import type { SharedEvents } from '../changeFeed';

/*
 * The change feed's rule for the marketplace (the `SharedEvents` seam of changeFeed.ts): which events
 * written by another account a viewer sees anyway.
 *
 * - A publication's events: by every account that may see the publication. A publish event carries its
 *   own audience (PUBLIC, or its groups), so it is decided from the event itself: a live subscriber
 *   may get it before the read models have it. A deprecation is decided from the publication's row,
 *   projected when it was published.
 * - A group's events: by its owner, and by the account the event is about (the invited account sees
 *   its invitation, never the code or its hash: the feed strips `codeHash`).
 * Visibility only grows (nothing is unpublished, nobody leaves a group), so judging an old event by
 * today's memberships shows a new member the group's earlier publications, which it may see anyway.
 * What is shared is shown without the other account's internals (see `foreignView`), and a GROUPS
 * publication names only the groups this account is in.
 */
export function marketplaceSharedEvents(queries: MarketplaceQueries): SharedEvents {
  return (viewer: Viewer, event: RecordedEvent): RecordedEvent | undefined => {
    if (event.stream.startsWith(PUBLICATION_STREAM_PREFIX)) {
      const data = event.data as { visibility?: unknown; accountGroupIds?: unknown; publicationId?: unknown };
      if (event.type === 'ComponentPublished' || event.type === 'TemplatePublished') {
        if (data.visibility === 'PUBLIC') return foreignView(event);
        const groupIds = Array.isArray(data.accountGroupIds)
          ? data.accountGroupIds.filter((id): id is string => typeof id === 'string')
          : [];
        const seen = queries.groupsOwnedOrJoined(viewer.accountId, groupIds);
        // A member learns the groups it shares in, never the publisher's other audiences.
        return seen.length > 0 ? foreignView({ ...event, data: { ...(event.data as object), accountGroupIds: seen } }) : undefined;
      }
      return queries.isVisible(viewer.accountId, event.stream.slice(PUBLICATION_STREAM_PREFIX.length)) ? foreignView(event) : undefined;
    }
    if (event.stream.startsWith(ACCOUNT_GROUP_STREAM_PREFIX)) {
      if ((event.data as { accountId?: unknown }).accountId === viewer.accountId) return foreignView(event);
      return queries.isGroupOwner(viewer.accountId, event.stream.slice(ACCOUNT_GROUP_STREAM_PREFIX.length))
        ? foreignView(event)
        : undefined;
    }
    return undefined;
  };
}

/**
 * Another account's event as this account sees it: what happened, when, and by which account, but not
 * which of that account's users did it, nor the request that did it — those are the other account's own.
 */
function foreignView(event: RecordedEvent): RecordedEvent {
  const { actorId: _actorId, correlationId: _correlationId, causationId: _causationId, ...metadata } = event.metadata;
  return { ...event, metadata };
}
