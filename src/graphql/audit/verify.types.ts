import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { HistoryProblem } from '../../application/verification';

export const VerificationProblem = {
  HASH_MISMATCH: 'HASH_MISMATCH',
  CHAIN_BROKEN: 'CHAIN_BROKEN',
  MISSING_EVENT: 'MISSING_EVENT',
  OUT_OF_ORDER: 'OUT_OF_ORDER',
} as const;
export type VerificationProblem = (typeof VerificationProblem)[keyof typeof VerificationProblem];

export const PROBLEM_OF: Readonly<Record<HistoryProblem, VerificationProblem>> = {
  'hash mismatch': 'HASH_MISMATCH',
  'chain broken': 'CHAIN_BROKEN',
  'missing event': 'MISSING_EVENT',
  'out of order': 'OUT_OF_ORDER',
};

registerEnumType(VerificationProblem, {
  name: 'VerificationProblem',
  description: 'What is wrong with an event of a tamper-evident history.',
  valuesConfig: {
    HASH_MISMATCH: { description: 'Its content no longer hashes to its stored hash: it was changed after it was written.' },
    CHAIN_BROKEN: { description: "Its `prevHash` is not the previous event's hash: one of the two was changed (and re-hashed)." },
    MISSING_EVENT: { description: 'An event is gone: a revision is skipped, or the read models counted a newer one.' },
    OUT_OF_ORDER: { description: 'It sits in the log before an event that precedes it in its stream: rows were moved.' },
  },
});

@ObjectType('BrokenEvent', { description: 'An event (or the place of a missing one) that breaks a tamper-evident history.' })
export class BrokenEventType {
  @Field(() => String)
  streamId!: string;

  @Field(() => Int, { nullable: true, description: 'Its revision in the stream; for a missing event, the first one missing.' })
  revision!: number | null;

  @Field(() => ID, { nullable: true, description: 'Null for a missing event.' })
  eventId!: string | null;

  @Field(() => String, { nullable: true, description: 'Its position in the log (opaque, as `Event.cursor`); null when not known.' })
  cursor!: string | null;

  @Field(() => VerificationProblem)
  problem!: VerificationProblem;

  @Field(() => String, { description: 'What was expected and what was found.' })
  detail!: string;
}

@ObjectType('HistoryVerification', { description: "The outcome of checking a component's hash chain against its events." })
export class HistoryVerification {
  @Field(() => Boolean, { description: 'True when every event hashes to its stored hash and the chain is complete and in order.' })
  ok!: boolean;

  @Field(() => Int)
  eventsChecked!: number;

  @Field(() => BrokenEventType, { nullable: true, description: 'The earliest problem in log order; null when `ok`.' })
  firstBrokenEvent!: BrokenEventType | null;

  @Field(() => [BrokenEventType], { description: 'Every problem found (at most 100), earliest first.' })
  problems!: BrokenEventType[];
}
