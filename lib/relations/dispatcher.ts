/**
 * Turns "Juju ran hook X" into calls on the right endpoint.
 *
 * A charm's `dispatch` script runs the controller once per hook with `JUJU_DISPATCH_PATH` set.
 * The dispatcher reads the hook name from the context, hands relation hooks to the endpoint
 * registered under that name, and then emits one `hook` event for every hook (relation or not),
 * which is where a charm that reconciles holistically does its work.
 */
import { EventEmitter } from 'eventemitter3';
import type { HookContext, HookContextSource } from './backend.js';
import { HookContextError, RelationError } from './errors.js';
import type { RelationEvent } from './events.js';
import { parseHookName, type ParsedHook } from './hook-names.js';

/** Anything that can take a relation hook: every `RelationEndpoint` is one. */
export interface HookHandler {
  /** The endpoint name this handler owns. */
  readonly name: string;
  /** Handles the hook if it is this endpoint's; resolves to the event it emitted. */
  handle(context: HookContext): Promise<RelationEvent | undefined>;
}

/** What `dispatch` did, for logging and tests. */
export interface DispatchResult {
  /** The hook, classified. */
  readonly hook: ParsedHook;
  /** The context it ran with. */
  readonly context: HookContext;
  /** The relation event the endpoint emitted, if a registered endpoint took the hook. */
  readonly relationEvent: RelationEvent | undefined;
}

/** The event every hook produces after routing. */
export interface HookEvent {
  readonly hook: ParsedHook;
  readonly context: HookContext;
  /** Set when a registered endpoint handled the hook. */
  readonly relationEvent: RelationEvent | undefined;
}

/** Events of the dispatcher. */
export interface DispatcherEventMap {
  /** Every hook, after any endpoint handled it (install, config-changed, relation hooks, ...). */
  hook: [event: HookEvent];
}

/** Routes hooks to endpoints. Register endpoints, then `await dispatch()` once per process. */
export class Dispatcher extends EventEmitter<DispatcherEventMap, never> {
  private readonly handlers = new Map<string, HookHandler>();

  /** `source` gives the default context (usually the backend). */
  constructor(private readonly source?: HookContextSource) {
    super();
  }

  /** Registers endpoints; two handlers for one endpoint name are a wiring bug and throw. */
  register(...handlers: HookHandler[]): this {
    for (const handler of handlers) {
      if (this.handlers.has(handler.name)) {
        throw new RelationError(`An endpoint named "${handler.name}" is already registered`);
      }
      this.handlers.set(handler.name, handler);
    }
    return this;
  }

  /**
   * Dispatches the hook in `context` (default: the source's). Throws `HookContextError` when
   * there is no hook to dispatch, or a relation hook comes without its relation.
   */
  async dispatch(context: HookContext | undefined = this.source?.context): Promise<DispatchResult> {
    if (context === undefined) {
      throw new HookContextError(
        'No hook context: pass one to dispatch() or give the Dispatcher a backend',
      );
    }
    if (context.hookName === undefined) {
      throw new HookContextError(
        'No hook to dispatch: neither JUJU_DISPATCH_PATH nor JUJU_HOOK_NAME is set',
      );
    }
    const hook = parseHookName(context.hookName);
    let relationEvent: RelationEvent | undefined;
    if (hook.kind === 'relation') {
      if (context.relation === undefined) {
        throw new HookContextError(
          `${hook.name} is a relation hook but JUJU_RELATION_ID is not set`,
        );
      }
      relationEvent = await this.handlers.get(hook.endpoint)?.handle(context);
    }
    const event: HookEvent = { hook, context, relationEvent };
    for (const listener of this.listeners('hook')) {
      this.removeListener('hook', listener, undefined, true);
      await (listener as (e: HookEvent) => unknown)(event);
    }
    return { hook, context, relationEvent };
  }
}
