/**
 * ResourceQuota checks for claims.
 *
 * A namespace quota on `requests.storage` or `persistentvolumeclaims` (optionally per class) makes
 * the API server refuse to create or grow a claim with a 403 that is not an RBAC problem: granting
 * a Role would not help. Checking the quota first lets a status name the quota and the numbers, and
 * the parser below does the same for the server's own refusal when we did not look first.
 */
import type { KubeObject } from '../kube/types.js';
import { addQuantities, compareQuantities, parseQuantity } from '../kube/quantity.js';

/** A v1 ResourceQuota, the fields quota checks read. */
export interface ResourceQuota extends KubeObject {
  spec?: { hard?: Record<string, string>; [key: string]: unknown };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** One quota limit a claim would break. */
export interface QuotaViolation {
  /** The ResourceQuota's name. */
  readonly quota: string;
  /** The quota resource, e.g. `requests.storage`. */
  readonly resource: string;
  /** What the claim adds. */
  readonly requested: string;
  /** What is already used. */
  readonly used: string;
  /** The hard limit. */
  readonly limit: string;
}

/** What a write would add to the namespace's usage. */
export interface ClaimUsage {
  /** The class the claim uses (after default resolution); per-class quotas apply to it. */
  readonly storageClassName: string | undefined;
  /** Storage added: the full size for a new claim, the growth for a resize. */
  readonly storage: string;
  /** Claims added: 1 for a create, 0 for a resize. */
  readonly claims: 0 | 1;
}

/** The first quota limit `usage` would exceed, or undefined when it fits. */
export function checkClaimQuota(
  usage: ClaimUsage,
  quotas: readonly ResourceQuota[],
): QuotaViolation | undefined {
  const resources: [string, string][] = [
    ['requests.storage', usage.storage],
    ['persistentvolumeclaims', String(usage.claims)],
  ];
  if (usage.storageClassName) {
    const prefix = `${usage.storageClassName}.storageclass.storage.k8s.io/`;
    resources.push([`${prefix}requests.storage`, usage.storage]);
    resources.push([`${prefix}persistentvolumeclaims`, String(usage.claims)]);
  }
  for (const quota of quotas) {
    const hard = quota.status?.hard ?? quota.spec?.hard ?? {};
    const used = quota.status?.used ?? {};
    for (const [resource, requested] of resources) {
      const limit = hard[resource];
      if (limit === undefined || parseQuantity(requested).numerator === 0n) continue;
      const current = used[resource] ?? '0';
      if (compareQuantities(addQuantities(current, requested), parseQuantity(limit)) > 0) {
        return { quota: quota.metadata.name ?? '', resource, requested, used: current, limit };
      }
    }
  }
  return undefined;
}

const QUOTA_ERROR =
  /exceeded quota: (?<quota>[^,]+), requested: (?<requested>[^=]+)=(?<req>[^,]+), used: [^=]+=(?<used>[^,]+), limited: [^=]+=(?<limit>\S+)/;

/**
 * Parses the API server's quota refusal ("exceeded quota: q, requested: requests.storage=5Gi,
 * used: requests.storage=0, limited: requests.storage=1Gi"); undefined for other messages.
 */
export function parseQuotaError(message: string): QuotaViolation | undefined {
  const g = QUOTA_ERROR.exec(message)?.groups;
  if (!g) return undefined;
  return {
    quota: g.quota ?? '',
    resource: g.requested ?? '',
    requested: g.req ?? '',
    used: g.used ?? '',
    limit: g.limit ?? '',
  };
}

/** A status-ready sentence naming the quota, the numbers and the fix. */
export function describeQuotaViolation(claim: string, v: QuotaViolation): string {
  return (
    `PVC ${claim} would exceed ResourceQuota ${v.quota} (${v.resource}: ${v.requested} requested, ` +
    `${v.used} used of ${v.limit}); raise the quota or request less storage`
  );
}
