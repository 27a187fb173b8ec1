import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { ADMIN } from './service';

/*
 * A write storm: several clients sending mutations over HTTP at once, each with its own request id
 * (which the service records as every event's `correlationId`), and a ledger of what each request
 * was, which events it must have written, and what the client was told. After a crash the ledger is
 * held against the log: acknowledged → all its events are there; refused → none; in flight when the
 * process died → all or none, never part.
 * All clients use the admin token, so a storm outruns the per-token mutation rate limit within
 * seconds: run it against a service with the limit off (childService.ts turns it off for its children;
 * a RATE_LIMITED answer would be recorded as a refusal and hide what the storm is meant to find).
 */

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type StormOperation =
  'createMultiCloudImage' | 'mapImage' | 'updateMultiCloudImage' | 'commitMultiCloudImage' | 'createRightScript' | 'createAccount';

/** The events each operation appends, in order, in one append. */
export const EXPECTED_EVENTS: Readonly<Record<StormOperation, readonly string[]>> = {
  createMultiCloudImage: ['MultiCloudImageCreated'],
  mapImage: ['ImageMapped'],
  updateMultiCloudImage: ['MultiCloudImageUpdated'],
  commitMultiCloudImage: ['RevisionCommitted'],
  createRightScript: ['RightScriptCreated'],
  createAccount: ['AccountCreated', 'UserCreated', 'ApiTokenCreated'],
};

export type RequestOutcome =
  /** No answer: the connection broke (the process died) before the response arrived. */
  | { readonly kind: 'in-flight' }
  /** 200 with data: the client was told it happened. `version` is the MCI's stream revision after it. */
  | { readonly kind: 'acknowledged'; readonly componentId?: string; readonly version?: number }
  /** Answered with an error code: nothing may have been written. */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string };

export interface StormRequest {
  /** Sent as `x-request-id`; the service stores it as the events' `correlationId`. */
  readonly requestId: string;
  readonly operation: StormOperation;
  /** The MCI it edits, for edits. */
  readonly targetId?: string;
  outcome: RequestOutcome;
}

interface OwnMci {
  readonly id: string;
  version: number;
  uncommitted: boolean;
}

const CLOUDS = ['aws-us-east-1', 'aws-eu-west-1', 'rackspace-dfw'] as const;
const MCI_FIELDS = 'id version';

export interface StormOptions {
  readonly url: string;
  /** Prefix of every request id: unique per storm (e.g. `storm-<cycle>`). */
  readonly label: string;
  readonly clients: number;
  readonly random: () => number;
  /** Called after each acknowledgment with the storm's total so far. */
  readonly onAcknowledged?: (total: number) => void;
}

/**
 * Runs `clients` loops of mutations until `stop()` is called or the service stops answering.
 *
 * Usage:
 *   const storm = new WriteStorm({ url, label: 'storm-1', clients: 6, random });
 *   const done = storm.run();  …  child.kill();  await done;  checkLedger(storm.requests, events);
 */
export class WriteStorm {
  readonly requests: StormRequest[] = [];
  acknowledged = 0;
  private stopped = false;

