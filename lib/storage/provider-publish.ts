/**
 * Publishing a usable claim to every requirer: the leader writes the offer into each relation's
 * app bag, and only where it differs from what is already there.
 */
import type { PersistentVolumeClaim } from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import type { AccessMode } from './access-mode.js';
import type { StorageProviderEndpoint } from './interface.js';
import type { ProviderScope } from './provider-scope.js';
import { fromStorageOffer, type StorageOffer } from './validate.js';

/** What the provider tells requirers besides the claim itself. */
export interface PublishedSettings {
  readonly mountPath: string;
  readonly puid?: number;
  readonly pgid?: number;
}

/** The offer describing `claim`, as requirers will read it. */
export function offerFor(
  scope: ProviderScope,
  claim: PersistentVolumeClaim,
  settings: PublishedSettings,
): StorageOffer {
  return {
    claimName: scope.ref.name,
    namespace: scope.ref.namespace,
    mountPath: settings.mountPath,
    puid: settings.puid,
    pgid: settings.pgid,
    accessMode: claim.spec.accessModes?.[0] as AccessMode | undefined,
    storageClass: claim.spec.storageClassName || undefined,
    size: claim.spec.resources?.requests?.storage,
  };
}

/** Publishes `offer` to every relation (leader only); resolves to the relation ids written. */
export async function publishOffer(
  scope: ProviderScope,
  backend: RelationBackend,
  endpoint: StorageProviderEndpoint,
  offer: StorageOffer,
): Promise<number[]> {
  if (!(await backend.isLeader())) return [];
  const data = fromStorageOffer(offer);
  const written: number[] = [];
  for (const relation of await endpoint.relations()) {
    if (await endpoint.publishAppData(relation, data)) written.push(relation.id);
  }
  if (written.length > 0) scope.wrote();
  return written;
}
