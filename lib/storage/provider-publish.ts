/**
 * Publishing a usable claim to every requirer: the leader writes the offer into each relation's
 * app bag — charmkit's keys and charmarr's `config` object together, so either kind of requirer
 * reads it — and only where it differs from what is already there.
 */
import type { PersistentVolumeClaim } from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import type { AccessMode } from './access-mode.js';
import type { StorageProviderEndpoint } from './interface.js';
import type { ProviderScope } from './provider-scope.js';
import { InvalidStorageDataError, type StorageOffer, type StorageWireFormat } from './validate.js';

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
): Omit<StorageOffer, 'wireFormat'> {
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
  offer: Omit<StorageOffer, 'wireFormat'>,
): Promise<number[]> {
  if (!(await backend.isLeader())) return [];
  const written: number[] = [];
  for (const relation of await endpoint.relations()) {
    if (await endpoint.publishOffer(relation, offer)) written.push(relation.id);
  }
  if (written.length > 0) scope.wrote();
  return written;
}

/** One requirer the offer reaches, as it introduced itself. */
export interface StorageRequirerInstance {
  readonly relationId: number;
  readonly app: string;
  /** The instance name it published; undefined while it published none, or an invalid one. */
  readonly instanceName: string | undefined;
  /** The format it published in. */
  readonly wireFormat: StorageWireFormat | undefined;
}

/**
 * Every related requirer's instance name, in whichever format it wrote it. An invalid bag is a
 * note, not a failure: the name is informational and the claim is served all the same.
 */
export async function requirerInstances(
  scope: ProviderScope,
  endpoint: StorageProviderEndpoint,
): Promise<StorageRequirerInstance[]> {
  const instances: StorageRequirerInstance[] = [];
  for (const relation of await endpoint.relations()) {
    let read: Awaited<ReturnType<StorageProviderEndpoint['remoteInstance']>>;
    try {
      read = await endpoint.remoteInstance(relation);
    } catch (error) {
      if (!(error instanceof InvalidStorageDataError)) throw error;
      scope.notes.push(error.message);
    }
    instances.push({
      relationId: relation.id,
      app: relation.remoteApp,
      instanceName: read?.instanceName,
      wireFormat: read?.wireFormat,
    });
  }
  return instances;
}
