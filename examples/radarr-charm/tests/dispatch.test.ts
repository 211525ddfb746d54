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
  tools = new FakeHookTools();
});
afterEach(() => tools.remove());

function relationHookEnv(): Record<string, string> {
  return tools.env({
    JUJU_DISPATCH_PATH: 'hooks/storage-relation-changed',
    JUJU_RELATION: 'storage',
    JUJU_RELATION_ID: 'storage:7',
    JUJU_REMOTE_APP: 'charmarr-storage',
  });
}

describe('dispatch (Juju entry point)', () => {
  it('storage-relation-changed: reads the relation with hook tools, patches once, sets the status', async () => {
    tools
      .json('relation-ids storage --format=json', ['storage:7'])
      .json('relation-list -r 7 --app --format=json', 'charmarr-storage')
      .json('relation-list -r 7 --format=json', ['charmarr-storage/0'])
      .json('relation-get -r 7 --app --format=json - charmarr-storage', {
        'pvc-name': 'shared-media',
        namespace: NS,
        'mount-path': '/data',
        pgid: '1000',
      })
      .json('relation-get -r 7 --app --format=json - radarr', {})
      .json('is-leader --format=json', true);
    const kube = new FakeCluster({
      simulate: { statefulSets: true },
      objects: [statefulSet, claim],
    });

    const { exitCode, result } = await dispatch({ env: relationHookEnv(), kube });

    expect(exitCode).toBe(0);
    expect(result?.status).toEqual({
      name: 'maintenance',
      message: 'mounting shared storage at /data (rolling out)',
    });
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
    const argvs = tools.argvs().map((a) => a.join(' '));
    expect(argvs).toContain('relation-set -r 7 --app --file -');
    expect(argvs.at(-1)).toBe(
      'status-set maintenance mounting shared storage at /data (rolling out)',
    );
    const published = tools.calls().find((c) => c.argv[0] === 'relation-set');
    expect(JSON.parse(published?.stdin ?? '{}')).toEqual({ 'instance-name': 'radarr' });
  });

  it('a failing hook tool exits non-zero so Juju retries the hook', async () => {
    tools
      .json('relation-ids storage --format=json', ['storage:7'])
      .json('relation-list -r 7 --app --format=json', 'charmarr-storage')
      .json('relation-list -r 7 --format=json', ['charmarr-storage/0'])
      .reply('relation-get', { stderr: 'ERROR connection refused', exit: 1 })
      .json('is-leader --format=json', true);
    const kube = new FakeCluster({ objects: [statefulSet, claim] });
    const { exitCode, result } = await dispatch({ env: relationHookEnv(), kube });
    expect(exitCode).toBe(1);
    expect(result?.status.name).toBe('error');
    expect(kube.requests).toEqual([]);
    expect(tools.argvs().at(-1)?.slice(0, 2)).toEqual(['status-set', 'blocked']);
  });
});
