/**
 * Scenario-style tests for charm controllers: describe a state, run ONE event, inspect the
 * output state.
 *
 * A controller test should read like the situation it covers ("the leader, related to a storage
 * app that published a claim, gets relation-changed") and check only what came out (what was
 * written to relation data, which statuses were set, which requests reached Kubernetes). The
 * harness builds a fresh in-memory Juju (`MemoryModel`) for every run from a plain state
 * object, sets the hook context Juju would set for the event (including the relation-list
 * changes `-departed` and `-broken` imply), calls the controller exactly as production would,
 * and returns an output that can be fed back in as the next state. Run the controller through
 * `runHook`, as its Juju entry does, and the output also carries the exit code Juju would see.
 *
 * It does not model: peer relations, secrets, config, actions, storage, or the order in which
 * Juju would queue follow-up hooks; a test runs the next event itself.
 */
import { writes, type KubePort, type RequestRecord } from '../kube/port.js';
import type { HookContext, RelationBackend } from '../relations/backend.js';
import { RelationError } from '../relations/errors.js';
import type { RelationEventKind } from '../relations/events.js';
import { parseHookName, type ParsedHook } from '../relations/hook-names.js';
import { MemoryBackend, MemoryModel, type MemoryWrite } from '../relations/memory-backend.js';
import type { Status } from '../relations/status.js';

/** A bag's contents. */
/** A relation data bag as a test states it: string keys to string values. */
export type Bag = Readonly<Record<string, string>>;

/** Raised when a scenario is wired wrong (an event about a relation that is not in the state). */
export class ScenarioError extends RelationError {
  override readonly name: string = 'ScenarioError';
}

/** One relation in a scenario state, seen from the unit under test. */
export interface ScenarioRelation {
  /** The local endpoint name, e.g. `storage`. */
  readonly endpoint: string;
  /** The application on the other side. */
  readonly remoteApp: string;
  /** Its endpoint name; defaults to the local one. */
  readonly remoteEndpoint?: string;
  /** The relation id; assigned in order when omitted. */
  readonly id?: number;
  /** Remote units in the relation; defaults to `[<remoteApp>/0]`. */
  readonly remoteUnits?: readonly string[];
  /** What the remote leader published. */
  readonly remoteAppData?: Bag;
  /** What each remote unit published, by unit name. */
  readonly remoteUnitsData?: Readonly<Record<string, Bag>>;
  /** What this application had already published. */
  readonly localAppData?: Bag;
  /** What this unit had already published. */
  readonly localUnitData?: Bag;
}

/** A port that keeps a log of the requests it served, such as `FakeCluster`. */
export type RecordingKubePort = KubePort & { readonly requests?: readonly RequestRecord[] };

/** What every scenario state has, whether or not the controller talks to Kubernetes. */
export interface ScenarioBaseState {
  /** Whether the unit under test is its application's leader (default false). */
  readonly leader?: boolean;
  /** The relations that exist, in any order. */
  readonly relations?: readonly ScenarioRelation[];
  /** The unit's workload status before the event, reported if the controller sets none. */
  readonly status?: Status;
}

/**
 * The world before the event. Plain data: build it inline, reuse it across tests. `kube` (e.g.
 * `new FakeCluster({ objects })`) is required when the scenario's controller needs a port.
 */
export type ScenarioState<TKube extends RecordingKubePort | undefined = undefined> =
  ScenarioBaseState &
    (undefined extends TKube ? { readonly kube?: TKube } : { readonly kube: TKube });

/** `run`'s state argument: optional only when the controller needs no Kubernetes port. */
export type ScenarioStateArg<TKube extends RecordingKubePort | undefined> = undefined extends TKube
  ? [state?: ScenarioState<TKube>]
  : [state: ScenarioState<TKube>];

/** What the controller is called with: the same shape a production `main` receives. */
export interface ScenarioControllerContext<TKube extends RecordingKubePort | undefined> {
  /** The relation backend, its context set to the event (as `JujuBackend` reads from env). */
  readonly backend: RelationBackend;
  /** The hook context of the event. */
  readonly context: HookContext;
  /** The Kubernetes port from the state. */
  readonly kube: TKube;
}

