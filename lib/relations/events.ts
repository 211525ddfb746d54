/**
 * The relation lifecycle events an endpoint emits, one per Juju relation hook.
 *
 * Each event carries the loaded `Relation` and the units Juju named, so a listener never reads
 * the environment. Data is deliberately not pre-read: a `departed` listener may never need it,
 * and every read is a hook-tool call.
 */
import type { Relation } from './relation.js';

/** The relation hooks Juju runs, by suffix: `<endpoint>-relation-<kind>`. */
export type RelationEventKind = 'created' | 'joined' | 'changed' | 'departed' | 'broken';

/** All relation hook suffixes, in lifecycle order. */
export const RELATION_EVENT_KINDS: readonly RelationEventKind[] = [
  'created',
  'joined',
  'changed',
  'departed',
  'broken',
];

/** What every relation event has. */
export interface RelationEventBase {
  /** The endpoint name the hook fired on. */
  readonly endpoint: string;
  /** The relation, loaded when the event was built. */
  readonly relation: Relation;
  /** The hook name, e.g. `storage-relation-changed`. */
  readonly hook: string;
}

/** The relation was just established, before any unit joined (`-relation-created`). */
export interface RelationCreatedEvent extends RelationEventBase {
  readonly kind: 'created';
}

/** A remote unit entered the relation (`-relation-joined`); its data may not be there yet. */
export interface RelationJoinedEvent extends RelationEventBase {
  readonly kind: 'joined';
  readonly remoteUnit: string | undefined;
}

/**
 * A remote bag changed (`-relation-changed`). `remoteUnit` is the unit whose bag changed, or
 * undefined when it was the remote app bag.
 */
export interface RelationChangedEvent extends RelationEventBase {
  readonly kind: 'changed';
  readonly remoteUnit: string | undefined;
}

/**
 * A remote unit left (`-relation-departed`). `departingUnit` may be this unit, when it is the
 * one going away; then it should stop using the relation rather than react to the others.
 */
export interface RelationDepartedEvent extends RelationEventBase {
  readonly kind: 'departed';
  readonly remoteUnit: string | undefined;
  readonly departingUnit: string | undefined;
}

/** The relation is gone (`-relation-broken`); remote data can no longer be read. */
export interface RelationBrokenEvent extends RelationEventBase {
  readonly kind: 'broken';
}

/** Any relation event. */
export type RelationEvent =
  | RelationCreatedEvent
  | RelationJoinedEvent
  | RelationChangedEvent
  | RelationDepartedEvent
  | RelationBrokenEvent;

/**
 * The event map every endpoint emits (EventEmitter3 style: name → listener arguments), so
 * `endpoint.on('changed', (e) => ...)` gives `e` its type.
 */
export interface RelationEventMap {
  created: [event: RelationCreatedEvent];
  joined: [event: RelationJoinedEvent];
  changed: [event: RelationChangedEvent];
  departed: [event: RelationDepartedEvent];
  broken: [event: RelationBrokenEvent];
}
