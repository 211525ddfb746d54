/**
 * Preflight: decide, before anything is written, how each claim grows and whether the resize may
 * start at all.
 *
 * Only reads and `dryRun=All` writes happen here, so a dry run (`--dry-run`) is exactly this
 * module's answer. The definitive test of in-place growth is a dry-run patch of the claim's
 * request: it passes through the same admission (the class's `allowVolumeExpansion`, "only
 * dynamically provisioned claims") and validation the real patch would. The same trick answers
 * two other questions the API has no direct query for: whether the server lets a StatefulSet's
 * volumeClaimTemplates change (KEP-4650; not in v1.37, where they are immutable), and whether the
 * namespace's Pod Security level admits the copy pod (a dry-run create of that pod).
 *
 * What stops a resize (blockers) and what only deserves a word (warnings):
 * - a claim that is not Bound; a Block-mode claim that needs a copy (rsync copies files);
 * - a copy the namespace's quota has no room for (the copy claim is a new claim of full size);
 * - a copy pod the Pod Security level refuses (it runs as root: `baseline` admits it,
 *   `restricted` does not);
 * - writers that would fight the scale-down: a HorizontalPodAutoscaler targeting the StatefulSet,
 *   another controller owning it (it would recreate or rescale it), pods outside the StatefulSet
 *   mounting a claim that must be copied (they would keep writing);
 * - without permission to write PersistentVolumes the copy cannot be swapped by rebinding: the
 *   data is copied back into a new claim of the original name instead, and the original volume's
 *   reclaim policy cannot be set to Retain (a warning says so).
 */
import type { KubePort } from '../../kube/port.js';
import { isForbidden, isNotFound, asKubernetesError } from '../../kube/errors.js';
import type {
  KubeObject,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
  StorageClass,
} from '../../kube/types.js';
import { isPlainObject } from '../../core/json.js';
import { addQuantities, subtractQuantities } from '../../kube/quantity.js';
import {
  checkClaimQuota,
  describeQuotaViolation,
  type ClaimUsage,
  type ResourceQuota,
} from '../quota.js';
import { refs } from './context.js';
import { DEFAULT_RESIZE_IMAGE, resizePodSpec } from './jobs.js';
import { copyClaimName } from './names.js';
import { missingPermissions, requiredPermissions } from './permissions.js';
import type { Detection, ResizeClaim, ResizePath, ResizePlan, ResizePlanClaim } from './plan.js';

/** What preflight needs beyond the detection. */
export interface PreflightInput {
  readonly kube: KubePort;
  readonly set: StatefulSet;
  readonly detection: Detection;
  readonly path: 'auto' | ResizePath;
  readonly swap: 'auto' | 'rebind' | 'copy-back';
  readonly image: string | undefined;
  readonly fieldManager: string | undefined;
  /** Copy claims of an earlier run whose journal is gone (found by label). */
  readonly strays: readonly string[];
}

/** The plan minus its step list (added by the runner, which owns the step order). */
export type PreflightResult = Omit<ResizePlan, 'steps'>;

const POD_SECURITY_LABEL = 'pod-security.kubernetes.io/enforce';

