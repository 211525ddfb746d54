/**
 * The Juju entry point at its process boundary: real JujuBackend, fake hook-tool executables on
 * PATH backed by a fake unit agent (asserting the exact argv Juju's agent would receive and the
 * state it is left in).
 *
 * The entry itself (src/dispatch.ts, shown in docs/getting-started.md) is imported as it is, with
 * the environment of a hook and an API server that does not answer: it must end with a non-zero
 * exit code so Juju retries the hook. The other cases run the same two lines — `runHook` over
 * `RadarrCharm` — with FakeCluster as the port.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { PersistentVolumeClaim, StatefulSet } from 'charmkit/kube';
import { JujuBackend } from 'charmkit/relations';
import { FakeCluster } from 'charmkit/testing';
import { runHook } from 'charmkit/workload';
import { FakeHookTools } from '../../../tests/relations/support/fake-hook-tools.js';
import { closedPort, writeKubeconfig } from '../../../tests/support/unreachable-api-server.mjs';
import { RadarrCharm } from '../src/charm.js';

const NS = 'media';

const statefulSet: StatefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'radarr', namespace: NS },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'radarr' } },
    template: {
      metadata: { labels: { app: 'radarr' } },
      spec: {
        containers: [
          { name: 'charm', image: 'c' },
          { name: 'radarr', image: 'r' },
        ],
      },
    },
  },
};
const claim: PersistentVolumeClaim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'shared-media', namespace: NS },
  spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Ti' } } },
  status: { phase: 'Bound' },
};

const offer = { 'pvc-name': 'shared-media', namespace: NS, 'mount-path': '/data', pgid: '1000' };

let tools: FakeHookTools;
/** The fake agent with radarr/0 (the leader) related on storage:7 to a provider that published `data`. */
function related(data: Record<string, string> = offer): FakeHookTools {
  tools = new FakeHookTools({ unit: 'radarr/0', leader: true }).addRelation({
    id: 7,
    endpoint: 'storage',
    remoteApp: 'charmarr-storage',
    remoteAppData: data,
  });
  return tools;
}
beforeEach(() => {
  related();
});
afterEach(() => {
  tools.remove();
  process.exitCode = undefined;
});

const changedHook = () => tools.hookEnv('storage-relation-changed', { relationId: 7 });

/** The two lines of src/dispatch.ts, with FakeCluster for the pod's credentials. */
async function dispatch(kube: FakeCluster) {
  const backend = new JujuBackend({ env: changedHook() });
  return runHook(backend, new RadarrCharm({ backend, kube }));
}

