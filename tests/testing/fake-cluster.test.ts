import { describe, expect, it } from '@jest/globals';
import {
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  KubernetesError,
} from '../../lib/kube/errors.js';
import { InvalidRequestError } from '../../lib/kube/request.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import {
  CM_REF,
  configMap,
  deployment,
  DEPLOYMENT_REF,
  statefulSet,
  STS_REF,
  type ConfigMap,
} from './fixtures/objects.js';

async function failure(promise: Promise<unknown>): Promise<KubernetesError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KubernetesError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('FakeCluster: create and get', () => {
  it('fills server-managed fields and returns what it stored', async () => {
    const fake = new FakeCluster();
    const created = await fake.create(statefulSet());
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toBe('1');
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.creationTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(await fake.get(STS_REF)).toEqual(created);
  });

  it('does not track generation for kinds the server does not (ConfigMap)', async () => {
    const fake = new FakeCluster();
    const created = await fake.create(configMap({ a: '1' }));
    expect(created.metadata.generation).toBeUndefined();
  });

  it('resets status on create for kinds with a status subresource', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.status = { readyReplicas: 3 };
    const created = await fake.create(sts);
    expect(created.status).toEqual({ replicas: 0, availableReplicas: 0 });
  });

  it('answers a missing object with 404 NotFound worded like the server', async () => {
    const fake = new FakeCluster();
    const error = await failure(fake.get(STS_REF));
    expect(isNotFound(error)).toBe(true);
    expect(error.serverMessage).toBe('statefulsets.apps "web" not found');
    expect(error.status.details).toEqual({ name: 'web', group: 'apps', kind: 'statefulsets' });
  });

  it('answers a taken name with 409 AlreadyExists', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    const error = await failure(fake.create(configMap({})));
    expect(isAlreadyExists(error)).toBe(true);
    expect(error.serverMessage).toBe('configmaps "settings" already exists');
  });

  it('rejects a create that carries a resourceVersion, as the server does', async () => {
    const fake = new FakeCluster();
    const cm = configMap({});
    cm.metadata.resourceVersion = '12';
    const error = await failure(fake.create(cm));
    expect(error.code).toBe(500);
    expect(error.serverMessage).toBe('resourceVersion should not be set on objects to be created');
  });

  it('names objects from generateName deterministically', async () => {
    const fake = new FakeCluster();
    const cm = configMap({});
    delete cm.metadata.name;
    cm.metadata.generateName = 'job-';
    const a = await fake.create(cm);
    const b = await fake.create(cm);
    expect(a.metadata.name).toMatch(/^job-[a-z0-9]{5}$/);
    expect(b.metadata.name).not.toBe(a.metadata.name);
  });

  it('rejects a namespaced object without a namespace before any request, like the adapter', async () => {
    const fake = new FakeCluster();
    const cm = configMap({});
    delete cm.metadata.namespace;
    await expect(fake.create(cm)).rejects.toBeInstanceOf(InvalidRequestError);
    expect(fake.requests).toHaveLength(0);
  });

  it('requires the namespace to exist with strictNamespaces', async () => {
    const fake = new FakeCluster({ strictNamespaces: true });
    const error = await failure(fake.create(configMap({})));
    expect(error.serverMessage).toBe('namespaces "media" not found');
    await fake.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'media' } });
    await expect(fake.create(configMap({}))).resolves.toBeDefined();
  });

  it('gives a Namespace the Active phase', async () => {
    const fake = new FakeCluster();
    const ns = await fake.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x' },
    });
    expect(ns.status).toEqual({ phase: 'Active' });
  });
});

