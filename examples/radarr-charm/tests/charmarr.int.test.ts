/**
 * The Radarr example against an unmodified charmarr storage charm, on the real control plane.
 *
 * The provider's application bag is one recorded from charmarr's own Python library
 * (tests/storage/fixtures/charmarr: `config` JSON with pvc_name, mount_path /media, puid 1001,
 * pgid 1002); its claim is created the way the charmarr storage charm would leave it, bound by the
 * real PV binder. Radarr keeps its own `storage` endpoint (Juju relates endpoints of different
 * names when the interface matches), recognises charmarr's format, patches its StatefulSet once,
 * the real StatefulSet controller rolls the pod, and the running pod mounts the claim at /media
 * with fsGroup 1002. A second reconcile writes nothing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort, RequestLog } from 'charmkit/kube';
import type { KubePort, Pod, StatefulSet } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../../../tests/support/cluster.js';
import { jujuCharmStatefulSet } from '../../../tests/support/objects.js';
import { createBoundClaim, deleteVolumes } from '../../../tests/support/storage.js';
import { RadarrCharm, STORAGE_ENDPOINT, type RadarrReconcile } from '../src/charm.js';

const recorded = JSON.parse(
  readFileSync(
    new URL('../../../tests/storage/fixtures/charmarr/charmarr-bags.json', import.meta.url),
    'utf8',
  ),
) as { provider: { custom: Record<string, string> } };

const ns = useTestNamespace('radarr-charmarr');
const log = new RequestLog();
const pvs: string[] = [];
let admin: KubePort;

beforeAll(() => {
  admin = createKubePort({ kubeconfigPath });
});
afterAll(() => deleteVolumes(pvs));

describe('radarr (charmkit) with a charmarr storage provider, on a real API server', () => {
  it("mounts the claim from charmarr's recorded bag with one patch, at its path and pgid", async () => {
    await admin.create<StatefulSet>(
      jujuCharmStatefulSet('radarr', ns.name, {
        name: 'radarr',
        image: 'registry.invalid/linuxserver/radarr:5',
      }),
    );
    pvs.push(await createBoundClaim(ns.name, 'charmarr-shared-media'));

    const model = new MemoryModel({ name: ns.name });
    const relation = model.relate(
      { app: 'charmarr-storage', endpoint: 'media-storage' },
      { app: 'radarr', endpoint: STORAGE_ENDPOINT },
    );
    model.seedBag(relation, { scope: 'app', name: 'charmarr-storage' }, recorded.provider.custom);
    const radarrBackend = model.backend('radarr/0', { leader: true });
    const radarr = new RadarrCharm({
      backend: radarrBackend,
      kube: createKubePort({ kubeconfigPath, onRequest: log.onRequest }),
    });

    log.clear();
    const first = await radarr.reconcile();
    expect(first.storage.state).toBe('patched');
    expect(first.storage.offer).toMatchObject({
      claimName: 'charmarr-shared-media',
      mountPath: '/media',
      puid: 1001,
      pgid: 1002,
      wireFormat: 'charmarr',
    });
    expect(log.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
      'patch StatefulSet 200',
    ]);
    // Radarr introduced itself in both forms: a charmarr provider reads `config`.
    expect(model.bag(relation, { scope: 'app', name: 'radarr' })).toEqual({
      'instance-name': 'radarr',
      config: '{"instance_name":"radarr"}',
    });

    const mounted = await waitUntil<RadarrReconcile>(
      'the rollout to finish and the mount to be verified',
      async () => {
        const r = await radarr.reconcile();
        return r.storage.state === 'mounted' ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(mounted.status).toEqual({
      name: 'active',
      message: 'shared storage charmarr-shared-media mounted at /media',
    });
    const pod = await admin.get<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns.name,
      name: 'radarr-0',
    });
    expect(pod.spec.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: 'charmarr-shared-media' } }),
    );
    expect(pod.spec.containers.find((c) => c.name === 'radarr')?.volumeMounts).toContainEqual(
      expect.objectContaining({ mountPath: '/media' }),
    );
    expect(pod.spec.securityContext?.fsGroup).toBe(1002);

    log.clear();
    const noop = await radarr.reconcile();
    expect(noop.storage.changed).toBe(false);
    expect(log.writes()).toEqual([]);
  });
});
