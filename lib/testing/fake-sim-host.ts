/**
 * What the simulated controllers of `FakeCluster` share: the server-side write path they use
 * (`SimulationHost`: no request log, no validation, like a controller's own writes as seen from
 * the code under test) and the types they read.
 *
 * Each controller lives in its own module (fake-provisioner.ts, fake-scheduler.ts,
 * fake-kubelet.ts, fake-statefulsets.ts) and fake-simulation.ts runs them in order; this module
 * imports none of them, so the dependencies point one way.
 */
import type { KubeObject } from '../kube/types.js';
import type { ObjectStore, StoreKey } from './fake-store.js';

/** The server-side writes the simulation may make (no request log, no validation). */
export interface SimulationHost {
  readonly store: ObjectStore;
  create(object: KubeObject): KubeObject;
  update(object: KubeObject): KubeObject;
  remove(key: StoreKey): KubeObject | undefined;
}

export const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
export const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
export const STORAGE_CLASS = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;
