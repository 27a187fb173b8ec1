import type { PublishableKind, PublishedDependency, Visibility } from '../domain/marketplace/publication';
import { StatementCache, type SqliteDatabase } from '../sqlite/database';
import { IDS } from './componentQueries';
import type { QueryRecorder } from './queryRecorder';

/** A publication as the read model keeps it. */
export interface PublicationRow {
  readonly id: string;
  readonly kind: PublishableKind;
  readonly componentId: string;
  readonly revision: number;
  readonly lineage: string;
  readonly publisherAccountId: string;
  readonly visibility: Visibility;
  /** The groups a GROUPS publication is shared with, sorted; show them to the publisher only. */
  readonly accountGroupIds: readonly string[];
  readonly deprecated: boolean;
  readonly shortDescription: string;
  readonly longDescription: string;
  readonly categories: readonly string[];
  readonly publishedAt: Date;
  /** For a template: the publication of each MCI and RightScript revision it pins. */
  readonly dependencies: readonly PublishedDependency[];
  /** The template publication that published this one along with it, if any. */
  readonly publishedWith: string | null;
  /** Position in the list order; what a page cursor carries. */
  readonly sortKey: string;
}

/** The newest non-deprecated published revision of a lineage that an account may see. */
export interface NewestRevision {
  readonly lineage: string;
  readonly revision: number;
  readonly publicationId: string;
}

export interface PublicationFilter {
  readonly kind?: PublishableKind;
  readonly componentId?: string;
  readonly lineage?: string;
  readonly category?: string;
  /** Only each lineage's newest non-deprecated revision the account may see. */
  readonly newestOnly?: boolean;
  /** Deprecated publications are left out unless asked for. */
  readonly includeDeprecated?: boolean;
}

export interface PublicationPageRequest {
  readonly accountId: string;
  readonly first: number;
  readonly afterSortKey?: string;
  readonly filter?: PublicationFilter;
}

