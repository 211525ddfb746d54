/**
 * The Radarr controller: everything a hook does, in one reconcile.
 *
 * Radarr needs the shared media volume mounted at the path the storage charm chose; until then it
 * cannot import anything, so storage decides the unit's status. The controller is written against
 * ports (a `RelationBackend` and a `KubePort`), so the same class runs under Juju (dispatch.ts), as
 * a plain process (main.ts) and in tests (FakeCluster + Scenario).
 *
 * Sharp edge this file exists to get right: the container to mount into is the one named in
 * charmcraft.yaml (`radarr`), not the application name — deploy this charm as `radarr-4k` and its
 * StatefulSet is `radarr-4k`, but the container is still `radarr`.
 */
import type { KubePort } from 'charmkit/kube';
import type { RelationBackend } from 'charmkit/relations';
import { combineStatuses, type Status } from 'charmkit/relations';
import { StorageRequirer, type StorageRequirerResult } from 'charmkit/storage';

/** The workload container, as named under `containers:` in charmcraft.yaml. */
export const WORKLOAD_CONTAINER = 'radarr';
/** The relation endpoint, as named under `requires:` in charmcraft.yaml. */
export const STORAGE_ENDPOINT = 'storage';

/** What the controller is built from. */
export interface RadarrCharmOptions {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  /** The StatefulSet to patch; default the application's, in the model's namespace. */
  readonly statefulSet?: { readonly name: string; readonly namespace: string };
  /** Wait this long for the rollout after a patch (default 0: under Juju, never wait). */
  readonly rolloutWaitMs?: number;
}

/** What one reconcile did. */
export interface RadarrReconcile {
  /** The status that was set. */
  readonly status: Status;
  /** The storage capability's own result (changes, diagnosis, request-relevant state). */
  readonly storage: StorageRequirerResult;
}

/** The Radarr charm's controller. */
export class RadarrCharm {
  /** The storage capability; its endpoint is registered with the dispatcher. */
  readonly storage: StorageRequirer;
  private readonly backend: RelationBackend;

  constructor(options: RadarrCharmOptions) {
    this.backend = options.backend;
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

  /**
   * Runs on every hook. A broken storage relation keeps the mount (the storage result says
   * "waiting for storage relation" and no request is made), so Radarr keeps its library.
   */
  async reconcile(): Promise<RadarrReconcile> {
    const storage = await this.storage.reconcile();
    const status = combineStatuses([storage.status]);
    await this.backend.setStatus(status);
    return { status, storage };
  }
}
