import { createHash } from 'node:crypto';
import { canonicalJson, type JsonObject } from './json';
import type { PreparedEvent } from './appendRules';
import type { RecordedMetadata } from './port';

/**
 * The per-stream hash chain, computed here and only here so every adapter (and every offline verifier)
 * produces the same hashes for the same events.
 *
 * hash = SHA-256 (hex) of the canonical JSON of
 *   { id, prevHash, stream, revision (decimal string), type, data, metadata (with prevHash, without hash) }
 *
 * `id` is included beyond design.md's list so that rewriting an event's id (which integrators use to
 * de-duplicate) breaks the chain too.
 */

export interface ChainLink {
  readonly revision: bigint;
  readonly hash: string;
}

export interface SealedEvent extends PreparedEvent {
  readonly revision: bigint;
  readonly metadata: RecordedMetadata;
}

export interface HashableEvent {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: PreparedEvent['data'];
  /** Metadata including `prevHash`; a `hash` field, if present, is ignored. */
  readonly metadata: JsonObject;
}

export function computeEventHash(event: HashableEvent): string {
  const { hash: _ignored, ...metadata } = event.metadata;
  const prevHash = metadata['prevHash'] ?? null;
  const canonical = canonicalJson({
    id: event.id,
    prevHash,
    stream: event.stream,
    revision: event.revision.toString(10),
    type: event.type,
    data: event.data,
    metadata,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Gives each event its revision, `prevHash` and `hash`, continuing the chain after `previous`. */
export function sealEvents(stream: string, previous: ChainLink | undefined, events: readonly PreparedEvent[]): SealedEvent[] {
  let prevHash = previous?.hash ?? null;
  let revision = previous === undefined ? 0n : previous.revision + 1n;
  return events.map((event) => {
    const unhashed = { ...event.metadata, prevHash };
    const hash = computeEventHash({ id: event.id, stream, revision, type: event.type, data: event.data, metadata: unhashed });
    const sealed: SealedEvent = { ...event, revision, metadata: { ...unhashed, hash } };
    prevHash = hash;
    revision += 1n;
    return sealed;
  });
}