export interface PublicationPage {
  readonly publications: PublicationRow[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export interface AccountGroupRow {
  readonly id: string;
  readonly ownerAccountId: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly sortKey: string;
}

interface AccountGroupSqlRow {
  id: string;
  owner_account_id: string;
  name: string;
  created_at: string;
  sort_key: string;
}

const toAccountGroup = (row: AccountGroupSqlRow): AccountGroupRow => ({
  id: row.id,
  ownerAccountId: row.owner_account_id,
  name: row.name,
  createdAt: new Date(row.created_at),
  sortKey: row.sort_key,
});

export interface GroupMemberRow {
  readonly groupId: string;
  readonly accountId: string;
  readonly joinedAt: Date;
}

export interface PendingInvitationRow {
  readonly groupId: string;
  readonly accountId: string;
  readonly invitationId: string;
  readonly invitedAt: Date;
}

interface PublicationSqlRow {
  id: string;
  kind: string;
  component_id: string;
  revision: number;
  lineage: string;
  publisher_account_id: string;
  visibility: string;
  group_ids: string | null;
  deprecated: number;
  short_description: string;
  long_description: string;
  categories: string;
  published_at: string;
  dependencies: string;
  published_with: string | null;
  sort_key: string;
}

/** Whether the account bound twice (`?, ?`) owns or is a member of group `g`: the groups it sees, and whose publications it sees. */
const OWNS_OR_BELONGS_TO_G = `(g.owner_account_id = ? OR EXISTS (SELECT 1 FROM rm_account_group_members m WHERE m.group_id = g.id AND m.account_id = ?))`;

/**
 * Whether the account bound three times (`?, ?, ?`) may see publication `alias`: it is PUBLIC, the
 * account published it, or it is shared with a group the account owns or is a member of.
 */
const visibleToAccount = (alias: string): string => `(${alias}.visibility = 'PUBLIC' OR ${alias}.publisher_account_id = ? OR EXISTS (
    SELECT 1 FROM rm_publication_groups pg JOIN rm_account_groups g ON g.id = pg.group_id
    WHERE pg.publication_id = ${alias}.id AND ${OWNS_OR_BELONGS_TO_G}))`;
const VISIBLE_TO_ACCOUNT = visibleToAccount('p');
const GROUP_SELECT = 'SELECT g.id, g.owner_account_id, g.name, g.created_at, g.sort_key FROM rm_account_groups g';

const visibleTo = (accountId: string): string[] => [accountId, accountId, accountId];

const PUBLICATION_SELECT = `SELECT p.id, p.kind, p.component_id, p.revision, p.lineage, p.publisher_account_id, p.visibility,
         (SELECT json_group_array(group_id) FROM (SELECT group_id FROM rm_publication_groups WHERE publication_id = p.id ORDER BY group_id)) AS group_ids,
         p.deprecated, p.short_description, p.long_description, p.categories, p.published_at, p.dependencies, p.published_with, p.sort_key
  FROM rm_publications p`;

const toPublication = (row: PublicationSqlRow): PublicationRow => ({
  id: row.id,
  kind: row.kind as PublishableKind,
  componentId: row.component_id,
  revision: Number(row.revision),
  lineage: row.lineage,
  publisherAccountId: row.publisher_account_id,
  visibility: row.visibility as Visibility,
  accountGroupIds: JSON.parse(row.group_ids ?? '[]') as string[],
  deprecated: Number(row.deprecated) !== 0,
  shortDescription: row.short_description,
  longDescription: row.long_description,
  categories: JSON.parse(row.categories) as string[],
  publishedAt: new Date(row.published_at),
  dependencies: JSON.parse(row.dependencies) as PublishedDependency[],
  publishedWith: row.published_with,
  sortKey: row.sort_key,
});

/** The newest non-deprecated revision of `p`'s lineage the account (bound three more times) may see. */
const NEWEST_OF_LINEAGE = `p.deprecated = 0 AND p.revision = (
    SELECT max(q.revision) FROM rm_publications q
    WHERE q.lineage = p.lineage AND q.deprecated = 0 AND ${visibleToAccount('q')})`;

/**
 * Reads of the marketplace read models (tables written by projections/marketplace.ts). Every read of
 * publications is scoped to what the given account may see, except `publication(id)`, which the
 * application checks itself (`visiblePublication`) so it can tell its own errors.
 *
 * Usage: const newest = queries.marketplace.newestVisibleRevisions(accountId, [lineage]);
 */
export class MarketplaceQueries {
  private readonly statements: StatementCache;

  constructor(
    db: SqliteDatabase,
    private readonly recorder: QueryRecorder,
  ) {
    this.statements = new StatementCache(db);
  }

  /** A publication whoever may see it: callers check visibility (`isVisible`, or `visiblePublication`). */
  publication(id: string): PublicationRow | undefined {
    this.recorder.record('publication');
    const row = this.statements.get(`${PUBLICATION_SELECT} WHERE p.id = ?`).get(id) as PublicationSqlRow | undefined;
    return row && toPublication(row);
  }

  /** The publications among `ids` the account may see, in no promised order. */
  visibleByIds(accountId: string, ids: readonly string[]): PublicationRow[] {
    this.recorder.record('publicationsByIds');
    if (ids.length === 0) return [];
    return (
      this.statements
        .get(`${PUBLICATION_SELECT} WHERE p.id IN (${IDS}) AND ${VISIBLE_TO_ACCOUNT}`)
        .all(JSON.stringify(ids), ...visibleTo(accountId)) as PublicationSqlRow[]
    ).map(toPublication);
  }

  /** Whether the account may see the publication `id` (false for a missing one too). */
  isVisible(accountId: string, id: string): boolean {
    this.recorder.record('publicationVisible');
    return (
      this.statements.get(`SELECT 1 FROM rm_publications p WHERE p.id = ? AND ${VISIBLE_TO_ACCOUNT}`).get(id, ...visibleTo(accountId)) !==
      undefined
    );
  }

  /**
   * For each lineage, the newest non-deprecated published revision the account may see; lineages with
   * none are absent. One read for any number of lineages.
   */
  newestVisibleRevisions(accountId: string, lineages: readonly string[]): Map<string, NewestRevision> {
    this.recorder.record('newestVisibleRevisions');
    const newest = new Map<string, NewestRevision>();
    if (lineages.length === 0) return newest;
    // SQLite takes the bare columns of an aggregate query from the row that holds the max().
    const rows = this.statements
      .get(
        `SELECT p.lineage AS lineage, max(p.revision) AS revision, p.id AS id FROM rm_publications p
         WHERE p.lineage IN (${IDS}) AND p.deprecated = 0 AND ${VISIBLE_TO_ACCOUNT}
         GROUP BY p.lineage`,
      )
      .all(JSON.stringify([...new Set(lineages)]), ...visibleTo(accountId)) as Array<{ lineage: string; revision: number; id: string }>;
    for (const row of rows) newest.set(row.lineage, { lineage: row.lineage, revision: Number(row.revision), publicationId: row.id });
    return newest;
  }

  /** A page of the publications the account may see, in the order they were published. */
  page(request: PublicationPageRequest): PublicationPage {
    this.recorder.record('publicationsPage');
    const filter = request.filter ?? {};
    const conditions: string[] = [VISIBLE_TO_ACCOUNT];
    const params: Array<string | number> = visibleTo(request.accountId);
    if (filter.kind !== undefined) {
      conditions.push('p.kind = ?');
      params.push(filter.kind);
    }
    if (filter.componentId !== undefined) {
      conditions.push('p.component_id = ?');
      params.push(filter.componentId);
    }
    if (filter.lineage !== undefined) {
      conditions.push('p.lineage = ?');
      params.push(filter.lineage);
    }
    if (filter.category !== undefined) {
      conditions.push('EXISTS (SELECT 1 FROM json_each(p.categories) c WHERE c.value = ?)');
      params.push(filter.category);
    }
    if (filter.newestOnly === true) {
      conditions.push(NEWEST_OF_LINEAGE);
      params.push(...visibleTo(request.accountId));
    } else if (filter.includeDeprecated !== true) {
      conditions.push('p.deprecated = 0');
    }
    const where = conditions.join(' AND ');
    const rows = this.statements
      .get(`${PUBLICATION_SELECT} WHERE ${where} AND p.sort_key > ? ORDER BY p.sort_key LIMIT ?`)
      .all(...params, request.afterSortKey ?? '', request.first + 1) as PublicationSqlRow[];
    const { total } = this.statements.get(`SELECT count(*) AS total FROM rm_publications p WHERE ${where}`).get(...params) as {
      total: number;
    };
    return {
      publications: rows.slice(0, request.first).map(toPublication),
      hasNextPage: rows.length > request.first,
      totalCount: Number(total),
    };
  }

  /** A page of the groups the account owns or is a member of, oldest first. */
  accountGroupsPage(request: { accountId: string; first: number; afterSortKey?: string }): {
    groups: AccountGroupRow[];
    hasNextPage: boolean;
    totalCount: number;
  } {
    this.recorder.record('accountGroupsPage');
    const rows = this.statements
      .get(`${GROUP_SELECT} WHERE ${OWNS_OR_BELONGS_TO_G} AND g.sort_key > ? ORDER BY g.sort_key LIMIT ?`)
      .all(request.accountId, request.accountId, request.afterSortKey ?? '', request.first + 1) as AccountGroupSqlRow[];
    const { total } = this.statements
      .get(`SELECT count(*) AS total FROM rm_account_groups g WHERE ${OWNS_OR_BELONGS_TO_G}`)
      .get(request.accountId, request.accountId) as { total: number };
    return {
      groups: rows.slice(0, request.first).map(toAccountGroup),
      hasNextPage: rows.length > request.first,
      totalCount: Number(total),
    };
  }

  /** The groups among `ids` the account owns or is a member of. */
  accountGroupsByIds(accountId: string, ids: readonly string[]): AccountGroupRow[] {
    this.recorder.record('accountGroupsByIds');
    if (ids.length === 0) return [];
    return (
      this.statements
        .get(`${GROUP_SELECT} WHERE g.id IN (${IDS}) AND ${OWNS_OR_BELONGS_TO_G}`)
        .all(JSON.stringify(ids), accountId, accountId) as AccountGroupSqlRow[]
    ).map(toAccountGroup);
  }

  /**
   * Account names by id, for the publisher of a publication and a group's owner and members. The
   * rows belong to the accounts projection; they are only read here.
   */
  accountsByIds(ids: readonly string[]): Array<{ id: string; name: string }> {
    this.recorder.record('accountsByIds');
    if (ids.length === 0) return [];
    return this.statements.get(`SELECT id, name FROM rm_accounts WHERE id IN (${IDS})`).all(JSON.stringify(ids)) as Array<{
      id: string;
      name: string;
    }>;
  }

  /** The members of the given groups, each group's in the order they joined. Callers show them to the owner only. */
  membersOfGroups(groupIds: readonly string[]): GroupMemberRow[] {
    this.recorder.record('membersOfGroups');
    if (groupIds.length === 0) return [];
    return (
      this.statements
        .get(
          `SELECT group_id, account_id, joined_at FROM rm_account_group_members WHERE group_id IN (${IDS}) ORDER BY group_id, joined_at, account_id`,
        )
        .all(JSON.stringify(groupIds)) as Array<{ group_id: string; account_id: string; joined_at: string }>
    ).map((row) => ({ groupId: row.group_id, accountId: row.account_id, joinedAt: new Date(row.joined_at) }));
  }

  /** The pending invitations of the given groups. Callers show them to the owner only. */
  invitationsOfGroups(groupIds: readonly string[]): PendingInvitationRow[] {
    this.recorder.record('invitationsOfGroups');
    if (groupIds.length === 0) return [];
    return (
      this.statements
        .get(
          `SELECT group_id, account_id, invitation_id, invited_at FROM rm_account_group_invitations WHERE group_id IN (${IDS})
           ORDER BY group_id, invited_at, account_id`,
        )
        .all(JSON.stringify(groupIds)) as Array<{ group_id: string; account_id: string; invitation_id: string; invited_at: string }>
    ).map((row) => ({
      groupId: row.group_id,
      accountId: row.account_id,
      invitationId: row.invitation_id,
      invitedAt: new Date(row.invited_at),
    }));
  }

  /** Those of the groups the account owns or is a member of (for the change feed's publish events). */
  groupsOwnedOrJoined(accountId: string, groupIds: readonly string[]): string[] {
    this.recorder.record('groupsOwnedOrJoined');
    if (groupIds.length === 0) return [];
    return (
      this.statements
        .get(`SELECT g.id FROM rm_account_groups g WHERE g.id IN (${IDS}) AND ${OWNS_OR_BELONGS_TO_G} ORDER BY g.id`)
        .all(JSON.stringify(groupIds), accountId, accountId) as Array<{ id: string }>
    ).map((row) => row.id);
  }

  /** Whether the account owns the group (for the change feed's group events). */
  isGroupOwner(accountId: string, groupId: string): boolean {
    this.recorder.record('isGroupOwner');
    return (
      this.statements.get('SELECT 1 FROM rm_account_groups WHERE id = ? AND owner_account_id = ?').get(groupId, accountId) !== undefined
    );
  }
}