describe('FakeCluster: validation (422)', () => {
  it('requires a name', async () => {
    const fake = new FakeCluster();
    const cm = configMap({});
    delete cm.metadata.name;
    const error = await failure(fake.create(cm));
    expect(isInvalid(error)).toBe(true);
    expect(error.serverMessage).toBe(
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    );
  });

  it('requires an image in a StatefulSet template', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    delete sts.spec.template.spec.containers[0]?.image;
    const error = await failure(fake.create(sts));
    expect(error.serverMessage).toBe(
      'StatefulSet.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
    );
    expect(error.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image',
      },
    ]);
  });

  it('rejects a patch that leaves a mount on a volume that does not exist', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const error = await failure(
      fake.patch(STS_REF, {
        type: 'strategic',
        body: {
          spec: {
            template: {
              spec: {
                containers: [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
              },
            },
          },
        },
      }),
    );
    expect(error.serverMessage).toBe(
      'StatefulSet.apps "web" is invalid: spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"',
    );
  });

  it('counts volumeClaimTemplates as volumes of a StatefulSet', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.volumeClaimTemplates = [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ];
    (sts.spec.template.spec.containers[0] as { volumeMounts?: unknown }).volumeMounts = [
      { name: 'data', mountPath: '/data' },
    ];
    await expect(fake.create(sts)).resolves.toBeDefined();
  });

  it('rejects duplicate container names produced by a patch', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const error = await failure(
      fake.patch(STS_REF, {
        type: 'json',
        ops: [
          {
            op: 'add',
            path: '/spec/template/spec/containers/-',
            value: { name: 'app', image: 'x' },
          },
        ],
      }),
    );
    expect(error.serverMessage).toBe(
      'StatefulSet.apps "web" is invalid: spec.template.spec.containers[1].name: Duplicate value: "app"',
    );
  });

  it('refuses changes to volumeClaimTemplates of a StatefulSet', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const error = await failure(
      fake.patch(STS_REF, {
        type: 'merge',
        body: { spec: { volumeClaimTemplates: [{ metadata: { name: 'x' }, spec: {} }] } },
      }),
    );
    expect(isInvalid(error)).toBe(true);
    expect(error.causes[0]?.field).toBe('spec.volumeClaimTemplates');
    expect(error.causes[0]?.message).toMatch(/field is immutable$/);
  });

  it('rejects a selector that does not match the template labels', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.selector = { matchLabels: { app: 'other' } };
    const error = await failure(fake.create(sts));
    expect(error.serverMessage).toBe(
      'StatefulSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    );
  });
});

describe('FakeCluster: replace', () => {
  it('is a compare-and-swap on resourceVersion', async () => {
    const fake = new FakeCluster();
    const created = await fake.create(configMap({ a: '1' }));
    const first = await fake.replace({ ...created, data: { a: '2' } });
    expect(first.metadata.resourceVersion).toBe('2');
    const error = await failure(fake.replace({ ...created, data: { a: '3' } }));
    expect(isConflict(error)).toBe(true);
    expect(error.serverMessage).toBe(
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('replaces unconditionally without a resourceVersion', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({ a: '1' }));
    const replaced = await fake.replace(configMap({ b: '2' }));
    expect(replaced.data).toEqual({ b: '2' });
  });

  it('answers a replace of a missing object with 404', async () => {
    const fake = new FakeCluster();
    expect(isNotFound(await failure(fake.replace(configMap({}))))).toBe(true);
  });

  it('keeps uid and creationTimestamp', async () => {
    const fake = new FakeCluster({ clock: () => new Date('2026-05-05T05:05:05.123Z') });
    const created = await fake.create(configMap({}));
    const replaced = await fake.replace({
      ...configMap({ x: 'y' }),
      metadata: { ...configMap({}).metadata, creationTimestamp: '1999-01-01T00:00:00Z' },
    });
    expect(replaced.metadata.uid).toBe(created.metadata.uid);
    expect(replaced.metadata.creationTimestamp).toBe('2026-05-05T05:05:05Z');
  });
});

describe('FakeCluster: generation', () => {
  it('bumps a StatefulSet generation on spec changes only', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const labelled = await fake.patch<StatefulSet>(STS_REF, {
      type: 'merge',
      body: { metadata: { labels: { tier: 'db' } } },
    });
    expect(labelled.metadata.generation).toBe(1);
    const scaled = await fake.patch<StatefulSet>(STS_REF, {
      type: 'merge',
      body: { spec: { replicas: 3 } },
    });
    expect(scaled.metadata.generation).toBe(2);
  });

  it('bumps a Deployment generation on annotation changes too', async () => {
    const fake = new FakeCluster();
    await fake.create(deployment());
    const patched = await fake.patch(DEPLOYMENT_REF, {
      type: 'merge',
      body: { metadata: { annotations: { note: 'x' } } },
    });
    expect(patched.metadata.generation).toBe(2);
  });
});

describe('FakeCluster: no-op writes', () => {
  it('stores nothing and keeps the resourceVersion when a patch changes nothing', async () => {
    const fake = new FakeCluster();
    const created = await fake.create(configMap({ a: '1' }));
    const same = await fake.patch(CM_REF, { type: 'strategic', body: { data: { a: '1' } } });
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(fake.writes()).toHaveLength(2);
  });
});

