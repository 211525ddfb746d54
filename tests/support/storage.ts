/**
 * Storage fixtures for the test cluster. There is no dynamic provisioner on loopback, so tests
 * create hostPath PersistentVolumes that the real PV binder (kube-controller-manager, 1 s sync)
 * binds claims to, exactly as it binds pre-provisioned volumes in production.
 *
 * `playResizeDriver` stands in for a CSI driver's external-resizer, which cannot run here: after
 * the API server accepts a larger request on a claim whose class allows expansion, it updates the
 * PV's capacity and the claim's status the way a driver would report a finished expansion. It is
 * exactly that and nothing more: it proves nothing about any real driver.
 */
import { randomBytes } from 'node:crypto';
import { adminKubeConfig, request, waitUntil } from './cluster.js';

export interface HostPathVolumeOptions {
  size: string;
  storageClassName?: string;
  accessModes?: string[];
  /**
   * Pre-bind to one claim (namespace/name), as a static provisioning workflow would. Tests should
   * always pass it: test files run concurrently, and an unreserved PV can be bound to any other
   * file's matching claim.
   */
  claim?: { namespace: string; name: string };
  name?: string;
}

/** Creates a hostPath PV and returns its name. The path is never touched: nodes are kwok fakes. */
export async function createHostPathVolume(options: HostPathVolumeOptions): Promise<string> {
  const name = options.name ?? `pv-${randomBytes(4).toString('hex')}`;
  await request(adminKubeConfig(), 'POST', '/api/v1/persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: { 'charmkit.dev/fixture': 'true' } },
    spec: {
      capacity: { storage: options.size },
      accessModes: options.accessModes ?? ['ReadWriteOnce'],
      storageClassName: options.storageClassName ?? 'standard',
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/tmp/charmkit-fixtures/${name}`, type: 'DirectoryOrCreate' },
      ...(options.claim
        ? { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...options.claim } }
        : {}),
    },
  });
  return name;
}

/** Deletes fixture PVs by name; used in afterAll so the cluster-scoped objects do not pile up. */
export async function deleteVolumes(names: readonly string[]): Promise<void> {
  const kc = adminKubeConfig();
  for (const name of names) {
    await request(kc, 'DELETE', `/api/v1/persistentvolumes/${name}`).catch(() => undefined);
  }
}

/**
 * Plays the storage driver's part in a volume expansion (see the module comment): sets the bound
 * PV's capacity and the claim's status.capacity to the claim's requested size.
 */
export async function playResizeDriver(namespace: string, claimName: string): Promise<void> {
  const kc = adminKubeConfig();
  const claim = await request<{
    spec: { volumeName?: string; resources: { requests: { storage: string } } };
  }>(kc, 'GET', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}`);
  const size = claim.spec.resources.requests.storage;
  if (!claim.spec.volumeName) throw new Error(`claim ${namespace}/${claimName} is not bound`);
  await request(
    kc,
    'PATCH',
    `/api/v1/persistentvolumes/${claim.spec.volumeName}`,
    { spec: { capacity: { storage: size } } },
    'application/merge-patch+json',
  );
  await request(
    kc,
    'PATCH',
    `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}/status`,
    {
      status: {
        capacity: { storage: size },
        allocatedResources: { storage: size },
        conditions: null,
      },
    },
    'application/merge-patch+json',
  );
}

/**
 * A ReadWriteOnce claim on the default class, bound to its own pre-bound hostPath PV by the real
 * PV binder; resolves once the claim is Bound. Returns the PV's name so the caller can delete it
 * (PVs are cluster-scoped and outlive the test namespace).
 */
export async function createBoundClaim(
  namespace: string,
  name: string,
  size = '1Gi',
): Promise<string> {
  const kc = adminKubeConfig();
  const pv = await createHostPathVolume({ size, claim: { namespace, name } });
  await request(kc, 'POST', `/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard',
      resources: { requests: { storage: size } },
    },
  });
  await waitUntil(`${name} to bind`, async () => {
    const claim = await request<{ status?: { phase?: string } }>(
      kc,
      'GET',
      `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`,
    );
    return claim.status?.phase === 'Bound';
  });
  return pv;
}
