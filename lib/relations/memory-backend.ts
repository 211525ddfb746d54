/**
 * An in-memory Juju: relations, bags, leadership and status, with no agent and no processes.
 *
 * `MemoryModel` holds the shared state of several applications; `MemoryBackend` is one unit's
 * view of it, implementing `RelationBackend`. Two backends on one model relate a provider and a
 * requirer in a single process, which is how tests (and controllers running outside Juju) wire
 * charms together. A lone `new MemoryBackend({ unit })` gets a private model, and
 * `addRelation` seeds the remote side directly.
 *
 * What it does not model: peer relations, cross-model relations, secrets, the agent's hook
 * queue (writes never fire events by themselves; the caller dispatches the next hook), and the
 * atomic commit of a hook's writes (each write lands immediately). Faults are injected with
 * `MemoryModel.intercept`.
 */
import {
  appNameOf,
  type BagRef,
  type BagScope,
  type HookContext,
  type LogLevel,
  type RelationBackend,
  type RelationHookInfo,
} from './backend.js';
import { NotLeaderError, RelationError, RelationNotFoundError } from './errors.js';
import type { Status } from './status.js';

/** One side of a relation in a `MemoryModel`. */
export interface MemoryRelationSide {
  /** The application on this side. */
  readonly app: string;
  /** Its endpoint name for this relation. */
  readonly endpoint: string;
  /** Its units in the relation; defaults to every unit of the app known to the model. */
  readonly units?: readonly string[];
}

/** One write a unit made, as `relation-set` would have received it. */
export interface MemoryWrite {
  readonly relationId: number;
  /** The unit that wrote. */
  readonly unit: string;
  readonly scope: BagScope;
  /** The keys written; `''` values were deletions. */
  readonly changes: Readonly<Record<string, string>>;
}

/** One line a unit logged. */
export interface MemoryLogEntry {
  /** The unit that logged it. */
  readonly unit: string;
  readonly level: LogLevel;
  readonly message: string;
}

/** A backend call about to happen, passed to interceptors. */
export interface MemoryCall {
  readonly method: keyof RelationBackend;
  /** The unit whose backend is making the call. */
  readonly unit: string;
  readonly args: readonly unknown[];
}

/** Runs before every backend call; throw from it to inject a fault. */
export type MemoryInterceptor = (call: MemoryCall) => void;

interface RelationState {
  readonly id: number;
  readonly sides: readonly [MemoryRelationSide, MemoryRelationSide];
  readonly units: Map<string, string[]>;
  readonly bags: Map<string, Record<string, string>>;
  broken: boolean;
}

/** The Juju relation events a memory backend can build a hook context for. */
export type MemoryRelationEvent = 'created' | 'joined' | 'changed' | 'departed' | 'broken';

/**
 * The mutable state behind a `MemoryModel`. Kept out of the class so the model's public surface
 * is only what tests should call; backends reach it through `stateOf`.
 */
class ModelState {
  readonly units = new Map<string, string[]>();
  readonly leaders = new Map<string, string>();
  readonly relations = new Map<number, RelationState>();
  readonly statuses = new Map<string, Status[]>();
  readonly appStatuses = new Map<string, Status[]>();
  readonly versions = new Map<string, string>();
  readonly logs: MemoryLogEntry[] = [];
  readonly interceptors: MemoryInterceptor[] = [];
  readonly writes: MemoryWrite[] = [];
  nextRelationId = 0;

  relation(relationId: number): RelationState {
    const relation = this.relations.get(relationId);
    if (relation === undefined) throw new RelationNotFoundError(relationId, 'not in this model');
    return relation;
  }

  relationsOf(app: string, endpoint: string): number[] {
    return [...this.relations.values()]
      .filter((r) => !r.broken && r.sides.some((s) => s.app === app && s.endpoint === endpoint))
      .map((r) => r.id);
  }

  sideUnits(relation: RelationState, app: string): string[] {
    const list = relation.units.get(app);
    if (list === undefined)
      throw new RelationError(`"${app}" is not part of relation ${relation.id}`);
    return list;
  }
}

const states = new WeakMap<MemoryModel, ModelState>();

function stateOf(model: MemoryModel): ModelState {
  const state = states.get(model);
  if (state === undefined) throw new RelationError('MemoryModel was not constructed');
  return state;
}

