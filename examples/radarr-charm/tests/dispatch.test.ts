/**
 * The Juju entry point at its process boundary: real JujuBackend, fake hook-tool executables on
 * PATH (asserting the exact argv Juju's agent would receive), FakeCluster for Kubernetes.
 */
import type { PersistentVolumeClaim, StatefulSet } from 'charmkit/kube';
import { FakeCluster } from 'charmkit/testing';
import { FakeHookTools } from '../../../tests/relations/support/fake-hook-tools.js';
import { dispatch } from '../src/dispatch.js';

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

let tools: FakeHookTools;
beforeEach(() => {
  tools = new FakeHookTools({ unit: 'radarr/0', leader: true }).addRelation({
    id: 7,
    endpoint: 'storage',
    remoteApp: 'charmarr-storage',
    remoteAppData: {
      'pvc-name': 'shared-media',
      namespace: NS,
      'mount-path': '/data',
      pgid: '1000',
    },
  });
});
afterEach(() => tools.remove());

const changedHook = () => tools.hookEnv('storage-relation-changed', { relationId: 7 });

describe('dispatch (Juju entry point)', () => {
  it('storage-relation-changed: reads the relation with hook tools, patches once, sets the status', async () => {
    const kube = new FakeCluster({
      simulate: { statefulSets: true },
      objects: [statefulSet, claim],
    });

    const { exitCode, result } = await dispatch({ env: changedHook(), kube });

    expect(exitCode).toBe(0);
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

  it('a failing hook tool exits non-zero so Juju retries the hook, and says why in the log', async () => {
    tools.fail('relation-get', { stderr: 'ERROR connection is shut down\n' });
    const kube = new FakeCluster({ objects: [statefulSet, claim] });
    const { exitCode, result } = await dispatch({ env: changedHook(), kube });
    expect(exitCode).toBe(1);
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
      const env = tools.hookEnv('storage-relation-broken', { relationId: 7 });
      const { exitCode, result } = await dispatch({ env, kube });
      expect(exitCode).toBe(0);
      expect(result?.status).toEqual({ name: 'blocked', message: 'waiting for storage relation' });
      expect(kube.requests).toEqual([]);
      expect(tools.statuses()).toEqual([
        { target: 'unit', status: 'blocked', message: 'waiting for storage relation' },
      ]);
    },
  );
});
