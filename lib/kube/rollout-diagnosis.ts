/**
 * Why a StatefulSet rollout is stuck, as data: objects in, findings out, no I/O.
 *
 * A controller that patched its StatefulSet and sees no progress should say *why* in its status
 * ("PersistentVolumeClaim "media" does not exist"), not "waiting". The cluster already knows:
 * the scheduler writes FailedScheduling events and a PodScheduled=False condition, the kubelet
 * writes FailedMount / Multi-Attach events and container waiting reasons, the PV binder leaves a
 * claim Pending with events saying what it waits for, the StatefulSet controller writes
 * FailedCreate. This module reads those the way an operator would with `kubectl describe` and
 * ranks the findings so the root cause (a missing claim) comes before its symptom (a pod that
 * cannot be scheduled).
 */
import { eventsAbout, newestFirst } from './events.js';
import { isPodReady } from './pod-readiness.js';
import type { RolloutProgress } from './rollout-progress.js';
import type {
  ContainerStatus,
  KubeEvent,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from './types.js';

/** The causes we recognise; `Unknown` carries whatever else the cluster reported. */
export type RolloutFindingKind =
  | 'UnboundPVC'
  | 'MultiAttach'
  | 'FailedMount'
  | 'FailedScheduling'
  | 'FailedCreate'
  | 'ImagePull'
  | 'CrashLoopBackOff'
  | 'Unknown';

/** One reason the rollout is not progressing. */
export interface RolloutFinding {
  kind: RolloutFindingKind;
  /** The pod it concerns, when it concerns one. */
  pod?: string;
  /** The other object it concerns (a claim name, a container), when there is one. */
  object?: string;
  /** What is wrong, in the cluster's words where it has them. */
  message: string;
  /** What an operator can do about it. */
  hint: string;
}

/** The outcome of diagnosing a rollout that did not complete. */
export interface RolloutDiagnosis {
  /** Most likely root cause first. */
  findings: RolloutFinding[];
  /** One line for a unit status message. */
  summary: string;
  /** Where the rollout stands (`0/1 pods ready`). */
  progress: string;
}

/** A claim a pod uses, and what GET returned for it (undefined: it does not exist). */
export interface ClaimEvidence {
  name: string;
  claim?: PersistentVolumeClaim;
}

/** Everything `diagnoseRollout` looks at; gathered by `gatherRolloutEvidence` in rollout.ts. */
export interface RolloutEvidence {
  statefulSet: StatefulSet;
  progress: RolloutProgress;
  /** The StatefulSet's pods. */
  pods: Pod[];
  /** Events about the pods, the claims and the StatefulSet itself. */
  events: KubeEvent[];
  claims: ClaimEvidence[];
  /**
   * Reads that failed (typically RBAC): reported as findings, because a controller that may not
   * read events cannot explain anything and should say so.
   */
  unreadable?: string[];
}

const RANK: Record<RolloutFindingKind, number> = {
  UnboundPVC: 0,
  MultiAttach: 1,
  FailedMount: 2,
  FailedScheduling: 3,
  FailedCreate: 4,
  ImagePull: 5,
  CrashLoopBackOff: 6,
  Unknown: 7,
};

const IMAGE_PULL_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
const MAX_MESSAGE = 300;

/** Turns gathered evidence into ranked findings and a status line. */
export function diagnoseRollout(evidence: RolloutEvidence): RolloutDiagnosis {
  const findings = new FindingSet();
  const { statefulSet, pods } = evidence;
  const stsName = statefulSet.metadata.name ?? '';
  const events = newestFirst(evidence.events);

  for (const claim of evidence.claims) claimFindings(claim, events, pods, findings);
  for (const pod of pods) podFindings(pod, eventsAbout(events, 'Pod', pod), findings);

  // FailedCreate is history once the pod exists; it matters only while a pod is missing.
  if (pods.length < evidence.progress.desired) {
    const failed = eventsAbout(events, 'StatefulSet', statefulSet).find(
      (e) => e.reason === 'FailedCreate',
    );
    if (failed) {
      findings.add({
        kind: 'FailedCreate',
        message: `StatefulSet ${stsName} cannot create its pods: ${clip(failed.message)}`,
        hint: 'the API server refused the pod (quota, PodSecurity, an admission webhook, or a missing ServiceAccount); fix what the message names',
      });
    }
  }

  for (const failure of evidence.unreadable ?? []) {
    findings.add({
      kind: 'Unknown',
      object: failure,
      message: `cannot read ${clip(failure)}`,
      hint: 'grant the controller get/list on pods, events and persistentvolumeclaims in its namespace so it can explain stuck rollouts',
    });
  }

  const sorted = findings.sorted();
  const progress = evidence.progress.message;
  let summary: string;
  const first = sorted[0];
  if (!first) {
    summary = `rollout of ${stsName} not complete (${progress}); no cause reported by the cluster yet`;
  } else {
    summary = clip(first.message, 200) + (sorted.length > 1 ? ` (+${sorted.length - 1} more)` : '');
  }
  return { findings: sorted, summary, progress };
}

function claimFindings(
  claimEvidence: ClaimEvidence,
  events: KubeEvent[],
  pods: Pod[],
  findings: FindingSet,
): void {
  const users = pods
    .filter((p) =>
      (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claimEvidence.name),
    )
    .map((p) => p.metadata.name ?? '');
  const usedBy = users.length ? ` (used by pod ${users.join(', ')})` : '';
  const claim = claimEvidence.claim;
  if (!claim) {
    findings.add({
      kind: 'UnboundPVC',
      object: claimEvidence.name,
      message: `PersistentVolumeClaim "${claimEvidence.name}" does not exist${usedBy}`,
      hint: `create the claim, or fix the claimName in the pod template (spec.template.spec.volumes[].persistentVolumeClaim.claimName)`,
    });
    return;
  }
  const phase = claim.status?.phase ?? 'Pending';
  if (phase === 'Bound') return;
  const latest = eventsAbout(events, 'PersistentVolumeClaim', claim)[0];
  const because = latest?.message ? `: ${clip(latest.message)}` : '';
  findings.add({
    kind: 'UnboundPVC',
    object: claimEvidence.name,
    message: `PersistentVolumeClaim "${claimEvidence.name}" is ${phase}${usedBy}${because}`,
    hint: unboundClaimHint(claim, latest),
  });
}

function unboundClaimHint(claim: PersistentVolumeClaim, latest: KubeEvent | undefined): string {
  const text = `${latest?.reason ?? ''} ${latest?.message ?? ''}`;
  const className = claim.spec.storageClassName;
  if (claim.status?.phase === 'Lost')
    return 'the claim lost its PersistentVolume; restore the volume or recreate the claim from a backup';
  if (/storageclass\.storage\.k8s\.io ".*" not found/i.test(text)) {
    return `StorageClass "${className ?? ''}" does not exist; create it or set an existing storageClassName`;
  }
  if (/waiting for first consumer/i.test(text)) {
    return 'the class binds on first use (WaitForFirstConsumer): the claim binds once a pod using it is scheduled; look at that pod';
  }
  if (/ExternalProvisioning|waiting for a volume to be created/i.test(text)) {
    return `no volume was provisioned for class "${className ?? ''}": check that its provisioner (CSI driver) is installed and running`;
  }
  if (/no persistent volumes available/i.test(text) || !className) {
    return 'no PersistentVolume matches the claim (size, access modes, class, selector); create one or use a class with a provisioner';
  }
  return "check the claim's events (kubectl describe pvc) and its StorageClass's provisioner";
}

function podFindings(pod: Pod, events: KubeEvent[], findings: FindingSet): void {
  const name = pod.metadata.name ?? '';
  // A Ready pod is not what holds the rollout up; its old warnings are history.
  if (isPodReady(pod)) return;
  const before = findings.size;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  for (const event of events) {
    if (event.type === 'Normal') continue;
    if (event.reason === 'FailedScheduling' && scheduled?.status === 'True') continue;
    const message = event.message ?? '';
    switch (event.reason) {
      case 'FailedScheduling':
        findings.add({
          kind: 'FailedScheduling',
          pod: name,
          message: `pod ${name} cannot be scheduled: ${clip(stripPreemption(message))}`,
          hint: schedulingHint(message),
        });
        break;
      case 'FailedAttachVolume':
      case 'FailedMount':
        if (/Multi-Attach/i.test(message)) {
          findings.add({
            kind: 'MultiAttach',
            pod: name,
            message: `pod ${name}: ${clip(message)}`,
            hint: 'a ReadWriteOnce volume is still attached to another node: wait for the pod there to release it, run every pod that uses the claim on one node, or use a ReadWriteMany storage class',
          });
        } else {
          findings.add({
            kind: 'FailedMount',
            pod: name,
            message: `pod ${name} cannot ${event.reason === 'FailedAttachVolume' ? 'attach' : 'mount'} a volume: ${clip(message)}`,
            hint: 'check the volume source (NFS server/path, CSI driver on the node, Secret it needs) and that the node can reach it',
          });
        }
        break;
      default:
        break;
    }
  }

  const statuses: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const status of statuses) containerFinding(name, status, events, findings);

  if (scheduled?.status === 'False' && !findings.has('FailedScheduling', name)) {
    findings.add({
      kind: 'FailedScheduling',
      pod: name,
      message: `pod ${name} cannot be scheduled: ${clip(stripPreemption(scheduled.message ?? scheduled.reason ?? 'unschedulable'))}`,
      hint: schedulingHint(scheduled.message ?? ''),
    });
  }

  if (findings.size === before) {
    const unhealthy = events.find((e) => e.reason === 'Unhealthy');
    const waiting = statuses.find((s) => s.state?.waiting)?.state?.waiting;
    const what = unhealthy?.message
      ? `is not ready: ${clip(unhealthy.message)}`
      : waiting
        ? `is waiting: ${waiting.reason ?? ''}${waiting.message ? ` (${clip(waiting.message)})` : ''}`
        : `is ${pod.status?.phase ?? 'Pending'} and not ready`;
    findings.add({
      kind: 'Unknown',
      pod: name,
      message: `pod ${name} ${what}`,
      hint: unhealthy
        ? 'the readiness probe fails; check the probe and the container logs'
        : 'no cause reported yet; check kubectl describe pod and the container logs',
    });
  }
}