/** Shared state of every application in an in-memory model. */
export class MemoryModel {
  /** The model name, reported as `JUJU_MODEL_NAME` would be. */
  readonly name: string;

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'memory';
    states.set(this, new ModelState());
  }

  /** Every write made through any backend of this model, in order: what "zero writes" counts. */
  get writes(): readonly MemoryWrite[] {
    return stateOf(this).writes;
  }

  /** Adds units to an application (creating it); unit names must be `app/N`. */
  addUnits(...unitNames: string[]): this {
    const { units } = stateOf(this);
    for (const unit of unitNames) {
      const app = appNameOf(unit);
      if (app === unit) throw new RelationError(`"${unit}" is not a unit name (expected app/N)`);
      const list = units.get(app) ?? [];
      if (!list.includes(unit)) list.push(unit);
      units.set(app, list);
    }
    return this;
  }

  /** Makes `unit` its application's leader (and the only one). */
  setLeader(unit: string): this {
    this.addUnits(unit);
    stateOf(this).leaders.set(appNameOf(unit), unit);
    return this;
  }

  /** The leader unit of `app`, if one was set. */
  leaderOf(app: string): string | undefined {
    return stateOf(this).leaders.get(app);
  }

  /**
   * Relates two applications and returns the relation id (shared by both sides). Ids are
   * allocated in order unless `options.id` asks for a specific, unused one.
   */
  relate(a: MemoryRelationSide, b: MemoryRelationSide, options: { id?: number } = {}): number {
    if (a.app === b.app) {
      throw new RelationError('MemoryModel does not model peer relations (both sides are one app)');
    }
    const state = stateOf(this);
    const id = options.id ?? state.nextRelationId;
    if (!Number.isSafeInteger(id) || id < 0 || state.relations.has(id)) {
      throw new RelationError(`Relation id ${id} is invalid or already in use`);
    }
    state.nextRelationId = Math.max(state.nextRelationId, id + 1);
    const units = new Map<string, string[]>();
    for (const side of [a, b]) {
      if (side.units !== undefined) this.addUnits(...side.units);
      units.set(side.app, [...(side.units ?? state.units.get(side.app) ?? [])]);
    }
    state.relations.set(id, { id, sides: [a, b], units, bags: new Map(), broken: false });
    return id;
  }

  /** Breaks a relation: it leaves `relationIds`, loses its units, and its remote bags read empty. */
  unrelate(relationId: number): void {
    const relation = stateOf(this).relation(relationId);
    relation.broken = true;
    for (const list of relation.units.values()) list.length = 0;
  }

  /** Adds a unit to a relation (as `-relation-joined` would announce). */
  join(relationId: number, unit: string): void {
    this.addUnits(unit);
    const state = stateOf(this);
    const list = state.sideUnits(state.relation(relationId), appNameOf(unit));
    if (!list.includes(unit)) list.push(unit);
  }

  /** Removes a unit from a relation (as `-relation-departed` would announce). */
  depart(relationId: number, unit: string): void {
    const state = stateOf(this);
    const list = state.sideUnits(state.relation(relationId), appNameOf(unit));
    const index = list.indexOf(unit);
    if (index !== -1) list.splice(index, 1);
  }

  /** A copy of one bag, for assertions; access rules do not apply here. */
  bag(relationId: number, ref: BagRef): Record<string, string> {
    return { ...(stateOf(this).relation(relationId).bags.get(bagKey(ref)) ?? {}) };
  }

  /** Writes a bag directly, bypassing access rules: test setup for "the remote side wrote X". */
  seedBag(relationId: number, ref: BagRef, data: Readonly<Record<string, string>>): void {
    applyChanges(stateOf(this).relation(relationId).bags, ref, data);
  }

  /** Every status a unit set, oldest first. */
  statusHistory(unit: string): readonly Status[] {
    return stateOf(this).statuses.get(unit) ?? [];
  }

  /** Every application status an app's leader set, oldest first. */
  applicationStatusHistory(app: string): readonly Status[] {
    return stateOf(this).appStatuses.get(app) ?? [];
  }

  /** Every line any unit of this model logged, oldest first. */
  get logs(): readonly MemoryLogEntry[] {
    return stateOf(this).logs;
  }

  /** The version an application last reported, if any. */
  applicationVersion(app: string): string | undefined {
    return stateOf(this).versions.get(app);
  }

  /** Registers an interceptor (fault injection); returns a function that removes it. */
  intercept(interceptor: MemoryInterceptor): () => void {
    const { interceptors } = stateOf(this);
    interceptors.push(interceptor);
    return () => {
      const index = interceptors.indexOf(interceptor);
      if (index !== -1) interceptors.splice(index, 1);
    };
  }

  /** A backend for one unit of this model (the unit is added if new). */
  backend(unit: string, options: Omit<MemoryBackendOptions, 'unit' | 'model'> = {}): MemoryBackend {
    return new MemoryBackend({ ...options, unit, model: this });
  }
}

