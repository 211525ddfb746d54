/**
 * Deterministic names for what a resize creates: its journal, the copy claims and the Jobs.
 *
 * A run that crashed must find exactly the objects the previous run created, without a list and a
 * guess, so every name is a pure function of what it stands for (the namespace, the StatefulSet,
 * the claim's UID and the target size). Each name is a valid DNS-1123 label of at most 63
 * characters, because Job names end up in pod labels (`job-name`) whose values stop at 63; a
 * readable prefix is kept and a hash keeps truncated names distinct.
 */
import { createHash } from 'node:crypto';

/** The longest name a label value (and so a Job name) may have. */
export const MAX_NAME_LENGTH = 63;

/** Labels every object of a resize carries, so a person can find them all with one selector. */
export const RESIZE_LABEL = 'resize.charmkit.io/statefulset';
/** Which job a pod or Job does (`copy`, `verify`, `copy-back`, `verify-back`). */
export const ROLE_LABEL = 'resize.charmkit.io/role';
/** The claim a Job or copy claim belongs to. */
export const CLAIM_LABEL = 'resize.charmkit.io/claim';

/** A short, stable hash of the parts (hex). */
export function shortHash(parts: readonly string[], length = 8): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, length);
}

/**
 * `<readable>-<hash>`: the readable part is lowercased, stripped of characters a label cannot hold
 * and cut so that the whole fits `MAX_NAME_LENGTH`; the hash is of the full, uncut parts.
 */
export function boundedName(readable: string, hashParts: readonly string[]): string {
  const hash = shortHash(hashParts);
  const room = MAX_NAME_LENGTH - hash.length - 1;
  const cleaned = readable
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return cleaned ? `${cleaned}-${hash}` : `r-${hash}`;
}

/** The ConfigMap that holds a StatefulSet's resize journal and lock. */
export function journalName(namespace: string, statefulSet: string): string {
  return boundedName(`resize-${statefulSet}`, ['journal', namespace, statefulSet]);
}

/** The new, larger claim a volume is copied into. */
export function copyClaimName(claim: string, claimUid: string, target: string): string {
  return boundedName(`${claim}-rsz`, ['copy', claim, claimUid, target]);
}

/** A Job of one role for one claim. */
export function jobName(role: string, claim: string, claimUid: string, target: string): string {
  return boundedName(`rsz-${role}-${claim}`, ['job', role, claim, claimUid, target]);
}
