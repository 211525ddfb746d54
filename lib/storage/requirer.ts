/**
 * `StorageRequirer`: mount the claim a storage provider publishes into this controller's own
 * StatefulSet (docs/adr/0001-mount-by-self-patch.md), with as few API calls as the job allows.
 *
 * Flow of a reconcile (stages 1–4 are `prepare`, 5 the shared patch, 6–7 `verify`; see the
 * capability contract in lib/workload/capability.ts):
 *   1. No relation → Blocked "waiting for storage relation"; no Kubernetes request at all.
 *   2. Relation, but the provider has published nothing → Waiting (the provider acts on its own
 *      once its claim is usable; no human is needed, so this is not Blocked). No request either.
 *   3. Invalid provider data → Blocked naming the fields; no request.
 *   4. GET the claim: missing → Blocked naming it, no patch.
 *   5. GET the own StatefulSet, contribute mount fragments to a plan, patch only if it differs
 *      (nothing to do = zero writes). A container name the StatefulSet does not have is a typed
 *      error and Blocked: under Juju it is the charmcraft.yaml container name, not the app name.
 *   6. After a patch → Maintenance "mounting shared storage" while the pods roll. The patch
 *      restarts the pod this code may be running in, so it does not wait by default.
 *   7. On a later reconcile with nothing to patch: rollout complete, pods Ready, and the running
 *      pods' specs carry the volume → Active; a stuck rollout → the cluster's own diagnosis. When
 *      the StatefulSet's status proves every pod runs the current template (revisions swapped,
 *      ready = updated = replicas) the pods are not listed: a no-op is 2 reads (claim, StatefulSet).
 *
 * A broken relation keeps the mount (removing it would restart the workload under the user; see
 * docs/adr/0001-mount-by-self-patch.md); `unmount()` removes exactly what was added. To share the
 * one patch with other capabilities, pass the requirer to `reconcileCapabilities` with them.
 */
import type { KubePort } from '../kube/port.js';
import { asKubernetesError } from '../kube/errors.js';
import type {
  Capability,
  CapabilityContext,
  PatchOutcome,
  Preparation,
  WorkloadRef,
} from '../workload/capability.js';
import type { PlanChange, StatefulSetPlan } from '../workload/plan/index.js';
import { reconcileCapabilities } from '../workload/reconcile.js';
import { diagnoseStatefulSet, waitForRollout, type RolloutWaitOptions } from '../kube/rollout.js';
import type { RolloutDiagnosis, RolloutFindingKind } from '../kube/rollout-diagnosis.js';
import { rolloutProgress, statusProvesRollout } from '../kube/rollout-progress.js';
import { labelSelectorString, type LabelSelector } from '../kube/selectors.js';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import { RelationDataValidationError } from '../relations/errors.js';
import type { Relation } from '../relations/relation.js';
import type { SchemaRegistry } from '../relations/schema-registry.js';
import { active, blocked, maintenance, waiting, type Status } from '../relations/status.js';
import { RWO_NOTE } from './access-mode.js';
import { asError } from '../core/errors.js';
import { statusForFailure } from '../workload/failure-status.js';
import { DEFAULT_STORAGE_ENDPOINT, StorageRequirerEndpoint } from './interface.js';
import {
  contributeMount,
  contributeUnmount,
  podMountProblem,
  replacedFsGroup,
  storageVolumeName,
  type MountSpec,
} from './mount.js';
import { InvalidStorageDataError, mountPathProblem, type StorageOffer } from './validate.js';

/** Options of `StorageRequirer`. */
export interface StorageRequirerOptions {
  /** The Kubernetes port (client-node adapter in production, FakeCluster in tests). */
  readonly kube: KubePort;
  /** Relation data, leadership and hook context (Juju or in-memory). */
  readonly backend: RelationBackend;
  /**
   * The workload container to mount into: its name under `containers:` in charmcraft.yaml, which
   * is NOT the application name (a common mistake that fails loudly here, never silently).
   */
  readonly container: string;
  /** The relation endpoint (default `storage`). */
  readonly endpoint?: string;
  /**
   * This controller's StatefulSet; default: the app name in the model's namespace. Pass what
   * `resolveSelfIdentity` returns to keep where each part came from for error messages.
   */
  readonly statefulSet?: WorkloadRef;
  /** Overrides the provider's mount path (must be absolute and normalised). */
  readonly mountPath?: string;
  /** Published to the provider as `instance-name`, and in charmarr's form (default: the app name). */
  readonly instanceName?: string;
  /** Field manager of the patch (default `charmkit-storage`). */
  readonly fieldManager?: string;
  /** Read→recompute→write rounds on a 409 Conflict (default 3). */
  readonly conflictAttempts?: number;
  /**
   * Wait for the rollout after a patch before returning (default: do not wait — under Juju the
   * patch restarts the very pod running the hook). `{ timeoutMs }` turns the wait on;
   * `intervalMs` and `clock` as in `waitForRollout`.
   */
  readonly rollout?: Omit<RolloutWaitOptions, 'diagnose'>;
  /** Where to load the storage schema from (default: the package's schemas/). */
  readonly schemas?: SchemaRegistry;
}

