import { Authorized, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Change as DomainChange } from '../../domain/versionControl/change';
import { renderUnified } from '../../domain/versionControl/textDiff';
import { Change } from './versionControl.types';

/*
 * The unified text of a change is rendered only when a client asks for it, from the hunks the diff
 * already carries: whatever produced the change (diff today, merge preview later) gets it for free.
 */
@Resolver(() => Change)
export class ChangeResolver {
  @Authorized('observer')
  @FieldResolver(() => String, { nullable: true })
  unified(@Root() change: DomainChange): string | null {
    return change.hunks ? renderUnified(change.hunks) : null;
  }
}
