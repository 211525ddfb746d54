/**
 * The optional permission probe: can the published uid/gid really write to the volume?
 *
 * "Permission denied" is the third common storage failure after Pending and Multi-Attach; consumers
 * only discover it after they mounted the volume and crashed. A tiny Job that runs as puid/pgid
 * (with fsGroup, as consumers will) and creates and removes a file answers it up front. It must
 * never block a hook: the provider creates the Job and reads its state on later reconciles,
 * reporting Waiting while it runs and a failure only once the Job has failed. The Job name is a
 * hash of what it tests, so a changed uid/gid gets a fresh probe and an unchanged one is read, not
 * recreated.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, OwnerReference } from '../kube/types.js';
import { managedLabels } from './claim.js';

/**
 * The default probe image: a fixed tag, never `latest`, so the probe runs the same binary on every
 * cluster. Air-gapped clusters pass their mirror (ideally pinned by digest) via `image`.
 */
export const DEFAULT_PROBE_IMAGE = 'busybox:1.36.1';

/** What a probe checks. */
export interface ProbeSpec {
  readonly claim: string;
  readonly namespace: string;
  readonly app: string;
  readonly puid: number;
  readonly pgid: number;
  readonly image?: string;
  readonly owner?: OwnerReference;
}

/** A batch/v1 Job, the fields the probe reads. */
export interface ProbeJob extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Where a probe stands. */
export type ProbeOutcome =
  | { readonly state: 'running' }
  | { readonly state: 'succeeded' }
  | { readonly state: 'failed'; readonly message: string };

/** `charmkit-probe-<hash>`: deterministic per (claim, uid, gid, image), a valid DNS label. */
export function probeJobName(spec: ProbeSpec): string {
  const key = `${spec.namespace}/${spec.claim}/${spec.puid}/${spec.pgid}/${spec.image ?? DEFAULT_PROBE_IMAGE}`;
  return `charmkit-probe-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** The Job that writes and removes one file on the claim as puid/pgid. */
export function buildProbeJob(spec: ProbeSpec): ProbeJob {
  const name = probeJobName(spec);
  const job: ProbeJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: spec.namespace, labels: managedLabels(spec.app) },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      template: {
        metadata: { labels: managedLabels(spec.app) },
        spec: {
          restartPolicy: 'Never',
          securityContext: {
            runAsUser: spec.puid,
            runAsGroup: spec.pgid,
            fsGroup: spec.pgid,
            runAsNonRoot: spec.puid !== 0,
          },
          containers: [
            {
              name: 'probe',
              image: spec.image ?? DEFAULT_PROBE_IMAGE,
              command: [
                'sh',
                '-c',
                'f="/probe/.charmkit-probe-$(hostname)" && touch "$f" && rm -f "$f"',
              ],
              volumeMounts: [{ name: 'claim', mountPath: '/probe' }],
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
          volumes: [{ name: 'claim', persistentVolumeClaim: { claimName: spec.claim } }],
        },
      },
    },
  };
  if (spec.owner) job.metadata.ownerReferences = [spec.owner];
  return job;
}

/** Reads a probe Job's outcome from its conditions. */
export function probeOutcome(job: ProbeJob): ProbeOutcome {
  const conditions = job.status?.conditions ?? [];
  const on = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  if (on('Complete') ?? on('SuccessCriteriaMet')) return { state: 'succeeded' };
  const failed = on('Failed') ?? on('FailureTarget');
  if (failed) {
    return { state: 'failed', message: failed.message ?? failed.reason ?? 'the probe Job failed' };
  }
  return { state: 'running' };
}
