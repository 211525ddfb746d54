/**
 * Opt-in simulation of the controllers a self-patching charm waits on: the StatefulSet controller,
 * a dynamic volume provisioner, the scheduler's volume checks and a kubelet that makes pods Ready.
 *
 * A controller that patches its StatefulSet usually then waits for the rollout ("is
 * currentRevision == updateRevision and every replica ready?"). Without a simulation that wait can
 * never finish in a unit test; with a timer-driven one the test becomes flaky. This one is
 * deterministic: in `immediate` mode (default) every client write is followed by running the
 * controllers to a steady state before the write returns; in `manual` mode nothing moves until the
 * test calls `FakeCluster.tick()`, which makes exactly one change — so intermediate states
 * (a pod deleted and not yet recreated, a rollout half done) can be asserted.
 *
 * Modelled, in the order `step()` looks for work:
 * 1. PVCs (`bindClaims`): a Pending claim whose StorageClass exists (or, without a class, the
 *    default class) is bound to a new PV sized from `resources.requests.storage`;
 *    `WaitForFirstConsumer` classes bind once a pod uses the claim; a missing class gets the
 *    persistentvolume-controller's `ProvisioningFailed` event; no class and no default class
 *    gets `FailedBinding`.
 * 2. Pods without a node: a pod whose PVC is missing, being deleted, or unbound with immediate
 *    binding stays Pending with the scheduler's `Unschedulable` condition and `FailedScheduling`
 *    event, worded as kube-scheduler v1.37 words them; otherwise it is scheduled, Running and Ready.
 * 3. StatefulSets: `updateRevision` (`<name>-<hash of the template>`), claims from
 *    volumeClaimTemplates, pods `<name>-<ordinal>` created in order (OrderedReady: each waits for
 *    the previous to be Ready; Parallel: all), scale-down from the highest ordinal, RollingUpdate
 *    (highest ordinal first, one at a time, honouring `partition`; OnDelete only replaces pods the
 *    test deletes), and the status counters, `currentRevision` and `observedGeneration`.
 *
 * Not modelled: ControllerRevision objects, minReadySeconds, maxUnavailable > 1, probes and
 * container restarts, node affinity/taints/resources, PVC resizing, PV reclaim.
 */
import { canonicalJson, jsonEqual } from '../core/json.js';
import type { KubeObject, PersistentVolumeClaim, Pod, StatefulSet } from '../kube/types.js';
import type { ObjectStore, StoreKey } from './fake-store.js';
import { isPlainObject } from '../core/json.js';

/** Which controllers to simulate, and how time advances. */
export interface SimulationOptions {
  /** Run the StatefulSet controller, the scheduler's PVC checks and a kubelet. */
  statefulSets?: boolean;
  /** Bind PVCs like a dynamic provisioner. Default: true when `statefulSets` is on. */
  bindClaims?: boolean;
  /** `immediate` (default): settle after every write; `manual`: only on `tick()`. */
  mode?: 'immediate' | 'manual';
  /** How many nodes the scheduler reports in its messages (`0/1 nodes are available`). Default 1. */
  nodes?: number;
}

/** The server-side writes the simulation may make (no request log, no validation). */
export interface SimulationHost {
  readonly store: ObjectStore;
  create(object: KubeObject): KubeObject;
  update(object: KubeObject): KubeObject;
  remove(key: StoreKey): KubeObject | undefined;
}

const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const SC = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };
const REVISION_LABEL = 'controller-revision-hash';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const MAX_STEPS = 10_000;

/** Runs the simulated controllers against a `FakeCluster`'s store. */
export class StatefulSetSimulation {
  /** Whether to settle after every write. */
  readonly immediate: boolean;
  private readonly statefulSets: boolean;
  private readonly bindClaims: boolean;
  private readonly nodes: number;
  private events = 0;
  private podIps = 0;