describe('FakeCluster: the decode round trip', () => {
  it('drops a map and a list that a patch empties', async () => {
    const fake = new FakeCluster();
    await fake.create({
      ...configMap({ a: '1' }),
      metadata: { ...configMap({}).metadata, labels: { x: '1' }, finalizers: ['a/b'] },
    });
    const patched = await fake.patch<ConfigMap>(CM_REF, {
      type: 'strategic',
      body: { metadata: { labels: { x: null }, finalizers: null }, data: { a: null } },
    });
    expect(patched.metadata.labels).toBeUndefined();
    expect(patched.metadata.finalizers).toBeUndefined();
    expect(patched.data).toBeUndefined();
  });

  it('keeps an emptied struct as {}', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.template.spec.securityContext = { runAsUser: 1000 };
    await fake.create(sts);
    const patched = await fake.patch<StatefulSet>(STS_REF, {
      type: 'strategic',
      body: { spec: { template: { spec: { securityContext: { runAsUser: null } } } } },
    });
    expect(patched.spec.template.spec.securityContext).toEqual({});
  });

  it('drops directive keys a patch leaves inside new list items', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const patched = await fake.patch<StatefulSet>(STS_REF, {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'side',
                  image: 's',
                  '$setElementOrder/env': [{ name: 'A' }],
                  env: [{ name: 'A', value: '1' }],
                },
              ],
            },
          },
        },
      },
    });
    expect(patched.spec.template.spec.containers[0]).toEqual({
      name: 'side',
      image: 's',
      env: [{ name: 'A', value: '1' }],
      // The server's container defaults (fake-defaults-pod.ts), not directives.
      imagePullPolicy: 'Always',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
  });
});

describe('FakeCluster: patches', () => {
  it('refuses a strategic merge patch for a kind without patch metadata (415)', async () => {
    const fake = new FakeCluster();
    const { registerResource } = await import('../../lib/kube/resources.js');
    registerResource(
      { apiVersion: 'example.com/v1', kind: 'Widget' },
      { plural: 'widgets', namespaced: true },
    );
    await fake.create({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'media' },
      spec: { a: [1] },
    });
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'media', name: 'w' };
    const error = await failure(fake.patch(ref, { type: 'strategic', body: { spec: { a: [2] } } }));
    expect(error.code).toBe(415);
    const merged = await fake.patch(ref, { type: 'merge', body: { spec: { b: 1 } } });
    expect(merged.spec).toEqual({ a: [1], b: 1 });
    expect(merged.metadata.generation).toBe(2);
  });

  it('turns a failed JSON patch test into 422', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const error = await failure(
      fake.patch(STS_REF, {
        type: 'json',
        ops: [{ op: 'test', path: '/spec/replicas', value: 5 }],
      }),
    );
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.serverMessage).toBe(
      'the server rejected our request due to an error in our request',
    );
  });

  it('applies a JSON patch that passes its test', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const patched = await fake.patch<StatefulSet>(STS_REF, {
      type: 'json',
      ops: [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 2 },
      ],
    });
    expect(patched.spec.replicas).toBe(2);
  });

  it('treats a stale resourceVersion inside a patch as a precondition', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({ a: '1' }));
    const error = await failure(
      fake.patch(CM_REF, {
        type: 'merge',
        body: { metadata: { resourceVersion: '999' }, data: { a: '2' } },
      }),
    );
    expect(isConflict(error)).toBe(true);
  });

  it('maps malformed strategic patches to the server codes (500 for $patch: merge)', async () => {
    // The directive only errors against an existing map: a real server has defaulted
    // securityContext to {}, the fake (which does not default) needs it set explicitly.
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.template.spec.securityContext = {};
    await fake.create(sts);
    const error = await failure(
      fake.patch(STS_REF, {
        type: 'strategic',
        body: { spec: { template: { spec: { securityContext: { $patch: 'merge' } } } } },
      }),
    );
    expect(error.code).toBe(500);
    expect(error.reason).toBe('');
  });

  it('creates through server-side apply, then merges into what exists', async () => {
    const fake = new FakeCluster();
    const created = await fake.patch(CM_REF, {
      type: 'apply',
      fieldManager: 'me',
      body: configMap({ a: '1' }),
    });
    expect(created.data).toEqual({ a: '1' });
    expect(fake.requests.at(-1)?.status).toBe(201);
    const applied = await fake.patch<ConfigMap>(CM_REF, {
      type: 'apply',
      fieldManager: 'me',
      body: configMap({ b: '2' }),
    });
    expect(applied.data).toEqual({ a: '1', b: '2' });
  });

  it('rejects a patch that renames the object', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    const error = await failure(
      fake.patch(CM_REF, { type: 'merge', body: { metadata: { name: 'other' } } }),
    );
    expect(error.code).toBe(400);
    expect(error.serverMessage).toBe(
      'the name of the object (other) does not match the name on the URL (settings)',
    );
  });
});

