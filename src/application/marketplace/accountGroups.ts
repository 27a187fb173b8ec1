import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  ACCOUNT_GROUP_EVENT_TYPES,
  ACCOUNT_GROUP_STREAM_PREFIX,
  accountGroupDecider,
  accountGroupStream,
  MAX_GROUP_ID_LENGTH,
  NO_SUCH_INVITATION,
  noOwnedGroup,
  type AccountGroupCommand,
  type AccountGroupEvent,
  type AccountGroupState,
} from '../../domain/marketplace/accountGroup';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { RecordedEvent } from '../../eventStore/port';
import type { Services } from '../../services';
import type { CommandContext } from '../commandHandler';
import { COMPONENT_ID } from '../components';
import { parseDomainEvent } from '../parseEvent';

/*
 * Account groups and their invitations (domain.md, "Account groups"). An invitation's code is a
 * secret shown once to the inviter: `inv_<groupId>_<256 random bits>`. The group id in it lets the
 * acceptance fold that one group's stream (never a read model that could lag); the random part makes
 * it unguessable. Only its SHA-256 is stored, like an API token's: 256 random bits need no slow hash.
 */

export type AccountGroupServices = Pick<Services, 'store' | 'commands' | 'projections'>;

export const parseAccountGroupEvent = (recorded: RecordedEvent): AccountGroupEvent =>
  parseDomainEvent<AccountGroupEvent>(recorded, ACCOUNT_GROUP_EVENT_TYPES);

/** How a group's stream is named and read. */
export const accountGroupKind = {
  kind: 'AccountGroup',
  streamPrefix: ACCOUNT_GROUP_STREAM_PREFIX,
  parseEvent: parseAccountGroupEvent,
} as const;

const INVITATION_CODE = /^inv_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/u;
/** Longer than any code we hand out: refused before it is parsed or hashed. */
export const MAX_INVITATION_CODE_LENGTH = 128;

export function newInvitationCode(groupId: string): string {
  return `inv_${groupId}_${randomBytes(32).toString('base64url')}`;
}

export function hashInvitationCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** What a group command changed: the group and its stream revision now. */
export interface AccountGroupWritten {
  readonly groupId: string;
  readonly state: AccountGroupState;
}

async function run(
  services: AccountGroupServices,
  groupId: string,
  command: AccountGroupCommand,
  context: CommandContext,
  expectedRevision?: 'no_stream',
): Promise<AccountGroupWritten> {
  const handled = await services.commands.handle({
    stream: accountGroupStream(groupId),
    decider: accountGroupDecider,
    parseEvent: parseAccountGroupEvent,
    command,
    context,
    // Invitations and acceptances of different accounts don't depend on each other: decide again on newer state.
    ...(expectedRevision ? { expectedRevision } : { retriesOnConflict: 3 }),
  });
  await services.projections.waitForPosition(handled.position);
  return { groupId, state: handled.state };
}

/** A new group owned by the viewer's account. */
export function createAccountGroup(services: AccountGroupServices, context: CommandContext, name: string): Promise<AccountGroupWritten> {
  const groupId = randomUUID();
  return run(
    services,
    groupId,
    { type: 'CreateAccountGroup', data: { groupId, accountId: context.accountId, name, createdAt: new Date().toISOString() } },
    context,
    'no_stream',
  );
}

/**
 * Invites `accountId` into one of the viewer's groups and returns the code, once. Inviting an account
 * with an invitation still open replaces it: the earlier code stops working. Whether the account
 * exists is not checked (that answer would tell which account ids exist): a code for no account is
 * one nobody can accept.
 */
export async function inviteToAccountGroup(
  services: AccountGroupServices,
  context: CommandContext,
  input: { groupId: string; accountId: string },
): Promise<{ code: string; invitationId: string }> {
  if (input.groupId.length > MAX_GROUP_ID_LENGTH) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `groupId: expected an id of at most ${MAX_GROUP_ID_LENGTH} characters, got ${input.groupId.length}`,
    );
  }
  // An id that can't be one of ours is simply not found, like a missing group.
  if (!COMPONENT_ID.test(input.groupId)) throw noOwnedGroup(input.groupId);
  if (!COMPONENT_ID.test(input.accountId)) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `accountId: expected an account id (1 to 128 letters, digits, '.', '_', ':' or '-'), got ${input.accountId.length > 128 ? `${input.accountId.length} characters` : `'${input.accountId}'`}`,
    );
  }
  const code = newInvitationCode(input.groupId);
  const invitationId = randomUUID();
  await run(
    services,
    input.groupId,
    {
      type: 'InviteToAccountGroup',
      data: {
        groupId: input.groupId,
        accountId: context.accountId,
        invitedAccountId: input.accountId,
        invitationId,
        codeHash: hashInvitationCode(code),
        invitedAt: new Date().toISOString(),
      },
    },
    context,
  );
  return { code, invitationId };
}

/**
 * Accepts an invitation for the viewer's account (the API lets only admins call it). A malformed,
 * unknown, used or replaced code, and one meant for another account, are all NOT_FOUND with one
 * message. Returns the group joined.
 */
export async function acceptInvitation(
  services: AccountGroupServices,
  context: CommandContext,
  code: string,
): Promise<AccountGroupWritten> {
  const groupId = code.length <= MAX_INVITATION_CODE_LENGTH ? INVITATION_CODE.exec(code)?.[1] : undefined;
  if (groupId === undefined) throw new DomainError(ErrorCode.NOT_FOUND, NO_SUCH_INVITATION);
  return run(
    services,
    groupId,
    {
      type: 'AcceptInvitation',
      data: { accountId: context.accountId, codeHash: hashInvitationCode(code), acceptedAt: new Date().toISOString() },
    },
    context,
  );
}