  constructor(private readonly options: StormOptions) {}

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, client) => this.client(client)));
  }

  stop(): void {
    this.stopped = true;
  }

  private async client(client: number): Promise<void> {
    const own: OwnMci[] = [];
    for (let n = 0; !this.stopped; n++) {
      const requestId = `${this.options.label}-c${client}-${n}`;
      const call = this.nextCall(own, requestId);
      const request: StormRequest = {
        requestId,
        operation: call.operation,
        ...(call.target ? { targetId: call.target.id } : {}),
        outcome: { kind: 'in-flight' },
      };
      this.requests.push(request);
      let response: Response;
      try {
        response = await fetch(`${this.options.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...ADMIN },
          body: JSON.stringify({ query: call.query, variables: call.variables }),
        });
      } catch {
        return; // the service is gone: this request stays in flight
      }
      let body: {
        data?: Record<string, { id?: string; version?: number } | null> | null;
        errors?: Array<{ message: string; extensions?: { code?: string } }>;
      };
      try {
        body = (await response.json()) as typeof body;
      } catch {
        return; // the connection broke mid-response: still in flight as far as the client knows
      }
      const error = body.errors?.[0];
      if (error) {
        request.outcome = { kind: 'refused', code: String(error.extensions?.code), message: error.message };
        continue;
      }
      const result = body.data?.[call.operation];
      request.outcome = {
        kind: 'acknowledged',
        ...(result?.id ? { componentId: result.id } : {}),
        ...(typeof result?.version === 'number' ? { version: result.version } : {}),
      };
      call.acknowledged(result ?? {});
      this.acknowledged += 1;
      this.options.onAcknowledged?.(this.acknowledged);
    }
  }

  private nextCall(
    own: OwnMci[],
    requestId: string,
  ): {
    operation: StormOperation;
    query: string;
    variables: Record<string, unknown>;
    target?: OwnMci;
    acknowledged: (result: { id?: string; version?: number }) => void;
  } {
    const random = this.options.random;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const roll = random();
    const target = own.length ? pick(own) : undefined;
    if (!target || roll < 0.15) {
      return {
        operation: 'createMultiCloudImage',
        query: `mutation($input: CreateMultiCloudImageInput!) { createMultiCloudImage(input: $input) { ${MCI_FIELDS} } }`,
        variables: { input: { name: `MCI ${requestId}`, description: 'made in a write storm' } },
        acknowledged: (result) => {
          if (result.id) own.push({ id: result.id, version: result.version ?? 0, uncommitted: false });
        },
      };
    }
    const track = (result: { version?: number }, uncommitted: boolean): void => {
      if (typeof result.version === 'number') target.version = result.version;
      target.uncommitted = uncommitted;
    };
    if (roll < 0.5) {
      const cloudId = pick(CLOUDS);
      return {
        operation: 'mapImage',
        target,
        query: `mutation($input: MapImageInput!) { mapImage(input: $input) { ${MCI_FIELDS} } }`,
        variables: {
          input: {
            multiCloudImageId: target.id,
            cloudId,
            imageId: starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64),
            instanceTypeId: starterInstanceTypeId(cloudId, pick(['small', 'large'])),
            // Different every time, so every mapping is a change (an identical one writes nothing).
            userData: `#!/bin/sh\necho ${requestId}\n`,
          },
        },
        acknowledged: (result) => track(result, true),
      };
    }
    if (roll < 0.7) {
      return {
        operation: 'updateMultiCloudImage',
        target,
        query: `mutation($input: UpdateMultiCloudImageInput!) { updateMultiCloudImage(input: $input) { ${MCI_FIELDS} } }`,
        // expectedVersion from the last answer this client got: only this client edits this MCI.
        variables: { input: { id: target.id, description: `edited by ${requestId}`, expectedVersion: target.version } },
        acknowledged: (result) => track(result, true),
      };
    }
    if (roll < 0.85 && target.uncommitted) {
      return {
        operation: 'commitMultiCloudImage',
        target,
        query: `mutation($id: ID!, $message: String!) { commitMultiCloudImage(id: $id, message: $message) { ${MCI_FIELDS} } }`,
        variables: { id: target.id, message: `commit ${requestId}` },
        acknowledged: (result) => track(result, false),
      };
    }
    if (roll < 0.93) {
      return {
        operation: 'createRightScript',
        query: `mutation($input: CreateRightScriptInput!) { createRightScript(input: $input) { id } }`,
        variables: { input: { name: `script ${requestId}`, description: 'made in a write storm' } },
        acknowledged: () => undefined,
      };
    }
    return {
      operation: 'createAccount',
      query: `mutation($name: String!) { createAccount(name: $name) { account { id } } }`,
      variables: { name: `Account ${requestId}` },
      acknowledged: () => undefined,
    };
  }
}
