import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  print,
  subscribe,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { isPushable, LiveDelivery } from './liveDelivery';

/*
 * Subscriptions executed once per event and per shape, not once per subscriber. graphql-js runs the
 * whole operation again for every event and every subscriber; with a thousand subscribers of one feed
 * that is a thousand identical executions per event. Here each event's response is computed by the
 * first subscriber that needs it and shared by every other subscriber asking for the same shape; its
 * JSON too is computed once (src/server/liveDelivery.ts writes it to each socket).
 *
 * Exact by construction, for the root fields named in `fields` only: those whose resolver turns the
 * event into the response and reads nothing else (their arguments pick the events, in the source
 * stream, and are not seen again). Below such a field, a response depends on
 * - the event (the very object the source stream handed out: the key is the object, held weakly),
 * - the document, with the root field's arguments left out,
 * - the variables that the rest of the document uses, and
 * - the viewer's rights: its roles and whether it is a system operator (all that authorization reads:
 *   src/graphql/auth.ts, holdsAnyRight).
 * Those four are the key. Any other subscription, or a document whose root is not a single plain
 * field, is executed per subscriber by graphql-js, as before.
 */

export type SubscriptionExecution = 'shared' | 'per-subscriber';

/** One event's response for one shape, shared by its subscribers; `result` once it is computed. */
export class SharedResponse {
  result: ExecutionResult | undefined;
  failure: unknown;
  private json: Buffer | undefined;
  private waiting: Array<() => void> | undefined;

  constructor(computed: ExecutionResult | Promise<ExecutionResult>) {
    if (!('then' in computed)) {
      this.result = computed;
      return;
    }
    this.waiting = [];
    computed.then(
      (result) => this.settle(result, undefined),
      (error: unknown) => this.settle(undefined, error ?? new Error('the subscription failed')),
    );
  }

  get settled(): boolean {
    return this.waiting === undefined;
  }

  /** Calls `then` once the response is computed: one promise per response, however many subscribers wait. */
  whenSettled(then: () => void): void {
    if (this.waiting) this.waiting.push(then);
    else then();
  }

  /** The response as UTF-8 JSON, computed by the first subscriber that writes it. */
  toJson(): Buffer {
    this.json ??= Buffer.from(JSON.stringify(this.result));
    return this.json;
  }

  private settle(result: ExecutionResult | undefined, failure: unknown): void {
    this.result = result;
    this.failure = failure;
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const then of waiting) then();
  }
}

/** The responses to one shape, by event (held weakly). */
class ResponsesOfShape {
  /** Open subscriptions of this shape: the last one to close drops the group. */
  subscribers = 0;
  private readonly byEvent = new WeakMap<object, SharedResponse>();
  /** The event every subscriber asks about in turn, and its response: most lookups stop here. */
  private lastEvent: object | undefined;
  private lastResponse: SharedResponse | undefined;

  of(event: object, compute: () => ExecutionResult | Promise<ExecutionResult>): SharedResponse {
    if (event === this.lastEvent && this.lastResponse) return this.lastResponse;
    let response = this.byEvent.get(event);
    if (!response) this.byEvent.set(event, (response = new SharedResponse(compute())));
    this.lastEvent = event;
    this.lastResponse = response;
    return response;
  }
}

/** The part of a subscription's request its responses depend on, as a string; `undefined` when not shareable. */
function shapeOf(args: ExecutionArgs, fields: ReadonlySet<string>): string | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  const selections = operation?.selectionSet.selections;
  const root = selections?.[0];
  if (!operation || operation.operation !== 'subscription' || selections?.length !== 1 || root?.kind !== Kind.FIELD) return undefined;
  if (!fields.has(root.name.value)) return undefined;
  const definitions: DefinitionNode[] = args.document.definitions.map((definition) =>
    definition === operation
      ? { ...operation, selectionSet: { ...operation.selectionSet, selections: [{ ...root, arguments: [] }] } }
      : definition,
  );
  const shape: DocumentNode = { kind: Kind.DOCUMENT, definitions };
  // Only the operation's body and fragments count: variable definitions are declarations, not uses.
  const used = new Set<string>();
  visit(shape, {
    VariableDefinition: () => false,
    Variable: (node) => {
      used.add(node.name.value);
    },
  });
  const variables = args.variableValues ?? {};
  const values = [...used].sort().map((name) => [name, variables[name] ?? null]);
  const viewer = (args.contextValue as GraphQLContext | undefined)?.viewer;
  if (!viewer) return undefined;
  return JSON.stringify([[...viewer.roles].sort(), viewer.systemOperator === true, args.operationName ?? null, print(shape), values]);
}

/** `source` with each event mapped through `respond`; closing it closes the source. */
function mapEvents(
  source: AsyncIterator<unknown>,
  closed: () => void,
  respond: (event: unknown) => ExecutionResult | Promise<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  let open = true;
  const close = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (open) {
      open = false;
      closed();
      await source.return?.();
    }
    return { value: undefined, done: true };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      let step: IteratorResult<unknown>;
      try {
        step = await source.next();
      } catch (error) {
        await close();
        throw error;
      }
      if (step.done) return close();
      try {
        return { value: await respond(step.value), done: false };
      } catch (error) {
        await close();
        throw error;
      }
    },
    return: close,
    async throw(error: unknown) {
      await close();
      throw error;
    },
  };
}

/**
 * graphql-ws's `subscribe`: responses shared across subscribers for the root `fields` (see above),
 * graphql-js's own subscribe for everything else, and for everything when `mode` is 'per-subscriber'.
 */
export function sharedSubscribe(
  fields: ReadonlySet<string>,
  mode: SubscriptionExecution = 'shared',
): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const shapes = new Map<string, ResponsesOfShape>();
  return async (args) => {
    const shape = mode === 'shared' ? shapeOf(args, fields) : undefined;
    if (shape === undefined) return subscribe(args);
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    // Grouped by shape for as long as one of its subscriptions is open.
    let group = shapes.get(shape);
    if (!group) shapes.set(shape, (group = new ResponsesOfShape()));
    const responses = group;
    responses.subscribers += 1;
    const closed = (): void => {
      responses.subscribers -= 1;
      if (responses.subscribers === 0 && shapes.get(shape) === responses) shapes.delete(shape);
    };
    const responseTo = (event: object): SharedResponse => responses.of(event, () => execute({ ...args, rootValue: event }));
    const connection = (args.contextValue as GraphQLContext).connection;
    if (connection?.direct && isPushable(source)) return new LiveDelivery(source, responseTo, connection.direct, closed);
    return mapEvents(source[Symbol.asyncIterator](), closed, async (event) => {
      if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
      const response = responseTo(event);
      if (!response.settled) await new Promise<void>((resolve) => response.whenSettled(resolve));
      if (response.result === undefined) throw response.failure;
      return response.result;
    });
  };
}
