/**
 * The simulated volume side of `FakeCluster`: the persistentvolume-controller's binder together
 * with a dynamic provisioner, which a PersistentVolumeClaim needs before any pod using it can run.
 *
 * One `step()` handles the first Pending claim that can move: a claim whose StorageClass exists
 * (or, without a class, the default class) is bound to a new PersistentVolume sized from
 * `resources.requests.storage`; `WaitForFirstConsumer` classes bind once a pod uses the claim
 * (the scheduler asks through `bindFor`); a missing class gets the controller's
 * `ProvisioningFailed` event, no class and no default class `FailedBinding`.
 *
 * Not modelled: PV reclaim, resizing, static binding to pre-created PVs, selectors, access-mode
 * or capacity matching.
 */
import type { KubeObject, PersistentVolumeClaim, Pod } from '../kube/types.js';
import type { EventRecorder } from './fake-events.js';
import { POD, PVC, STORAGE_CLASS, type SimulationHost } from './fake-sim-host.js';

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** The claims a pod's volumes name. */
export function claimNames(pod: Pod): string[] {
  return (pod.spec.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => typeof n === 'string');
}

/** Binds claims to volumes it provisions; see the module comment. */
export class FakeProvisioner {
  constructor(
    private readonly host: SimulationHost,
    private readonly events: EventRecorder,
  ) {}

  /** Binds or reports on the first claim that can move; false when none can. */
  step(): boolean {
    for (const claim of this.host.store.list(PVC) as PersistentVolumeClaim[]) {
      if (claim.status?.phase !== 'Pending' || claim.metadata.deletionTimestamp) continue;
      const className = this.classOf(claim);
      if (className === undefined) {
        if (
          this.events.record(
            claim,
            'Normal',
            'FailedBinding',
            'no persistent volumes available for this claim and no storage class is set',
            'persistentvolume-controller',
          )
        )
          return true;
        continue;
      }
      if (className === '') continue;
      const storageClass = this.host.store.get({ ...STORAGE_CLASS, name: className });
      if (!storageClass) {
        if (
          this.events.record(
            claim,
            'Warning',
            'ProvisioningFailed',
            `storageclass.storage.k8s.io "${className}" not found`,
            'persistentvolume-controller',
          )
        )
          return true;
        continue;
      }
      if (storageClass.volumeBindingMode === 'WaitForFirstConsumer' && !this.hasConsumer(claim)) {
        if (
          this.events.record(
            claim,
            'Normal',
            'WaitForFirstConsumer',
            'waiting for first consumer to be created before binding',
            'persistentvolume-controller',
          )
        )
          return true;
        continue;
      }
      this.bind(claim, className, storageClass);
      return true;
    }
    return false;
  }

  /** The claim's class: its own, else the default class; `''` asks for static binding only. */
  classOf(claim: PersistentVolumeClaim): string | undefined {
    const own = claim.spec.storageClassName;
    if (own !== undefined && own !== null) return own;
    const fallback = this.host.store
      .list(STORAGE_CLASS)
      .find((sc) => sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
    return fallback?.metadata.name;
  }

  /** The StorageClass object a claim binds through, if it has a class and the class exists. */
  storageClassOf(claim: PersistentVolumeClaim): KubeObject | undefined {
    const className = this.classOf(claim);
    return className ? this.host.store.get({ ...STORAGE_CLASS, name: className }) : undefined;
  }

  /** Binds the first unbound claim of a pod being scheduled; true if one was bound. */
  bindFor(pod: Pod): boolean {
    for (const name of claimNames(pod)) {
      const claim = this.host.store.get({ ...PVC, namespace: pod.metadata.namespace, name }) as
        PersistentVolumeClaim | undefined;
      if (!claim || claim.status?.phase === 'Bound') continue;
      const className = this.classOf(claim);
      const storageClass = this.storageClassOf(claim);
      if (className && storageClass) {
        this.bind(claim, className, storageClass);
        return true;
      }
    }
    return false;
  }

  private hasConsumer(claim: PersistentVolumeClaim): boolean {
    return (this.host.store.list(POD, claim.metadata.namespace) as Pod[]).some((pod) =>
      claimNames(pod).includes(claim.metadata.name ?? ''),
    );
  }

  private bind(claim: PersistentVolumeClaim, className: string, storageClass: KubeObject): void {
    const storage = claim.spec.resources?.requests?.storage ?? '1Gi';
    const accessModes = claim.spec.accessModes ?? ['ReadWriteOnce'];
    const volumeName = claim.spec.volumeName ?? `pvc-${claim.metadata.uid ?? claim.metadata.name}`;
    if (!this.host.store.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: volumeName })) {
      this.host.create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: volumeName,
          annotations: { 'pv.kubernetes.io/provisioned-by': 'charmkit.dev/fake-provisioner' },
        },
        spec: {
          capacity: { storage },
          accessModes,
          storageClassName: className,
          persistentVolumeReclaimPolicy:
            (storageClass.reclaimPolicy as string | undefined) ?? 'Delete',
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: claim.metadata.namespace,
            name: claim.metadata.name,
            uid: claim.metadata.uid,
          },
          hostPath: { path: `/var/lib/charmkit-fake/${volumeName}` },
        },
        status: { phase: 'Bound' },
      });
    }
    const bound = structuredClone(claim);
    bound.spec.volumeName = volumeName;
    bound.spec.storageClassName ??= className;
    bound.status = { phase: 'Bound', accessModes, capacity: { storage } };
    this.host.update(bound);
  }
}