/** Runs every check (reads and dry runs only) and returns the plan's decisions. */
export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const { kube: port, set, detection } = input;
  const namespace = set.metadata.namespace ?? '';
  const name = set.metadata.name ?? '';
  const warnings: string[] = [];
  const blockers: string[] = [];
  const dry = { dryRun: true, ...(input.fieldManager ? { fieldManager: input.fieldManager } : {}) };
  const classes = new Map<string, StorageClass | undefined>();
  const storageClass = async (className: string | undefined) => {
    if (!className) return undefined;
    if (!classes.has(className)) {
      classes.set(
        className,
        await optional(port.get<StorageClass>({ ...classRef, name: className }), () =>
          warnings.push(`could not read StorageClass ${className}; assuming it cannot expand`),
        ),
      );
    }
    return classes.get(className);
  };

  if (input.strays.length > 0) {
    blockers.push(
      `claim(s) ${input.strays.join(', ')} were left by an earlier resize of ${name} whose journal ` +
        `is gone, so its state cannot be explained (check the StatefulSet's replicas and which ` +
        `volume holds the data); delete them once the workload is known to be right`,
    );
  }
  const claims: ResizePlanClaim[] = [];
  for (const claim of detection.claims) {
    if (claim.phase !== 'Bound') {
      blockers.push(
        `claim ${claim.claim} is ${claim.phase}, not Bound: only a bound claim can be resized ` +
          `(kubectl -n ${namespace} describe pvc ${claim.claim} says why)`,
      );
      continue;
    }
    const sc = await storageClass(claim.storageClassName);
    const decision = await choosePath(claim, sc);
    if ('blocker' in decision) blockers.push(decision.blocker);
    else {
      const mode = sc?.volumeBindingMode;
      claims.push({ ...claim, ...decision, ...(mode ? { bindingMode: mode } : {}) });
    }
  }

  const copies = claims.filter((c) => c.path === 'copy');
  for (const claim of copies) {
    if (claim.volumeMode === 'Block') {
      blockers.push(
        `claim ${claim.claim} is a Block volume and cannot grow in place; a Block volume has no ` +
          `files for rsync to copy, so it must be migrated with a block-level tool`,
      );
    }
  }

  let swap: ResizePlan['swap'];
  if (copies.length > 0) {
    swap = await chooseSwap(copies);
    await checkPodSecurity(copies[0] as ResizePlanClaim);
    await checkWriters(copies);
  }
  await checkOwner();
  await checkQuota(claims);
  const templateUpdate = await chooseTemplateUpdate();
  const missing = await missingPermissions(
    port,
    namespace,
    requiredPermissions({
      inPlace: claims.some((c) => c.path === 'in-place'),
      copy: copies.length > 0,
      templateUpdate,
    }),
  );
  if (missing === undefined) {
    warnings.push('could not check permissions in advance (no answer to SelfSubjectAccessReview)');
  } else if (missing.length > 0) {
    blockers.push(
      `missing permissions in namespace ${namespace}; grant Role rules ${missing.join(', ')}`,
    );
  }

  return {
    namespace,
    statefulSet: name,
    replicas: set.spec.replicas ?? 1,
    targets: detection.targets,
    claims,
    templateUpdate,
    swap,
    warnings,
    blockers,
  };

  async function choosePath(
    claim: ResizeClaim,
    sc: StorageClass | undefined,
  ): Promise<{ path: ResizePath; why: string } | { blocker: string }> {
    const expandable = sc?.allowVolumeExpansion === true;
    if (input.path === 'copy') return { path: 'copy', why: 'a copy was asked for' };
    if (!expandable) {
      const why = sc
        ? `StorageClass ${sc.metadata.name ?? ''} does not allow volume expansion`
        : claim.storageClassName
          ? `its StorageClass ${claim.storageClassName} could not be read`
          : 'it has no StorageClass (statically provisioned)';
      if (input.path === 'in-place') {
        return { blocker: `claim ${claim.claim} cannot grow in place: ${why}` };
      }
      return { path: 'copy', why };
    }
    try {
      await port.patch(
        refs.claim(namespace, claim.claim),
        { type: 'merge', body: { spec: { resources: { requests: { storage: claim.target } } } } },
        dry,
      );
      return { path: 'in-place', why: 'the server accepts the larger request (dry run)' };
    } catch (error) {
      const k = asKubernetesError(error);
      if (k?.rbac) {
        return { blocker: `no permission to patch claim ${claim.claim}: ${k.message}` };
      }
      if (k && (k.code === 403 || k.code === 422)) {
        const why = `the server refuses the larger request (${k.serverMessage})`;
        if (input.path === 'in-place') {
          return { blocker: `claim ${claim.claim} cannot grow in place: ${why}` };
        }
        return { path: 'copy', why };
      }
      throw error;
    }
  }

  async function chooseSwap(copyClaims: readonly ResizePlanClaim[]): Promise<ResizePlan['swap']> {
    // Rebinding needs cluster-scoped PersistentVolume writes; so does setting Retain.
    let canWrite = true;
    for (const claim of copyClaims) {
      if (!claim.volume) continue;
      try {
        const pv = await port.get<PersistentVolume>(refs.volume(claim.volume));
        await port.patch(
          refs.volume(claim.volume),
          {
            type: 'merge',
            body: {
              spec: { persistentVolumeReclaimPolicy: pv.spec.persistentVolumeReclaimPolicy },
            },
          },
          dry,
        );
      } catch (error) {
        if (!isForbidden(error)) throw error;
        canWrite = false;
      }
    }
    if (input.swap === 'rebind' && !canWrite) {
      blockers.push(
        'swap "rebind" needs permission to get and patch PersistentVolumes (cluster-scoped); ' +
          'grant it, or let the copy be copied back (swap "auto" or "copy-back")',
      );
    }
    const swap = input.swap === 'auto' ? (canWrite ? 'rebind' : 'copy-back') : input.swap;
    if (!canWrite) {
      warnings.push(
        'without permission to patch PersistentVolumes the original volumes cannot be set to ' +
          'reclaim policy Retain: once the verified copy exists, deleting an original claim ' +
          'releases its volume per its own policy, and the data lives on in the verified copy ' +
          'until it is copied back',
      );
    }
    return swap;
  }

  async function checkPodSecurity(claim: ResizePlanClaim): Promise<void> {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${copyClaimName(claim.claim, claim.uid, claim.target)}-check`, namespace },
      spec: resizePodSpec({
        name: 'check',
        namespace,
        role: 'copy',
        statefulSet: name,
        claim: claim.claim,
        source: claim.claim,
        destination: claim.claim,
        image: input.image ?? DEFAULT_RESIZE_IMAGE,
        deadlineSeconds: 60,
      }),
    };
    try {
      await port.create(pod, dry);
      return;
    } catch (error) {
      const k = asKubernetesError(error);
      if (!k || k.code !== 403) throw error;
      if (!k.rbac) {
        blockers.push(
          `the namespace's Pod Security admission refuses the copy pod (${k.serverMessage}); ` +
            `the copy must run as root to keep file owners: label the namespace ` +
            `${POD_SECURITY_LABEL}=baseline (or privileged) for the resize, or resize in place`,
        );
        return;
      }
    }
    // No permission to dry-run pods: fall back to the namespace's label.
    const ns = await optional(
      port.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }),
      () => warnings.push('could not check the namespace Pod Security level (no permission)'),
    );
    if (ns?.metadata.labels?.[POD_SECURITY_LABEL] === 'restricted') {
      blockers.push(
        `namespace ${namespace} enforces Pod Security "restricted", which refuses the copy pod ` +
          `(it runs as root to keep file owners); label it ${POD_SECURITY_LABEL}=baseline for the resize`,
      );
    }
  }

  async function checkWriters(copyClaims: readonly ResizePlanClaim[]): Promise<void> {
    const hpas = await optional(
      port.list({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }, { namespace }),
      () => warnings.push('could not list HorizontalPodAutoscalers (no permission)'),
    );
    for (const hpa of hpas?.items ?? []) {
      const target = isPlainObject(hpa.spec) ? hpa.spec.scaleTargetRef : undefined;
      if (isPlainObject(target) && target.kind === 'StatefulSet' && target.name === name) {
        blockers.push(
          `HorizontalPodAutoscaler ${hpa.metadata.name ?? ''} scales StatefulSet ${name} and would ` +
            `scale it back up during the copy; delete or disable it for the resize`,
        );
      }
    }
    const pods = await port.list<Pod>(refs.pods, { namespace });
    const names = new Set(copyClaims.map((c) => c.claim));
    for (const pod of pods.items) {
      const ours = (pod.metadata.ownerReferences ?? []).some((r) => r.uid === set.metadata.uid);
      if (ours || pod.metadata.deletionTimestamp) continue;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      for (const volume of pod.spec.volumes ?? []) {
        const claimName = volume.persistentVolumeClaim?.claimName;
        if (claimName && names.has(claimName)) {
          blockers.push(
            `pod ${pod.metadata.name ?? ''} (not part of StatefulSet ${name}) mounts claim ` +
              `${claimName} and would keep writing during the copy; stop it first`,
          );
        }
      }
    }
    const managed = set.metadata.managedFields;
    for (const entry of Array.isArray(managed) ? (managed as unknown[]) : []) {
      if (!isPlainObject(entry) || entry.operation !== 'Apply') continue;
      const fields = entry.fieldsV1;
      const spec = isPlainObject(fields) ? fields['f:spec'] : undefined;
      if (isPlainObject(spec) && 'f:replicas' in spec) {
        warnings.push(
          `field manager ${String(entry.manager)} applies spec.replicas of ${name}; if it re-applies ` +
            'during the copy (a GitOps sync), it scales the StatefulSet up: pause it for the resize',
        );
      }
    }
  }

  async function checkOwner(): Promise<void> {
    const owner = (set.metadata.ownerReferences ?? []).find((r) => r.controller === true);
    const touchesSet =
      claims.some((c) => c.path === 'copy') || detection.templatesToUpdate.length > 0;
    if (owner && touchesSet) {
      blockers.push(
        `StatefulSet ${name} is controlled by ${owner.kind} ${owner.name}, which would undo the ` +
          `resize (it recreates or rescales what it owns); resize through ${owner.kind} ${owner.name} instead`,
      );
    }
  }

  async function checkQuota(planned: readonly ResizePlanClaim[]): Promise<void> {
    const quotas = await optional(
      port.list<ResourceQuota>({ apiVersion: 'v1', kind: 'ResourceQuota' }, { namespace }),
      () => warnings.push('could not list ResourceQuotas (no permission)'),
    );
    if (!quotas || quotas.items.length === 0) return;
    const working = structuredClone(quotas.items);
    for (const claim of planned) {
      const usage: ClaimUsage =
        claim.path === 'copy'
          ? { storageClassName: claim.storageClassName, storage: claim.target, claims: 1 }
          : {
              storageClassName: claim.storageClassName,
              storage: subtractQuantities(claim.target, claim.request).text,
              claims: 0,
            };
      const violation = checkClaimQuota(usage, working);
      if (violation) {
        const what = claim.path === 'copy' ? `the copy of ${claim.claim}` : claim.claim;
        blockers.push(describeQuotaViolation(what, violation));
        return;
      }
      addUsage(working, usage);
    }
  }

  async function chooseTemplateUpdate(): Promise<ResizePlan['templateUpdate']> {
    if (detection.templatesToUpdate.length === 0) return 'none';
    try {
      await port.patch(
        refs.statefulSet({ namespace, statefulSet: name }),
        {
          type: 'merge',
          body: { spec: { volumeClaimTemplates: resizedTemplates(set, detection.targets) } },
        },
        dry,
      );
      return 'patch';
    } catch (error) {
      const k = asKubernetesError(error);
      if (k && (k.code === 422 || (k.code === 403 && !k.rbac))) return 'recreate';
      throw error;
    }
  }
}

