/**
 * Running the provider's write-permission probe: create the Job once, then only read its state on
 * later reconciles — never wait for it inside a hook — and turn its outcome into a status.
 */
import { isNotFound } from '../kube/errors.js';
import type { OwnerReference } from '../kube/types.js';
import { active, blocked, waiting, type Status } from '../relations/status.js';
import {
  buildProbeJob,
  probeJobName,
  probeOutcome,
  type ProbeJob,
  type ProbeOutcome,
} from './probe.js';
import type { ProviderScope } from './provider-scope.js';

/** The probe's settings: whether to run it, as whom, and the owner of the Job. */
export interface ProbeRequest {
  readonly setting: boolean | { readonly image?: string } | undefined;
  readonly puid: number | undefined;
  readonly pgid: number | undefined;
  /** Called only when the Job has to be created. */
  readonly owner: () => Promise<OwnerReference | undefined>;
}

/** The probe's outcome, or undefined when it is off or lacks a uid and gid to test. */
export async function runProbe(
  scope: ProviderScope,
  request: ProbeRequest,
): Promise<ProbeOutcome | undefined> {
  const { setting, puid, pgid } = request;
  if (!setting || puid === undefined || pgid === undefined) return undefined;
  const image = typeof setting === 'object' ? setting.image : undefined;
  const spec = {
    claim: scope.ref.name,
    namespace: scope.ref.namespace,
    app: scope.app,
    puid,
    pgid,
    image,
  };
  const ref = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: scope.ref.namespace,
    name: probeJobName(spec),
  };
  try {
    return probeOutcome(await scope.kube.get<ProbeJob>(ref));
  } catch (failure) {
    if (!isNotFound(failure)) throw failure;
  }
  const owner = await request.owner();
  await scope.kube.create(buildProbeJob({ ...spec, owner }), { fieldManager: scope.fieldManager });
  scope.wrote();
  return { state: 'running' };
}

/** Waiting while the probe runs, Active once it passed, Blocked with the fix once it failed. */
export function probeStatus(
  probe: ProbeOutcome,
  claim: string,
  ids: { readonly puid?: number; readonly pgid?: number },
): Status {
  const who = `uid ${ids.puid ?? ''} / gid ${ids.pgid ?? ''}`;
  switch (probe.state) {
    case 'running':
      return waiting(`checking that ${who} can write to PVC ${claim}`);
    case 'succeeded':
      return active();
    case 'failed':
      return blocked(
        `${who} cannot write to PVC ${claim} (${probe.message}); make the volume's root writable ` +
          "for that group (chown/chmod on the backend) or publish the owner's puid/pgid",
      );
  }
}
