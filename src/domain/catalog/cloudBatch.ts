import type { Decider } from '../decider';
import { cloudDecider, type CloudCommand, type CloudEvent, type CloudState } from './cloud';

/**
 * The cloud decider over a list of commands decided one after another, each on the state the
 * previous ones left: a cloud and its whole resource pool become one atomic append (the starter
 * catalog), so a crash never leaves a cloud half-registered. Any refusal refuses the whole list.
 */
export const cloudBatchDecider: Decider<CloudState, readonly CloudCommand[], CloudEvent> = {
  initialState: cloudDecider.initialState,
  evolve: cloudDecider.evolve,
  decide(commands, state) {
    const events: CloudEvent[] = [];
    let current = state;
    for (const command of commands) {
      for (const event of cloudDecider.decide(command, current)) {
        events.push(event);
        current = cloudDecider.evolve(current, event);
      }
    }
    return events;
  },
};