/**
 * A controller: one process run, handling one hook. Usually
 * `({ backend, kube }) => runHook(backend, new MyCharm({ backend, kube }))`, exactly what the
 * Juju entry runs; what it returns is ignored.
 */
export type ScenarioController<TKube extends RecordingKubePort | undefined> = (
  ctx: ScenarioControllerContext<TKube>,
) => Promise<unknown> | void;

/** The event to run: a relation hook on a relation of the state, or any other hook by name. */
export type ScenarioEvent =
  | {
      readonly kind: 'relation';
      readonly event: RelationEventKind;
      readonly relation: ScenarioRelation;
      /** The unit named in `JUJU_REMOTE_UNIT`; null for a change to the remote app bag. */
      readonly remoteUnit?: string | null;
      /** The unit named in `JUJU_DEPARTING_UNIT` (`departed` only). */
      readonly departingUnit?: string;
    }
  | { readonly kind: 'hook'; readonly name: string };

/** Which remote unit a relation event comes from (`null`: none, as for an app-level change). */
export type UnitOptions = { remoteUnit?: string | null };

/**
 * Event constructors, named after the hooks. Relation events take the relation object from the
 * state, so a test cannot fire a hook for a relation that does not exist.
 */
export const on = {
  relationCreated: (relation: ScenarioRelation): ScenarioEvent => ({
    kind: 'relation',
    event: 'created',
    relation,
  }),
  /** `remoteUnit` defaults to the relation's first remote unit. */
  relationJoined: (relation: ScenarioRelation, options: UnitOptions = {}): ScenarioEvent => ({
    kind: 'relation',
    event: 'joined',
    relation,
    ...options,
  }),
  /** `remoteUnit` defaults to the first remote unit; pass `null` for a remote app bag change. */
  relationChanged: (relation: ScenarioRelation, options: UnitOptions = {}): ScenarioEvent => ({
    kind: 'relation',
    event: 'changed',
    relation,
    ...options,
  }),
  /**
   * `remoteUnit` defaults to the first remote unit and `departingUnit` to `remoteUnit`; the
   * departing unit is gone from the relation's units during the hook, as in Juju.
   */
  relationDeparted: (
    relation: ScenarioRelation,
    options: UnitOptions & { departingUnit?: string } = {},
  ): ScenarioEvent => ({ kind: 'relation', event: 'departed', relation, ...options }),
  /** The relation is already gone from `relationIds` and remote data reads empty. */
  relationBroken: (relation: ScenarioRelation): ScenarioEvent => ({
    kind: 'relation',
    event: 'broken',
    relation,
  }),
  install: (): ScenarioEvent => ({ kind: 'hook', name: 'install' }),
  start: (): ScenarioEvent => ({ kind: 'hook', name: 'start' }),
  configChanged: (): ScenarioEvent => ({ kind: 'hook', name: 'config-changed' }),
  upgradeCharm: (): ScenarioEvent => ({ kind: 'hook', name: 'upgrade-charm' }),
  updateStatus: (): ScenarioEvent => ({ kind: 'hook', name: 'update-status' }),
  leaderElected: (): ScenarioEvent => ({ kind: 'hook', name: 'leader-elected' }),
  /** Any other hook by name, e.g. `workload-pebble-ready`. */
  hook: (name: string): ScenarioEvent => ({ kind: 'hook', name }),
} as const;

/** One relation after the event: every bag as it ended up. */
export interface ScenarioRelationOutput extends ScenarioRelation {
  readonly id: number;
  readonly remoteUnits: readonly string[];
  readonly remoteAppData: Bag;
  readonly remoteUnitsData: Readonly<Record<string, Bag>>;
  readonly localAppData: Bag;
  readonly localUnitData: Bag;
}

