import type { Decider, DomainEvent } from '../../src/domain/decider';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import type { RecordedEvent } from '../../src/eventStore/port';

/**
 * A small aggregate for testing the command plumbing: a counter that is opened, incremented by a
 * positive step up to a limit, and closed.
 */
export type CounterState = { status: 'empty' } | { status: 'open'; value: number; limit: number } | { status: 'closed'; value: number };

export type CounterCommand =
  | { type: 'Open'; limit: number }
  | { type: 'Increment'; by: number }
  | { type: 'Touch' } // changes nothing
  | { type: 'Close' };

export type CounterEvent =
  | DomainEvent<'CounterOpened', { limit: number }>
  | DomainEvent<'CounterIncremented', { by: number }>
  | DomainEvent<'CounterClosed', Record<string, never>>;

export const counterDecider: Decider<CounterState, CounterCommand, CounterEvent> = {
  initialState: () => ({ status: 'empty' }),
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.status !== 'empty') throw new DomainError(ErrorCode.BAD_USER_INPUT, 'counter already exists');
        return [{ type: 'CounterOpened', data: { limit: command.limit } }];
      case 'Increment':
        if (state.status !== 'open') throw new DomainError(ErrorCode.NOT_FOUND, 'counter is not open');
        if (command.by <= 0) throw new DomainError(ErrorCode.BAD_USER_INPUT, `by: expected a positive step, got ${command.by}`);
        if (state.value + command.by > state.limit) throw new DomainError(ErrorCode.BAD_USER_INPUT, `limit ${state.limit} reached`);
        return [{ type: 'CounterIncremented', data: { by: command.by } }];
      case 'Touch':
        return [];
      case 'Close':
        if (state.status !== 'open') throw new DomainError(ErrorCode.NOT_FOUND, 'counter is not open');
        return [{ type: 'CounterClosed', data: {} }];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'CounterOpened':
        return { status: 'open', value: 0, limit: event.data.limit };
      case 'CounterIncremented':
        return state.status === 'open' ? { ...state, value: state.value + event.data.by } : state;
      case 'CounterClosed':
        return state.status === 'open' ? { status: 'closed', value: state.value } : state;
      default: {
        const unknown: never = event;
        throw new Error(`unknown event ${JSON.stringify(unknown)}`);
      }
    }
  },
};

/** Store events are unknown until checked. */
export function parseCounterEvent(recorded: RecordedEvent): CounterEvent {
  const data = recorded.data as Record<string, unknown>;
  switch (recorded.type) {
    case 'CounterOpened':
      if (typeof data['limit'] !== 'number') break;
      return { type: 'CounterOpened', data: { limit: data['limit'] } };
    case 'CounterIncremented':
      if (typeof data['by'] !== 'number') break;
      return { type: 'CounterIncremented', data: { by: data['by'] } };
    case 'CounterClosed':
      return { type: 'CounterClosed', data: {} };
  }
  throw new Error(
    `event ${recorded.id} of '${recorded.stream}': expected a counter event, got ${recorded.type} ${JSON.stringify(recorded.data)}`,
  );
}
