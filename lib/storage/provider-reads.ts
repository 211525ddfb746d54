/**
 * What a `StorageProvider` observes: its claim, the StorageClasses (read at most once a
 * reconcile), namespace quotas, CSIDrivers and the claim's events for a diagnosis, and the
 * StatefulSet that may own the claim.
 *
 * Reads that RBAC forbids and that only sharpen a diagnosis (StorageClasses, CSIDrivers, quotas,
 * events) degrade to a note instead of failing: the claim itself still gets created.
 */
import { asKubernetesError, isNotFound } from '../kube/errors.js';
import type { TypeRef } from '../kube/port.js';
import type {
  KubeEvent,
  KubeObject,
  OwnerReference,
  PersistentVolumeClaim,
  StatefulSet,
  StorageClass,
} from '../kube/types.js';
import { diagnoseClaim, type ClaimDiagnosis } from './pending-diagnosis.js';
import type { ProviderScope } from './provider-scope.js';
import type { ResourceQuota } from './quota.js';
import type { CsiDriver } from './storage-class.js';

const CLAIM: TypeRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

/** The reads of one reconcile, with the StorageClass list cached for its duration. */
export class ProviderReads {
  private classes: StorageClass[] | undefined;
  private classesRead = false;

  constructor(
    private readonly scope: ProviderScope,
    private readonly now: () => Date,
  ) {}

  /** The claim, or undefined when it does not exist yet. */
  async claim(): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.scope.kube.get<PersistentVolumeClaim>({ ...CLAIM, ...this.scope.ref });
    } catch (failure) {
      if (isNotFound(failure)) return undefined;
      throw failure;
    }
  }

  /** Every StorageClass, or undefined when RBAC forbids listing them (noted). */
  async storageClasses(): Promise<StorageClass[] | undefined> {
    if (!this.classesRead) {
      this.classes = await this.tryList<StorageClass>({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
      });
      this.classesRead = true;
    }
    return this.classes;
  }

  /** The claim namespace's ResourceQuotas, or undefined when RBAC forbids listing them (noted). */
  quotas(): Promise<ResourceQuota[] | undefined> {
    return this.tryList<ResourceQuota>(
      { apiVersion: 'v1', kind: 'ResourceQuota' },
      this.scope.ref.namespace,
    );
  }

  /**
   * Why the claim is (not) usable. A Bound claim needs no further read; otherwise the classes,
   * CSIDrivers and the claim's events are the evidence.
   */
  async diagnosis(claim: PersistentVolumeClaim): Promise<ClaimDiagnosis> {
    if (claim.status?.phase === 'Bound')
      return diagnoseClaim({ claim, storageClasses: [], events: [], now: this.now() });
    const storageClasses = (await this.storageClasses()) ?? [];
    const csiDrivers = await this.tryList<CsiDriver>({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
    });
    const { name, namespace } = this.scope.ref;
    const events =
      (await this.tryList<KubeEvent>({ apiVersion: 'v1', kind: 'Event' }, namespace, {
        fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`,
      })) ?? [];
    return diagnoseClaim({ claim, storageClasses, csiDrivers, events, now: this.now() });
  }

  /**
   * The owner reference to put on created objects: none for `false`, the app's own StatefulSet
   * for `true`, the named one otherwise; none (noted) when it is missing or may not be read.
   */
  async ownerReference(option: string | boolean): Promise<OwnerReference | undefined> {
    if (option === false) return undefined;
    const name = option === true ? this.scope.app : option;
    try {
      const sts = await this.scope.kube.get<StatefulSet>({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: this.scope.ref.namespace,
        name,
      });
      if (!sts.metadata.uid) return undefined;
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name,
        uid: sts.metadata.uid,
        blockOwnerDeletion: false,
      };
    } catch (failure) {
      const kube = asKubernetesError(failure);
      if (kube?.isNotFound()) return undefined;
      if (kube?.isForbidden()) {
        this.scope.notes.push(`cannot read StatefulSet ${name} to own the claim: ${kube.message}`);
        return undefined;
      }
      throw failure;
    }
  }

  /** Lists, or returns undefined (with a note) when RBAC forbids it: diagnostics degrade, not fail. */
  private async tryList<T extends KubeObject>(
    type: TypeRef,
    namespace?: string,
    options: { fieldSelector?: string } = {},
  ): Promise<T[] | undefined> {
    try {
      return (await this.scope.kube.list<T>(type, { namespace, ...options })).items;
    } catch (failure) {
      const kube = asKubernetesError(failure);
      if (!kube?.isForbidden()) throw failure;
      this.scope.notes.push(
        `cannot list ${type.kind} (${kube.message}); diagnosis is less precise`,
      );
      return undefined;
    }
  }
}
