/**
 * Cilium: the one CNI where the standard kill switch needs help. Cilium matches in-cluster
 * destinations by identity, not address, so an `ipBlock` never matches the API server; a
 * CiliumNetworkPolicy allowing the `kube-apiserver` entity keeps the controller in the pod talking
 * to it.
 *
 * Whether Cilium runs is learnt from its CRD, a cluster-scoped read many charms may not make. It
 * is read once, when the kill switch is first written, and the answer is recorded on the kill
 * switch itself (an annotation), so later hooks read nothing extra and a 403 is not repeated on
 * every hook: it becomes `unknown`, with a note, never an error.
 */
import { asKubernetesError } from '../kube/errors.js';
import type { KubePort } from '../kube/port.js';
import type { KubeObject, ObjectMeta } from '../kube/types.js';
import { CILIUM_POLICY_TYPE, CRD_TYPE } from './resources.js';

/** Whether Cilium enforces policy here: read once, then recorded. */
export type CiliumPresence = 'present' | 'absent' | 'unknown';

/** The kill switch annotation that records `CiliumPresence`. */
export const CILIUM_ANNOTATION = 'charmkit.io/cilium';
/** The CRD whose existence means Cilium is installed. */
export const CILIUM_CRD = 'ciliumnetworkpolicies.cilium.io';

/** The note shown while presence is unknown. */
export const CILIUM_UNKNOWN_NOTE =
  'could not tell whether Cilium runs (no permission to read CustomResourceDefinitions); ' +
  "if it does, set the cilium option to 'present' so the API server stays reachable";

/** Reads the Cilium CRD once: 200 → present, 404 → absent, 403 → unknown. Other failures throw. */
export async function detectCilium(port: KubePort): Promise<CiliumPresence> {
  try {
    await port.get({ ...CRD_TYPE, name: CILIUM_CRD });
    return 'present';
  } catch (failure) {
    const kube = asKubernetesError(failure);
    if (kube?.isNotFound()) return 'absent';
    if (kube?.isForbidden()) return 'unknown';
    throw failure;
  }
}

/** The recorded answer on an observed kill switch, if any. */
export function recordedCilium(policy: KubeObject | undefined): CiliumPresence | undefined {
  const value = policy?.metadata.annotations?.[CILIUM_ANNOTATION];
  return value === 'present' || value === 'absent' || value === 'unknown' ? value : undefined;
}

/** The CiliumNetworkPolicy that lets the protected pods reach the API server by identity. */
export function buildCiliumApiServerPolicy(
  metadata: ObjectMeta & { name: string; namespace: string },
  podLabels: Readonly<Record<string, string>>,
): KubeObject {
  return {
    ...CILIUM_POLICY_TYPE,
    metadata: structuredClone(metadata),
    spec: {
      endpointSelector: { matchLabels: { ...podLabels } },
      egress: [{ toEntities: ['kube-apiserver'] }],
    },
  };
}
