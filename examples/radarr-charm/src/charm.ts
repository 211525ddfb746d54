/**
 * The Radarr controller: everything a hook does, in one reconcile.
 *
 * Radarr needs the shared media volume mounted at the path the storage charm chose; until then it
 * cannot import anything, so storage decides the unit's status. The controller is written against
 * ports (a `RelationBackend` and a `KubePort`), so the same class runs under Juju (dispatch.ts), as
 * a plain process (main.ts) and in tests (FakeCluster + Scenario), each time through `runHook`,
 * which sets the status it reports and the exit code Juju needs.
 *
 * Sharp edge this file exists to get right: the container to mount into is the one named in
 * charmcraft.yaml (`radarr`), not the application name — deploy this charm as `radarr-4k` and its
 * StatefulSet is `radarr-4k`, but the container is still `radarr`.
 */
import type { KubePort } from 'charmkit/kube';
import type { HookHandler, RelationBackend, Status } from 'charmkit/relations';
import { StorageRequirer, type StorageRequirerResult } from 'charmkit/storage';
import type { HookController, HookResult, WorkloadRef } from 'charmkit/workload';

/** The workload container, as named under `containers:` in charmcraft.yaml. */
export const WORKLOAD_CONTAINER = 'radarr';
/** The relation endpoint, as named under `requires:` in charmcraft.yaml. */
export const STORAGE_ENDPOINT = 'storage';

/** What the controller is built from. */
export interface RadarrCharmOptions {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  /** The StatefulSet to patch; default the application's, in the model's namespace. */
  readonly statefulSet?: WorkloadRef;
  /** Wait this long for the rollout after a patch (default 0: under Juju, never wait). */
  readonly rolloutWaitMs?: number;
}

/** What one reconcile did: the status to show, the failure behind it, storage's own result. */
export interface RadarrReconcile extends HookResult {
  readonly status: Status;
  /** The storage capability's own result (changes, diagnosis, request-relevant state). */
  readonly storage: StorageRequirerResult;
}

/** The Radarr charm's controller. */
export class RadarrCharm implements HookController<RadarrReconcile> {
  /** The storage capability. */
  readonly storage: StorageRequirer;

  constructor(options: RadarrCharmOptions) {
    this.storage = new StorageRequirer({
      kube: options.kube,
      backend: options.backend,
      endpoint: STORAGE_ENDPOINT,
      container: WORKLOAD_CONTAINER,
      statefulSet: options.statefulSet,
      rollout: { timeoutMs: options.rolloutWaitMs },
      fieldManager: 'radarr-charm',
    });
  }

  /** The endpoints that take relation hooks: storage's, so its events fire first. */
  get endpoints(): readonly HookHandler[] {
    return [this.storage.endpoint];
  }

  /**
   * Runs on every hook. A broken storage relation keeps the mount (the storage result says
   * "waiting for storage relation" and no request is made), so Radarr keeps its library.
   */
  async reconcile(): Promise<RadarrReconcile> {
    const storage = await this.storage.reconcile();
    return { status: storage.status, error: storage.error, storage };
  }
}