/** The StatefulSet's volumeClaimTemplates with each template's request raised to its target. */
export function resizedTemplates(
  set: StatefulSet,
  targets: Readonly<Record<string, string>>,
): PersistentVolumeClaim[] {
  return (set.spec.volumeClaimTemplates ?? []).map((template) => {
    const copy = structuredClone(template);
    const target = targets[copy.metadata.name ?? ''];
    if (target !== undefined) {
      copy.spec.resources = {
        ...copy.spec.resources,
        requests: { ...copy.spec.resources?.requests, storage: target },
      };
    }
    return copy;
  });
}

const classRef = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;

/** A read that may be forbidden or missing: undefined (and `onMissing`) instead of a throw. */
async function optional<T>(read: Promise<T>, onForbidden: () => void): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isForbidden(error)) {
      onForbidden();
      return undefined;
    }
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Adds a claim's usage to the quotas' `used`, so the next claim is checked against the sum. */
function addUsage(quotas: ResourceQuota[], usage: ClaimUsage): void {
  const keys: [string, string][] = [
    ['requests.storage', usage.storage],
    ['persistentvolumeclaims', String(usage.claims)],
  ];
  if (usage.storageClassName) {
    const prefix = `${usage.storageClassName}.storageclass.storage.k8s.io/`;
    keys.push(
      [`${prefix}requests.storage`, usage.storage],
      [`${prefix}persistentvolumeclaims`, String(usage.claims)],
    );
  }
  for (const quota of quotas) {
    quota.status ??= {};
    const used = (quota.status.used ??= {});
    for (const [key, amount] of keys) used[key] = addQuantities(used[key] ?? '0', amount).text;
  }
}