/** What came out of one run. */
export interface ScenarioOutput<TKube extends RecordingKubePort | undefined> {
  /** The hook that ran, classified. */
  readonly hook: ParsedHook;
  /** The context the controller saw. */
  readonly context: HookContext;
  /** Every relation of the state, with its bags after the run (broken ones included). */
  readonly relations: readonly ScenarioRelationOutput[];
  /** The unit's status at the end: the last one set, else the state's. */
  readonly status: Status | undefined;
  /** Every status set during the run, in order. */
  readonly statusHistory: readonly Status[];
  /** The application version set during the run, if any. */
  readonly applicationVersion: string | undefined;
  /**
   * Relation-data writes made during the run (`[]`: no bag was written). Kubernetes writes are
   * `kubeWrites`; the two are kept apart so a "zero writes" test cannot pass for the wrong reason.
   */
  readonly relationWrites: readonly MemoryWrite[];
  /**
   * Kubernetes writes (create, replace, patch, delete) the port served during the run, when it
   * keeps a `requests` log (FakeCluster does); undefined when it does not, never a false `[]`.
   */
  readonly kubeWrites: readonly RequestRecord[] | undefined;
  /** Every request the port served during the run (reads too), when it keeps a `requests` log. */
  readonly requests: readonly RequestRecord[] | undefined;
  /**
   * The exit code the hook's process would end with: what the controller set as
   * `process.exitCode` (`runHook` sets 1 when a retry may cure a failure), else 0. Juju runs a
   * hook that exits non-zero again later.
   */
  readonly exitCode: number;
  /** The output as a state, to run the next event on (broken relations are dropped). */
  readonly state: ScenarioState<TKube>;
  /** The relation on `endpoint` (the only one, or the one with `id`); throws if absent. */
  relation(endpoint: string, id?: number): ScenarioRelationOutput;
}

/** Options for a `Scenario`. */
export interface ScenarioOptions<TKube extends RecordingKubePort | undefined> {
  /** The application under test. */
  readonly app: string;
  /** Its unit number (default 0). */
  readonly unitNumber?: number;
  /** The model name (`JUJU_MODEL_NAME`, also the namespace on Kubernetes); default `test`. */
  readonly model?: string;
  /** The controller to run. */
  readonly controller: ScenarioController<TKube>;
}

/**
 * Runs a controller against scenario states. Create one per controller; `run` is independent of
 * previous runs (each builds its own model), so tests do not leak into each other.
 */
export class Scenario<TKube extends RecordingKubePort | undefined = undefined> {
  /** The unit under test. */
  readonly unit: string;

  constructor(private readonly options: ScenarioOptions<TKube>) {
    this.unit = `${options.app}/${options.unitNumber ?? 0}`;
  }

  /**
   * Runs one event on `state` and resolves to the output. A controller that throws makes `run`
   * reject with that error, as the hook would fail in Juju.
   */
  async run(
    event: ScenarioEvent,
    ...[given]: ScenarioStateArg<TKube>
  ): Promise<ScenarioOutput<TKube>> {
    const state: ScenarioBaseState & { readonly kube?: TKube } = given ?? {};
    const model = new MemoryModel({ name: this.options.model ?? 'test' });
    const backend = new MemoryBackend({ unit: this.unit, model, leader: state.leader === true });
    const relations = state.relations ?? [];
    const ids = new Map<ScenarioRelation, number>();
    for (const relation of relations) ids.set(relation, this.seed(backend, relation));
    const context = this.enter(backend, event, ids);
    const requestLog = state.kube?.requests;
    const before = requestLog?.length ?? 0;

    // The controller runs as a hook process would: what it sets as the exit code is this run's,
    // and the test process's own exit code is left as it was.
    const outerExitCode = process.exitCode;
    process.exitCode = undefined;
    let exitCode: number;
    try {
      await this.options.controller({ backend, context, kube: state.kube as TKube });
    } finally {
      exitCode = Number(process.exitCode ?? 0);
      process.exitCode = outerExitCode;
    }
    const requests = requestLog?.slice(before);

    const outputs: ScenarioRelationOutput[] = [];
    for (const relation of relations) {
      outputs.push(await this.collect(backend, relation, ids.get(relation)));
    }
    const history = model.statusHistory(this.unit);
    const brokenId =
      event.kind === 'relation' && event.event === 'broken' ? ids.get(event.relation) : undefined;
    const output: ScenarioOutput<TKube> = {
      hook: parseHookName(context.hookName ?? ''),
      context,
      relations: outputs,
      status: history.at(-1) ?? state.status,
      statusHistory: [...history],
      applicationVersion: model.applicationVersion(this.options.app),
      relationWrites: [...model.writes],
      kubeWrites: requests === undefined ? undefined : writes(requests),
      requests,
      exitCode,
      state: {
        ...state,
        relations: outputs.filter((r) => r.id !== brokenId),
        status: history.at(-1) ?? state.status,
      } as ScenarioState<TKube>,
      relation: (endpoint, id) => findRelation(outputs, endpoint, id),
    };
    return output;
  }

