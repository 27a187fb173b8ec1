import type { Client } from 'graphql-ws';
import { ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import { socketClient, subscribeToEvents, type FeedEvent } from '../support/ws';
import { DEPRECATE, createGroup, join, publishAs } from './marketplaceFixtures';
import { EAST, createMci } from './serverTemplatesFixtures';

/*
 * The live change feed (a real graphql-ws subscription) and the marketplace: a publish event reaches
 * the accounts that may see the publication as it is committed, decided from the event itself, so a
 * subscriber never misses one because the read models hadn't caught up yet.
 */

describe('marketplace events in the live change feed', () => {
  let service: TestService;
  const clients: Client[] = [];
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await service.stop();
  });

  const subscribe = (headers: Headers, after: string) => {
    const client = socketClient(service.url, headers);
    clients.push(client);
    return subscribeToEvents(client, { after, filter: { types: ['ComponentPublished', 'PublicationDeprecated'] } });
  };
  const publications = (events: readonly FeedEvent[]): string[] =>
    events.map((event) => `${event.type}:${String(event.data['componentId'] ?? event.data['publicationId'])}`);

  it('delivers each publication’s events live to exactly the accounts that may see it', async () => {
    const url = service.url;
    const member = await secondAccount(url, 'Member');
    const outsider = await secondAccount(url, 'Outsider');
    const publisher = await tokenWithRoles(url, ['PUBLISHER']);
    const group = await createGroup(url, 'Live', publisher);
    const otherGroup = await createGroup(url, 'Not for the member', publisher);
    await join(url, group.id, member, publisher);
    const [shared, elsewhere, everyone, marker] = await Promise.all(
      ['shared', 'elsewhere', 'everyone', 'marker'].map((name) => createMci(url, name, [EAST], { commit: true })),
    );
    const head = (await service.services.store.headPosition()) as NonNullable<
      Awaited<ReturnType<typeof service.services.store.headPosition>>
    >;
    const after = service.services.store.cursorOf(head);
    const memberFeed = subscribe(member.admin, after);
    const outsiderFeed = subscribe(outsider.admin, after);

    const sharedPublication = await publishAs(
      url,
      { componentId: shared as string, visibility: 'GROUPS', accountGroupIds: [group.id] },
      publisher,
    );
    await publishAs(url, { componentId: elsewhere as string, visibility: 'GROUPS', accountGroupIds: [otherGroup.id] }, publisher);
    await publishAs(url, { componentId: everyone as string }, publisher);
    await ok(url, DEPRECATE, { id: sharedPublication.id }, publisher);
    await publishAs(url, { componentId: marker as string }, publisher);

    const sawMarker = (events: readonly FeedEvent[]) => events.some((event) => event.data['componentId'] === marker);
    await memberFeed.waitFor(sawMarker, 'the marker publication');
    await outsiderFeed.waitFor(sawMarker, 'the marker publication');
    expect(publications(memberFeed.events)).toEqual([
      `ComponentPublished:${shared}`,
      `ComponentPublished:${everyone}`,
      `PublicationDeprecated:${sharedPublication.id}`,
      `ComponentPublished:${marker}`,
    ]);
    expect(publications(outsiderFeed.events)).toEqual([`ComponentPublished:${everyone}`, `ComponentPublished:${marker}`]);
  });

  it('shows another account’s publication without its internals: only the groups the viewer is in, no acting user', async () => {
    const url = service.url;
    const member = await secondAccount(url, 'Member of one');
    const publisher = await tokenWithRoles(url, ['PUBLISHER']);
    const [joined, other] = await Promise.all([createGroup(url, 'Joined', publisher), createGroup(url, 'Other audience', publisher)]);
    await join(url, joined.id, member, publisher);
    const mci = await createMci(url, 'two audiences', [EAST], { commit: true });
    const head = (await service.services.store.headPosition()) as NonNullable<
      Awaited<ReturnType<typeof service.services.store.headPosition>>
    >;
    const after = service.services.store.cursorOf(head);
    const memberFeed = subscribe(member.admin, after);
    const publisherFeed = subscribe(publisher, after);
    await publishAs(url, { componentId: mci, visibility: 'GROUPS', accountGroupIds: [joined.id, other.id] }, publisher);

    const published = (events: readonly FeedEvent[]) => events.some((event) => event.data['componentId'] === mci);
    await memberFeed.waitFor(published, 'the publication');
    await publisherFeed.waitFor(published, 'the publication');
    const [seenByMember] = memberFeed.events;
    const [seenByPublisher] = publisherFeed.events;
    expect(seenByMember?.data['accountGroupIds']).toEqual([joined.id]);
    expect(seenByMember?.actor).toBeNull();
    expect([...(seenByPublisher?.data['accountGroupIds'] as string[])].sort()).toEqual([joined.id, other.id].sort());
    expect(seenByPublisher?.actor).not.toBeNull();
    // The query agrees with the subscription.
    const { events } = await ok<{ events: { nodes: Array<{ data: Record<string, unknown>; actor: { id: string } | null }> } }>(
      url,
      `query($after: String) { events(after: $after, first: 50, filter: { types: ["ComponentPublished"] }) { nodes { data actor { id } } } }`,
      { after },
      member.admin,
    );
    expect(events.nodes.map((node) => [node.data['accountGroupIds'], node.actor])).toEqual([[[joined.id], null]]);
  });
});
