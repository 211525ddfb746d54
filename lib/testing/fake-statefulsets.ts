/**
 * The simulated StatefulSet controller of `FakeCluster` (kube-controller-manager's, reduced to
 * what a self-patching charm waits on).
 *
 * One `step()` makes the first change any StatefulSet needs: `updateRevision`
 * (`<name>-<hash of the template>`) and `observedGeneration` once the spec changes; claims from
 * volumeClaimTemplates; pods `<name>-<ordinal>` created in order (OrderedReady: each waits for the
 * previous to be running and ready; Parallel: all); scale-down from the highest ordinal;
 * RollingUpdate (highest ordinal first, one at a time, honouring `partition`; OnDelete only
 * replaces pods the test deletes); then the status counters and `currentRevision`.
 *
 * Not modelled: ControllerRevision objects, minReadySeconds, maxUnavailable > 1, the PVC
 * retention policy, `status.conditions`.
 */
import { canonicalJson, jsonEqual } from '../core/json.js';
import { isPodRunningAndReady } from '../kube/pod-readiness.js';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../kube/types.js';
import { POD, PVC, type SimulationHost } from './fake-sim-host.js';

const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
const REVISION_LABEL = 'controller-revision-hash';

/**
 * `<name>-<hash>`: the revision a pod template belongs to, as in `controller-revision-hash`. It
 * hashes the template as given, so pass the StatefulSet as stored (read back, with the server's
 * defaults), which is what the simulated controller hashes.
 */
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

/** Drives every StatefulSet towards its spec; see the module comment. */
export class StatefulSetController {
  constructor(private readonly host: SimulationHost) {}

  /** Makes the first change a StatefulSet needs; false when all are in their desired state. */
  step(): boolean {
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
        if (ordered && !isPodRunningAndReady(pod)) break;
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
    const allReady =
      current.length === replicas && current.every(([, pod]) => isPodRunningAndReady(pod));
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
    const ready = pods.filter(isPodRunningAndReady).length;
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
