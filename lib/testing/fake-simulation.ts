/**
 * Opt-in simulation of the controllers a self-patching charm waits on, for `FakeCluster`: the
 * StatefulSet controller, a dynamic volume provisioner, the scheduler's volume checks and a
 * kubelet that makes pods Ready (one module each; this one only runs them).
 *
 * A controller that patches its StatefulSet usually then waits for the rollout ("is
 * currentRevision == updateRevision and every replica ready?"). Without a simulation that wait can
 * never finish in a unit test; with a timer-driven one the test becomes flaky. This one is
 * deterministic: in `immediate` mode (default) every client write is followed by running the
 * controllers to a steady state before the write returns; in `manual` mode nothing moves until the
 * test calls `FakeCluster.tick()`, which makes exactly one change — so intermediate states
 * (a pod deleted and not yet recreated, a rollout half done) can be asserted.
 *
 * `step()` asks, in order: the provisioner (fake-provisioner.ts), the scheduler with its kubelet
 * (fake-scheduler.ts, fake-kubelet.ts), the StatefulSet controller (fake-statefulsets.ts).
 */
import { FakeClusterError } from './fake-errors.js';
import { EventRecorder } from './fake-events.js';
import { FakeKubelet } from './fake-kubelet.js';
import { FakeProvisioner } from './fake-provisioner.js';
import { FakeScheduler } from './fake-scheduler.js';
import type { SimulationHost } from './fake-sim-host.js';
import { StatefulSetController } from './fake-statefulsets.js';

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

const MAX_STEPS = 10_000;

/** Runs the simulated controllers against a `FakeCluster`'s store. */
export class ControllerSimulation {
  /** Whether to settle after every write. */
  readonly immediate: boolean;
  private readonly provisioner: FakeProvisioner | undefined;
  private readonly scheduler: FakeScheduler | undefined;
  private readonly statefulSets: StatefulSetController | undefined;

  constructor(host: SimulationHost, options: SimulationOptions) {
    this.immediate = (options.mode ?? 'immediate') === 'immediate';
    const statefulSets = options.statefulSets === true;
    const bindClaims = options.bindClaims ?? statefulSets;
    const events = new EventRecorder(host);
    const provisioner = new FakeProvisioner(host, events);
    this.provisioner = bindClaims ? provisioner : undefined;
    if (statefulSets) {
      this.scheduler = new FakeScheduler(host, {
        events,
        kubelet: new FakeKubelet(() => host.store.now()),
        provisioner,
        bindClaims,
        nodes: Math.max(1, options.nodes ?? 1),
      });
      this.statefulSets = new StatefulSetController(host);
    }
  }

  /** Steps until nothing changes. */
  run(): void {
    for (let i = 0; i < MAX_STEPS; i++) if (!this.step()) return;
    throw new FakeClusterError(`FakeCluster simulation did not settle after ${MAX_STEPS} steps`);
  }

  /** Makes the first change any simulated controller wants; false when all are satisfied. */
  step(): boolean {
    if (this.provisioner?.step()) return true;
    if (this.scheduler?.step()) return true;
    if (this.statefulSets?.step()) return true;
    return false;
  }
}
