/**
 * `charmkit demo --kubeconfig` on the real control plane: the same stack in a namespace of its
 * own, every application Active, the no-op counts as on FakeCluster, and the namespace deleted
 * afterwards.
 */
import { describe, expect, it } from '@jest/globals';
import { createKubePort, type KubeObject } from 'charmkit/kube';
import { kubeconfigPath } from '../support/cluster.js';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';

describe('charmkit demo on a real API server', () => {
  it('runs the stack in its own namespace, ends Active, and deletes the namespace', async () => {
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    // This cluster has no volume provisioner: the shared claim binds a static hostPath volume.
    const code = await main(
      ['demo', '--kubeconfig', kubeconfigPath, '--host-path', '/tmp/charmkit-demo-test'],
      {
        stdout,
        stderr,
        env: {},
      },
    );
    if (code !== 0) console.log(stdout.text, stderr.text);
    expect(stdout.text).toContain('waiting for qbittorrent to roll out');
    expect(stderr.text).toContain('deleting namespace');
    expect(code).toBe(0);
    const namespace = /namespace (charmkit-demo-[0-9a-f]{6})/.exec(stdout.text)?.[1];
    expect(namespace).toBeDefined();
    const rows = stdout.text.slice(stdout.text.indexOf('app          status')).split('\n');
    expect(rows.find((r) => r.startsWith('radarr'))).toMatch(/2 reads, 0 writes$/);
    expect(rows.find((r) => r.startsWith('qbittorrent'))).toMatch(/6 reads, 0 writes$/);
    // Cleaned up: the namespace is gone or going.
    const admin = createKubePort({ kubeconfigPath });
    const ns = await admin
      .get<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', name: namespace! })
      .catch(() => undefined);
    expect(ns === undefined || ns.metadata.deletionTimestamp !== undefined).toBe(true);
  });
});
