/**
 * Why is this PersistentVolumeClaim Pending? A pure function from cluster state to an answer a
 * user can act on.
 *
 * `kubectl describe pvc` leaves the user to connect events, classes and drivers themselves; seeds
 * 003 and 004 list the usual causes: no default class, a class that does not exist, a CSI driver
 * that was never installed (so no provisioner ever acts), a quota. One cause is not a problem at
 * all: a WaitForFirstConsumer class binds only once a pod using the claim is scheduled, so such a
 * claim is usable and must not block publishing it. The caller gathers state (GETs and LISTs);
 * this module only reasons about it, so every branch is unit-testable.
 */
import { eventsAbout, newestFirst } from '../kube/events.js';
import type { KubeEvent, PersistentVolumeClaim, StorageClass } from '../kube/types.js';
import { active, blocked, waiting, type Status } from '../relations/status.js';
import {
  type CsiDriver,
  isCsiLikeProvisioner,
  NO_PROVISIONER,
  resolveStorageClass,
} from './storage-class.js';
import { describeQuotaViolation, type QuotaViolation } from './quota.js';

/** The diagnosable states of a claim. */
export type ClaimCondition =
  | 'bound'
  | 'waiting-for-first-consumer'
  | 'no-default-class'
  | 'default-class-pending'
  | 'class-not-found'
  | 'no-csi-driver'
  | 'provisioner-not-acting'
  | 'provisioning'
  | 'provisioning-failed'
  | 'no-matching-volume'
  | 'quota-exceeded'
  | 'claim-lost'
  | 'pending';

/** A diagnosis: what state the claim is in, whether it can be used, and the status to show. */
export interface ClaimDiagnosis {
  readonly condition: ClaimCondition;
  /**
   * Whether consumers may mount the claim now: Bound, or Pending only because its class waits for
   * the first consumer (which is exactly the pod that will mount it).
   */
  readonly usable: boolean;
  /** The status to report; its message names the claim, the cause and the fix. */
  readonly status: Status;
}

/** Everything `diagnoseClaim` reasons about; the caller reads it from the cluster. */
export interface ClaimState {
  readonly claim: PersistentVolumeClaim;
  /** All StorageClasses (cluster-scoped list). */
  readonly storageClasses: readonly StorageClass[];
  /** All CSIDrivers, or undefined when they could not be listed (then that check is skipped). */
  readonly csiDrivers?: readonly CsiDriver[];
  /** Events in the claim's namespace; those about other objects are ignored. */
  readonly events: readonly KubeEvent[];
  /** The time to judge "how long has nothing happened" against. */
  readonly now: Date;
  /**
   * How long a provisioner may take before its silence is reported as a problem (default 120 s).
   * Right after creation "waiting for the external provisioner" is normal.
   */
  readonly graceSeconds?: number;
}

