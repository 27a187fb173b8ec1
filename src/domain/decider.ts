/**
 * A decider is an aggregate as three pure members: `initialState()`, `decide(command, state)` to turn a
 * command into events (or throw a `DomainError`), and `evolve(state, event)` to fold an event into the
 * state. No I/O, no clock, no id generation: whatever a decision needs (now, new ids, facts about other
 * aggregates) arrives in the command.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
}

/** An event as the domain sees it: a past-tense type and its data. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/** Folds events into a state from `initialState()`. */
export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
  from: State = decider.initialState(),
): State {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
