import { describe, expect, it } from '@jest/globals';
import { isConflict, isForbidden, isServerError, KubernetesError } from '../../lib/kube/errors.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { CM_REF, configMap, statefulSet, STS_REF } from './fixtures/objects.js';

async function outcome(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof KubernetesError) return error.code;
    throw error;
  }
}

describe('FakeCluster.failNext', () => {
  it('fails the next matching call once, with the given status', async () => {
    const fake = new FakeCluster({ objects: [statefulSet()] });
    const fault = fake.failNext({ verb: 'patch', kind: 'StatefulSet', status: { code: 409 } });
    let caught: unknown;
    try {
      await fake.patch(STS_REF, { type: 'merge', body: { spec: { replicas: 2 } } });
    } catch (error) {
      caught = error;
    }
    expect(isConflict(caught)).toBe(true);
    expect((caught as KubernetesError).reason).toBe('Conflict');
    expect(fault.fired).toBe(1);
    expect(fault.exhausted).toBe(true);
    expect(fake.peek(STS_REF)?.spec).toMatchObject({ replicas: 1 });
    expect(
      await outcome(fake.patch(STS_REF, { type: 'merge', body: { spec: { replicas: 2 } } })),
    ).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([409, 200]);
  });

  it('fails only the nth matching call, and `times` in a row', async () => {
    const fake = new FakeCluster({ objects: [configMap({})] });
    fake.failNext({ verb: 'get', nth: 2, times: 2, status: { code: 503 } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push(await outcome(fake.get(CM_REF)));
    expect(codes).toEqual([200, 503, 503, 200, 200]);
  });

  it('ignores calls that do not match every field', async () => {
    const fake = new FakeCluster({ objects: [configMap({}), statefulSet()] });
    fake.failNext({
      verb: ['get', 'list'],
      kind: 'StatefulSet',
      name: 'web',
      status: { code: 500 },
    });
    expect(await outcome(fake.get(CM_REF))).toBe(200);
    const error = fake.get(STS_REF);
    await expect(error).rejects.toBeInstanceOf(KubernetesError);
    expect(isServerError(await error.catch((e: unknown) => e))).toBe(true);
  });

  it('keeps a given reason and message', async () => {
    const fake = new FakeCluster({ objects: [configMap({})] });
    fake.failNext({
      status: {
        code: 403,
        message: 'configmaps "settings" is forbidden: quota',
        reason: 'Forbidden',
      },
    });
    let caught: unknown;
    try {
      await fake.get(CM_REF);
    } catch (error) {
      caught = error;
    }
    expect(isForbidden(caught)).toBe(true);
    expect((caught as KubernetesError).serverMessage).toBe(
      'configmaps "settings" is forbidden: quota',
    );
  });

  it('can be cancelled before it fires', async () => {
    const fake = new FakeCluster({ objects: [configMap({})] });
    const fault = fake.failNext({ status: { code: 500 } });
    fault.cancel();
    expect(await outcome(fake.get(CM_REF))).toBe(200);
    expect(fault.fired).toBe(0);
  });

  it('does not apply the write it fails', async () => {
    const fake = new FakeCluster();
    fake.failNext({ verb: 'create', status: { code: 500 } });
    expect(await outcome(fake.create(configMap({})))).toBe(500);
    expect(fake.objects()).toEqual([]);
  });

  it('is cleared by reset()', async () => {
    const fake = new FakeCluster();
    fake.failNext({ verb: 'create', status: { code: 500 } });
    fake.reset();
    expect(await outcome(fake.create(configMap({})))).toBe(200);
  });
});

describe('FakeCluster.latency', () => {
  it('lets concurrent requests finish in delay order', async () => {
    const fake = new FakeCluster({ objects: [configMap({}), statefulSet()] });
    fake.latency(30, { kind: 'ConfigMap' });
    const order: string[] = [];
    await Promise.all([
      fake.get(CM_REF).then(() => order.push('configmap')),
      fake.get(STS_REF).then(() => order.push('statefulset')),
    ]);
    expect(order).toEqual(['statefulset', 'configmap']);
    expect(fake.requests.map((r) => r.kind)).toEqual(['StatefulSet', 'ConfigMap']);
  });
});