function containerFinding(
  pod: string,
  status: ContainerStatus,
  events: KubeEvent[],
  findings: FindingSet,
): void {
  const waiting = status.state?.waiting;
  const reason = waiting?.reason ?? '';
  if (IMAGE_PULL_REASONS.has(reason)) {
    const pullEvent = events.find((e) => e.reason === 'Failed' && /pull/i.test(e.message ?? ''));
    findings.add({
      kind: 'ImagePull',
      pod,
      object: status.name,
      message: `pod ${pod} cannot pull the image of container ${status.name}: ${clip(pullEvent?.message ?? waiting?.message ?? reason)}`,
      hint: 'check the image name and tag, that the registry is reachable, and imagePullSecrets for a private registry',
    });
  } else if (reason === 'CrashLoopBackOff') {
    const last = lastTermination(status);
    const exit = last?.exitCode !== undefined ? `exit code ${last.exitCode}` : 'exits';
    const why = last?.reason && last.reason !== 'Error' ? `, ${last.reason}` : '';
    findings.add({
      kind: 'CrashLoopBackOff',
      pod,
      object: status.name,
      message: `container ${status.name} in pod ${pod} keeps crashing (${exit}${why}, ${status.restartCount} restarts)`,
      hint: `read its logs: kubectl logs ${pod} -c ${status.name} --previous`,
    });
  } else if (
    reason === 'CreateContainerConfigError' ||
    reason === 'CreateContainerError' ||
    reason === 'RunContainerError'
  ) {
    findings.add({
      kind: 'Unknown',
      pod,
      object: status.name,
      message: `container ${status.name} in pod ${pod} cannot start: ${clip(waiting?.message ?? reason)}`,
      hint: 'a ConfigMap, Secret or key the container references is missing, or its command cannot run',
    });
  }
}

