/**
 * `charmkit pack` end to end: the radarr example packed as a .charm, unpacked with Python's
 * zipfile (not our own reader), checked against its manifest, and its `dispatch` run as Juju would
 * run it — fake hook tools on PATH, the pod's service account mounted where a pod has it (a
 * private mount namespace), the real control plane behind KUBERNETES_SERVICE_HOST — mounting the
 * shared claim with one patch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createKubePort, type PersistentVolumeClaim, type StatefulSet } from 'charmkit/kube';
import { jujuStatefulSetFixture } from 'charmkit/testing';
import { FakeHookTools } from '../relations/support/fake-hook-tools.js';
import { kubeconfigPath, request, adminKubeConfig, useTestNamespace } from '../support/cluster.js';
import { createHostPathVolume, deleteVolumes } from '../support/storage.js';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';
import { DISPATCH_SCRIPT } from '../../cli/pack/pack.js';
import { rbacObjects } from '../../cli/rbac.js';

const ns = useTestNamespace('cli-pack');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-pack-test-'));
const pvs: string[] = [];
afterAll(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  await deleteVolumes(pvs);
});

interface Manifest {
  charm: string;
  runtime: { node: string };
  files: { path: string; bytes: number; sha256: string; mode: string }[];
}

const UNZIP = `
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        z.extract(info, sys.argv[2])
        os.chmod(os.path.join(sys.argv[2], info.filename), (info.external_attr >> 16) & 0o777)
`;

describe('charmkit pack', () => {
  it("the examples' dispatch files are exactly what pack writes", () => {
    for (const example of ['radarr', 'qbittorrent', 'gluetun']) {
      expect(fs.readFileSync(`examples/${example}-charm/dispatch`, 'utf8')).toBe(DISPATCH_SCRIPT);
    }
  });

  it('packs radarr; the unpacked charm matches its manifest and its dispatch mounts storage on a real cluster', async () => {
    const archive = path.join(work, 'radarr_amd64.charm');
    const stdout = new MemoryStream();
    const code = await main(['pack', 'radarr', '--out', archive], {
      stdout,
      stderr: new MemoryStream(),
      env: {},
    });
    expect(code).toBe(0);
    expect(stdout.text).toContain('radarr: bundle');

    const charm = path.join(work, 'radarr');
    execFileSync('python3', ['-c', UNZIP, archive, charm]);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(charm, 'charmkit-manifest.json'), 'utf8'),
    ) as Manifest;
    expect(manifest.charm).toBe('radarr');
    for (const file of manifest.files) {
      const data = fs.readFileSync(path.join(charm, file.path));
      expect([file.path, data.length, createHash('sha256').update(data).digest('hex')]).toEqual([
        file.path,
        file.bytes,
        file.sha256,
      ]);
      expect((fs.statSync(path.join(charm, file.path)).mode & 0o777).toString(8)).toBe(file.mode);
    }
    expect(manifest.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'dispatch',
        'bin/node',
        'charmkit/dist/dispatch.mjs',
        'metadata.yaml',
        'charmkit/schemas/storage/v1/provider.json',
      ]),
    );
    expect(fs.readFileSync(path.join(charm, 'metadata.yaml'), 'utf8')).toMatch(
      /^requires:\n {2}storage:/m,
    );
    expect(
      execFileSync(path.join(charm, 'bin/node'), ['--version'], { encoding: 'utf8' }).trim(),
    ).toBe(`v${manifest.runtime.node}`);

    // The cluster side Juju would have made: the StatefulSet, a claim, the unit's ServiceAccount
    // with exactly the Role `charmkit rbac radarr` prints, and its token.
    const admin = createKubePort({ kubeconfigPath });
    await admin.create<StatefulSet>(
      jujuStatefulSetFixture('radarr', ns.name, {
        name: 'radarr',
        image: 'registry.invalid/radarr:5',
      }),
    );
    pvs.push(
      await createHostPathVolume({ size: '1Gi', claim: { namespace: ns.name, name: 'media' } }),
    );
    await admin.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'media', namespace: ns.name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await admin.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'radarr', namespace: ns.name },
    });
    for (const object of rbacObjects({
      capabilities: ['storage-requirer'],
      namespace: ns.name,
      statefulSet: 'radarr',
    })) {
      await admin.create(object);
    }
    const token = await request<{ status: { token: string } }>(
      adminKubeConfig(),
      'POST',
      `/api/v1/namespaces/${ns.name}/serviceaccounts/radarr/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    );
    const serviceAccount = path.join(work, 'serviceaccount');
    fs.mkdirSync(serviceAccount);
    fs.writeFileSync(path.join(serviceAccount, 'token'), token.status.token);
    fs.copyFileSync(
      path.join(path.dirname(kubeconfigPath), 'pki', 'ca.crt'),
      path.join(serviceAccount, 'ca.crt'),
    );
    fs.writeFileSync(path.join(serviceAccount, 'namespace'), ns.name);
    const server = new URL(adminKubeConfig().getCurrentCluster()!.server);

    const tools = new FakeHookTools({ unit: 'radarr/0', leader: true }).addRelation({
      id: 3,
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteAppData: { 'pvc-name': 'media', namespace: ns.name, 'mount-path': '/data' },
    });
    try {
      const env = {
        ...tools.hookEnv('storage-relation-changed', { relationId: 3 }),
        JUJU_MODEL_NAME: ns.name,
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        SA: serviceAccount,
        HOME: work,
      };
      // A pod has its service account at /var/run/secrets/kubernetes.io/serviceaccount: give the
      // hook one there, in a mount namespace of its own, so nothing on this machine changes.
      const script =
        'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && ' +
        'cp "$SA"/* /run/secrets/kubernetes.io/serviceaccount/ && exec ./dispatch';
      const hook = spawnSync('unshare', ['-m', 'sh', '-c', script], {
        cwd: charm,
        env,
        encoding: 'utf8',
      });
      if (hook.error || hook.status !== 0) {
        throw new Error(
          `dispatch exited ${hook.status} (${hook.error?.message ?? ''}); stderr: ${hook.stderr}\n` +
            '(this test needs `unshare -m` and mount, i.e. root with CAP_SYS_ADMIN, as the machine and CI have)',
        );
      }
      expect(tools.statuses().at(-1)).toEqual({
        target: 'unit',
        status: 'maintenance',
        message: 'mounting shared storage at /data (rolling out)',
      });
      expect(tools.bag(3, 'radarr')).toMatchObject({ 'instance-name': 'radarr' });
    } finally {
      tools.remove();
    }
    const sts = await admin.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: ns.name,
      name: 'radarr',
    });
    expect(sts.spec.template.spec.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: 'media' } }),
    );
  });
});
