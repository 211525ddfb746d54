/**
 * The Jobs that copy and verify a volume, and how their outcome is read.
 *
 * One pod per Job, never retried by the Job controller (`backoffLimit: 0`): a failed copy is a
 * fact the plan must act on (stop, keep the original), not something to paper over with a second
 * attempt on a half-written destination. `activeDeadlineSeconds` bounds a hung copy. The pod runs
 * as root — only root can give files their original owners — but with every capability dropped
 * except those a faithful copy needs (chown, bypassing permission checks to read every file,
 * setting times, setuid bits, file capabilities and device nodes), without privilege escalation
 * and with the runtime's default seccomp profile: the Pod Security `baseline` level, not
 * `restricted` (which forbids root). It never sets `fsGroup`, which would make the kubelet chown
 * the volumes. The source is mounted read-only. Where the source volume is pinned to nodes (a
 * local volume), the pod inherits that node affinity so it can mount it at all.
 */
import type { JsonObject } from '../../core/json.js';
import type { KubeObject, Pod } from '../../kube/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../claim.js';
import { probeOutcome, type ProbeJob } from '../probe.js';
import { CLAIM_LABEL, RESIZE_LABEL, ROLE_LABEL } from './names.js';
import { COPY_SCRIPT, parseReport, VERIFY_SCRIPT, type ScriptOutcome } from './scripts.js';

/**
 * The default copy image: rsync on Alpine (BusyBox provides find, stat, sort, sha256sum, awk).
 * A tag, not a digest: mirror it and pass your registry's digest (`image`) in production.
 */
export const DEFAULT_RESIZE_IMAGE = 'docker.io/instrumentisto/rsync-ssh:alpine3.21';

/** What a Job does: copy or verify, first toward the new claim or back to the original name. */
export type JobRole = 'copy' | 'verify' | 'copy-back' | 'verify-back';

/** The label the Job controller puts on its pods. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** The capabilities a faithful copy needs, all in the Pod Security baseline allowance. */
export const COPY_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETFCAP', 'MKNOD'];

/** Everything a Job is built from. */
export interface ResizeJobInput {
  readonly name: string;
  readonly namespace: string;
  readonly role: JobRole;
  readonly statefulSet: string;
  readonly claim: string;
  /** The claim read from, and the claim written to (verify: compared with). */
  readonly source: string;
  readonly destination: string;
  /** For verify roles: the digest the copy recorded. */
  readonly expectedDigest?: string;
  readonly image: string;
  readonly deadlineSeconds: number;
  /** The source volume's `spec.nodeAffinity`, if it has one. */
  readonly nodeAffinity?: JsonObject;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly JsonObject[];
}

/** Whether a role runs the copy script or the verify script. */
export function scriptRole(role: JobRole): 'copy' | 'verify' {
  return role === 'copy' || role === 'copy-back' ? 'copy' : 'verify';
}

/** The pod spec of a resize Job (also used, as a bare Pod, for the Pod Security dry run). */
export function resizePodSpec(input: ResizeJobInput): JsonObject {
  const script = scriptRole(input.role);
  const env: JsonObject[] = [
    { name: 'SRC', value: '/src' },
    { name: 'DST', value: '/dst' },
    { name: 'REPORT', value: '/dev/termination-log' },
    { name: 'TMPDIR', value: '/scratch' },
  ];
  if (input.expectedDigest) env.push({ name: 'EXPECTED_DIGEST', value: input.expectedDigest });
  const spec: JsonObject = {
    restartPolicy: 'Never',
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: script,
        image: input.image,
        command: ['sh', '-c', script === 'copy' ? COPY_SCRIPT : VERIFY_SCRIPT],
        env,
        terminationMessagePolicy: 'File',
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'], add: [...COPY_CAPABILITIES] },
        },
        volumeMounts: [
          { name: 'src', mountPath: '/src', readOnly: true },
          { name: 'dst', mountPath: '/dst', readOnly: script === 'verify' },
          { name: 'scratch', mountPath: '/scratch' },
        ],
      },
    ],
    volumes: [
      { name: 'src', persistentVolumeClaim: { claimName: input.source, readOnly: true } },
      {
        name: 'dst',
        persistentVolumeClaim: { claimName: input.destination, readOnly: script === 'verify' },
      },
      { name: 'scratch', emptyDir: {} },
    ],
  };
  if (input.nodeAffinity) spec.affinity = { nodeAffinity: structuredClone(input.nodeAffinity) };
  if (input.nodeSelector) spec.nodeSelector = { ...input.nodeSelector };
  if (input.tolerations) spec.tolerations = input.tolerations.map((t) => structuredClone(t));
  return spec;
}

/** The labels of a resize Job and its pod. */
export function resizeJobLabels(input: ResizeJobInput): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [RESIZE_LABEL]: input.statefulSet,
    [ROLE_LABEL]: input.role,
    [CLAIM_LABEL]: input.claim,
  };
}

/** A batch/v1 Job that runs one copy or verification. */
export function buildResizeJob(input: ResizeJobInput): KubeObject {
  const labels = resizeJobLabels(input);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: input.name, namespace: input.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.deadlineSeconds,
      template: { metadata: { labels }, spec: resizePodSpec(input) },
    },
  };
}

/** Where a resize Job stands, with its script's report once it ended. */
export type ResizeJobState =
  | { readonly state: 'running' }
  | { readonly state: 'succeeded'; readonly outcome: ScriptOutcome }
  | { readonly state: 'failed'; readonly reason: string };

/**
 * Reads a Job and its pods. A Job that succeeded is only as good as its report: the caller must
 * still check `outcome.ok`.
 */
export function resizeJobState(
  job: KubeObject,
  pods: readonly Pod[],
  role: JobRole,
): ResizeJobState {
  const outcome = probeOutcome(job as ProbeJob);
  const script = scriptRole(role);
  const message = (phase: string) =>
    pods
      .filter((pod) => pod.status?.phase === phase)
      .flatMap((pod) => pod.status?.containerStatuses ?? [])
      .find((status) => status.name === script)?.state?.terminated?.message;
  if (outcome.state === 'running') return { state: 'running' };
  if (outcome.state === 'succeeded') {
    return { state: 'succeeded', outcome: parseReport(message('Succeeded'), script) };
  }
  const report = parseReport(message('Failed'), script);
  const detail = report.ok ? '' : `; ${report.reason}`;
  return { state: 'failed', reason: `${outcome.message}${detail}` };
}