describe('FakeCluster: status subresource', () => {
  it('ignores status in ordinary writes of a StatefulSet', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const patched = await fake.patch<StatefulSet>(STS_REF, {
      type: 'merge',
      body: { status: { readyReplicas: 5 }, spec: { replicas: 2 } },
    });
    expect(patched.status).toEqual({ replicas: 0, availableReplicas: 0 });
    expect(patched.spec.replicas).toBe(2);
  });

  it('writes only status through the status subresource', async () => {
    const fake = new FakeCluster();
    await fake.create(statefulSet());
    const patched = await fake.patch<StatefulSet>(
      STS_REF,
      { type: 'merge', body: { status: { readyReplicas: 1 }, spec: { replicas: 9 } } },
      { subresource: 'status' },
    );
    expect(patched.status?.readyReplicas).toBe(1);
    expect(patched.spec.replicas).toBe(1);
    expect(patched.metadata.generation).toBe(1);
    expect(fake.requests.at(-1)).toEqual({
      verb: 'patch',
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: 'media',
      name: 'web',
      subresource: 'status',
      patchType: 'merge',
      status: 200,
    });
  });

  it('lets a StatefulSet status write change labels, but not a Deployment or Pod one', async () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'media' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const fake = new FakeCluster({ objects: [statefulSet(), deployment(), pod] });
    const body = {
      metadata: { labels: { x: 'y' }, annotations: { a: 'b' } },
      status: { phase: 'X' },
    };
    const labels = async (ref: typeof STS_REF) =>
      (await fake.patch(ref, { type: 'merge', body }, { subresource: 'status' })).metadata;
    expect(await labels(STS_REF)).toMatchObject({ labels: { x: 'y' }, annotations: { a: 'b' } });
    const d = await labels(DEPLOYMENT_REF);
    expect([d.labels, d.annotations]).toEqual([undefined, { a: 'b' }]);
    const p = await labels({ apiVersion: 'v1', kind: 'Pod', namespace: 'media', name: 'p' });
    expect([p.labels, p.annotations]).toEqual([undefined, undefined]);
  });

  it('answers 404 for the status subresource of a kind without one', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    const error = await failure(
      fake.patch(CM_REF, { type: 'merge', body: { data: {} } }, { subresource: 'status' }),
    );
    expect(error.code).toBe(404);
  });
});

describe('FakeCluster: delete', () => {
  it('deletes, then answers 404', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    await fake.delete(CM_REF);
    expect(isNotFound(await failure(fake.get(CM_REF)))).toBe(true);
    expect(isNotFound(await failure(fake.delete(CM_REF)))).toBe(true);
  });

  it('refuses a delete whose uid precondition fails, with the server text', async () => {
    const fake = new FakeCluster();
    const created = await fake.create(configMap({}));
    const error = await failure(fake.delete(CM_REF, { preconditions: { uid: 'other' } }));
    expect(isConflict(error)).toBe(true);
    expect(error.serverMessage).toBe(
      `Operation cannot be fulfilled on ConfigMap "settings": the UID in the precondition (other) does not match the UID in record (${created.metadata.uid}). The object might have been deleted and then recreated`,
    );
    await fake.delete(CM_REF, { preconditions: { uid: created.metadata.uid as string } });
    expect(fake.peek(CM_REF)).toBeUndefined();
  });

  it('refuses a delete whose resourceVersion precondition is stale', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    const error = await failure(fake.delete(CM_REF, { preconditions: { resourceVersion: '0' } }));
    expect(isConflict(error)).toBe(true);
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    const fake = new FakeCluster();
    const cm = configMap({});
    cm.metadata.finalizers = ['charmkit.dev/backup'];
    await fake.create(cm);
    await fake.delete(CM_REF);
    const marked = fake.peek(CM_REF);
    expect(marked?.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00Z');
    const error = await failure(
      fake.patch(CM_REF, {
        type: 'merge',
        body: { metadata: { finalizers: ['charmkit.dev/backup', 'x/y'] } },
      }),
    );
    expect(error.causes[0]?.message).toBe(
      'Forbidden: no new finalizers can be added if the object is being deleted',
    );
    await fake.patch(CM_REF, { type: 'merge', body: { metadata: { finalizers: null } } });
    expect(fake.peek(CM_REF)).toBeUndefined();
  });

  it('deletes owned objects with the owner, or orphans them', async () => {
    const fake = new FakeCluster();
    const owner = await fake.create(configMap({}));
    const dependent = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: 'media',
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'settings',
            uid: owner.metadata.uid as string,
          },
        ],
      },
    });
    await fake.create(dependent('s1'));
    await fake.delete(CM_REF);
    expect(fake.objects({ apiVersion: 'v1', kind: 'Secret' })).toEqual([]);

    const owner2 = await fake.create(configMap({}));
    const orphan = dependent('s2');
    (orphan.metadata.ownerReferences as { uid: string }[])[0]!.uid = owner2.metadata.uid as string;
    await fake.create(orphan);
    await fake.delete(CM_REF, { propagationPolicy: 'Orphan' });
    const left = fake.objects({ apiVersion: 'v1', kind: 'Secret' });
    expect(left.map((o) => o.metadata.name)).toEqual(['s2']);
    expect(left[0]?.metadata.ownerReferences).toBeUndefined();
  });

  it('removes the contents of a deleted namespace', async () => {
    const fake = new FakeCluster();
    await fake.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'media' } });
    await fake.create(configMap({}));
    await fake.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'media' });
    expect(fake.objects()).toEqual([]);
  });
});