/** Where a reconcile ended; `status` says the same for humans. */
export type StorageRequirerState =
  | 'no-relation'
  | 'waiting-for-provider'
  | 'invalid'
  | 'missing-claim'
  | 'failed'
  | 'patched'
  | 'contributed'
  | 'rolling-out'
  | 'stuck'
  | 'mounted'
  | 'unmounted';

/** What a reconcile did and what to show. */
export interface StorageRequirerResult {
  /** Whether a StatefulSet patch was sent (or, in plan mode, contributed to the caller's patch). */
  readonly changed: boolean;
  readonly state: StorageRequirerState;
  readonly status: Status;
  /** This capability's pod-template changes (empty when nothing changed). */
  readonly changes: readonly PlanChange[];
  /** Why the rollout is stuck, as the cluster reports it. */
  readonly diagnosis?: RolloutDiagnosis;
  /** The typed error behind a Blocked or error status. */
  readonly error?: Error;
  /** The validated provider data, once read. */
  readonly offer?: StorageOffer;
  /** Whether this unit wrote relation data (its instance name). */
  readonly relationDataWritten: boolean;
  /** What the patch changed that the user may not expect, e.g. a pod fsGroup it replaced. */
  readonly notes?: readonly string[];
}

/** Rollout findings that need a human rather than time. */
const BLOCKING_FINDINGS: ReadonlySet<RolloutFindingKind> = new Set([
  'UnboundPVC',
  'MultiAttach',
  'FailedMount',
]);

/**
 * Mounts a provider's shared claim into this controller's StatefulSet. A `Capability`: reconcile
 * it alone with `reconcile()`, or with other capabilities in one patch through
 * `reconcileCapabilities`.
 */
export class StorageRequirer implements Capability<StorageRequirerResult> {
  /** The endpoint this requirer reads, for event wiring. */
  readonly endpoint: StorageRequirerEndpoint;
  /** Owner tag of this capability's plan fragments. */
  readonly owner: string;
  /** The pod volume name this requirer manages. */
  readonly volume: string;
  private readonly options: StorageRequirerOptions;
  /** What the current reconcile has learnt so far, for `failed` to report it. */
  private run: { written: boolean; relation?: Relation; offer?: StorageOffer } = {
    written: false,
  };

  constructor(options: StorageRequirerOptions) {
    const endpoint = options.endpoint ?? DEFAULT_STORAGE_ENDPOINT;
    this.options = options;
    this.endpoint = new StorageRequirerEndpoint(options.backend, endpoint, options.schemas);
    this.owner = `storage:${endpoint}`;
    this.volume = storageVolumeName(endpoint);
    if (options.mountPath !== undefined) {
      const problem = mountPathProblem(options.mountPath);
      if (problem)
        throw new InvalidStorageDataError('StorageRequirer options', [
          { field: 'mountPath', reason: problem },
        ]);
    }
  }

  /** The StatefulSet this requirer patches, with where its name and namespace came from. */
  get statefulSet(): WorkloadRef {
    if (this.options.statefulSet) return { ...this.options.statefulSet };
    const context = this.options.backend.context;
    return {
      name: context.appName,
      namespace: context.modelName ?? 'default',
      nameSource: `the application of unit ${context.unitName}`,
      namespaceSource:
        context.modelName === undefined
          ? 'nowhere (no model name; "default" assumed)'
          : 'the model name',
    };
  }

  /**
   * Runs the flow in the module comment once, as the only capability of the reconcile, and reports
   * where it ended. To share the one patch with other capabilities, pass this requirer to
   * `reconcileCapabilities` with them instead.
   */
  async reconcile(): Promise<StorageRequirerResult> {
    const reconciled = await reconcileCapabilities(this.context, [this] as const, {
      fieldManager: this.fieldManager,
      conflictAttempts: this.options.conflictAttempts,
    });
    return reconciled.results[0];
  }

  /**
   * Removes exactly what this requirer added (volume, mounts, record, fsGroup it set) with
   * strategic-merge delete directives. Call it when the user asks to detach the storage; a broken
   * relation alone keeps the mount on purpose.
   */
  async unmount(): Promise<StorageRequirerResult> {
    const reconciled = await reconcileCapabilities(this.context, [this.unmounting()] as const, {
      fieldManager: this.fieldManager,
      conflictAttempts: this.options.conflictAttempts,
    });
    return reconciled.results[0];
  }

