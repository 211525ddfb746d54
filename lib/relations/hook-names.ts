/**
 * Classifies Juju hook names.
 *
 * Relation hooks are `<endpoint>-relation-<kind>`; endpoint names may themselves contain dashes
 * (`shared-storage-relation-changed`), so the suffix is matched, not split on the first dash.
 * Every other hook (install, config-changed, upgrade-charm, update-status, `<container>-pebble-
 * ready`, ...) is passed through by name: charmkit does not need to know them to dispatch them.
 */
import { RELATION_EVENT_KINDS, type RelationEventKind } from './events.js';

/** A relation hook: which endpoint, which lifecycle step. */
export interface RelationHook {
  readonly kind: 'relation';
  readonly name: string;
  readonly endpoint: string;
  readonly event: RelationEventKind;
}

/** Any other hook, identified by its name alone. */
export interface GenericHook {
  readonly kind: 'hook';
  readonly name: string;
}

/** A hook name, classified. */
export type ParsedHook = RelationHook | GenericHook;

const RELATION_HOOK = new RegExp(`^(.+)-relation-(${RELATION_EVENT_KINDS.join('|')})$`);

/** Classifies a hook name such as `storage-relation-changed` or `config-changed`. */
export function parseHookName(name: string): ParsedHook {
  const match = RELATION_HOOK.exec(name);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { kind: 'relation', name, endpoint: match[1], event: match[2] as RelationEventKind };
  }
  return { kind: 'hook', name };
}
