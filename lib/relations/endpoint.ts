/**
 * Provider and requirer endpoints: a relation endpoint bound to a versioned interface schema.
 *
 * The endpoint is where untrusted data meets typed code. Reading a remote bag decodes and
 * validates it (an empty bag means "not published yet" and reads as `undefined`; a non-empty
 * invalid one throws `RelationDataValidationError` naming every bad field). Publishing validates
 * first, so invalid data never leaves the unit, and writes only what changed. Events are typed
 * EventEmitter3 events; listeners may be async and are awaited one by one, in order.
 *
 * Subclasses add domain events (`ready`, `gone`, ...) by passing their own event map as the last
 * type parameter and overriding `onRelationEvent`.
 */
import { EventEmitter } from 'eventemitter3';
import type { HookContext, RelationBackend } from './backend.js';
import type { ReadableDataBag, WritableDataBag } from './databag.js';
import { HookContextError } from './errors.js';
import type { RelationEvent, RelationEventMap } from './events.js';
import { parseHookName } from './hook-names.js';
import {
  JUJU_UNIT_BAG_KEYS,
  type BagSchema,
  type InterfaceSchema,
  type InterfaceSide,
  type SideData,
  type SideSchema,
} from './interface-schema.js';
import { Relation } from './relation.js';

/** What an endpoint is built from. */
export interface EndpointOptions<TProvider extends SideData, TRequirer extends SideData> {
  /** Where relation data lives (Juju or memory). */
  readonly backend: RelationBackend;
  /** The endpoint name in the charm's metadata, e.g. `storage`. */
  readonly endpoint: string;
  /** The interface version this endpoint speaks, from a `SchemaRegistry`. */
  readonly schema: InterfaceSchema<TProvider, TRequirer>;
}

/** No extra events: the default for endpoints that only emit the lifecycle events. */
export type NoEvents = Record<never, never>;

/** The full event map of an endpoint: lifecycle events plus the subclass's domain events. */
export type EndpointEventMap<TEvents extends object> = RelationEventMap & TEvents;

/**
 * Shared logic of both sides. `TLocal` is what this side publishes, `TRemote` what it reads.
 * Use `ProviderEndpoint` or `RequirerEndpoint`, which pick the schema sides for you.
 */
export abstract class RelationEndpoint<
  TLocal extends SideData,
  TRemote extends SideData,
  TEvents extends object = NoEvents,
