import { createHash } from 'node:crypto';
import { visiblePublication } from '../../src/application/marketplace';
import { fails, ok, secondAccount, tokenWithRoles, type Headers } from '../support/api';
import { startTestService, type TestService } from '../support/service';
import {
  ACCEPT,
  CREATE_GROUP,
  GROUPS,
  INVITE,
  PUBLICATION,
  PUBLICATIONS,
  createGroup,
  invite,
  publicationsAs,
  publishAs,
  type GroupView,
  type PublicationView,
} from './marketplaceFixtures';
import { EAST, createMci, createScript } from './serverTemplatesFixtures';

/*
 * Account groups over real HTTP: creating, inviting (a code shown once, stored hashed), accepting by
 * an admin of the invited account only, once; what `accountGroups` shows to owners and members; who
 * sees which publication (public, own, member, non-member, invited but not accepted); and what the
 * change feed shows of it all, never a code or its hash.
 */

const GHOST = '00000000-0000-4000-8000-000000000000';

interface Account {
  accountId: string;
  admin: Headers;
}

describe('account groups and who sees what', () => {
  let service: TestService;
  let url: string;
  let member: Account;
  let invitee: Account;
  let outsider: Account;
  let publisher: Headers;
  beforeAll(async () => {
    service = await startTestService();
    url = service.url;
    member = await secondAccount(url, 'Member Corp');
    invitee = await secondAccount(url, 'Invitee Inc');
    outsider = await secondAccount(url, 'Outsider Ltd');
    publisher = await tokenWithRoles(url, ['PUBLISHER']);
  });
  afterAll(() => service.stop());

  const groupsOf = async (headers: Headers): Promise<GroupView[]> =>
    (await ok<{ accountGroups: { nodes: GroupView[] } }>(url, GROUPS, {}, headers)).accountGroups.nodes;

  it('creates a group, invites with a single-use code stored only hashed, and an admin of the invited account accepts it', async () => {
    const group = await createGroup(url, 'Partners', publisher);
    expect(group).toMatchObject({
      name: 'Partners',
      isOwner: true,
      owner: { id: 'default', name: 'Default' },
      members: [],
      invitations: [],
    });
    const { inviteToAccountGroup } = await ok<{
      inviteToAccountGroup: { code: string; invitationId: string; accountId: string; group: GroupView };
    }>(url, INVITE, { groupId: group.id, accountId: member.accountId }, publisher);
    expect(inviteToAccountGroup.code).toMatch(new RegExp(`^inv_${group.id}_[A-Za-z0-9_-]{43}$`));
    expect(inviteToAccountGroup.group.invitations).toEqual([
      { invitationId: inviteToAccountGroup.invitationId, accountId: member.accountId, invitedAt: expect.any(String) },
    ]);
    // The code is nowhere in the log: only its SHA-256.
    const stream = await service.services.store.readStream(`group-${group.id}`);
    expect(JSON.stringify(stream.map((event) => [event.data, event.metadata]))).not.toContain(inviteToAccountGroup.code);
    expect(stream[1]).toMatchObject({
      type: 'AccountInvited',
      data: { accountId: member.accountId, codeHash: createHash('sha256').update(inviteToAccountGroup.code).digest('hex') },
    });
    expect(JSON.stringify(service.services.readModels.prepare('SELECT * FROM rm_account_group_invitations').all())).not.toContain(
      'codeHash',
    );

    const { acceptInvitation } = await ok<{ acceptInvitation: GroupView }>(url, ACCEPT, { code: inviteToAccountGroup.code }, member.admin);
    // A member sees the group, not who else is in it.
    expect(acceptInvitation).toMatchObject({ id: group.id, isOwner: false, owner: { id: 'default' }, members: null, invitations: null });
    expect(await groupsOf(member.admin)).toEqual([
      expect.objectContaining({ id: group.id, isOwner: false, members: null, invitations: null }),
    ]);
    // The owner sees the member.
    const [owned] = (await groupsOf(publisher)).filter((g) => g.id === group.id);
    expect(owned).toMatchObject({ members: [{ account: { id: member.accountId, name: 'Member Corp' } }], invitations: [] });
    expect(await groupsOf(outsider.admin)).toEqual([]);
    const counted = async (headers: Headers): Promise<number> =>
      (await ok<{ accountGroups: { totalCount: number } }>(url, GROUPS, {}, headers)).accountGroups.totalCount;
    expect({ member: await counted(member.admin), outsider: await counted(outsider.admin) }).toEqual({ member: 1, outsider: 0 });

    // Single use: the same code again, by anyone, is NOT_FOUND like a code that never existed.
    const before = await service.services.store.headPosition();
    const again = await fails(url, ACCEPT, { code: inviteToAccountGroup.code }, member.admin);
    expect({ code: again.code, message: again.message }).toEqual({
      code: 'NOT_FOUND',
      message: 'no such invitation: the code is unknown, was already used, or was meant for another account',
    });
    expect(await service.services.store.headPosition()).toEqual(before);
  });

  it('lets only an admin of the invited account accept: another account reads it as a bad code, a non-admin is FORBIDDEN', async () => {
    const group = await createGroup(url, 'Strict', publisher);
    const code = await invite(url, group.id, invitee.accountId, publisher);
    const inviteePublisher = await tokenWithRoles(url, ['PUBLISHER', 'LIBRARY', 'DESIGNER'], invitee.admin);
    const before = await service.services.store.headPosition();
    const forbidden = await fails(url, ACCEPT, { code }, inviteePublisher);
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(forbidden.message).toMatch(/needs the 'admin' right/);
    const bad = (await fails(url, ACCEPT, { code: `inv_${group.id}_${'A'.repeat(43)}` }, outsider.admin)).message;
    for (const attempt of [
      { code, headers: outsider.admin }, // meant for another account
      { code, headers: member.admin },
      { code: 'nonsense', headers: invitee.admin },
      { code: `inv_${GHOST}_${'A'.repeat(43)}`, headers: invitee.admin },
      { code: 'x'.repeat(10_000), headers: invitee.admin },
      { code: code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A'), headers: invitee.admin },
    ]) {
      const refused = await fails(url, ACCEPT, { code: attempt.code }, attempt.headers);
      expect({ code: refused.code, message: refused.message }).toEqual({ code: 'NOT_FOUND', message: bad });
    }
    expect(await service.services.store.headPosition()).toEqual(before);
    // The invitee's admin can still use it: nothing above spent it.
    await ok(url, ACCEPT, { code }, invitee.admin);
  });

  it('replaces an open invitation when the account is invited again: only the newest code works', async () => {
    const group = await createGroup(url, 'Replaced', publisher);
    const first = await invite(url, group.id, invitee.accountId, publisher);
    const second = await invite(url, group.id, invitee.accountId, publisher);
    expect(second).not.toBe(first);
    const [owned] = (await groupsOf(publisher)).filter((g) => g.id === group.id);
    expect(owned?.invitations).toHaveLength(1);
    expect((await fails(url, ACCEPT, { code: first }, invitee.admin)).code).toBe('NOT_FOUND');
    await ok(url, ACCEPT, { code: second }, invitee.admin);
  });

  it('invites only into the account’s own groups, never the owner or a member again; an unknown account id is not checked', async () => {
    const group = await createGroup(url, 'Guarded', publisher);
    await ok(url, ACCEPT, { code: await invite(url, group.id, member.accountId, publisher) }, member.admin);
    const memberPublisher = await tokenWithRoles(url, ['PUBLISHER'], member.admin);
    const before = await service.services.store.headPosition();
    // A member (or anyone else) inviting into the group: NOT_FOUND, as for a group that doesn't exist.
    for (const [groupId, headers] of [
      [group.id, memberPublisher],
      [group.id, outsider.admin],
      [GHOST, publisher],
    ] as const) {
      const refused = await fails(url, INVITE, { groupId, accountId: invitee.accountId }, headers);
      expect({ code: refused.code, message: refused.message }).toEqual({
        code: 'NOT_FOUND',
        message: `no account group '${groupId}' owned by your account`,
      });
    }
    const owner = await fails(url, INVITE, { groupId: group.id, accountId: 'default' }, publisher);
    expect({ code: owner.code, message: owner.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: "accountId: the owner's account 'default' is in its group already; invite another account",
    });
    const again = await fails(url, INVITE, { groupId: group.id, accountId: member.accountId }, publisher);
    expect({ code: again.code, message: again.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: `accountId: account '${member.accountId}' is a member of account group '${group.id}' already`,
    });
    const malformed = await fails(url, INVITE, { groupId: group.id, accountId: 'no spaces allowed' }, publisher);
    expect({ code: malformed.code, message: malformed.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: "accountId: expected an account id (1 to 128 letters, digits, '.', '_', ':' or '-'), got 'no spaces allowed'",
    });
    const overlong = await fails(url, INVITE, { groupId: 'g'.repeat(129), accountId: invitee.accountId }, publisher);
    expect({ code: overlong.code, message: overlong.message }).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'groupId: expected an id of at most 128 characters, got 129',
    });
    expect(await service.services.store.headPosition()).toEqual(before);
    // Inviting an account id nobody has succeeds like any other: the answer doesn't tell which ids exist.
    expect(await invite(url, group.id, GHOST, publisher)).toMatch(/^inv_/);
  });

  it('refuses a blank or overlong group name, and group mutations without the publisher right', async () => {
    const before = await service.services.store.headPosition();
    for (const [name, message] of [
      [' ', 'name: expected 1 to 255 characters, got a blank name'],
      ['n'.repeat(256), 'name: expected 1 to 255 characters, got 256'],
    ]) {
      const refused = await fails(url, CREATE_GROUP, { name }, publisher);
      expect({ code: refused.code, message: refused.message }).toEqual({ code: 'BAD_USER_INPUT', message });
    }
    const designer = await tokenWithRoles(url, ['DESIGNER']);
    const afterToken = await service.services.store.headPosition();
    expect((await fails(url, CREATE_GROUP, { name: 'Nope' }, designer)).code).toBe('FORBIDDEN');
    expect(await service.services.store.headPosition()).toEqual(afterToken);
    expect(before).not.toEqual(afterToken); // only the token was written
  });

  describe('the visibility matrix', () => {
    let group: GroupView;
    let publicPublication: PublicationView;
    let groupPublication: PublicationView;
    let otherGroupPublication: PublicationView;
    let theirs: PublicationView;
    let matrixMember: Account;
    let matrixInvitee: Account;
    let matrixOutsider: Account;

    beforeAll(async () => {
      matrixMember = await secondAccount(url, 'Matrix member');
      matrixInvitee = await secondAccount(url, 'Matrix invitee');
      matrixOutsider = await secondAccount(url, 'Matrix outsider');
      group = await createGroup(url, 'Matrix', publisher);
      const otherGroup = await createGroup(url, 'Matrix other', publisher);
      await ok(url, ACCEPT, { code: await invite(url, group.id, matrixMember.accountId, publisher) }, matrixMember.admin);
      await invite(url, group.id, matrixInvitee.accountId, publisher); // never accepted
      const pub = await createMci(url, 'Matrix public', [EAST], { commit: true });
      const shared = await createMci(url, 'Matrix shared', [EAST], { commit: true });
      const elsewhere = await createScript(url, 'Matrix elsewhere', { commit: true });
      publicPublication = await publishAs(url, { componentId: pub, categories: ['matrix'] }, publisher);
      groupPublication = await publishAs(
        url,
        { componentId: shared, visibility: 'GROUPS', accountGroupIds: [group.id], categories: ['matrix'] },
        publisher,
      );
      otherGroupPublication = await publishAs(
        url,
        { componentId: elsewhere, visibility: 'GROUPS', accountGroupIds: [otherGroup.id], categories: ['matrix'] },
        publisher,
      );
      // The member's own publication, shared with nobody: only the member sees it.
      const own = await createMci(url, 'Member private', [EAST], { commit: true, headers: matrixMember.admin });
      const memberGroup = await createGroup(url, 'Member solo', matrixMember.admin);
      theirs = await publishAs(
        url,
        { componentId: own, visibility: 'GROUPS', accountGroupIds: [memberGroup.id], categories: ['matrix'] },
        matrixMember.admin,
      );
    });

    const visibleIds = async (headers: Headers): Promise<string[]> =>
      (await publicationsAs(url, headers, { category: 'matrix' })).map((p) => p.id);

    it('lists and reads exactly what each account may see', async () => {
      const everyone = [publicPublication.id];
      const cases: Array<[string, Headers, string[]]> = [
        ['publisher (own + public)', publisher, [publicPublication.id, groupPublication.id, otherGroupPublication.id]],
        ['group member', matrixMember.admin, [publicPublication.id, groupPublication.id, theirs.id]],
        ['invited, not accepted', matrixInvitee.admin, everyone],
        ['non-member', matrixOutsider.admin, everyone],
      ];
      for (const [who, headers, expected] of cases) {
        expect({ who, ids: await visibleIds(headers) }).toEqual({ who, ids: expected });
        for (const publication of [publicPublication, groupPublication, otherGroupPublication, theirs]) {
          const response = await (expected.includes(publication.id)
            ? ok(url, PUBLICATION, { id: publication.id }, headers).then(() => 'seen')
            : fails(url, PUBLICATION, { id: publication.id }, headers).then((error) => `${String(error.code)}: ${error.message}`));
          expect({ who, publication: publication.id, response }).toEqual({
            who,
            publication: publication.id,
            response: expected.includes(publication.id) ? 'seen' : 'NOT_FOUND: no such publication',
          });
        }
      }
      const ghost = await fails(url, PUBLICATION, { id: GHOST }, matrixOutsider.admin);
      expect({ code: ghost.code, message: ghost.message }).toEqual({ code: 'NOT_FOUND', message: 'no such publication' });
      // Only the publisher is shown the groups a publication is shared with.
      const { publication } = await ok<{ publication: PublicationView }>(url, PUBLICATION, { id: groupPublication.id }, matrixMember.admin);
      expect(publication.accountGroups).toBeNull();
      expect(publication.publisherAccount).toEqual({ id: 'default', name: 'Default' });
      // The application's door answers the same.
      expect(visiblePublication(service.services, matrixMember.accountId, groupPublication.id).id).toBe(groupPublication.id);
      expect(() => visiblePublication(service.services, matrixOutsider.accountId, groupPublication.id)).toThrow('no such publication');
    });

    it('counts only what each account may see, whatever the filter: totalCount never tells of a hidden publication', async () => {
      const totalCount = async (headers: Headers, filter: Record<string, unknown>): Promise<number> =>
        (
          await ok<{ publications: { totalCount: number } }>(
            url,
            PUBLICATIONS,
            { filter: { category: 'matrix', ...filter }, first: 1 },
            headers,
          )
        ).publications.totalCount;
      const hidden = otherGroupPublication;
      const filters: Array<[string, Record<string, unknown>]> = [
        ['none', {}],
        ['its component', { componentId: hidden.componentId }],
        ['its lineage', { lineage: hidden.lineage }],
        ['its kind', { kind: hidden.kind }],
        ['newest of its lineage', { lineage: hidden.lineage, newestOnly: true }],
        ['deprecated too', { componentId: hidden.componentId, includeDeprecated: true }],
      ];
      for (const [name, filter] of filters) {
        const counts = {
          publisher: await totalCount(publisher, filter),
          member: await totalCount(matrixMember.admin, filter),
          outsider: await totalCount(matrixOutsider.admin, filter),
        };
        // Unfiltered, each sees 3 / 3 / 1 of the matrix's 4; narrowed to the hidden one (the only RightScript), only its publisher counts it.
        const expected = name === 'none' ? { publisher: 3, member: 3, outsider: 1 } : { publisher: 1, member: 0, outsider: 0 };
        expect({ filter: name, counts }).toEqual({ filter: name, counts: expected });
      }
    });

    it('shows a new member the group’s earlier publications once the invitation is accepted', async () => {
      const late = await secondAccount(url, 'Latecomer');
      expect(await visibleIds(late.admin)).toEqual([publicPublication.id]);
      await ok(url, ACCEPT, { code: await invite(url, group.id, late.accountId, publisher) }, late.admin);
      expect(await visibleIds(late.admin)).toEqual([publicPublication.id, groupPublication.id]);
    });

    it('shows each account the marketplace events it may see in the change feed, never a code or its hash', async () => {
      const feed = async (headers: Headers): Promise<Array<{ type: string; streamId: string; data: Record<string, unknown> }>> => {
        const { events } = await ok<{ events: { nodes: Array<{ type: string; streamId: string; data: Record<string, unknown> }> } }>(
          url,
          `query { events(first: 500, filter: { types: ["ComponentPublished", "TemplatePublished", "PublicationDeprecated", "AccountGroupCreated", "AccountInvited", "InvitationAccepted"] }) { nodes { type streamId data } } }`,
          {},
          headers,
        );
        return events.nodes;
      };
      const published = (events: Array<{ type: string; data: Record<string, unknown> }>): string[] =>
        events.filter((e) => e.type === 'ComponentPublished').map((e) => String(e.data['publicationId']));
      const matrixIds = [publicPublication.id, groupPublication.id, otherGroupPublication.id, theirs.id];
      const memberFeed = await feed(matrixMember.admin);
      expect(published(memberFeed).filter((id) => matrixIds.includes(id))).toEqual([publicPublication.id, groupPublication.id, theirs.id]);
      const outsiderFeed = await feed(matrixOutsider.admin);
      expect(published(outsiderFeed).filter((id) => matrixIds.includes(id))).toEqual([publicPublication.id]);
      expect(outsiderFeed.filter((e) => e.streamId === `group-${group.id}`)).toEqual([]);
      // The invitee sees its invitation (not the code's hash), the member its own and its acceptance.
      const inviteeGroupEvents = (await feed(matrixInvitee.admin)).filter((e) => e.streamId === `group-${group.id}`);
      expect(inviteeGroupEvents.map((e) => e.type)).toEqual(['AccountInvited']);
      expect(inviteeGroupEvents[0]?.data).toEqual({
        groupId: group.id,
        invitationId: expect.any(String),
        accountId: matrixInvitee.accountId,
        invitedAt: expect.any(String),
        replaces: null,
      });
      expect(memberFeed.filter((e) => e.streamId === `group-${group.id}`).map((e) => e.type)).toEqual([
        'AccountInvited',
        'InvitationAccepted',
      ]);
      // The owner sees everything of its group, also without hashes.
      const ownerFeed = (await feed(publisher)).filter((e) => e.streamId === `group-${group.id}`);
      expect(ownerFeed.map((e) => e.type)).toEqual([
        'AccountGroupCreated',
        'AccountInvited',
        'InvitationAccepted',
        'AccountInvited',
        'AccountInvited',
        'InvitationAccepted',
      ]);
      for (const events of [ownerFeed, memberFeed, inviteeGroupEvents, outsiderFeed])
        expect(JSON.stringify(events)).not.toMatch(/codeHash|inv_/);
    });
  });
});
