/**
 * The qBittorrent controller: a download client that must only ever talk to the internet through
 * a VPN gateway, and that keeps its downloads on the shared media volume.
 *
 * Two capabilities, one patch: `VPNGatewayRequirer` (routing containers, kill switch) and
 * `StorageRequirer` (the shared claim) contribute to ONE StatefulSet patch through
 * `reconcileCapabilities`, so a hook that changes both rolls the pods once. The VPN comes first in
 * the list, so it wins any conflict, and it is required: before any gateway is related the pod
 * already sits behind a minimal kill switch (cluster DNS and the API server only).
 *
 * Written against ports (`RelationBackend`, `KubePort`): the same class runs under Juju
 * (dispatch.ts), as a plain process (main.ts) and in tests (FakeCluster + Scenario).
 */
import type { KubePort } from 'charmkit/kube';
import type { RelationBackend } from 'charmkit/relations';
import { combineStatuses, type Status } from 'charmkit/relations';
import { StorageRequirer, type StorageRequirerResult } from 'charmkit/storage';
import {
  VPNGatewayRequirer,
  type VPNGatewayRequirerOptions,
  type VPNGatewayRequirerResult,
} from 'charmkit/vpn';
import { reconcileCapabilities } from 'charmkit/workload';

/** The workload container, as named under `containers:` in charmcraft.yaml. */
export const WORKLOAD_CONTAINER = 'qbittorrent';
/** The relation endpoints, as named under `requires:` in charmcraft.yaml. */
export const VPN_ENDPOINT = 'vpn-gateway';
export const STORAGE_ENDPOINT = 'storage';

/** What the controller is built from. */
export interface QBittorrentCharmOptions {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  /** The StatefulSet to patch; default the application's, in the model's namespace. */
  readonly statefulSet?: { readonly name: string; readonly namespace: string };
  /**
   * VPN options passed through (node ranges, API server addresses, broken-relation policy,
   * DNS mode). `required` defaults to true here: a download client never runs unprotected.
   */
  readonly vpn?: Omit<VPNGatewayRequirerOptions, 'kube' | 'backend' | 'endpoint' | 'statefulSet'>;
}

/** What one reconcile did. */
export interface QBittorrentReconcile {
  readonly status: Status;
  /** True when the one StatefulSet patch was sent. */
  readonly patched: boolean;
  readonly vpn: VPNGatewayRequirerResult;
  readonly storage: StorageRequirerResult;
}

/** The qBittorrent charm's controller. */
export class QBittorrentCharm {
  readonly vpn: VPNGatewayRequirer;
  readonly storage: StorageRequirer;
  private readonly backend: RelationBackend;
  private readonly kube: KubePort;

  constructor(options: QBittorrentCharmOptions) {
    this.backend = options.backend;
    this.kube = options.kube;
    this.vpn = new VPNGatewayRequirer({
      required: true,
      ...options.vpn,
      kube: options.kube,
      backend: options.backend,
      endpoint: VPN_ENDPOINT,
      statefulSet: options.statefulSet,
    });
    this.storage = new StorageRequirer({
      kube: options.kube,
      backend: options.backend,
      endpoint: STORAGE_ENDPOINT,
      container: WORKLOAD_CONTAINER,
      statefulSet: options.statefulSet,
      mountPath: '/downloads',
    });
  }

  /** Runs on every hook: both capabilities, one StatefulSet read, at most one patch. */
  async reconcile(): Promise<QBittorrentReconcile> {
    const reconciled = await reconcileCapabilities(
      { kube: this.kube, statefulSet: this.vpn.statefulSet },
      [this.vpn, this.storage] as const,
      { fieldManager: 'qbittorrent-charm' },
    );
    const [vpn, storage] = reconciled.results;
    // The VPN's status first: among equals, what protects the user is what they see.
    const status = combineStatuses([vpn.status, storage.status]);
    await this.backend.setStatus(status);
    return { status, patched: reconciled.patched, vpn, storage };
  }
}