> extends EventEmitter<EndpointEventMap<TEvents>, never> {
  /** The endpoint name. */
  readonly name: string;
  /** Which side of the interface this endpoint is. */
  readonly side: InterfaceSide;
  /** Where relation data lives. */
  protected readonly backend: RelationBackend;
  /** The schema of what this side publishes. */
  protected readonly local: SideSchema<TLocal>;
  /** The schema of what the other side publishes. */
  protected readonly remote: SideSchema<TRemote>;

  protected constructor(
    backend: RelationBackend,
    name: string,
    side: InterfaceSide,
    local: SideSchema<TLocal>,
    remote: SideSchema<TRemote>,
  ) {
    super();
    this.backend = backend;
    this.name = name;
    this.side = side;
    this.local = local;
    this.remote = remote;
  }

  /**
   * Adds a listener. Listeners may be async: the endpoint awaits each in turn before the next
   * event, so the type says a listener may return a promise (eventemitter3's own type says `void`).
   */
  override on<K extends EventEmitter.EventNames<EndpointEventMap<TEvents>>>(
    event: K,
    listener: (
      ...args: EventEmitter.EventArgs<EndpointEventMap<TEvents>, K>
    ) => void | Promise<void>,
  ): this {
    return super.on(event, listener as EventEmitter.EventListener<EndpointEventMap<TEvents>, K>);
  }

  /** Adds a listener for the next event only; may be async, like `on`. */
  override once<K extends EventEmitter.EventNames<EndpointEventMap<TEvents>>>(
    event: K,
    listener: (
      ...args: EventEmitter.EventArgs<EndpointEventMap<TEvents>, K>
    ) => void | Promise<void>,
  ): this {
    return super.once(event, listener as EventEmitter.EventListener<EndpointEventMap<TEvents>, K>);
  }

  /** The interface and version this endpoint speaks, e.g. `example v1`. */
  get interfaceLabel(): string {
    return `${this.local.interfaceName} v${this.local.version}`;
  }

  /** Every live relation on this endpoint, in id order. */
  relations(): Promise<Relation[]> {
    return Relation.forEndpoint(this.backend, this.name);
  }

  /** One relation on this endpoint by id. */
  relation(id: number): Promise<Relation> {
    return Relation.load(this.backend, this.name, id);
  }

  /** The remote app's data, validated; `undefined` while it has published nothing. */
  remoteAppData(relation: Relation): Promise<TRemote['app'] | undefined> {
    return readBag(relation.data.remoteApp, this.remote.app);
  }

  /** One remote unit's data, validated; `undefined` while it has published nothing. */
  remoteUnitData(relation: Relation, unit: string): Promise<TRemote['unit'] | undefined> {
    return readBag(relation.data.remoteUnit(unit), this.remote.unit);
  }

  /** What this app published (leader only: Juju hides the app bag from other units). */
  localAppData(relation: Relation): Promise<TLocal['app'] | undefined> {
    return readBag(relation.data.localApp, this.local.app);
  }

  /** What this unit published. */
  localUnitData(relation: Relation): Promise<TLocal['unit'] | undefined> {
    return readBag(relation.data.localUnit, this.local.unit);
  }

  /**
   * Publishes this app's data (leader only; throws `RelationDataAccessError` otherwise).
   * Validates first; fields the schema declares but `data` omits are deleted; keys the schema
   * does not declare are left alone. Resolves to whether anything was written.
   */
  publishAppData(relation: Relation, data: TLocal['app']): Promise<boolean> {
    return publishBag(relation.data.localApp, this.local.app, data);
  }

  /** Publishes this unit's data, with the same rules as `publishAppData`. */
  publishUnitData(relation: Relation, data: TLocal['unit']): Promise<boolean> {
    return publishBag(relation.data.localUnit, this.local.unit, data);
  }

  /**
   * Handles the current hook if it is one of this endpoint's relation hooks: loads the relation,
   * emits the lifecycle event, then lets the subclass emit domain events. Resolves to the event,
   * or `undefined` when the hook is not for this endpoint.
   */
  async handle(context: HookContext): Promise<RelationEvent | undefined> {
    if (context.hookName === undefined) return undefined;
    const hook = parseHookName(context.hookName);
    if (hook.kind !== 'relation' || hook.endpoint !== this.name) return undefined;
    const info = context.relation;
    if (info === undefined || info.endpoint !== this.name) {
      throw new HookContextError(
        `${hook.name} fired without a matching relation in the context (JUJU_RELATION_ID unset ` +
          `or for endpoint "${info?.endpoint ?? ''}")`,
      );
    }
    const relation = await this.relation(info.id);
    const base = { endpoint: this.name, relation, hook: hook.name };
    let event: RelationEvent;
    switch (hook.event) {
      case 'created':
      case 'broken':
        event = { ...base, kind: hook.event };
        break;
      case 'joined':
      case 'changed':
        event = { ...base, kind: hook.event, remoteUnit: info.remoteUnit };
        break;
      case 'departed':
        event = {
          ...base,
          kind: 'departed',
          remoteUnit: info.remoteUnit,
          departingUnit: info.departingUnit,
        };
        break;
    }
    // The lifecycle names are in every endpoint's map; TypeScript cannot see that through TEvents.
    const emit = this.emitAsync as unknown as (
      name: string,
      payload: RelationEvent,
    ) => Promise<void>;
    await emit.call(this, event.kind, event);
    await this.onRelationEvent(event);
    return event;
  }

  /**
   * Called after the lifecycle listeners of every event; override to turn lifecycle events into
   * domain events (`ready` when the remote data validates, `gone` on `broken`, ...).
   */
  protected async onRelationEvent(_event: RelationEvent): Promise<void> {}

  /**
   * Emits an event and awaits each listener in registration order (EventEmitter3's own `emit`
   * does not wait for async listeners). A throwing listener stops the rest and rejects, so a
   * failed handler fails the hook instead of being lost. `once` listeners are removed before
   * they run.
   */
  protected async emitAsync<K extends EventEmitter.EventNames<EndpointEventMap<TEvents>>>(
    event: K,
    ...args: EventEmitter.EventArgs<EndpointEventMap<TEvents>, K>
  ): Promise<void> {
    for (const listener of this.listeners(event)) {
      this.removeListener(event, listener, undefined, true);
      await (listener as (...values: unknown[]) => unknown)(...(args as unknown[]));
    }
  }
}

/**
 * The providing side of an interface: publishes `TProvider` data and reads `TRequirer` data.
 * Usually related to many requirers at once, so work through `relations()`.
 */
export class ProviderEndpoint<
  TProvider extends SideData,
  TRequirer extends SideData,
  TEvents extends object = NoEvents,
> extends RelationEndpoint<TProvider, TRequirer, TEvents> {
  constructor(options: EndpointOptions<TProvider, TRequirer>) {
    super(
      options.backend,
      options.endpoint,
      'provider',
      options.schema.provider,
      options.schema.requirer,
    );
  }
}

/** The requiring side of an interface: publishes `TRequirer` data and reads `TProvider` data. */
export class RequirerEndpoint<
  TProvider extends SideData,
  TRequirer extends SideData,
  TEvents extends object = NoEvents,
> extends RelationEndpoint<TRequirer, TProvider, TEvents> {
  constructor(options: EndpointOptions<TProvider, TRequirer>) {
    super(
      options.backend,
      options.endpoint,
      'requirer',
      options.schema.requirer,
      options.schema.provider,
    );
  }
}

async function readBag<T extends object>(
  bag: ReadableDataBag,
  schema: BagSchema<T>,
): Promise<T | undefined> {
  const raw = await bag.read();
  const own = Object.keys(raw).filter(
    (key) => schema.scope === 'app' || !JUJU_UNIT_BAG_KEYS.has(key),
  );
  if (own.length === 0) return undefined;
  return schema.decode(raw, bag.description);
}

async function publishBag<T extends object>(
  bag: WritableDataBag,
  schema: BagSchema<T>,
  data: T,
): Promise<boolean> {
  const encoded = schema.encode(data, bag.description);
  const changes: Record<string, string> = {};
  // Deleting an absent key is a no-op in `update`, so every owned key can be listed.
  for (const key of schema.ownedKeys) changes[key] = '';
  Object.assign(changes, encoded);
  return bag.update(changes);
}
