import type { DomainEvent } from '../domain/decider';
import { DomainError, ErrorCode } from '../domain/errors';
import type { PinnedKind } from '../domain/serverTemplates/serverTemplate.types';
import type { Services } from '../services';
import type { CommandContext } from './commandHandler';
import {
  editComponent,
  type CommandKind,
  type CommandWritten,
  type ComponentEdit,
  type ComponentServices,
  type EditOf,
  type OwnedState,
} from './components';
import { withPinLocks } from './pinLocks';

/*
 * Impact of deleting a component: which ServerTemplate revisions pin it (domain.md: "An MCI referenced
 * by any ServerTemplate revision or HEAD can't be deleted"). Its own module so the component kinds that
 * can be pinned don't import the templates that pin them.
 */

/** How many of the pinning template revisions an IN_USE message names. */
const IN_USE_SHOWN = 5;

const describeUse = (templateId: string, templateRevision: number): string =>
  `'${templateId}' ${templateRevision === 0 ? 'HEAD' : `revision ${templateRevision}`}`;

/**
 * Refuses (IN_USE) to delete an MCI or RightScript that the HEAD or a committed revision of any of the
 * account's templates (not deleted) pins, naming up to five of them and how many there are.
 *
 * The pins are a read model, so it is first brought up to the end of the log: a template that pinned
 * the component before this call counts. A template command that read the component as active just
 * before the check and appends its pin just after it is kept out by the pin lock (pinLocks.ts) the
 * delete holds from this check to its append; the caller must hold it. Across several processes on one
 * EventStoreDB that lock isn't shared: such a pin stays readable (the component's history and snapshots
 * stay), and it shows in `usedBy` so it can be found.
 */
export async function assertNotInUse(
  services: Pick<Services, 'store' | 'projections' | 'queries'>,
  accountId: string,
  kind: PinnedKind,
  id: string,
): Promise<void> {
  await services.projections.waitForPosition(await services.store.headPosition());
  const uses = services.queries.serverTemplates.usedBy(accountId, kind, [id]);
  if (uses.length === 0) return;
  const shown = uses.slice(0, IN_USE_SHOWN);
  const more = uses.length - shown.length;
  throw new DomainError(
    ErrorCode.IN_USE,
    `${kind} '${id}' is pinned by ${uses.length} ServerTemplate revision${uses.length === 1 ? '' : 's'} (${shown
      .map((use) => describeUse(use.serverTemplateId, use.templateRevision))
      .join(', ')}${more > 0 ? ` and ${more} more` : ''}): it can't be deleted while any template revision pins it`,
    { usedBy: shown.map((use) => ({ id: use.serverTemplateId, revision: use.templateRevision })), totalCount: uses.length },
  );
}

/**
 * Deletes an MCI or RightScript unless a template pins it (IN_USE), holding its pin lock from the
 * check to the append so no template command of this process pins it in between.
 */
export function deleteUnlessInUse<State extends OwnedState, Command, Event extends DomainEvent>(
  services: ComponentServices & Pick<Services, 'queries'>,
  kind: CommandKind<State, Command, Event>,
  pinnedAs: PinnedKind,
  context: CommandContext,
  input: ComponentEdit,
  toCommand: (edit: EditOf) => NoInfer<Command>,
): Promise<CommandWritten<State, Event>> {
  return withPinLocks(services.store, [{ kind: pinnedAs, id: input.id }], () =>
    editComponent(services, kind, context, input, async (edit) => {
      await assertNotInUse(services, context.accountId, pinnedAs, input.id);
      return toCommand(edit);
    }),
  );
}