/** Options for `MemoryBackend`. */
export interface MemoryBackendOptions {
  /** This unit, e.g. `radarr/0`. */
  readonly unit: string;
  /** The shared model; a private one is created when omitted. */
  readonly model?: MemoryModel;
  /** Make this unit the leader (true) or not (false); leaves leadership alone when omitted. */
  readonly leader?: boolean;
  /** The hook context to report; defaults to "no hook" for this unit. */
  readonly context?: Partial<HookContext>;
}

/** What `MemoryBackend.addRelation` needs to seed a relation to a remote app nobody runs. */
export interface SeedRelation {
  /** The local endpoint name. */
  readonly endpoint: string;
  /** A specific relation id; the next free one when omitted. */
  readonly id?: number;
  /** The remote application. */
  readonly remoteApp: string;
  /** Its endpoint name; defaults to the local one. */
  readonly remoteEndpoint?: string;
  /** Remote units in the relation; defaults to `[remoteApp/0]`. */
  readonly remoteUnits?: readonly string[];
  readonly remoteAppData?: Readonly<Record<string, string>>;
  /** Bags of remote units, by unit name. */
  readonly remoteUnitsData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly localAppData?: Readonly<Record<string, string>>;
  readonly localUnitData?: Readonly<Record<string, string>>;
}

/** One unit's `RelationBackend` over a `MemoryModel`. */
export class MemoryBackend implements RelationBackend {
  /** The shared model, for assertions (`writes`, `bag`) and for changing the world between hooks. */
  readonly model: MemoryModel;
  /** This unit's name, e.g. `radarr/0`. */
  readonly unit: string;
  /** This unit's application. */
  readonly app: string;
  private contextOverrides: Partial<HookContext>;
  private readonly state: ModelState;

  constructor(options: MemoryBackendOptions) {
    this.model = options.model ?? new MemoryModel();
    this.state = stateOf(this.model);
    this.unit = options.unit;
    this.app = appNameOf(options.unit);
    this.model.addUnits(options.unit);
    if (options.leader === true) this.model.setLeader(options.unit);
    if (options.leader === false && this.model.leaderOf(this.app) === options.unit) {
      throw new RelationError(`${options.unit} is already the leader of ${this.app}`);
    }
    this.contextOverrides = { ...(options.context ?? {}) };
  }

  /** The hook context: this unit, plus whatever was set with `setContext` or `relationHook`. */
  get context(): HookContext {
    return {
      hookName: undefined,
      dispatchPath: undefined,
      modelName: this.model.name,
      relation: undefined,
      ...this.contextOverrides,
      unitName: this.unit,
      appName: this.app,
    };
  }

  /** Replaces the hook context overrides (unit and app always stay this unit's). */
  setContext(context: Partial<HookContext>): this {
    this.contextOverrides = { ...context };
    return this;
  }

  /**
   * Sets and returns the context of `<endpoint>-relation-<event>` for `relationId`, as Juju
   * would: remote app always, remote unit where given, departing unit for `departed`.
   */
  relationHook(
    relationId: number,
    event: MemoryRelationEvent,
    units: { remoteUnit?: string; departingUnit?: string } = {},
  ): HookContext {
    const relation = this.state.relation(relationId);
    const [local, remote] = this.sides(relation);
    const info: RelationHookInfo = {
      endpoint: local.endpoint,
      id: relationId,
      remoteApp: remote.app,
      remoteUnit: units.remoteUnit,
      departingUnit: units.departingUnit,
    };
    const hookName = `${local.endpoint}-relation-${event}`;
    this.setContext({ hookName, dispatchPath: `hooks/${hookName}`, relation: info });
    return this.context;
  }

  /** Seeds a relation to an application that has no backend of its own; returns its id. */
  addRelation(seed: SeedRelation): number {
    const remoteUnits = seed.remoteUnits ?? [`${seed.remoteApp}/0`];
    const id = this.model.relate(
      { app: this.app, endpoint: seed.endpoint, units: [this.unit] },
      { app: seed.remoteApp, endpoint: seed.remoteEndpoint ?? seed.endpoint, units: remoteUnits },
      { id: seed.id },
    );
    const seedBag = (ref: BagRef, data: Readonly<Record<string, string>> | undefined): void => {
      if (data !== undefined) this.model.seedBag(id, ref, data);
    };
    seedBag({ scope: 'app', name: seed.remoteApp }, seed.remoteAppData);
    for (const [unit, data] of Object.entries(seed.remoteUnitsData ?? {})) {
      seedBag({ scope: 'unit', name: unit }, data);
    }
    seedBag({ scope: 'app', name: this.app }, seed.localAppData);
    seedBag({ scope: 'unit', name: this.unit }, seed.localUnitData);
    return id;
  }