  constructor(
    private readonly host: SimulationHost,
    options: SimulationOptions,
  ) {
    this.immediate = (options.mode ?? 'immediate') === 'immediate';
    this.statefulSets = options.statefulSets === true;
    this.bindClaims = options.bindClaims ?? this.statefulSets;
    this.nodes = Math.max(1, options.nodes ?? 1);
  }

  /** Steps until nothing changes. */
  run(): void {
    for (let i = 0; i < MAX_STEPS; i++) if (!this.step()) return;
    throw new Error(`FakeCluster simulation did not settle after ${MAX_STEPS} steps`);
  }

  /** Makes the first change any simulated controller wants; false when all are satisfied. */
  step(): boolean {
    if (this.bindClaims && this.claimStep()) return true;
    if (this.statefulSets && this.schedulingStep()) return true;
    if (this.statefulSets && this.statefulSetStep()) return true;
    return false;
  }

  // ---- provisioner -----------------------------------------------------------------------------

  private claimStep(): boolean {
    for (const claim of this.host.store.list(PVC) as PersistentVolumeClaim[]) {
      if (claim.status?.phase !== 'Pending' || claim.metadata.deletionTimestamp) continue;
      const className = this.classOf(claim);
      if (className === undefined) {
        if (
          this.event(
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
      const storageClass = this.host.store.get({ ...SC, name: className });
      if (!storageClass) {
        if (
          this.event(
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
          this.event(
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
  private classOf(claim: PersistentVolumeClaim): string | undefined {
    const own = claim.spec.storageClassName;
    if (own !== undefined && own !== null) return own;
    const fallback = this.host.store
      .list(SC)
      .find((sc) => sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
    return fallback?.metadata.name;
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

  // ---- scheduler + kubelet ---------------------------------------------------------------------

  private schedulingStep(): boolean {
    for (const pod of this.host.store.list(POD) as Pod[]) {
      if (pod.spec.nodeName || pod.metadata.deletionTimestamp) continue;
      const reason = this.unschedulableReason(pod);
      if (reason !== undefined) {
        if (this.markUnschedulable(pod, reason)) return true;
        continue;
      }
      if (this.bindClaims && this.bindWaitingClaims(pod)) return true;
      this.startPod(pod);
      return true;
    }
    return false;
  }

  private unschedulableReason(pod: Pod): string | undefined {
    for (const name of claimNames(pod)) {
      const claim = this.host.store.get({ ...PVC, namespace: pod.metadata.namespace, name }) as
        PersistentVolumeClaim | undefined;
      if (!claim) return `persistentvolumeclaim "${name}" not found`;
      if (claim.metadata.deletionTimestamp)
        return `persistentvolumeclaim "${name}" is being deleted`;
      if (claim.status?.phase === 'Bound') continue;
      const className = this.classOf(claim);
      const storageClass = className ? this.host.store.get({ ...SC, name: className }) : undefined;
      if (storageClass?.volumeBindingMode !== 'WaitForFirstConsumer' || !this.bindClaims) {
        return 'pod has unbound immediate PersistentVolumeClaims';
      }
    }
    return undefined;
  }

  /** Binds WaitForFirstConsumer claims of a pod being scheduled; true if one was bound. */
  private bindWaitingClaims(pod: Pod): boolean {
    for (const name of claimNames(pod)) {
      const claim = this.host.store.get({ ...PVC, namespace: pod.metadata.namespace, name }) as
        PersistentVolumeClaim | undefined;
      if (!claim || claim.status?.phase === 'Bound') continue;
      const className = this.classOf(claim);
      const storageClass = className ? this.host.store.get({ ...SC, name: className }) : undefined;
      if (className && storageClass) {
        this.bind(claim, className, storageClass);
        return true;
      }
    }
    return false;
  }

  private markUnschedulable(pod: Pod, reason: string): boolean {
    const message = `0/${this.nodes} nodes are available: ${reason}. not found`;
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.message === message) return false;
    const next = structuredClone(pod);
    next.status = {
      ...next.status,
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: this.host.store.now(),
          reason: 'Unschedulable',
          message,
        } as { type: string; status: string; reason?: string; message?: string },
      ],
    };
    this.host.update(next);
    this.event(next, 'Warning', 'FailedScheduling', message, 'default-scheduler', true);
    return true;
  }

  private startPod(pod: Pod): void {
    const now = this.host.store.now();
    const node = 'fake-node-0';
    const next = structuredClone(pod);
    next.spec.nodeName = node;
    const condition = (type: string) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const ip = `10.244.0.${++this.podIps}`;
    next.status = {
      phase: 'Running',
      conditions: [
        condition('Initialized'),
        condition('Ready'),
        condition('ContainersReady'),
        condition('PodScheduled'),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      containerStatuses: (pod.spec.containers ?? []).map((c) => ({
        name: c.name,
        state: { running: { startedAt: now } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        started: true,
      })),
    };
    this.host.update(next);
    this.event(
      next,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
      'default-scheduler',
      true,
    );
  }

  // ---- StatefulSet controller ------------------------------------------------------------------

  private statefulSetStep(): boolean {
    for (const set of this.host.store.list(STS) as StatefulSet[]) {
      if (set.metadata.deletionTimestamp) continue;
      if (this.reconcile(set)) return true;
    }
    return false;
  }

  private reconcile(set: StatefulSet): boolean {
    const name = set.metadata.name ?? '';
    const namespace = set.metadata.namespace;
    const replicas = set.spec.replicas ?? 1;
    const updateRevision = revisionName(set);
    if (
      set.status?.updateRevision !== updateRevision ||
      set.status?.observedGeneration !== set.metadata.generation
    ) {
      const next = structuredClone(set);
      next.status = {
        ...next.status,
        observedGeneration: set.metadata.generation,
        updateRevision,
        currentRevision: set.status?.currentRevision ?? updateRevision,
        collisionCount: 0,
      };
      this.host.update(next);
      return true;
    }
    const pods = this.ownedPods(set);
    const byOrdinal = new Map<number, Pod>();
    for (const pod of pods) byOrdinal.set(ordinalOf(pod, name), pod);

    for (let i = 0; i < replicas; i++) {
      for (const template of set.spec.volumeClaimTemplates ?? []) {
        const claimName = `${template.metadata.name ?? ''}-${name}-${i}`;
        if (!this.host.store.get({ ...PVC, namespace, name: claimName })) {
          this.host.create(claimFor(set, template, claimName));
          return true;
        }
      }
    }
    const ordered = (set.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    for (let i = 0; i < replicas; i++) {
      const pod = byOrdinal.get(i);
      if (pod) {
        if (ordered && !isReady(pod)) break;
        continue;
      }
      this.host.create(podFor(set, i, updateRevision));
      return true;
    }
    const surplus = [...byOrdinal.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    if (surplus.length > 0) {
      const pod = byOrdinal.get(surplus[0] as number) as Pod;
      this.host.remove({ ...POD, namespace, name: pod.metadata.name ?? '' });
      return true;
    }
    const strategy = set.spec.updateStrategy as
      { type?: string; rollingUpdate?: { partition?: number } } | undefined;
    const current = [...byOrdinal.entries()].filter(([i]) => i < replicas);
    const allReady = current.length === replicas && current.every(([, pod]) => isReady(pod));
    if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && allReady) {
      const partition = strategy?.rollingUpdate?.partition ?? 0;
      const stale = current
        .filter(([i, pod]) => i >= partition && revisionOf(pod) !== updateRevision)
        .sort(([a], [b]) => b - a);
      const first = stale[0];
      if (first) {
        this.host.remove({ ...POD, namespace, name: first[1].metadata.name ?? '' });
        return true;
      }
    }
    return this.updateStatus(set, pods, updateRevision);
  }

  private updateStatus(set: StatefulSet, pods: Pod[], updateRevision: string): boolean {
    const status = set.status ?? {};
    const replicas = pods.length;
    const ready = pods.filter(isReady).length;
    const updated = pods.filter((p) => revisionOf(p) === updateRevision).length;
    let currentRevision = status.currentRevision ?? updateRevision;
    if (updated === replicas && ready === replicas && replicas === (set.spec.replicas ?? 1)) {
      currentRevision = updateRevision;
    }
    const next = {
      ...status,
      replicas,
      readyReplicas: ready,
      currentReplicas: pods.filter((p) => revisionOf(p) === currentRevision).length,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision,
      updateRevision,
      observedGeneration: set.metadata.generation,
    };
    if (jsonEqual(next, set.status)) return false;
    const copy = structuredClone(set);
    copy.status = next;
    this.host.update(copy);
    return true;
  }

  private ownedPods(set: StatefulSet): Pod[] {
    const uid = set.metadata.uid;
    return (this.host.store.list(POD, set.metadata.namespace) as Pod[]).filter(
      (pod) =>
        !pod.metadata.deletionTimestamp &&
        (pod.metadata.ownerReferences ?? []).some((r) => r.uid === uid),
    );
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * Records an Event about `involved`, once per reason and message unless `always` (for
   * transitions that happen once anyway). Returns whether one was written.
   */
  private event(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    always = false,
  ): boolean {
    const namespace = involved.metadata.namespace ?? 'default';
    if (!always) {
      const seen = this.host.store
        .list(EVENT, namespace)
        .some(
          (e) =>
            isPlainObject(e.involvedObject) &&
            e.involvedObject.uid === involved.metadata.uid &&
            e.reason === reason &&
            e.message === message,
        );
      if (seen) return false;
    }
    const now = this.host.store.now();
    this.host.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${involved.metadata.name ?? 'object'}.${(++this.events).toString(16).padStart(16, '0')}`,
        namespace,
      },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
    return true;
  }
}

/** `<name>-<hash>`: the revision a pod template belongs to, as in `controller-revision-hash`. */
export function revisionName(set: StatefulSet): string {
  const text = canonicalJson(set.spec.template);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const encoded = [...String(hash)]
    .map((d) => alphabet[d.charCodeAt(0) % alphabet.length])
    .join('');
  return `${set.metadata.name ?? ''}-${encoded}`;
}

function claimNames(pod: Pod): string[] {
  return (pod.spec.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => typeof n === 'string');
}

function isReady(pod: Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function revisionOf(pod: Pod): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

function ordinalOf(pod: Pod, setName: string): number {
  const suffix = (pod.metadata.name ?? '').slice(setName.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

function ownerReference(set: StatefulSet) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: set.metadata.name ?? '',
    uid: set.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function podFor(set: StatefulSet, ordinal: number, revision: string): Pod {
  const setName = set.metadata.name ?? '';
  const name = `${setName}-${ordinal}`;
  const template = structuredClone(set.spec.template);
  const spec = template.spec;
  const claimVolumes = (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata.name ?? '',
    persistentVolumeClaim: { claimName: `${t.metadata.name ?? ''}-${setName}-${ordinal}` },
  }));
  const claimNamesSet = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [
    ...claimVolumes,
    ...(spec.volumes ?? []).filter((v) => !claimNamesSet.has(v.name)),
  ];
  if (spec.volumes.length === 0) delete spec.volumes;
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  const metadata: Pod['metadata'] = {
    name,
    namespace: set.metadata.namespace,
    labels: {
      ...(template.metadata?.labels ?? {}),
      [REVISION_LABEL]: revision,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(ordinal),
    },
    ownerReferences: [ownerReference(set)],
  };
  if (template.metadata?.annotations) metadata.annotations = template.metadata.annotations;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status: { phase: 'Pending' } };
}

function claimFor(
  set: StatefulSet,
  template: PersistentVolumeClaim,
  name: string,
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...(template.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
    },
    spec: structuredClone(template.spec),
    status: { phase: 'Pending' },
  };
}
