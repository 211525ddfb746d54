/**
 * Where one `StorageProvider` reconcile acts, shared by the modules it is split into (reads, claim
 * creation, the probe, publishing): the Kubernetes port, the claim, the application, and the two things the
 * run reports back whatever module produced them — notes worth logging and whether anything was
 * written.
 */
import type { KubePort } from '../kube/port.js';

/** The claim a provider manages. */
export interface ClaimRef {
  readonly name: string;
  readonly namespace: string;
}

/** One reconcile's context. */
export interface ProviderScope {
  readonly kube: KubePort;
  readonly ref: ClaimRef;
  /** The application name (labels, default owner, `juju trust` hints). */
  readonly app: string;
  /** Field manager of every write. */
  readonly fieldManager: string;
  /** Things worth logging that do not change the status; modules append to it. */
  readonly notes: string[];
  /** Records that a Kubernetes object or relation data was written. */
  wrote(): void;
}