  /** The capability form of `unmount()`, to remove the mount in a patch shared with others. */
  unmounting(): Capability<StorageRequirerResult> {
    const base = { changed: false, changes: [], relationDataWritten: false };
    return {
      owner: this.owner,
      prepare: () =>
        Promise.resolve({
          contribute: (plan: StatefulSetPlan) => contributeUnmount(plan, this.owner, this.volume),
          verify: (outcome: PatchOutcome) =>
            Promise.resolve(this.unmountResult(outcome.changes.length > 0, outcome.changes, base)),
        }),
      failed: (failure: unknown) => this.resultForFailure('failed', failure, undefined, base),
    };
  }

  /** Capability stage 1: relation data, validation, the claim. Never touches the StatefulSet. */
  async prepare(): Promise<Preparation<StorageRequirerResult>> {
    this.run = { written: false };
    const base = { changed: false, changes: [], relationDataWritten: false };
    const relations = await this.endpoint.relations();
    const relation = relations[0];
    if (!relation) {
      return {
        done: {
          ...base,
          state: 'no-relation',
          status: blocked(`waiting for ${this.endpoint.name} relation`),
        },
      };
    }
    if (relations.length > 1) {
      // One endpoint mounts one volume; guessing which provider wins would be a silent choice.
      const apps = relations.map((r) => r.remoteApp).join(', ');
      return {
        done: {
          ...base,
          state: 'invalid',
          status: blocked(
            `${this.endpoint.name} is related to ${relations.length} applications (${apps}); ` +
              'relate exactly one (use another endpoint for a second volume)',
          ),
        },
      };
    }
    this.run.relation = relation;
    this.run.written = await this.publishInstanceName(relation);
    const written = { ...base, relationDataWritten: this.run.written };
    // Either wire format (charmkit's or charmarr's); offer.wireFormat says which.
    const offer = await this.endpoint.remoteOffer(relation, this.statefulSet.namespace);
    if (!offer) {
      return {
        done: {
          ...written,
          state: 'waiting-for-provider',
          status: waiting(`waiting for ${relation.remoteApp} to publish the storage claim`),
        },
      };
    }
    const withOffer = { ...written, offer };
    this.run.offer = offer;
    const claim = await this.readClaim(offer);
    if (!claim) {
      return {
        done: {
          ...withOffer,
          state: 'missing-claim',
          status: blocked(
            `PVC ${offer.claimName} published by ${relation.remoteApp} does not exist in namespace ` +
              `${offer.namespace}; check the ${relation.remoteApp} application`,
          ),
        },
      };
    }
    const spec = this.mountSpec(offer);
    let replaced: number | undefined;
    return {
      contribute: (plan) => {
        replaced = replacedFsGroup(plan.observed, spec);
        contributeMount(plan, spec);
      },
      verify: (outcome) => {
        if (outcome.patched) {
          const notes =
            replaced !== undefined && outcome.changes.length > 0
              ? [
                  `pod fsGroup ${replaced} replaced by ${spec.fsGroup} (the pgid ` +
                    `${relation.remoteApp} publishes); unmount() restores it`,
                ]
              : [];
          const changed = {
            ...withOffer,
            changed: outcome.changes.length > 0,
            changes: outcome.changes,
            ...(notes.length > 0 ? { notes } : {}),
          };
          return this.afterPatch(outcome.observed, spec, offer, changed);
        }
        return this.verify(outcome.observed, spec, offer, withOffer, true, claim);
      },
    };
  }

  /** Capability: the result for a failure at any stage (invalid data → `invalid`). */
  failed(failure: unknown): StorageRequirerResult {
    const invalid =
      failure instanceof RelationDataValidationError || failure instanceof InvalidStorageDataError;
    return this.resultForFailure(invalid ? 'invalid' : 'failed', failure, this.run.relation, {
      changed: false,
      changes: [],
      relationDataWritten: this.run.written,
      ...(this.run.offer ? { offer: this.run.offer } : {}),
    });
  }

  private get context(): CapabilityContext {
    return { kube: this.options.kube, statefulSet: this.statefulSet };
  }

  private get fieldManager(): string {
    return this.options.fieldManager ?? 'charmkit-storage';
  }

  private unmountResult(
    changed: boolean,
    changes: readonly PlanChange[],
    base: Pick<StorageRequirerResult, 'relationDataWritten'>,
  ): StorageRequirerResult {
    return {
      ...base,
      changed,
      changes,
      state: 'unmounted',
      status: changed
        ? maintenance('unmounting shared storage')
        : active('shared storage is not mounted'),
    };
  }

  private mountSpec(offer: StorageOffer): MountSpec {
    return {
      owner: this.owner,
      volume: this.volume,
      claimName: offer.claimName,
      container: this.options.container,
      mountPath: this.options.mountPath ?? offer.mountPath,
      fsGroup: offer.pgid,
    };
  }

