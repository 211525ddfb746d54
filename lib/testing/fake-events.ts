/**
 * Events the simulated controllers write, shaped like the core/v1 Events the real components
 * (persistentvolume-controller, default-scheduler) record, so code that reads events to explain a
 * stuck rollout can be tested against the fake.
 */
import { isPlainObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import type { SimulationHost } from './fake-sim-host.js';

const EVENT = { apiVersion: 'v1', kind: 'Event' } as const;

/** Writes Events through the simulation host, with deterministic names. */
export class EventRecorder {
  private events = 0;

  constructor(private readonly host: SimulationHost) {}

  /**
   * Records an Event about `involved`, once per reason and message unless `always` (for
   * transitions that happen once anyway). Returns whether one was written.
   */
  record(
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