function schedulingHint(message: string): string {
  if (/persistentvolumeclaim ".*" not found/i.test(message))
    return 'a claim the pod uses does not exist; create it or fix the claimName';
  if (/unbound immediate PersistentVolumeClaims/i.test(message))
    return 'a claim the pod uses is not bound; see the claim';
  if (/volume node affinity conflict/i.test(message))
    return "the pod's volume is pinned to nodes it cannot run on";
  if (/Insufficient (cpu|memory)/i.test(message))
    return 'no node has enough free cpu/memory for the requests; lower them or add capacity';
  if (/untolerated taint/i.test(message))
    return 'the nodes are tainted; add a toleration or use other nodes';
  if (/didn't match Pod's node affinity|node selector/i.test(message))
    return "no node matches the pod's nodeSelector/affinity";
  return 'see the scheduler message; kubectl describe pod shows the full event';
}

/**
 * The scheduler writes "0/N nodes are available: <reasons>. <post-filter message>." (v1.37
 * `FitError.Error`); the post-filter (preemption) part — "preemption: ... not helpful", or just
 * "not found" — never helps a reader, so keep the first sentence.
 */
function stripPreemption(message: string): string {
  const fit = /^(\d+\/\d+ nodes are available: .*?)\.(?:\s|$)/s.exec(message);
  if (fit?.[1]) return fit[1];
  return message.replace(/\s*preemption:.*$/s, '').replace(/\.$/, '');
}

function lastTermination(
  status: ContainerStatus,
): { exitCode?: number; reason?: string } | undefined {
  const lastState = status.lastState as
    { terminated?: { exitCode?: number; reason?: string } } | undefined;
  return lastState?.terminated ?? status.state?.terminated;
}

function clip(text: string | undefined, max = MAX_MESSAGE): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Findings keyed by kind + pod + object, keeping the first (newest) of each. */
class FindingSet {
  private readonly byKey = new Map<string, RolloutFinding>();
  get size(): number {
    return this.byKey.size;
  }
  add(finding: RolloutFinding): void {
    const key = `${finding.kind}/${finding.pod ?? ''}/${finding.object ?? ''}`;
    if (!this.byKey.has(key)) this.byKey.set(key, finding);
  }
  has(kind: RolloutFindingKind, pod: string): boolean {
    return [...this.byKey.values()].some((f) => f.kind === kind && f.pod === pod);
  }
  sorted(): RolloutFinding[] {
    return [...this.byKey.values()].sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  }
}
