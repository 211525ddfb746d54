import { describe, expect, it } from '@jest/globals';
import {
  storedContainer,
  storedEnvVar,
  storedVolume,
  storedVolumeMount,
} from '../../../lib/workload/plan/stored-form.js';
import { FakeCluster } from '../../../lib/testing/fake-cluster.js';
import { statefulSetFixture } from '../../../lib/testing/fixtures.js';
import { reconcileStatefulSet } from '../../../lib/workload/plan/apply.js';
import type { StatefulSetPlan } from '../../../lib/workload/plan/index.js';

describe('fragments in stored form', () => {
  it('drops zero-valued omitempty fields and defaults fieldRef.apiVersion', () => {
    expect(storedEnvVar({ name: 'A', value: '' })).toEqual({ name: 'A' });
    expect(
      storedEnvVar({ name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }),
    ).toEqual({
      name: 'P',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } },
    });
    expect(storedVolumeMount({ name: 'v', mountPath: '/v', readOnly: false })).toEqual({
      name: 'v',
      mountPath: '/v',
    });
    expect(storedVolumeMount({ name: 'v', mountPath: '/v', readOnly: true }).readOnly).toBe(true);
  });

  it('prints quantities canonically and leaves unstated defaults out', () => {
    const stored = storedContainer({
      name: 'c',
      image: 'x:1',
      resources: { limits: { memory: '1024Mi' }, requests: { cpu: '0.5' } },
      tty: false,
    });
    expect(stored).toEqual({
      name: 'c',
      image: 'x:1',
      resources: { limits: { memory: '1Gi' }, requests: { cpu: '500m' } },
    });
    expect(stored.imagePullPolicy).toBeUndefined();
    expect(storedVolume({ name: 's', emptyDir: { medium: '', sizeLimit: '2048Mi' } })).toEqual({
      name: 's',
      emptyDir: { sizeLimit: '2Gi' },
    });
  });

  it('a second reconcile of such fragments writes nothing (FakeCluster stores as the server does)', async () => {
    const kube = new FakeCluster({
      objects: [
        statefulSetFixture({
          name: 'app',
          namespace: 'ns',
          containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
        }),
      ],
    });
    const contribute = (plan: StatefulSetPlan) => {
      plan
        .ensureEnv('t', 'app', { name: 'EMPTY', value: '' })
        .ensureEnv('t', 'app', {
          name: 'POD',
          valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
        })
        .ensureVolume('t', { name: 's', emptyDir: {} })
        .ensureVolumeMount('t', 'app', { name: 's', mountPath: '/s', readOnly: false })
        .ensureContainer('t', {
          name: 'side',
          image: 'registry.invalid/side:1',
          resources: { requests: { memory: '1024Mi' } },
        });
    };
    const ref = { name: 'app', namespace: 'ns' };
    expect((await reconcileStatefulSet(kube, ref, contribute)).patched).toBe(true);
    kube.clearRequests();
    expect((await reconcileStatefulSet(kube, ref, contribute)).patched).toBe(false);
    expect(kube.writes()).toEqual([]);
  });
});