describe('dispatch (Juju entry point)', () => {
  it('the entry as documented: an unreachable API server exits non-zero so Juju retries', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-unreachable-'));
    const kubeconfig = path.join(dir, 'config');
    const server = `https://127.0.0.1:${await closedPort()}`;
    writeKubeconfig(kubeconfig, server);
    const saved = { ...process.env };
    Object.assign(process.env, changedHook(), { KUBECONFIG: kubeconfig });
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      const { run } = await import('../src/dispatch.js');
      expect(run.exitCode).toBe(1);
      expect(process.exitCode).toBe(1);
      expect(run.status?.name).toBe('error');
      expect(run.status?.message).toContain(`cannot reach the Kubernetes API server at ${server}`);
      // Juju shows the reason (a charm cannot set `error`: it goes as blocked with a prefix) ...
      expect(tools.statuses()).toEqual([
        { target: 'unit', status: 'blocked', message: `error: ${run.status?.message}` },
      ]);
      // ... and the unit's log says the hook failed.
      expect(tools.logs().map((l) => l.level)).toEqual(['ERROR']);
      expect(tools.logs()[0]?.message).toContain('storage-relation-changed: error: ');
    } finally {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000); // the adapter retries a refused connection with backoff before it gives up

  it('storage-relation-changed: reads the relation with hook tools, patches once, sets the status, exits 0', async () => {
    const kube = new FakeCluster({
      simulate: { statefulSets: true },
      objects: [statefulSet, claim],
    });

    const { exitCode, result } = await dispatch(kube);

    expect(exitCode).toBe(0);
    expect(process.exitCode).toBeUndefined();
    const status = {
      name: 'maintenance',
      message: 'mounting shared storage at /data (rolling out)',
    };
    expect(result?.status).toEqual(status);
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
    const argvs = tools.argvs().map((a) => a.join(' '));
    expect(argvs).toContain('relation-set -r 7 --app --file -');
    expect(argvs.slice(-2)).toEqual([
      `status-set -- maintenance ${status.message}`,
      `juju-log --log-level INFO -- storage-relation-changed: maintenance: ${status.message}`,
    ]);
    expect(tools.bag(7, 'radarr')).toEqual({
      'instance-name': 'radarr',
      // The same name in charmarr's media-storage form, for charmarr providers.
      config: '{"instance_name":"radarr"}',
    });
    expect(tools.statuses()).toEqual([
      { target: 'unit', status: 'maintenance', message: status.message },
    ]);
    expect(tools.logs()).toEqual([
      {
        level: 'INFO',
        message: `storage:7: storage-relation-changed: maintenance: ${status.message}`,
      },
    ]);
  });

  it('invalid relation data: Blocked naming the field, exit 0 (retrying would not help)', async () => {
    tools.remove();
    related({ ...offer, 'mount-path': 'data' });
    const kube = new FakeCluster({ objects: [statefulSet, claim] });
    const run = await dispatch(kube);
    expect(run.exitCode).toBe(0);
    expect(process.exitCode).toBeUndefined();
    expect(run.status).toEqual({
      name: 'blocked',
      message:
        'invalid storage data from charmarr-storage on storage:7: mount-path: must be an absolute path',
    });
    expect(kube.requests).toEqual([]);
    expect(tools.logs().map((l) => l.level)).toEqual(['INFO']);
  });

  it('a failing hook tool exits non-zero so Juju retries the hook, and says why in the log', async () => {
    tools.fail('relation-get', { stderr: 'ERROR connection is shut down\n' });
    const kube = new FakeCluster({ objects: [statefulSet, claim] });
    const { exitCode, result } = await dispatch(kube);
    expect(exitCode).toBe(1);
    expect(process.exitCode).toBe(1);
    expect(result?.status.name).toBe('error');
    expect(kube.requests).toEqual([]);
    expect(tools.statuses().map((s) => s.status)).toEqual(['blocked']);
    expect(tools.statuses()[0]?.message).toMatch(/^error: .*connection is shut down/);
    expect(tools.logs().map((l) => l.level)).toEqual(['ERROR']);
  });

  it.each([
    ['in its own -broken hook', (t: FakeHookTools) => t.breakRelation(7)],
    ['gone from the agent', (t: FakeHookTools) => t.forgetRelation(7, 'not-found')],
    [
      'forgotten by Juju (cross-model, forced)',
      (t: FakeHookTools) => t.forgetRelation(7, 'permission-denied'),
    ],
  ])(
    'storage-relation-broken with the relation %s ends normally, with no request',
    async (_, end) => {
      end(tools);
      const kube = new FakeCluster({ objects: [statefulSet, claim] });
      const backend = new JujuBackend({
        env: tools.hookEnv('storage-relation-broken', { relationId: 7 }),
      });
      const { exitCode, result } = await runHook(backend, new RadarrCharm({ backend, kube }));
      expect(exitCode).toBe(0);
      expect(result?.status).toEqual({ name: 'blocked', message: 'waiting for storage relation' });
      expect(kube.requests).toEqual([]);
      expect(tools.statuses()).toEqual([
        { target: 'unit', status: 'blocked', message: 'waiting for storage relation' },
      ]);
    },
  );
});
