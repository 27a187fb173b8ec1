import {
  MAX_CATEGORIES,
  MAX_CATEGORY_LENGTH,
  MAX_LONG_DESCRIPTION_BYTES,
  MAX_PUBLICATION_GROUPS,
  MAX_SHORT_DESCRIPTION_LENGTH,
  publicationDecider,
  type GroupFacts,
  type PublicationCommand,
  type PublicationEvent,
  type PublishedComponentFacts,
  type PublishRequest,
} from '../../src/domain/marketplace/publication';
import { deciderSpecification } from '../support/deciderSpecification';

const spec = deciderSpecification(publicationDecider);
const ACCOUNT = 'acme';
const OTHER = 'globex';
const PUBLICATION = 'pub-1';
const AT = '2026-01-02T03:04:05.000Z';

const mci: PublishedComponentFacts = {
  kind: 'MultiCloudImage',
  id: 'mci-a',
  accountId: ACCOUNT,
  status: 'active',
  lineage: 'mci-a',
  latestRevision: 2,
  origin: null,
};
const ownGroup: GroupFacts = { id: 'g-own', ownerAccountId: ACCOUNT };
const foreignGroup: GroupFacts = { id: 'g-foreign', ownerAccountId: OTHER };
const missingGroup: GroupFacts = { id: 'g-missing', ownerAccountId: undefined };

function publish(
  request: Partial<PublishRequest> = {},
  overrides: Partial<Extract<PublicationCommand, { type: 'Publish' }>['data']> = {},
): PublicationCommand {
  return {
    type: 'Publish',
    data: {
      request: { componentId: mci.id, revision: 1, visibility: 'PUBLIC', ...request },
      publicationId: PUBLICATION,
      accountId: ACCOUNT,
      component: mci,
      groups: [ownGroup, foreignGroup, missingGroup],
      publishedAt: AT,
      publishedWith: null,
      dependencies: [],
      ...overrides,
    },
  };
}

const componentPublished = (
  overrides: Partial<Extract<PublicationEvent, { type: 'ComponentPublished' }>['data']> = {},
): PublicationEvent => ({
  type: 'ComponentPublished',
  data: {
    publicationId: PUBLICATION,
    kind: 'MultiCloudImage',
    componentId: mci.id,
    revision: 1,
    lineage: mci.lineage,
    publisherAccountId: ACCOUNT,
    visibility: 'PUBLIC',
    accountGroupIds: [],
    shortDescription: '',
    longDescription: '',
    categories: [],
    publishedAt: AT,
    publishedWith: null,
    ...overrides,
  },
});

