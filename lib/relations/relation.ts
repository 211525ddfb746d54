/**
 * A relation between this application and one remote application, seen from this unit.
 *
 * It is a snapshot taken at load time (remote app and units do not change during a hook) with
 * four kinds of bag: the local app bag (leader only), the local unit bag, the remote app bag and
 * one bag per remote unit. The relation knows nothing of interfaces or schemas; endpoints add
 * those on top.
 *
 * A relation can be gone while a hook still names it: its own `-relation-broken` hook, or one the
 * agent no longer knows ("relation not found"). It then loads as inactive, with no units and bags
 * that read empty, the way the Python framework (ops) treats it, so a hook about a relation that
 * is going away ends normally instead of failing on every retry.
 */
import { brokenRelationId, type RelationBackend } from './backend.js';
import { DataBag, type ReadableDataBag, type WritableDataBag } from './databag.js';
import { RelationDataAccessError, RelationNotFoundError } from './errors.js';

/** The bags of one relation, named from this unit's point of view. */
export interface RelationData {
  /** This application's bag: the leader writes it, every remote unit reads it. */
  readonly localApp: WritableDataBag;
  /** This unit's own bag. */
  readonly localUnit: WritableDataBag;
  /** The remote application's bag, written by its leader. */
  readonly remoteApp: ReadableDataBag;
  /** One remote unit's bag; the unit must belong to the remote application. */
  remoteUnit(unitName: string): ReadableDataBag;
}

/** One relation on one endpoint. Create it with `Relation.load` or `Relation.forEndpoint`. */
export class Relation {
  /** The relation's bags. */
  readonly data: RelationData;
  private readonly remoteUnitBags = new Map<string, DataBag>();

  private constructor(
    backend: RelationBackend,
    /** The local endpoint name, e.g. `storage`. */
    readonly endpoint: string,
    /** The relation id Juju assigned. */
    readonly id: number,
    /** The application on the other side. */
    readonly remoteApp: string,
    /** The remote units in the relation when it was loaded. */
    readonly remoteUnits: readonly string[],
    /**
     * False when the relation is going or gone: in its own `-relation-broken` hook, or when the
     * agent no longer knows it. It then has no remote units, and its bags read empty once the
     * agent has nothing left to give; check this before publishing to it.
     */
    readonly active: boolean,
  ) {
    const { appName, unitName } = backend.context;
    const label = this.toString();
    const remoteAppBag = new DataBag(
      backend,
      id,
      { scope: 'app', name: remoteApp },
      'remote-app',
      label,
    );
    const bagFor = (unit: string): DataBag => {
      if (!unit.startsWith(`${remoteApp}/`)) {
        throw new RelationDataAccessError(
          `"${unit}" is not a unit of the remote application "${remoteApp}" on ${label}`,
        );
      }
      let bag = this.remoteUnitBags.get(unit);
      if (bag === undefined) {
        bag = new DataBag(backend, id, { scope: 'unit', name: unit }, 'remote-unit', label);
        this.remoteUnitBags.set(unit, bag);
      }
      return bag;
    };
    this.data = {
      localApp: new DataBag(backend, id, { scope: 'app', name: appName }, 'local-app', label),
      localUnit: new DataBag(backend, id, { scope: 'unit', name: unitName }, 'local-unit', label),
      remoteApp: remoteAppBag,
      remoteUnit: bagFor,
    };
  }

  /**
   * Loads one relation by id: asks the backend for the remote app and units once. A relation the
   * backend no longer knows loads as inactive with no units; its remote app then comes from the
   * hook context (`JUJU_REMOTE_APP`) when the hook is about it, and `RelationNotFoundError` is
   * thrown when nothing can name it.
   */
  static async load(backend: RelationBackend, endpoint: string, id: number): Promise<Relation> {
    const breaking = brokenRelationId(backend.context, endpoint) === id;
    let gone = false;
    /** Notes a gone relation and falls back, or rethrows any other failure. */
    const ifGone =
      <T>(fallback: (error: RelationNotFoundError) => T) =>
      (error: unknown): T => {
        if (!(error instanceof RelationNotFoundError)) throw error;
        gone = true;
        return fallback(error);
      };
    const [remoteApp, remoteUnits] = await Promise.all([
      backend.remoteApp(id).catch(
        ifGone((error) => {
          const { relation } = backend.context;
          if (relation?.id === id && relation.remoteApp !== undefined) return relation.remoteApp;
          throw error;
        }),
      ),
      // In its own -broken hook a relation has no units left: nothing to ask.
      breaking ? [] : backend.remoteUnits(id).catch(ifGone((): string[] => [])),
    ]);
    const active = !gone && !breaking;
    return new Relation(
      backend,
      endpoint,
      id,
      remoteApp,
      Object.freeze(active ? [...remoteUnits].sort() : []),
      active,
    );
  }

  /**
   * Loads every live relation on `endpoint`, in id order. One the agent lists but no longer knows
   * is left out, like the broken one in its own `-broken` hook.
   */
  static async forEndpoint(backend: RelationBackend, endpoint: string): Promise<Relation[]> {
    const ids = [...(await backend.relationIds(endpoint))].sort((a, b) => a - b);
    const relations: Relation[] = [];
    // Sequential on purpose: each load runs hook tools, and the unit agent serialises them anyway.
    for (const id of ids) {
      const relation = await Relation.load(backend, endpoint, id).catch((error: unknown) => {
        if (error instanceof RelationNotFoundError) return undefined;
        throw error;
      });
      if (relation?.active === true) relations.push(relation);
    }
    return relations;
  }

  /** `endpoint:id`, the form Juju uses in `JUJU_RELATION_ID` and `juju show-unit`. */
  toString(): string {
    return `${this.endpoint}:${this.id}`;
  }
}
