/**
 * Classifies Juju hook names.
 *
 * Relation hooks are `<endpoint>-relation-<kind>`; endpoint names may themselves contain dashes
 * (`shared-storage-relation-changed`), so the suffix is matched, not split on the first dash.
 * Every other hook (install, config-changed, upgrade-charm, update-status, `<container>-pebble-
 * ready`, ...) is passed through by name: charmkit does not need to know them to dispatch them.
 * Actions are told apart by the context (their dispatch path), not by name.
 */
import type { HookContext } from './backend.js';
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

/**
 * An action a user ran (`juju run <unit> <action>`). Not a hook: it is told apart so that a
 * controller does not reconcile on every action unless it asks to.
 */
export interface ActionHook {
  readonly kind: 'action';
  readonly name: string;
}

/** What Juju dispatched, classified: a relation hook, any other hook, or an action. */
export type ParsedHook = RelationHook | GenericHook | ActionHook;

const RELATION_HOOK = new RegExp(`^(.+)-relation-(${RELATION_EVENT_KINDS.join('|')})$`);

/**
 * Classifies a hook name such as `storage-relation-changed` or `config-changed`. A name alone
 * cannot say whether it is an action; `classifyDispatch` looks at the whole context.
 */
export function parseHookName(name: string): RelationHook | GenericHook {
  const match = RELATION_HOOK.exec(name);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { kind: 'relation', name, endpoint: match[1], event: match[2] as RelationEventKind };
  }
  return { kind: 'hook', name };
}

/** Classifies what a hook context dispatches: its action, else its hook (undefined: neither). */
export function classifyDispatch(context: HookContext): ParsedHook | undefined {
  if (context.actionName !== undefined) return { kind: 'action', name: context.actionName };
  return context.hookName === undefined ? undefined : parseHookName(context.hookName);
}