  /** Every status this unit set, oldest first. */
  get statusHistory(): readonly Status[] {
    return this.model.statusHistory(this.unit);
  }

  /** The last status this unit set. */
  get status(): Status | undefined {
    return this.statusHistory.at(-1);
  }

  async relationIds(endpoint: string): Promise<number[]> {
    this.intercepted('relationIds', endpoint);
    return this.state.relationsOf(this.app, endpoint);
  }

  async remoteApp(relationId: number): Promise<string> {
    this.intercepted('remoteApp', relationId);
    return this.sides(this.state.relation(relationId))[1].app;
  }

  async remoteUnits(relationId: number): Promise<string[]> {
    this.intercepted('remoteUnits', relationId);
    const relation = this.state.relation(relationId);
    return [...(relation.units.get(this.sides(relation)[1].app) ?? [])];
  }

  async getBag(relationId: number, bag: BagRef): Promise<Record<string, string>> {
    this.intercepted('getBag', relationId, bag);
    const relation = this.state.relation(relationId);
    const owner = bag.scope === 'app' ? bag.name : appNameOf(bag.name);
    // In -broken, Juju no longer serves the remote side's data.
    if (relation.broken && owner !== this.app) return {};
    return this.model.bag(relationId, bag);
  }

  async setBag(
    relationId: number,
    scope: BagScope,
    changes: Readonly<Record<string, string>>,
  ): Promise<void> {
    this.intercepted('setBag', relationId, scope, changes);
    const relation = this.state.relation(relationId);
    this.sides(relation);
    if (relation.broken) throw new RelationNotFoundError(relationId, 'the relation is broken');
    const ref: BagRef = scope === 'app' ? { scope, name: this.app } : { scope, name: this.unit };
    applyChanges(relation.bags, ref, changes);
    this.state.writes.push({ relationId, unit: this.unit, scope, changes: { ...changes } });
  }

  async isLeader(): Promise<boolean> {
    this.intercepted('isLeader');
    return this.model.leaderOf(this.app) === this.unit;
  }

  async setStatus(status: Status): Promise<void> {
    this.intercepted('setStatus', status);
    const history = this.state.statuses.get(this.unit) ?? [];
    history.push(status);
    this.state.statuses.set(this.unit, history);
  }

  /** Records the application's status; a unit that is not the leader gets `NotLeaderError`. */
  async setApplicationStatus(status: Status): Promise<void> {
    this.intercepted('setApplicationStatus', status);
    if (this.model.leaderOf(this.app) !== this.unit) {
      throw new NotLeaderError(
        `${this.unit} is not the leader of ${this.app}, so it cannot set the application status`,
      );
    }
    const history = this.state.appStatuses.get(this.app) ?? [];
    history.push(status);
    this.state.appStatuses.set(this.app, history);
  }

  /** Records the line in the model's `logs`. */
  async log(level: LogLevel, message: string): Promise<void> {
    this.intercepted('log', level, message);
    this.state.logs.push({ unit: this.unit, level, message });
  }

  async setApplicationVersion(version: string): Promise<void> {
    this.intercepted('setApplicationVersion', version);
    this.state.versions.set(this.app, version);
  }

  private intercepted(method: keyof RelationBackend, ...args: unknown[]): void {
    for (const interceptor of [...this.state.interceptors]) {
      interceptor({ method, unit: this.unit, args });
    }
  }

  /** [this app's side, the other side]; throws if this app is not in the relation. */
  private sides(relation: RelationState): [MemoryRelationSide, MemoryRelationSide] {
    const [a, b] = relation.sides;
    if (a.app === this.app) return [a, b];
    if (b.app === this.app) return [b, a];
    throw new RelationNotFoundError(relation.id, `${this.app} is not part of it`);
  }
}

function bagKey(ref: BagRef): string {
  return `${ref.scope}:${ref.name}`;
}

function applyChanges(
  bags: Map<string, Record<string, string>>,
  ref: BagRef,
  changes: Readonly<Record<string, string>>,
): void {
  const bag = { ...(bags.get(bagKey(ref)) ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === '') delete bag[key];
    else bag[key] = value;
  }
  bags.set(bagKey(ref), bag);
}