describe('FakeCluster: request log', () => {
  it('records every call in the adapter shape, failures with their status', async () => {
    const fake = new FakeCluster();
    await fake.create(configMap({}));
    await failure(fake.get(STS_REF));
    await fake.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'media' });
    expect(fake.requests).toEqual([
      {
        verb: 'create',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'media',
        name: 'settings',
        status: 201,
      },
      {
        verb: 'get',
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: 'media',
        name: 'web',
        status: 404,
      },
      { verb: 'list', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', status: 200 },
    ]);
    expect(fake.writes()).toHaveLength(1);
    fake.clearRequests();
    expect(fake.requests).toEqual([]);
    expect(fake.objects()).toHaveLength(1);
  });

  it('does not log seeding, peeking or reset', async () => {
    const fake = new FakeCluster({ objects: [configMap({ a: '1' })] });
    expect(fake.peek(CM_REF)?.data).toEqual({ a: '1' });
    expect(fake.requests).toEqual([]);
    fake.reset();
    expect(fake.objects()).toEqual([]);
  });

  it('keeps a seeded resourceVersion and continues counting from it', async () => {
    const cm = configMap({});
    cm.metadata.resourceVersion = '4711';
    const fake = new FakeCluster({ objects: [cm] });
    expect(fake.peek(CM_REF)?.metadata.resourceVersion).toBe('4711');
    const patched = await fake.patch(CM_REF, { type: 'merge', body: { data: { a: '1' } } });
    expect(patched.metadata.resourceVersion).toBe('4712');
  });

  it('keeps a seeded status and uid', () => {
    const sts = statefulSet();
    sts.metadata.uid = 'u-1';
    sts.status = { readyReplicas: 1, replicas: 1 };
    const fake = new FakeCluster({ objects: [sts] });
    const stored = fake.peek<StatefulSet>(STS_REF);
    expect(stored?.metadata.uid).toBe('u-1');
    expect(stored?.status).toEqual({ readyReplicas: 1, replicas: 1 });
  });
});

describe('FakeCluster: authorize hook', () => {
  it('answers a denied request with a 403 from which the missing rule is derived', async () => {
    const fake = new FakeCluster({
      authorize: (request) => request.verb !== 'patch',
      user: 'system:serviceaccount:media:web',
    });
    await fake.create(statefulSet());
    const error = await failure(
      fake.patch(STS_REF, { type: 'merge', body: { spec: { replicas: 2 } } }),
    );
    expect(error.code).toBe(403);
    expect(error.serverMessage).toBe(
      'statefulsets.apps "web" is forbidden: User "system:serviceaccount:media:web" cannot patch resource "statefulsets" in API group "apps" in the namespace "media"',
    );
    expect(error.rbac?.rule).toEqual({
      roleKind: 'Role',
      apiGroups: ['apps'],
      resources: ['statefulsets'],
      resourceNames: ['web'],
      verbs: ['patch'],
    });
    expect(fake.requests.at(-1)?.status).toBe(403);
  });
});
