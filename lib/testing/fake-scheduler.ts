/**
 * The simulated kube-scheduler of `FakeCluster`, reduced to what blocks a StatefulSet pod in
 * practice: its PersistentVolumeClaims.
 *
 * A pod without a node whose claim is missing, being deleted, or unbound with immediate binding
 * stays Pending with the `PodScheduled=False`/`Unschedulable` condition and a `FailedScheduling`
 * event, worded as kube-scheduler v1.37 words them. Otherwise its `WaitForFirstConsumer` claims
 * are bound first (one per step), then it is bound to the fake node and the kubelet starts it, in
 * one step, with a `Scheduled` event.
 *
 * Not modelled: node affinity, taints and tolerations, resources, topology spread, preemption.
 */
import type { PersistentVolumeClaim, Pod } from '../kube/types.js';
import type { EventRecorder } from './fake-events.js';
import { FAKE_NODE, type FakeKubelet } from './fake-kubelet.js';
import { claimNames, type FakeProvisioner } from './fake-provisioner.js';
import { POD, PVC, type SimulationHost } from './fake-sim-host.js';

/** What the scheduler needs besides the host. */
export interface SchedulerParts {
  events: EventRecorder;
  kubelet: FakeKubelet;
  provisioner: FakeProvisioner;
  /** Whether the provisioner binds claims (otherwise unbound claims keep pods Pending). */
  bindClaims: boolean;
  /** How many nodes the messages report (`0/1 nodes are available`). */
  nodes: number;
}

/** Places pods on the fake node; see the module comment. */
export class FakeScheduler {
  constructor(
    private readonly host: SimulationHost,
    private readonly parts: SchedulerParts,
  ) {}

  /** Schedules (or reports on) the first pod without a node; false when there is none to move. */
  step(): boolean {
    for (const pod of this.host.store.list(POD) as Pod[]) {
      if (pod.spec.nodeName || pod.metadata.deletionTimestamp) continue;
      const reason = this.unschedulableReason(pod);
      if (reason !== undefined) {
        if (this.markUnschedulable(pod, reason)) return true;
        continue;
      }
      if (this.parts.bindClaims && this.parts.provisioner.bindFor(pod)) return true;
      this.schedule(pod);
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
      const storageClass = this.parts.provisioner.storageClassOf(claim);
      if (storageClass?.volumeBindingMode !== 'WaitForFirstConsumer' || !this.parts.bindClaims) {
        return 'pod has unbound immediate PersistentVolumeClaims';
      }
    }
    return undefined;
  }

  private markUnschedulable(pod: Pod, reason: string): boolean {
    const message = `0/${this.parts.nodes} nodes are available: ${reason}. not found`;
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
    this.parts.events.record(
      next,
      'Warning',
      'FailedScheduling',
      message,
      'default-scheduler',
      true,
    );
    return true;
  }

  private schedule(pod: Pod): void {
    const next = this.parts.kubelet.start(pod, FAKE_NODE);
    this.host.update(next);
    this.parts.events.record(
      next,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${FAKE_NODE}`,
      'default-scheduler',
      true,
    );
  }
}