  private seed(backend: MemoryBackend, relation: ScenarioRelation): number {
    return backend.addRelation({
      endpoint: relation.endpoint,
      remoteApp: relation.remoteApp,
      remoteEndpoint: relation.remoteEndpoint,
      id: relation.id,
      remoteUnits: relation.remoteUnits,
      remoteAppData: relation.remoteAppData,
      remoteUnitsData: relation.remoteUnitsData,
      localAppData: relation.localAppData,
      localUnitData: relation.localUnitData,
    });
  }

  /** Sets the hook context for `event`, applying what the hook implies to the relation first. */
  private enter(
    backend: MemoryBackend,
    event: ScenarioEvent,
    ids: ReadonlyMap<ScenarioRelation, number>,
  ): HookContext {
    if (event.kind === 'hook') {
      if (parseHookName(event.name).kind === 'relation') {
        throw new ScenarioError(
          `Use on.relation*() for relation hooks, not on.hook("${event.name}")`,
        );
      }
      return backend.setContext({ hookName: event.name, dispatchPath: `hooks/${event.name}` })
        .context;
    }
    const id = ids.get(event.relation);
    if (id === undefined) {
      throw new ScenarioError(
        `The ${event.event} event is for a relation (${event.relation.endpoint} to ` +
          `${event.relation.remoteApp}) that is not in the state's relations; pass the same object`,
      );
    }
    const units = event.relation.remoteUnits ?? [`${event.relation.remoteApp}/0`];
    const remoteUnit = event.remoteUnit === null ? undefined : (event.remoteUnit ?? units[0]);
    if (remoteUnit !== undefined && !remoteUnit.startsWith(`${event.relation.remoteApp}/`)) {
      throw new ScenarioError(`${remoteUnit} is not a unit of ${event.relation.remoteApp}`);
    }
    switch (event.event) {
      case 'departed': {
        const departingUnit = event.departingUnit ?? remoteUnit;
        if (departingUnit !== undefined) backend.model.depart(id, departingUnit);
        return backend.relationHook(id, 'departed', { remoteUnit, departingUnit });
      }
      case 'broken':
        backend.model.unrelate(id);
        return backend.relationHook(id, 'broken');
      case 'created':
        return backend.relationHook(id, 'created');
      default:
        return backend.relationHook(id, event.event, { remoteUnit });
    }
  }

  private async collect(
    backend: MemoryBackend,
    relation: ScenarioRelation,
    id: number | undefined,
  ): Promise<ScenarioRelationOutput> {
    if (id === undefined) throw new ScenarioError('internal: relation was not seeded');
    const { model } = backend;
    // Units as they are after the hook: a departed unit is gone, a broken relation has none.
    const units = await backend.remoteUnits(id);
    const remoteUnitsData: Record<string, Bag> = {};
    for (const unit of units) {
      const bag = model.bag(id, { scope: 'unit', name: unit });
      if (Object.keys(bag).length > 0) remoteUnitsData[unit] = bag;
    }
    return {
      ...relation,
      id,
      remoteUnits: units,
      remoteAppData: model.bag(id, { scope: 'app', name: relation.remoteApp }),
      remoteUnitsData,
      localAppData: model.bag(id, { scope: 'app', name: this.options.app }),
      localUnitData: model.bag(id, { scope: 'unit', name: this.unit }),
    };
  }
}

function findRelation(
  relations: readonly ScenarioRelationOutput[],
  endpoint: string,
  id: number | undefined,
): ScenarioRelationOutput {
  const matches = relations.filter(
    (r) => r.endpoint === endpoint && (id === undefined || r.id === id),
  );
  const [only] = matches;
  if (only === undefined || matches.length > 1) {
    throw new ScenarioError(
      `${matches.length === 0 ? 'No' : 'More than one'} relation on "${endpoint}"` +
        `${id === undefined ? '' : ` with id ${id}`} in the output` +
        (matches.length > 1 ? '; pass the id' : ''),
    );
  }
  return only;
}
