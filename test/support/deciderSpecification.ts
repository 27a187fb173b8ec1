import type { Decider, DomainEvent } from '../../src/domain/decider';
import { fold } from '../../src/domain/decider';
import { DomainError, type ErrorCode } from '../../src/domain/errors';

/**
 * given(events) / when(command) / then(events | error code): decider tests that read like the rule.
 *
 *   spec.given([opened]).when({ type: 'Increment', by: 1 }).then([incremented]);
 *   spec.given([]).when({ type: 'Increment', by: 1 }).thenFails('NOT_FOUND', /not open/);
 */
export function deciderSpecification<State, Command, Event extends DomainEvent>(decider: Decider<State, Command, Event>) {
  return {
    given(events: readonly Event[]) {
      return {
        when(command: Command) {
          const run = (): readonly Event[] => decider.decide(command, fold(decider, events));
          return {
            then(expected: readonly Event[]): void {
              expect(run()).toEqual(expected);
            },
            thenFails(code: ErrorCode, message?: RegExp): void {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
              if (message) expect((thrown as DomainError).message).toMatch(message);
            },
          };
        },
      };
    },
  };
}