describe('publication decider: publish', () => {
  it('publishes a committed revision of an own MCI publicly (ComponentPublished with the whole record)', () => {
    spec
      .given([])
      .when(publish({ shortDescription: 'CentOS', longDescription: 'Long', categories: ['linux', 'base', 'linux'] }))
      .then([componentPublished({ shortDescription: 'CentOS', longDescription: 'Long', categories: ['linux', 'base'] })]);
  });

  it('publishes to the groups the account owns, sorted and once each', () => {
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: ['g-own', 'g-own'] }))
      .then([componentPublished({ visibility: 'GROUPS', accountGroupIds: ['g-own'] })]);
  });

  it('publishes a RightScript as ComponentPublished and a template as TemplatePublished with its dependencies', () => {
    const script: PublishedComponentFacts = { ...mci, kind: 'RightScript', id: 'rs-a', lineage: 'rs-a' };
    spec
      .given([])
      .when(publish({ componentId: 'rs-a' }, { component: script, publishedWith: 'pub-t' }))
      .then([componentPublished({ kind: 'RightScript', componentId: 'rs-a', lineage: 'rs-a', publishedWith: 'pub-t' })]);
    const template: PublishedComponentFacts = { ...mci, kind: 'ServerTemplate', id: 'st-a', lineage: 'st-a' };
    const dependencies = [{ kind: 'MultiCloudImage' as const, componentId: 'mci-a', revision: 1, publicationId: 'pub-m' }];
    const [event] = publicationDecider.decide(publish({ componentId: 'st-a' }, { component: template, dependencies }), { status: 'empty' });
    expect(event).toEqual({
      type: 'TemplatePublished',
      data: {
        ...componentPublished({ kind: 'MultiCloudImage', componentId: 'st-a', lineage: 'st-a' }).data,
        kind: 'ServerTemplate',
        dependencies,
      },
    });
  });

  it('refuses a second publication of the same revision: ALREADY_PUBLISHED naming the existing one', () => {
    spec
      .given([componentPublished()])
      .when(publish())
      .thenFails('ALREADY_PUBLISHED', /revision 1 of MultiCloudImage 'mci-a' is already published as 'pub-1'/);
  });

  it('refuses HEAD (0 or omitted) with BAD_USER_INPUT and a revision never committed with NOT_FOUND naming the ones there are', () => {
    spec
      .given([])
      .when(publish({ revision: 0 }))
      .thenFails('BAD_USER_INPUT', /expected a committed revision .* got 0 \(HEAD\)/);
    spec
      .given([])
      .when(publish({ revision: null }))
      .thenFails('BAD_USER_INPUT', /got none \(HEAD\)/);
    spec
      .given([])
      .when(publish({ revision: 3 }))
      .thenFails('NOT_FOUND', /^MultiCloudImage 'mci-a' has no revision 3: its revisions are 1 to 2/);
    spec
      .given([])
      .when(publish({ revision: -1 }))
      .thenFails('BAD_USER_INPUT', /expected 0 \(HEAD\) or a committed revision number/);
    spec
      .given([])
      .when(publish({ revision: 1 }, { component: { ...mci, latestRevision: 0 } }))
      .thenFails('NOT_FOUND', /nothing was committed yet/);
  });

  it('answers another account’s component exactly like a missing one, and a deleted one as deleted', () => {
    spec
      .given([])
      .when(publish({}, { component: undefined }))
      .thenFails('NOT_FOUND', /^no such component$/);
    spec
      .given([])
      .when(publish({}, { component: { ...mci, accountId: OTHER } }))
      .thenFails('NOT_FOUND', /^no such component$/);
    spec
      .given([])
      .when(publish({}, { component: { ...mci, status: 'deleted' } }))
      .thenFails('NOT_FOUND', /^MultiCloudImage 'mci-a' was deleted$/);
  });

  it('refuses an import: READ_ONLY, clone it to publish', () => {
    const origin = { publicationId: 'pub-x', publisherAccountId: OTHER, componentId: 'mci-x', revision: 4, lineage: 'mci-x' };
    spec
      .given([])
      .when(publish({}, { component: { ...mci, origin } }))
      .thenFails('READ_ONLY', /is an import of publication 'pub-x' and can't be published again: clone it/);
  });

  it('needs at least one own group for GROUPS, none for PUBLIC; a foreign or unknown group is NOT_FOUND alike', () => {
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: [] }))
      .thenFails('BAD_USER_INPUT', /needs at least one account group you own, got none/);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS' }))
      .thenFails('BAD_USER_INPUT', /got none/);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: ['g-own', 'g-foreign'] }))
      .thenFails('NOT_FOUND', /^no account group 'g-foreign' owned by your account$/);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: ['g-missing'] }))
      .thenFails('NOT_FOUND', /^no account group 'g-missing' owned by your account$/);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: ['g-unread'] }))
      .thenFails('NOT_FOUND', /^no account group 'g-unread' owned by your account$/);
    spec
      .given([])
      .when(publish({ visibility: 'PUBLIC', accountGroupIds: ['g-own'] }))
      .thenFails('BAD_USER_INPUT', /a PUBLIC publication is for everyone and names no groups, got 1/);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: ['g'.repeat(129)] }))
      .thenFails('BAD_USER_INPUT', /^accountGroupIds: expected ids of at most 128 characters, got one of 129$/);
    const many = Array.from({ length: MAX_PUBLICATION_GROUPS + 1 }, (_, i) => `g-${i}`);
    spec
      .given([])
      .when(publish({ visibility: 'GROUPS', accountGroupIds: many }))
      .thenFails('BAD_USER_INPUT', /expected at most 50, got 51/);
  });

  it('bounds the descriptions and categories', () => {
    spec
      .given([])
      .when(publish({ shortDescription: 'x'.repeat(MAX_SHORT_DESCRIPTION_LENGTH) }))
      .then([componentPublished({ shortDescription: 'x'.repeat(255) })]);
    spec
      .given([])
      .when(publish({ shortDescription: 'x'.repeat(256) }))
      .thenFails('BAD_USER_INPUT', /shortDescription: expected at most 255 characters, got 256/);
    // 16 KiB of UTF-8: a 3-byte character counts three times.
    spec
      .given([])
      .when(publish({ longDescription: 'x'.repeat(MAX_LONG_DESCRIPTION_BYTES) }))
      .then([componentPublished({ longDescription: 'x'.repeat(16384) })]);
    spec
      .given([])
      .when(publish({ longDescription: '€'.repeat(5462) }))
      .thenFails('BAD_USER_INPUT', /longDescription: expected at most 16384 bytes of UTF-8, got 16386/);
    const categories = Array.from({ length: MAX_CATEGORIES }, (_, i) => `c${i}`);
    spec
      .given([])
      .when(publish({ categories }))
      .then([componentPublished({ categories })]);
    spec
      .given([])
      .when(publish({ categories: [...categories, 'one more'] }))
      .thenFails('BAD_USER_INPUT', /categories: expected at most 20, got 21/);
    spec
      .given([])
      .when(publish({ categories: ['ok', 'x'.repeat(MAX_CATEGORY_LENGTH + 1)] }))
      .thenFails('BAD_USER_INPUT', /categories\[1\]: expected 1 to 64 characters .* got 65 characters/);
    spec
      .given([])
      .when(publish({ categories: ['  '] }))
      .thenFails('BAD_USER_INPUT', /categories\[0\]: .* got a blank category/);
  });
});

describe('publication decider: deprecate', () => {
  const deprecate: PublicationCommand = { type: 'DeprecatePublication', data: { accountId: ACCOUNT, deprecatedAt: AT } };

  it('deprecates the account’s own publication once; again writes nothing', () => {
    spec
      .given([componentPublished()])
      .when(deprecate)
      .then([{ type: 'PublicationDeprecated', data: { publicationId: PUBLICATION, deprecatedAt: AT } }]);
    spec
      .given([componentPublished(), { type: 'PublicationDeprecated', data: { publicationId: PUBLICATION, deprecatedAt: AT } }])
      .when(deprecate)
      .then([]);
  });

  it('answers another account’s publication (even a public one) exactly like a missing one', () => {
    spec
      .given([componentPublished()])
      .when({ type: 'DeprecatePublication', data: { accountId: OTHER, deprecatedAt: AT } })
      .thenFails('NOT_FOUND', /^no such publication$/);
    spec
      .given([])
      .when(deprecate)
      .thenFails('NOT_FOUND', /^no such publication$/);
  });
});
