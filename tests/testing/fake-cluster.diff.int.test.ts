/**
 * Differential test of FakeCluster's server semantics other than strategic merge (which
 * strategic-merge.diff.int.test.ts covers): failure codes and the exact text of the messages
 * controllers surface, generation and resourceVersion rules, the status subresource, finalizers,
 * selectors and watch. Each case does the same thing to the real kube-apiserver (through the
 * charmkit adapter) and to a FakeCluster seeded with the real objects, and compares.
 */
import { describe, expect, it } from '@jest/globals';
import type { KubePort, Patch, WatchEvent } from '../../lib/kube/port.js';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { waitUntil } from '../support/cluster.js';
import { statefulSetFixture, statefulSetRef } from '../support/objects.js';
import { expectSameFailure, refOf, useDifferential } from './fixtures/differential.js';

const diff = useDifferential('fake-diff');
const { ns, fresh } = diff;

function configMap(name: string, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns.name, ...(labels ? { labels } : {}) },
    data: { a: '1' },
  };
}

/** No pods and no governing Service: these cases compare only how the server stores the object. */
function statefulSet(name: string): StatefulSet {
  return statefulSetFixture({
    name,
    namespace: ns.name,
    replicas: 0,
    serviceName: null,
    containers: [{ name: 'app', image: 'web:1' }],
  });
}

function deployment(name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns.name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'web:1' }] },
      },
    },
  };
}

/** Creates on the real server and returns a fake holding the same (defaulted) objects. */
async function mirror(
  ...objects: KubeObject[]
): Promise<{ fake: FakeCluster; live: KubeObject[] }> {
  const live: KubeObject[] = [];
  for (const object of objects) live.push(await diff.port.create(object));
  return { fake: new FakeCluster({ objects: live }), live };
}

