/**
 * The client-node adapter against the real local kube-apiserver: every verb, every patch
 * strategy, the failure predicates, a real RBAC denial (and that the rule it suggests is the rule
 * that fixes it), a real watch, and the request count of each call.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import {
  KubernetesError,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
} from '../../lib/kube/errors.js';
import type { KubePort, WatchEvent } from '../../lib/kube/port.js';
import { withConflictRetry } from '../../lib/kube/retry.js';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import {
  adminKubeConfig,
  grantRole,
  kubeconfigPath,
  rawRequest,
  request,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import { statefulSetFixture, statefulSetRef } from '../support/objects.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const ns = useTestNamespace('kube-client');
const log = new RequestLog();
let port: KubePort;

beforeAll(() => {
  port = createKubePort({
    kubeconfigPath,
    onRequest: log.onRequest,
    fieldManager: 'charmkit-test',
  });
});

function configMap(name: string, data: Record<string, string> = { a: '1' }): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns.name, labels: { suite: 'client' } },
    data,
  };
}

function statefulSet(name: string): StatefulSet {
  return statefulSetFixture({ name, namespace: ns.name });
}

async function caught(promise: Promise<unknown>): Promise<KubernetesError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubernetesError);
  return error as KubernetesError;
}

describe('createKubePort against the real API server', () => {
  it('creates, reads, lists, replaces and deletes a ConfigMap with one request per call', async () => {
    log.clear();
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'crud' };
    const created = await port.create(configMap('crud'));
    expect(created.metadata.uid).toBeTruthy();
    const got = await port.get<ConfigMap>(ref);
    expect(got.data).toEqual({ a: '1' });
    // Timestamps are the server's strings, not Date objects.
    expect(typeof got.metadata.creationTimestamp).toBe('string');
    const list = await port.list<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: ns.name, labelSelector: 'suite=client' },
    );
    expect(list.items.map((i) => [i.kind, i.apiVersion, i.metadata.name])).toEqual([
      ['ConfigMap', 'v1', 'crud'],
    ]);
    const replaced = await port.replace<ConfigMap>({ ...got, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });
    const managers = (replaced.metadata.managedFields as { manager: string }[]).map(
      (m) => m.manager,
    );
    expect(managers).toContain('charmkit-test');
    await port.delete(ref, { preconditions: { uid: created.metadata.uid } });
    expect(isNotFound(await caught(port.get(ref)))).toBe(true);
    expect(log.requests.map((r) => `${r.verb} ${r.status}`)).toEqual([
      'create 201',
      'get 200',
      'list 200',
      'replace 200',
      'delete 200',
      'get 404',
    ]);
  });

  it('answers AlreadyExists, Conflict and Invalid with the right predicates, without retrying', async () => {
    const cm = await port.create(configMap('predicates'));
    log.clear();
    const exists = await caught(port.create(configMap('predicates')));
    expect([exists.code, exists.reason, isAlreadyExists(exists), isConflict(exists)]).toEqual([
      409,
      'AlreadyExists',
      true,
      false,
    ]);

    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'predicates' };
    await port.patch(cmRef, { type: 'merge', body: { data: { b: '2' } } });
    const stale = await caught(port.replace({ ...cm, data: { a: 'stale' } }));
    expect([stale.code, stale.reason, isConflict(stale)]).toEqual([409, 'Conflict', true]);

    await port.create(statefulSet('invalid'));
    const invalid = await caught(
      port.patch(statefulSetRef(ns.name, 'invalid'), {
        type: 'merge',
        body: { spec: { replicas: -1 } },
      }),
    );
    expect(isInvalid(invalid)).toBe(true);
    expect(invalid.causes.map((c) => c.field)).toContain('spec.replicas');
    expect(invalid.request).toMatchObject({
      verb: 'patch',
      resource: 'statefulsets',
      group: 'apps',
      name: 'invalid',
    });

    const staleDelete = await caught(port.delete(cmRef, { preconditions: { uid: 'not-the-uid' } }));
    expect(isConflict(staleDelete)).toBe(true);
    // One request each: no 4xx was resent.
    expect(log.requests.map((r) => `${r.verb} ${r.status}`)).toEqual([
      'create 409',
      'patch 200',
      'replace 409',
      'create 201',
      'patch 422',
      'delete 409',
    ]);
  });

  it('resolves a real write conflict by re-running read→recompute→write', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'counter' };
    await port.create(configMap('counter', { n: '0' }));
    log.clear();
    const result = await withConflictRetry(3, async (attempt) => {
      const current = await port.get<ConfigMap>(ref);
      if (attempt === 1) {
        // Another writer changes it between our read and our write.
        await request(
          adminKubeConfig(),
          'PATCH',
          `/api/v1/namespaces/${ns.name}/configmaps/counter`,
          { data: { n: '10' } },
          'application/merge-patch+json',
        );
      }
      const n = Number(current.data?.n ?? '0');
      return port.replace<ConfigMap>({ ...current, data: { n: String(n + 1) } });
    });
    expect(result.data).toEqual({ n: '11' });
    expect(log.requests.map((r) => `${r.verb} ${r.status}`)).toEqual([
      'get 200',
      'replace 409',
      'get 200',
      'replace 200',
    ]);
  });

  describe('patches a real StatefulSet with each strategy, sending its content type', () => {
    const ref = () => statefulSetRef(ns.name, 'patched');
    beforeAll(async () => {
      await port.create(statefulSet('patched'));
    });

    it('strategic: merges containers by name (a merge patch would have replaced the list)', async () => {
      log.clear();
      const result = await port.patch<StatefulSet>(ref(), {
        type: 'strategic',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'sidecar', image: 'registry.invalid/sidecar:1' }] },
            },
          },
        },
      });
      expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual([
        'sidecar',
        'workload',
      ]);
      expect(log.requests).toEqual([
        { verb: 'patch', ...ref(), patchType: 'strategic', status: 200 },
      ]);
    });

    it('merge: sets and removes labels', async () => {
      await port.patch(ref(), {
        type: 'merge',
        body: { metadata: { labels: { tier: 'media', gone: 'x' } } },
      });
      const result = await port.patch<StatefulSet>(ref(), {
        type: 'merge',
        body: { metadata: { labels: { gone: null } } },
      });
      expect(result.metadata.labels).toEqual({ tier: 'media' });
    });

    it('json: applies operations, and a failed test op is a 422 the server rejects', async () => {
      const result = await port.patch<StatefulSet>(ref(), {
        type: 'json',
        ops: [
          { op: 'test', path: '/spec/replicas', value: 1 },
          { op: 'add', path: '/metadata/annotations', value: { 'charmkit.dev/note': 'json' } },
        ],
      });
      expect(result.metadata.annotations).toEqual({ 'charmkit.dev/note': 'json' });
      const failed = await caught(
        port.patch(ref(), {
          type: 'json',
          ops: [{ op: 'test', path: '/spec/replicas', value: 5 }],
        }),
      );
      expect(failed.code).toBe(422);
    });

    it('apply: server-side apply records the patch field manager, and dry run persists nothing', async () => {
      const applied = await port.patch<StatefulSet>(ref(), {
        type: 'apply',
        fieldManager: 'charmkit-apply',
        force: true,
        body: {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'patched', labels: { applied: 'yes' } },
        },
      });
      expect(applied.metadata.labels?.applied).toBe('yes');
      const managers = (
        applied.metadata.managedFields as { manager: string; operation: string }[]
      ).map((m) => `${m.manager}/${m.operation}`);
      expect(managers).toContain('charmkit-apply/Apply');
      expect(managers).toContain('charmkit-test/Update');

      const dry = await port.patch<StatefulSet>(
        ref(),
        { type: 'merge', body: { metadata: { labels: { dry: 'run' } } } },
        { dryRun: true },
      );
      expect(dry.metadata.labels?.dry).toBe('run');
      expect((await port.get<StatefulSet>(ref())).metadata.labels?.dry).toBeUndefined();
    });
  });

  it('explains a real RBAC denial with the rule that, once granted, allows the call', async () => {
    await port.create(statefulSet('radarr'));
    const saLog = new RequestLog();
    const asServiceAccount = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, 'radarr'),
      onRequest: saLog.onRequest,
    });
    const ref = statefulSetRef(ns.name, 'radarr');
    const patch = {
      type: 'strategic',
      body: { metadata: { labels: { patchedBy: 'sa' } } },
    } as const;

    const denied = await caught(asServiceAccount.patch(ref, patch));
    expect(denied.isForbidden()).toBe(true);
    expect(denied.message).toBe(
      `forbidden: cannot patch statefulsets.apps "radarr" in namespace "${ns.name}"; grant a Role rule ` +
        '{apiGroups: ["apps"], resources: ["statefulsets"], resourceNames: ["radarr"], verbs: ["patch"]}',
    );
    expect(denied.rbac?.user).toBe(`system:serviceaccount:${ns.name}:radarr`);
    expect(saLog.requests).toEqual([
      { verb: 'patch', ...ref, patchType: 'strategic', status: 403 },
    ]);

    // Grant exactly the suggested rule; the same call must then succeed.
    const rule = denied.rbac!.rule;
    await grantRole(ns.name, 'radarr', 'radarr-patch', [
      {
        apiGroups: rule.apiGroups!,
        resources: rule.resources!,
        resourceNames: rule.resourceNames!,
        verbs: rule.verbs,
      },
    ]);
    const patched = await waitUntil('the granted rule to take effect', async () => {
      try {
        return await asServiceAccount.patch<StatefulSet>(ref, patch);
      } catch (error) {
        if (error instanceof KubernetesError && error.isForbidden()) return undefined;
        throw error;
      }
    });
    expect(patched.metadata.labels?.patchedBy).toBe('sa');

    // The rule is exactly that narrow: reading is still denied, and says so.
    const getDenied = await caught(asServiceAccount.get(ref));
    expect(getDenied.message).toContain(
      'grant a Role rule {apiGroups: ["apps"], resources: ["statefulsets"], resourceNames: ["radarr"], verbs: ["get"]}',
    );
  });

  it('watches real changes until stopped', async () => {
    const list = await port.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns.name });
    const events: WatchEvent<ConfigMap>[] = [];
    const handle = await port.watch<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      {
        namespace: ns.name,
        resourceVersion: list.metadata.resourceVersion,
        fieldSelector: 'metadata.name=watched',
      },
      (event) => events.push(event),
    );
    await rawRequest(
      adminKubeConfig(),
      'POST',
      `/api/v1/namespaces/${ns.name}/configmaps`,
      configMap('watched'),
    );
    await rawRequest(
      adminKubeConfig(),
      'PATCH',
      `/api/v1/namespaces/${ns.name}/configmaps/watched`,
      { data: { a: 'changed' } },
      'application/merge-patch+json',
    );
    await waitUntil('two watch events', async () => events.length >= 2);
    await handle.stop();
    const seen = events.length;
    await rawRequest(
      adminKubeConfig(),
      'DELETE',
      `/api/v1/namespaces/${ns.name}/configmaps/watched`,
    );
    await handle.done;
    expect(events.slice(0, 2).map((e) => [e.type, e.object.kind, e.object.data?.a])).toEqual([
      ['ADDED', 'ConfigMap', '1'],
      ['MODIFIED', 'ConfigMap', 'changed'],
    ]);
    // Nothing arrives after stop().
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.length).toBe(seen);
  });
});
