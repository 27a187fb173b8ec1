/**
 * The live feed's root field. Its resolver turns the event into the response and reads nothing else,
 * so the transport computes each event's response once for every subscriber asking for the same shape
 * (src/server/sharedExecution.ts). Keep it that way: anything read from the context here would be
 * shared across subscribers.
 */
export const LIVE_EVENTS_FIELD = 'events';