describe('FakeCluster vs kube-apiserver: failures', () => {
  it('404 for a missing object', async () => {
    const fake = new FakeCluster();
    const ref = statefulSetRef(ns.name, 'absent');
    const [real, simulated] = await diff.both(fake, (k) => k.get(ref));
    expectSameFailure(real, simulated);
  });

  it('409 AlreadyExists for a taken name', async () => {
    const object = configMap(fresh('taken'));
    const { fake } = await mirror(object);
    const [real, simulated] = await diff.both(fake, (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('500 for a create carrying a resourceVersion', async () => {
    const object = configMap(fresh('rv'));
    object.metadata.resourceVersion = '5';
    const [real, simulated] = await diff.both(new FakeCluster(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('422 for a StatefulSet without a name', async () => {
    const object = statefulSet('x');
    object.metadata.name = '';
    object.metadata.generateName = undefined;
    const [real, simulated] = await diff.both(new FakeCluster(), (k) =>
      k.create({ ...object, metadata: { namespace: ns.name } }),
    );
    expect(real.ok).toBe(false);
    // The adapter refuses a nameless create only for subresources; both reach "the server".
    expectSameFailure(real, simulated);
  });

  it('422 for an invalid label value', async () => {
    const object = configMap(fresh('label'), { tier: 'not a value' });
    const [real, simulated] = await diff.both(new FakeCluster(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('422 for an invalid name', async () => {
    const object = configMap('Not_A_Name');
    const [real, simulated] = await diff.both(new FakeCluster(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('422 for a container without an image', async () => {
    const object = statefulSet(fresh('noimage'));
    delete object.spec.template.spec.containers[0]?.image;
    const [real, simulated] = await diff.both(new FakeCluster(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('409 Conflict for a replace with a stale resourceVersion', async () => {
    const { fake, live } = await mirror(configMap(fresh('stale')));
    const stale = live[0] as KubeObject;
    await diff.both(fake, (k) => k.replace({ ...stale, data: { a: '2' } }));
    const [real, simulated] = await diff.both(fake, (k) =>
      k.replace({ ...stale, data: { a: '3' } }),
    );
    expectSameFailure(real, simulated);
  });

  it('409 Conflict for a delete whose uid precondition fails', async () => {
    const { fake, live } = await mirror(configMap(fresh('uid')));
    const ref = refOf(live[0] as KubeObject);
    const [real, simulated] = await diff.both(fake, (k) =>
      k.delete(ref, { preconditions: { uid: 'not-the-uid' } }),
    );
    expectSameFailure(real, simulated);
  });

  it('409 Conflict for a delete whose resourceVersion precondition fails', async () => {
    const { fake, live } = await mirror(configMap(fresh('rvpre')));
    const ref = refOf(live[0] as KubeObject);
    const [real, simulated] = await diff.both(fake, (k) =>
      k.delete(ref, { preconditions: { resourceVersion: '1' } }),
    );
    expectSameFailure(real, simulated);
  });

  it('409 for a replace naming another uid', async () => {
    const { fake, live } = await mirror(configMap(fresh('replaceuid')));
    const object = { ...(live[0] as KubeObject) };
    object.metadata = { ...object.metadata, uid: '00000000-0000-0000-0000-000000000000' };
    delete object.metadata.resourceVersion;
    const [real, simulated] = await diff.both(fake, (k) => k.replace(object));
    expectSameFailure(real, simulated);
  });

  it('422 for a JSON patch whose test fails', async () => {
    const { fake, live } = await mirror(configMap(fresh('jsontest')));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = { type: 'json', ops: [{ op: 'test', path: '/data/a', value: 'no' }] };
    const [real, simulated] = await diff.both(fake, (k) => k.patch(ref, patch));
    // The server's text is generic; the fake adds what failed as a cause (fake-errors.ts).
    expect(real.ok || real.causes).toEqual([]);
    expect(simulated.ok || simulated.causes).toEqual([
      { reason: 'UnexpectedServerResponse', message: 'Test operation failed' },
    ]);
    expectSameFailure(real, simulated.ok ? simulated : { ...simulated, causes: [] });
  });

  it('400 for a patch that renames the object', async () => {
    const { fake, live } = await mirror(configMap(fresh('rename')));
    const ref = refOf(live[0] as KubeObject);
    const [real, simulated] = await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { metadata: { name: 'other' } } }),
    );
    expectSameFailure(real, simulated);
  });

  it('400 for a field selector the kind does not support', async () => {
    const [real, simulated] = await diff.both(new FakeCluster(), (k) =>
      k.list(
        { apiVersion: 'v1', kind: 'ConfigMap' },
        { namespace: ns.name, fieldSelector: 'status.phase=x' },
      ),
    );
    expectSameFailure(real, simulated);
  });

  it('404 for the status subresource of a kind without one', async () => {
    const { fake, live } = await mirror(configMap(fresh('nostatus')));
    const ref = refOf(live[0] as KubeObject);
    const [real, simulated] = await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { data: {} } }, { subresource: 'status' }),
    );
    expectSameFailure(real, simulated);
  });

  it('422 for changing a StatefulSet selector', async () => {
    const { fake, live } = await mirror(statefulSet(fresh('selector')));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = {
      type: 'merge',
      body: {
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'x' } } },
        },
      },
    };
    const [real, simulated] = await diff.both(fake, (k) => k.patch(ref, patch));
    expect(real.ok).toBe(false);
    expect(simulated.ok).toBe(false);
    if (!real.ok && !simulated.ok) {
      expect([simulated.code, simulated.reason]).toEqual([real.code, real.reason]);
      // The value in the message is printed from Go structs; the field and verdict must agree.
      expect(simulated.message).toMatch(/spec\.selector: Invalid value: .*: field is immutable/);
      expect(real.message).toMatch(/spec\.selector: Invalid value: .*: field is immutable/);
    }
  });
});

describe('FakeCluster vs kube-apiserver: server-managed fields', () => {
  async function generations(
    object: KubeObject,
    patches: Patch[],
  ): Promise<[unknown[], unknown[]]> {
    const { fake, live } = await mirror(object);
    const ref = refOf(live[0] as KubeObject);
    const real: unknown[] = [live[0]?.metadata.generation];
    const simulated: unknown[] = [fake.peek(ref)?.metadata.generation];
    for (const patch of patches) {
      real.push((await diff.port.patch(ref, patch)).metadata.generation);
      simulated.push((await fake.patch(ref, patch)).metadata.generation);
    }
    return [real, simulated];
  }

  it('StatefulSet generation: metadata changes keep it, spec changes bump it', async () => {
    const [real, simulated] = await generations(statefulSet(fresh('gen')), [
      { type: 'merge', body: { metadata: { labels: { a: 'b' }, annotations: { c: 'd' } } } },
      { type: 'merge', body: { spec: { replicas: 1 } } },
      { type: 'strategic', body: { spec: { template: { metadata: { labels: { x: 'y' } } } } } },
    ]);
    expect(real).toEqual([1, 1, 2, 3]);
    expect(simulated).toEqual(real);
  });

  it('Deployment generation: annotation changes bump it too', async () => {
    const [real, simulated] = await generations(deployment(fresh('deploy')), [
      { type: 'merge', body: { metadata: { labels: { a: 'b' } } } },
      { type: 'merge', body: { metadata: { annotations: { note: 'x' } } } },
    ]);
    expect(simulated).toEqual(real);
  });

  it('ConfigMap: no generation at all', async () => {
    const [real, simulated] = await generations(configMap(fresh('nogen')), [
      { type: 'merge', body: { data: { a: '2' } } },
    ]);
    expect(real).toEqual([undefined, undefined]);
    expect(simulated).toEqual(real);
  });

  it('a patch that changes nothing keeps the resourceVersion', async () => {
    const { fake, live } = await mirror(configMap(fresh('noop')));
    const object = live[0] as KubeObject;
    const ref = refOf(object);
    const patch: Patch = { type: 'strategic', body: { data: { a: '1' } } };
    const real = await diff.port.patch(ref, patch);
    const simulated = await fake.patch(ref, patch);
    expect(real.metadata.resourceVersion).toBe(object.metadata.resourceVersion);
    expect(simulated.metadata.resourceVersion).toBe(fake.peek(ref)?.metadata.resourceVersion);
    expect(fake.objects()).toHaveLength(1);
    expect(simulated.metadata.resourceVersion).toBe(
      new FakeCluster({ objects: [object] }).peek(ref)?.metadata.resourceVersion,
    );
  });

  it('removing the last label removes the labels map', async () => {
    const { fake, live } = await mirror(configMap(fresh('labels'), { a: 'b' }));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = { type: 'merge', body: { metadata: { labels: { a: null } } } };
    const real = await diff.port.patch(ref, patch);
    const simulated = await fake.patch(ref, patch);
    expect(real.metadata.labels).toBeUndefined();
    expect(simulated.metadata.labels).toEqual(real.metadata.labels);
  });
});

describe('FakeCluster vs kube-apiserver: status subresource', () => {
  it('an ordinary patch does not change status', async () => {
    const { fake, live } = await mirror(statefulSet(fresh('status')));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = { type: 'merge', body: { status: { readyReplicas: 5, replicas: 5 } } };
    const real = await diff.port.patch<StatefulSet>(ref, patch);
    const simulated = await fake.patch<StatefulSet>(ref, patch);
    expect(real.status?.replicas).not.toBe(5);
    expect(simulated.status?.replicas).toBe(real.status?.replicas);
  });

  it('a status patch cannot change a StatefulSet spec, but does change its labels', async () => {
    const { fake, live } = await mirror(statefulSet(fresh('statussub')));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = {
      type: 'merge',
      body: { metadata: { labels: { x: 'y' } }, spec: { replicas: 3 } },
    };
    const real = await diff.port.patch<StatefulSet>(ref, patch, { subresource: 'status' });
    const simulated = await fake.patch<StatefulSet>(ref, patch, { subresource: 'status' });
    const view = (s: StatefulSet) => [s.spec.replicas, s.metadata.labels, s.metadata.generation];
    expect(view(real)).toEqual([0, { x: 'y' }, 1]);
    expect(view(simulated)).toEqual(view(real));
  });

  it('a status patch cannot change a Deployment spec or labels', async () => {
    const { fake, live } = await mirror(deployment(fresh('deploystatus')));
    const ref = refOf(live[0] as KubeObject);
    const patch: Patch = {
      type: 'merge',
      body: { metadata: { labels: { x: 'y' }, annotations: { a: 'b' } }, spec: { replicas: 3 } },
    };
    const real = await diff.port.patch(ref, patch, { subresource: 'status' });
    const simulated = await fake.patch(ref, patch, { subresource: 'status' });
    const view = (o: KubeObject) => [
      (o.spec as { replicas?: number }).replicas,
      o.metadata.labels,
      o.metadata.annotations?.a,
    ];
    expect(view(simulated)).toEqual(view(real));
  });
});

describe('FakeCluster vs kube-apiserver: deletion', () => {
  it('finalizers hold a deleted object until the last one is removed', async () => {
    const object = configMap(fresh('final'));
    object.metadata.finalizers = ['charmkit.dev/backup'];
    const { fake, live } = await mirror(object);
    const ref = refOf(live[0] as KubeObject);
    await diff.both(fake, (k) => k.delete(ref));
    const [realHeld, fakeHeld] = await diff.both(fake, (k) => k.get(ref));
    expect(realHeld.ok && realHeld.value.metadata.deletionTimestamp).toBeTruthy();
    expect(fakeHeld.ok && fakeHeld.value.metadata.deletionTimestamp).toBeTruthy();
    const [realAdd, fakeAdd] = await diff.both(fake, (k) =>
      k.patch(ref, {
        type: 'merge',
        body: { metadata: { finalizers: ['charmkit.dev/backup', 'x.io/y'] } },
      }),
    );
    expect(realAdd.ok).toBe(false);
    expect(fakeAdd.ok).toBe(false);
    if (!realAdd.ok && !fakeAdd.ok)
      expect([fakeAdd.code, fakeAdd.reason]).toEqual([realAdd.code, realAdd.reason]);
    await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { metadata: { finalizers: null } } }),
    );
    const [realGone, fakeGone] = await diff.both(fake, (k) => k.get(ref));
    expectSameFailure(realGone, fakeGone);
  });
});

describe('FakeCluster vs kube-apiserver: selectors and watch', () => {
  it('list: != and notin also select objects without the label', async () => {
    const suffix = fresh('sel');
    const { fake } = await mirror(
      configMap(`${suffix}-a`, { tier: 'a', group: suffix }),
      configMap(`${suffix}-b`, { tier: 'b', group: suffix }),
      configMap(`${suffix}-none`),
    );
    // Seed the objects other writers created in the namespace too (kube-root-ca.crt...).
    const existing = await diff.port.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: ns.name },
    );
    for (const item of existing.items) if (!fake.peek(refOf(item))) fake.seed(item);
    for (const labelSelector of [
      'tier!=a',
      'tier notin (a,b)',
      'tier',
      '!tier',
      `group=${suffix},tier in (a,b)`,
    ]) {
      const [real, simulated] = await diff.both(fake, (k) =>
        k.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns.name, labelSelector }),
      );
      const names = (o: typeof real) => (o.ok ? o.value.items.map((i) => i.metadata.name) : o);
      expect({ labelSelector, names: names(simulated) }).toEqual({
        labelSelector,
        names: names(real),
      });
    }
  });

  it('watch: objects entering and leaving a label selector are ADDED and DELETED', async () => {
    const name = fresh('watched');
    const fake = new FakeCluster();
    const realEvents: WatchEvent[] = [];
    const fakeEvents: WatchEvent[] = [];
    const selector = { namespace: ns.name, labelSelector: `watch=${name}` };
    const start = await diff.port.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: ns.name },
    );
    const realWatch = await diff.port.watch(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { ...selector, resourceVersion: start.metadata.resourceVersion },
      (e) => realEvents.push(e),
    );
    const fakeWatch = await fake.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, selector, (e) =>
      fakeEvents.push(e),
    );
    const ref = refOf(configMap(name));
    const steps: ((k: KubePort) => Promise<unknown>)[] = [
      (k) => k.create(configMap(name)),
      (k) => k.patch(ref, { type: 'merge', body: { metadata: { labels: { watch: name } } } }),
      (k) => k.patch(ref, { type: 'merge', body: { data: { b: '2' } } }),
      (k) =>
        k.patch(ref, { type: 'merge', body: { metadata: { labels: { watch: 'elsewhere' } } } }),
      (k) => k.patch(ref, { type: 'merge', body: { metadata: { labels: { watch: name } } } }),
      (k) => k.delete(ref),
    ];
    for (const step of steps) {
      await step(diff.port);
      await step(fake);
    }
    await fake.settle();
    const types = (events: WatchEvent[]) => events.map((e) => e.type);
    await waitUntil('the real watch to report five events', async () => realEvents.length >= 5);
    await realWatch.stop();
    await fakeWatch.stop();
    expect(types(realEvents)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'ADDED', 'DELETED']);
    expect(types(fakeEvents)).toEqual(types(realEvents));
  });
});
