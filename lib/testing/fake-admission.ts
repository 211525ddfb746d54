/**
 * The admission-like stage of `FakeCluster`'s registry: what happens to an object between the
 * request and storage, in the server's order — defaults (on every write), the default admission
 * plugins that act on creation (Pods: fake-pod-admission.ts; PersistentVolumeClaims: the default
 * StorageClass; PersistentVolumes: the phase transition time; Namespaces: the `kubernetes`
 * finalizer in `spec`), validation (fake-validation.ts), and
 * the Service REST's address allocation (fake-services.ts). Not modelled: webhooks, PodSecurity,
 * quotas and limit ranges, DaemonSet's `deprecated.daemonset.template.generation` annotation, and
 * the storage-object-in-use protection finalizers
 * (`kubernetes.io/pvc-protection`, `kubernetes.io/pv-protection`) with the controller that lifts
 * them — a deleted claim here goes at once, even while a pod uses it.
 */
import type { JsonObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import { applyDefaults } from './fake-defaults.js';
import { FakeClusterError, type FieldError } from './fake-errors.js';
import { cidrProblems, parseCidr } from './fake-ip.js';
import { admitPod } from './fake-pod-admission.js';
import { ServiceAllocator } from './fake-services.js';
import type { ObjectStore } from './fake-store.js';
import { validateObject } from './fake-validation.js';

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** The service range the fake allocates cluster IPs from unless told otherwise (kubeadm's). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

/** Admission for one fake cluster's store. */
export class FakeAdmission {
  private readonly services: ServiceAllocator;

  constructor(
    private readonly store: ObjectStore,
    serviceCIDR: string = DEFAULT_SERVICE_CIDR,
  ) {
    if (cidrProblems(serviceCIDR).length > 0 || parseCidr(serviceCIDR)?.family !== 4) {
      throw new FakeClusterError(
        `FakeCluster: serviceCIDR must be an IPv4 CIDR such as ${DEFAULT_SERVICE_CIDR}, not "${serviceCIDR}"`,
      );
    }
    this.services = new ServiceAllocator(store, serviceCIDR);
  }

  /** The server's defaults for the object's kind, in place (every write, and seeded objects). */
  defaults(object: KubeObject): void {
    applyDefaults(object);
  }

  /** Defaults and create-time plugins, without validation: a simulated controller's create. */
  prepareInternal(object: KubeObject): void {
    applyDefaults(object);
    this.onCreate(object);
  }

  /** A client's create, in place: returns the 422 causes, empty when it may be stored. */
  admitCreate(object: KubeObject): FieldError[] {
    applyDefaults(object);
    this.onCreate(object);
    const errors = validateObject(object);
    if (errors.length > 0) return errors;
    if (object.apiVersion === 'v1' && object.kind === 'Service') {
      return this.services.allocate(object);
    }
    return [];
  }

  /**
   * An update's defaults, in place, before its generation is computed: a write that only leaves
   * out (or nulls) defaulted fields changes nothing.
   */
  prepareUpdate(next: KubeObject, old: KubeObject): FieldError[] {
    applyDefaults(next);
    if (next.apiVersion === 'v1' && next.kind === 'Service') {
      return this.services.carryOver(next, old);
    }
    return [];
  }

  /** An update's validation against the stored object. */
  validateUpdate(next: KubeObject, old: KubeObject): FieldError[] {
    return validateObject(next, old);
  }

  private onCreate(object: KubeObject): void {
    const kind = `${object.apiVersion}/${object.kind}`;
    if (kind === 'v1/Pod') admitPod(object as unknown as JsonObject, this.store);
    if (kind === 'v1/PersistentVolumeClaim') this.defaultStorageClass(object);
    if (kind === 'v1/Namespace') {
      // The namespace strategy: the namespace controller's finalizer, removed when it empties it.
      object.spec = { ...(object.spec as JsonObject | undefined), finalizers: ['kubernetes'] };
    }
    if (kind === 'v1/PersistentVolume' && object.status) {
      // The volume strategy stamps the phase it starts in.
      (object.status as JsonObject).lastPhaseTransitionTime = this.store.now();
    }
  }

  /** The DefaultStorageClass plugin: a claim that names no class gets the default one. */
  private defaultStorageClass(claim: KubeObject): void {
    const spec = claim.spec as JsonObject | undefined;
    if (!spec || spec.storageClassName !== undefined) return;
    const defaults = this.store
      .list({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' })
      .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
      .sort((a, b) =>
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      );
    const chosen = defaults[0]?.metadata.name;
    if (chosen) spec.storageClassName = chosen;
  }
}
