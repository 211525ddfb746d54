/**
 * Turns "Juju ran hook X" into calls on the right endpoint.
 *
 * A charm's `dispatch` script runs the controller once per hook with `JUJU_DISPATCH_PATH` set.
 * The dispatcher reads the hook name from the context, hands relation hooks to the endpoint
 * registered under that name, and then emits one `hook` event for every hook (relation or not),
 * which is where a charm that reconciles holistically does its work.
 *
 * Actions are not hooks: a user ran them on purpose and waits for their result, so they get an
 * `action` event and, unless the dispatcher is told otherwise, no `hook` event (a reconcile that
 * rolls the workload out is not what `juju run radarr/0 backup` asked for).
 */
import { EventEmitter } from 'eventemitter3';
import type { HookContext, HookContextSource } from './backend.js';
import { HookContextError, RelationError } from './errors.js';
import type { RelationEvent } from './events.js';
import { classifyDispatch, type ParsedHook } from './hook-names.js';

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

/** The event an action produces. */
export interface ActionEvent {
  /** The action's name, e.g. `backup`. */
  readonly action: string;
  readonly context: HookContext;
}

/** Events of the dispatcher. */
export interface DispatcherEventMap {
  /**
   * Every hook, after any endpoint handled it (install, config-changed, relation hooks, ...);
   * for actions only when the dispatcher was built with `hookOnActions: true`.
   */
  hook: [event: HookEvent];
  /** An action the user ran, emitted before any `hook` event. */
  action: [event: ActionEvent];
}

/** How a `Dispatcher` treats what it dispatches. */
export interface DispatcherOptions {
  /**
   * Also emit `hook` after an action (default false), for a controller that wants to reconcile
   * after every action too.
   */
  readonly hookOnActions?: boolean;
}

/** Routes hooks to endpoints. Register endpoints, then `await dispatch()` once per process. */
export class Dispatcher extends EventEmitter<DispatcherEventMap, never> {
  private readonly handlers = new Map<string, HookHandler>();
  private readonly hookOnActions: boolean;

  /**
   * Adds a listener. Listeners may be async: `dispatch()` awaits each in turn, so the type says a
   * listener may return a promise (eventemitter3's own type says `void`).
   */
  override on<K extends keyof DispatcherEventMap>(
    event: K,
    listener: (...args: DispatcherEventMap[K]) => void | Promise<void>,
  ): this {
    return super.on(event, listener as EventEmitter.EventListener<DispatcherEventMap, K>);
  }

  /** Adds a listener for the next event only; may be async, like `on`. */
  override once<K extends keyof DispatcherEventMap>(
    event: K,
    listener: (...args: DispatcherEventMap[K]) => void | Promise<void>,
  ): this {
    return super.once(event, listener as EventEmitter.EventListener<DispatcherEventMap, K>);
  }

  /** `source` gives the default context (usually the backend). */
  constructor(
    private readonly source?: HookContextSource,
    options: DispatcherOptions = {},
  ) {
    super();
    this.hookOnActions = options.hookOnActions ?? false;
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
    const hook = classifyDispatch(context);
    if (hook === undefined) {
      throw new HookContextError(
        'No hook to dispatch: neither JUJU_DISPATCH_PATH nor JUJU_HOOK_NAME is set',
      );
    }
    let relationEvent: RelationEvent | undefined;
    if (hook.kind === 'action') {
      await this.emitInOrder('action', { action: hook.name, context });
      if (!this.hookOnActions) return { hook, context, relationEvent };
    } else if (hook.kind === 'relation') {
      if (context.relation === undefined) {
        throw new HookContextError(
          `${hook.name} is a relation hook but JUJU_RELATION_ID is not set`,
        );
      }
      relationEvent = await this.handlers.get(hook.endpoint)?.handle(context);
    }
    await this.emitInOrder('hook', { hook, context, relationEvent });
    return { hook, context, relationEvent };
  }

  /** Awaits each listener in registration order; `once` listeners are removed before they run. */
  private async emitInOrder<K extends keyof DispatcherEventMap>(
    name: K,
    ...args: DispatcherEventMap[K]
  ): Promise<void> {
    for (const listener of this.listeners(name)) {
      this.removeListener(name, listener, undefined, true);
      await (listener as (...values: DispatcherEventMap[K]) => unknown)(...args);
    }
  }
}
