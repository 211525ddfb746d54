/**
 * The backend port: everything the relation model needs from the outside world.
 *
 * Two implementations exist: `JujuBackend` (hook tools, inside a Juju hook) and `MemoryBackend`
 * (tests, and controllers that run outside Juju). The port is split into small roles so a piece
 * of code can ask for exactly what it uses (a status reporter needs no relation access); the
 * `RelationBackend` union is what a controller is handed.
 */
import type { Status } from './status.js';

/** Which bag of a relation: an application's or one unit's. */
export type BagScope = 'app' | 'unit';

/** Names one bag on one side of a relation: the app bag of `radarr`, the unit bag of `radarr/0`. */
export interface BagRef {
  readonly scope: BagScope;
  /** An application name for `app`, a unit name (`app/N`) for `unit`. */
  readonly name: string;
}

/** What Juju tells a relation hook about the relation that fired it. */
export interface RelationHookInfo {
  /** The endpoint name from metadata (`JUJU_RELATION`), e.g. `storage`. */
  readonly endpoint: string;
  /** The relation id (the number in `JUJU_RELATION_ID=storage:3`). */
  readonly id: number;
  /** `JUJU_REMOTE_APP`: set in every relation hook since Juju 2.8, also in `-broken`. */
  readonly remoteApp: string | undefined;
  /** `JUJU_REMOTE_UNIT`: the unit whose change fired the hook; unset for app-bag changes. */
  readonly remoteUnit: string | undefined;
  /** `JUJU_DEPARTING_UNIT`: in `-departed`, the unit that is leaving (possibly this one). */
  readonly departingUnit: string | undefined;
}

/**
 * The hook being run and the unit running it. A controller outside Juju has no hook
 * (`hookName` undefined) but still has a unit identity, so the same code runs in both places.
 */
export interface HookContext {
  /** The hook name, e.g. `storage-relation-changed` or `config-changed`; undefined outside hooks. */
  readonly hookName: string | undefined;
  /** `JUJU_DISPATCH_PATH` as given, e.g. `hooks/storage-relation-changed`. */
  readonly dispatchPath: string | undefined;
  /** This unit, e.g. `radarr/0`. */
  readonly unitName: string;
  /** This application, derived from the unit name. */
  readonly appName: string;
  /** `JUJU_MODEL_NAME`, which on Kubernetes is also the namespace. */
  readonly modelName: string | undefined;
  /** Set in relation hooks only. */
  readonly relation: RelationHookInfo | undefined;
  /**
   * Set when Juju runs an action rather than a hook (`JUJU_DISPATCH_PATH=actions/<name>`, or
   * `JUJU_ACTION_NAME`), so the dispatcher can keep a user's action from triggering a reconcile
   * meant for hooks. `hookName` then holds the same name.
   */
  readonly actionName?: string | undefined;
}

/** Reads relations: which exist on an endpoint, who is on the other side, what their bags hold. */
export interface RelationReader {
  /**
   * Ids of the live relations on `endpoint`: a broken one is left out, including the relation
   * whose `-relation-broken` hook is running (Juju agents before 3.4 still list that one).
   */
  relationIds(endpoint: string): Promise<number[]>;
  /** The application on the other side of the relation. */
  remoteApp(relationId: number): Promise<string>;
  /** The remote units currently in the relation (joined and not departed). */
  remoteUnits(relationId: number): Promise<string[]>;
  /** The contents of one bag; an empty object when nothing was written. */
  getBag(relationId: number, bag: BagRef): Promise<Record<string, string>>;
}

/** Writes this unit's bags. Access rules are enforced by the model, not here. */
export interface RelationWriter {
  /**
   * Applies `changes` to the local app bag (`scope: 'app'`) or the local unit bag in one call.
   * A value of `''` deletes the key; keys not named are left as they are.
   */
  setBag(
    relationId: number,
    scope: BagScope,
    changes: Readonly<Record<string, string>>,
  ): Promise<void>;
}

/** Answers whether this unit is the application leader, which gates the app bag. */
export interface Leadership {
  isLeader(): Promise<boolean>;
}

/** Reports to the user: the workload status and the application version in `juju status`. */
export interface StatusReporter {
  /** Sets this unit's workload status. */
  setStatus(status: Status): Promise<void>;
  /**
   * Sets the application's status, the line `juju status` shows for the whole application. Only
   * the leader may; another unit gets `NotLeaderError` (check `isLeader()` first).
   */
  setApplicationStatus(status: Status): Promise<void>;
  /** Sets the workload version shown for the application. */
  setApplicationVersion(version: string): Promise<void>;
}

/** Severity of a log line, named as Juju's `juju-log --log-level` and `juju debug-log` name them. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * Writes to the unit's log: under Juju that is `juju debug-log` (filtered there by level), so an
 * operator sees why a controller did what it did without reading the pod's stdout.
 */
export interface UnitLogger {
  log(level: LogLevel, message: string): Promise<void>;
}

/** Gives the hook context (what fired, which unit) to code that dispatches on it. */
export interface HookContextSource {
  readonly context: HookContext;
}

/** Everything a relation-aware controller needs from its environment. */
export interface RelationBackend
  extends
    RelationReader,
    RelationWriter,
    Leadership,
    StatusReporter,
    UnitLogger,
    HookContextSource {}

/** The application part of a unit name: `radarr/0` → `radarr`. */
export function appNameOf(unitName: string): string {
  const slash = unitName.lastIndexOf('/');
  return slash === -1 ? unitName : unitName.slice(0, slash);
}

/**
 * The id of the relation whose `<endpoint>-relation-broken` hook `context` runs, if it runs one:
 * that relation is going away, although agents before Juju 3.4 still list it.
 */
export function brokenRelationId(context: HookContext, endpoint: string): number | undefined {
  const isBrokenHook =
    context.actionName === undefined && context.hookName === `${endpoint}-relation-broken`;
  return isBrokenHook ? context.relation?.id : undefined;
}