  private async publishInstanceName(relation: Relation): Promise<boolean> {
    if (!(await this.options.backend.isLeader())) return false;
    const name = this.options.instanceName ?? this.options.backend.context.appName;
    return this.endpoint.publishInstanceName(relation, name);
  }

  private async readClaim(offer: StorageOffer): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.options.kube.get<PersistentVolumeClaim>({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: offer.namespace,
        name: offer.claimName,
      });
    } catch (failure) {
      if (asKubernetesError(failure)?.isNotFound()) return undefined;
      throw failure;
    }
  }

  private async afterPatch(
    patched: StatefulSet,
    spec: MountSpec,
    offer: StorageOffer,
    base: Omit<StorageRequirerResult, 'state' | 'status'>,
  ): Promise<StorageRequirerResult> {
    const changed = { ...base, changed: true };
    const wait = this.options.rollout;
    if (!wait?.timeoutMs || wait.timeoutMs <= 0) {
      const notes = changed.notes?.length ? `; ${changed.notes.join('; ')}` : '';
      return {
        ...changed,
        state: 'patched',
        status: maintenance(`mounting shared storage at ${spec.mountPath} (rolling out)${notes}`),
      };
    }
    const { name, namespace } = this.statefulSet;
    const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name, namespace };
    const rollout = await waitForRollout(this.options.kube, ref, wait);
    if (!rollout.complete) return this.stuck(changed, spec, rollout.diagnosis);
    return this.verify(rollout.statefulSet, spec, offer, changed, false);
  }

  /** Judges an up-to-date StatefulSet: rolling, stuck, or mounted in every running pod. */
  private async verify(
    sts: StatefulSet,
    spec: MountSpec,
    offer: StorageOffer,
    base: Omit<StorageRequirerResult, 'state' | 'status'>,
    diagnoseIfRolling = true,
    claim?: PersistentVolumeClaim,
  ): Promise<StorageRequirerResult> {
    const progress = rolloutProgress(sts);
    if (!progress.complete) {
      if (!diagnoseIfRolling) return this.stuck(base, spec, undefined);
      const diagnosis = await diagnoseStatefulSet(this.options.kube, sts, progress, {
        knownClaims: claim ? [claim] : [],
      });
      return this.stuck(base, spec, diagnosis);
    }
    const note = offer.accessMode === 'ReadWriteOnce' ? ` (${RWO_NOTE})` : '';
    const mounted: StorageRequirerResult = {
      ...base,
      state: 'mounted',
      status: active(`shared storage ${offer.claimName} mounted at ${spec.mountPath}${note}`),
    };
    // The template holds the mount (nothing was left to patch); when the status proves every pod
    // runs that template, the pods carry it too and need not be listed (one read fewer per hook).
    if (statusProvesRollout(sts)) return mounted;
    const pods = await this.options.kube.list<Pod>(
      { apiVersion: 'v1', kind: 'Pod' },
      {
        namespace: sts.metadata.namespace,
        labelSelector: labelSelectorString(sts.spec.selector as LabelSelector),
      },
    );
    const uid = sts.metadata.uid;
    const own = pods.items.filter(
      (p) => !uid || (p.metadata.ownerReferences ?? []).some((o) => o.uid === uid),
    );
    const problems = own.map((p) => podMountProblem(p, spec)).filter((p) => p !== undefined);
    if (own.length === 0 && (sts.spec.replicas ?? 1) > 0) problems.push('no pod is running yet');
    if (problems.length > 0) {
      return {
        ...base,
        state: 'rolling-out',
        status: maintenance(`mounting shared storage: ${problems.join('; ')}`),
      };
    }
    return mounted;
  }

  private stuck(
    base: Omit<StorageRequirerResult, 'state' | 'status'>,
    spec: MountSpec,
    diagnosis: RolloutDiagnosis | undefined,
  ): StorageRequirerResult {
    const first = diagnosis?.findings[0];
    if (!diagnosis || !first) {
      return {
        ...base,
        diagnosis,
        state: 'rolling-out',
        status: maintenance(
          `mounting shared storage at ${spec.mountPath} (${diagnosis?.progress ?? 'rolling out'})`,
        ),
      };
    }
    const text = `shared storage not mounted: ${diagnosis.summary}; ${first.hint}`;
    return {
      ...base,
      diagnosis,
      state: 'stuck',
      status: BLOCKING_FINDINGS.has(first.kind) ? blocked(text) : maintenance(text),
    };
  }

  private resultForFailure(
    state: StorageRequirerState,
    failure: unknown,
    relation: Relation | undefined,
    base: Omit<StorageRequirerResult, 'state' | 'status'>,
  ): StorageRequirerResult {
    const status = statusForFailure(failure, {
      app: this.options.backend.context.appName,
      label: relation?.toString(),
    });
    return { ...base, state, status, error: asError(failure) };
  }
}
