/**
 * `charmkit resize` on the real control plane (the provisioner and the CSI resizer played by the
 * resize tests' own support): --dry-run prints the plan and changes nothing; the real run grows the
 * claim in place with progress on stderr and a summary on stdout; a second run has nothing to do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PersistentVolumeClaim, StatefulSet } from 'charmkit/kube';
import {
  adminKubeConfig,
  kubeconfigPath,
  request,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import { createUnmanagedNode, type UnmanagedNode } from '../support/kubelet.js';
import { statefulSetFixture } from '../support/objects.js';
import { playCluster, type PlayedCluster } from '../storage/resize/support/played.js';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';

const ns = useTestNamespace('cli-resize');
const kc = () => adminKubeConfig();
let node: UnmanagedNode;
let played: PlayedCluster;
let root = '';

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-cli-resize-'));
  node = await createUnmanagedNode('charmkit-cli-resize');
  played = playCluster(ns.name, node.name, root);
});

afterAll(async () => {
  await played?.stop();
  await request(kc(), 'DELETE', `/apis/apps/v1/namespaces/${ns.name}/statefulsets/grow`).catch(
    () => undefined,
  );
  await node?.remove();
  await played?.removeVolumes();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const claim = () =>
  request<PersistentVolumeClaim>(
    kc(),
    'GET',
    `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/data-grow-0`,
  );

async function cli(args: string[]) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main(
    ['resize', 'grow', '-n', ns.name, '--kubeconfig', kubeconfigPath, ...args],
    {
      stdout,
      stderr,
      env: {},
    },
  );
  return { code, out: stdout.text, err: stderr.text };
}

describe('charmkit resize on a real API server', () => {
  it('plans with --dry-run (nothing written), then grows in place with progress, then has nothing to do', async () => {
    const set = statefulSetFixture({
      name: 'grow',
      namespace: ns.name,
      replicas: 1,
      containers: [
        {
          name: 'workload',
          image: 'registry.invalid/workload:1',
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    });
    set.spec.volumeClaimTemplates = [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'standard',
          resources: { requests: { storage: '1Gi' } },
        },
      },
    ];
    await request(kc(), 'POST', `/apis/apps/v1/namespaces/${ns.name}/statefulsets`, set);
    await waitUntil(
      'grow to have a Ready pod',
      async () => {
        const s = await request<StatefulSet>(
          kc(),
          'GET',
          `/apis/apps/v1/namespaces/${ns.name}/statefulsets/grow`,
        );
        return s.status?.readyReplicas === 1;
      },
      { timeoutMs: 120_000 },
    );

    const plan = await cli(['--size', '2Gi', '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(`plan (dry run, nothing written): ${ns.name}/grow, 1 replica(s)`);
    expect(plan.out).toMatch(/data-grow-0: in-place — /);
    expect(plan.out).toMatch(/^ {2} 1\. /m);
    expect((await claim()).spec.resources?.requests?.storage).toBe('1Gi');

    const run = await cli(['--size', '2Gi']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('data-grow-0: 1Gi → 2Gi (in-place)');
    expect(run.out).toContain('resized');
    // Off a terminal the progress is plain lines: the start, some steps, the end.
    expect(run.err).toContain(`resizing ${ns.name}/grow ...`);
    expect(run.err).toMatch(/resizing .*: done resized/);
    expect(run.err).not.toContain('\r');
    expect((await claim()).status?.capacity?.storage).toBe('2Gi');

    const again = await cli(['--size', '2Gi']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('nothing to do');
  });

  it('refuses to shrink, with exit 1 and the reason', async () => {
    const shrink = await cli(['--size', '1Gi']);
    expect(shrink.code).toBe(1);
    expect(shrink.err).toMatch(/^(refused|cannot resize): .*(smaller|shrink)/im);
  });
});