/** The annotation the scheduler sets when it picks a node for a WaitForFirstConsumer claim. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

/** Diagnoses a claim; see the module comment for what each condition means. */
export function diagnoseClaim(state: ClaimState): ClaimDiagnosis {
  const { claim } = state;
  const name = claim.metadata.name ?? '';
  const phase = claim.status?.phase ?? 'Pending';
  if (phase === 'Bound') return { condition: 'bound', usable: true, status: active() };
  if (phase === 'Lost') {
    return result(
      'claim-lost',
      false,
      blocked(
        `PVC ${name} lost its PersistentVolume ${claim.spec.volumeName ?? ''}; restore the volume or ` +
          'recreate the claim from a backup',
      ),
    );
  }
  const events = claimEvents(claim, state.events);
  const latest = (reason: string): KubeEvent | undefined => events.find((e) => e.reason === reason);
  const resolution = resolveStorageClass(claim.spec.storageClassName, state.storageClasses);
  const pending = `PVC ${name} is Pending`;

  if (resolution.kind === 'no-default') {
    const known = state.storageClasses.map((c) => c.metadata.name).join(', ') || 'none';
    return result(
      'no-default-class',
      false,
      blocked(
        `${pending}: it names no storage class and the cluster has no default StorageClass ` +
          `(classes: ${known}); configure a storage class, or mark one default with the ` +
          'storageclass.kubernetes.io/is-default-class="true" annotation',
      ),
    );
  }
  if (resolution.kind === 'missing') {
    const known = state.storageClasses.map((c) => c.metadata.name).join(', ') || 'none';
    return result(
      'class-not-found',
      false,
      blocked(
        `${pending}: StorageClass "${resolution.name}" does not exist (classes: ${known}); ` +
          'create it or configure an existing class',
      ),
    );
  }
  if (resolution.kind === 'static') {
    return staticBinding(state, name, '(no class)', latest('FailedBinding'));
  }
  const sc = resolution.storageClass;
  const className = sc.metadata.name ?? '';
  if (resolution.defaulted) {
    // Kubernetes assigns the default class to class-less claims retroactively, within seconds.
    return result(
      'default-class-pending',
      false,
      waiting(
        `${pending}: waiting for Kubernetes to assign the default StorageClass "${className}"`,
      ),
    );
  }
  const selectedNode = claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
  if (sc.volumeBindingMode === 'WaitForFirstConsumer' && selectedNode === undefined) {
    return result(
      'waiting-for-first-consumer',
      true,
      active(
        `PVC ${name} binds when its first pod is scheduled (StorageClass "${className}" is WaitForFirstConsumer)`,
      ),
    );
  }
  if (sc.provisioner === NO_PROVISIONER) {
    return staticBinding(state, name, `"${className}"`, latest('FailedBinding'));
  }
  const drivers = state.csiDrivers;
  if (
    drivers !== undefined &&
    isCsiLikeProvisioner(sc.provisioner) &&
    !drivers.some((d) => d.metadata.name === sc.provisioner)
  ) {
    return result(
      'no-csi-driver',
      false,
      blocked(
        `${pending}: StorageClass "${className}" uses provisioner ${sc.provisioner}, but no CSIDriver ` +
          `of that name is registered; install the ${sc.provisioner} CSI driver (controller and node plugin)`,
      ),
    );
  }
  const failed = latest('ProvisioningFailed');
  if (failed) {
    return result(
      'provisioning-failed',
      false,
      blocked(
        `${pending}: provisioner ${sc.provisioner} failed: ${failed.message ?? 'no message'}; ` +
          'fix the cause in the storage backend or the class parameters',
      ),
    );
  }
  const externalWait = latest('ExternalProvisioning');
  const age = ageSeconds(claim.metadata.creationTimestamp, state.now);
  if (externalWait && age !== undefined && age > (state.graceSeconds ?? 120)) {
    return result(
      'provisioner-not-acting',
      false,
      blocked(
        `${pending}: no provisioner has created a volume after ${Math.round(age)}s (events: ` +
          `"waiting for a volume to be created ... by the external provisioner ${sc.provisioner}"); ` +
          'check that the provisioner is installed and running',
      ),
    );
  }
  return result(
    'provisioning',
    false,
    waiting(
      `${pending}: waiting for provisioner ${sc.provisioner} (StorageClass "${className}") to create the volume`,
    ),
  );
}

/** The diagnosis for a claim the API server refused (or would refuse) because of a quota. */
export function quotaExceeded(claim: string, violation: QuotaViolation): ClaimDiagnosis {
  return result('quota-exceeded', false, blocked(describeQuotaViolation(claim, violation)));
}

function staticBinding(
  state: ClaimState,
  name: string,
  classLabel: string,
  failedBinding: KubeEvent | undefined,
): ClaimDiagnosis {
  const size = state.claim.spec.resources?.requests?.storage ?? 'its size';
  const modes = (state.claim.spec.accessModes ?? []).join(', ');
  if (failedBinding) {
    return result(
      'no-matching-volume',
      false,
      blocked(
        `PVC ${name} is Pending: no available PersistentVolume of class ${classLabel} with at least ${size}` +
          ` and access modes ${modes}; create one (this class has no dynamic provisioner)`,
      ),
    );
  }
  return result(
    'pending',
    false,
    waiting(`PVC ${name} is Pending: waiting to bind a PersistentVolume`),
  );
}

function result(condition: ClaimCondition, usable: boolean, status: Status): ClaimDiagnosis {
  return { condition, usable, status };
}

/** Events about this claim, newest first. */
export function claimEvents(
  claim: PersistentVolumeClaim,
  events: readonly KubeEvent[],
): KubeEvent[] {
  return newestFirst(eventsAbout(events, 'PersistentVolumeClaim', claim));
}

function ageSeconds(created: string | undefined, now: Date): number | undefined {
  if (created === undefined) return undefined;
  const t = Date.parse(created);
  return Number.isNaN(t) ? undefined : (now.getTime() - t) / 1000;
}
