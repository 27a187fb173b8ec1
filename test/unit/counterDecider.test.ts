import { counterDecider } from '../support/counterAggregate';
import { deciderSpecification } from '../support/deciderSpecification';

// The test aggregate's own rules, so the command-handler tests can rely on them.
const spec = deciderSpecification(counterDecider);
const opened = { type: 'CounterOpened', data: { limit: 5 } } as const;

describe('counter decider (test aggregate)', () => {
  it('opens an empty counter', () => spec.given([]).when({ type: 'Open', limit: 5 }).then([opened]));
  it('refuses to open twice', () =>
    spec
      .given([opened])
      .when({ type: 'Open', limit: 5 })
      .thenFails('BAD_USER_INPUT', /already exists/));
  it('increments within the limit', () =>
    spec
      .given([opened])
      .when({ type: 'Increment', by: 2 })
      .then([{ type: 'CounterIncremented', data: { by: 2 } }]));
  it('refuses to pass the limit', () =>
    spec
      .given([opened, { type: 'CounterIncremented', data: { by: 4 } }])
      .when({ type: 'Increment', by: 2 })
      .thenFails('BAD_USER_INPUT', /limit 5 reached/));
  it('decides nothing for a no-op', () => spec.given([opened]).when({ type: 'Touch' }).then([]));
  it('refuses to increment a closed counter', () =>
    spec
      .given([opened, { type: 'CounterClosed', data: {} }])
      .when({ type: 'Increment', by: 1 })
      .thenFails('NOT_FOUND'));
});
