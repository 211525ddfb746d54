import { describe, expect, it } from '@jest/globals';
import { isNotFound, KubernetesError } from '../../lib/kube/errors.js';
import type { KubeObject } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import {
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../lib/testing/fake-selectors.js';

const POD = { apiVersion: 'v1', kind: 'Pod' };

function pod(name: string, labels: Record<string, string>, phase?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'media', labels },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    ...(phase ? { status: { phase } } : {}),
  };
}

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'db' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['app in (web, api)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=db', true],
    ['app=web,tier=cache', false],
    ['app=web, tier in (db,cache), !legacy', true],
  ])('%j matches {app: web, tier: db}: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('matches objects without labels only with negative requirements', () => {
    expect(matchesLabels(parseLabelSelector('app!=web'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
  });

  it('accepts an empty set, which `in` never matches and `notin` always does', () => {
    expect(matchesLabels(parseLabelSelector('app in ()'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('app notin ()'), labels)).toBe(true);
  });

  it.each(['app=web,', 'a b c', 'app=we b', '=x', 'a=b=c'])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });
});

describe('field selectors', () => {
  it('supports the common fields and each kind’s indexed fields', () => {
    expect(parseFieldSelector('metadata.name=a,status.phase!=Running', 'v1', 'Pod')).toEqual([
      { field: 'metadata.name', equal: true, value: 'a' },
      { field: 'status.phase', equal: false, value: 'Running' },
    ]);
    expect(parseFieldSelector('involvedObject.name==web-0', 'v1', 'Event')).toEqual([
      { field: 'involvedObject.name', equal: true, value: 'web-0' },
    ]);
  });

  it('refuses a field the kind does not index, in the server’s words for that kind', () => {
    expect(() => parseFieldSelector('spec.foo=x', 'v1', 'Pod')).toThrow(
      'field label not supported: spec.foo',
    );
    expect(() => parseFieldSelector('status.phase=Running', 'v1', 'ConfigMap')).toThrow(
      '"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
});

describe('FakeCluster.list', () => {
  const fake = new FakeCluster({
    objects: [
      pod('a', { app: 'web' }, 'Running'),
      pod('b', { app: 'web' }, 'Pending'),
      pod('c', { app: 'db' }, 'Running'),
      {
        ...pod('d', { app: 'web' }),
        metadata: { name: 'd', namespace: 'other', labels: { app: 'web' } },
      },
    ],
  });

  it('filters by namespace, labels and fields, in name order', async () => {
    const list = await fake.list(POD, {
      namespace: 'media',
      labelSelector: 'app=web',
      fieldSelector: 'status.phase=Running',
    });
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toEqual(['a']);
    expect(list.items[0]?.kind).toBe('Pod');
  });

  it('lists across namespaces without one', async () => {
    const list = await fake.list(POD, { labelSelector: 'app=web' });
    expect(list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'media/a',
      'media/b',
      'other/d',
    ]);
  });

  it('truncates to limit and says there is more', async () => {
    const list = await fake.list(POD, { namespace: 'media', limit: 2 });
    expect(list.items).toHaveLength(2);
    expect(list.metadata.continue).toEqual(expect.any(String));
    const all = await fake.list(POD, { namespace: 'media' });
    expect(all.metadata.continue).toBeUndefined();
    expect(all.metadata.resourceVersion).toBe('4');
  });

  it('answers a bad selector with 400 and logs it', async () => {
    let caught: unknown;
    try {
      await fake.list(POD, { labelSelector: 'app=web=x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KubernetesError);
    expect((caught as KubernetesError).code).toBe(400);
    expect(isNotFound(caught)).toBe(false);
    expect(fake.requests.at(-1)?.status).toBe(400);
  });
});
