import { describe, expect, it } from '@jest/globals';
import {
  strategicMergePatch,
  StrategicMergePatchError,
  type JsonObject,
} from '../../lib/testing/strategic-merge.js';
import { FIXTURE_TABLE, POD_SPEC_DEF, STS_DEF } from './fixtures/patch-metadata-fixture.js';

/** Applies `patch` to a pod spec through the fixture table. */
function patchPodSpec(original: JsonObject, patch: JsonObject): JsonObject {
  return strategicMergePatch(original, patch, FIXTURE_TABLE, POD_SPEC_DEF);
}

function names(list: unknown): string[] {
  return (list as { name: string }[]).map((item) => item.name);
}

function expectError(run: () => unknown, code: number, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StrategicMergePatchError);
  expect((caught as StrategicMergePatchError).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

const containers = (...list: string[]): JsonObject[] =>
  list.map((name) => ({ name, image: `${name}:1` }));

describe('strategicMergePatch: maps', () => {
  it('merges maps recursively and deletes keys set to null', () => {
    const result = strategicMergePatch(
      { metadata: { name: 'x', labels: { a: '1', b: '2' } }, spec: { replicas: 1 } },
      { metadata: { labels: { b: null, c: '3' } }, spec: { replicas: 2 } },
      FIXTURE_TABLE,
      STS_DEF,
    );
    expect(result).toEqual({
      metadata: { name: 'x', labels: { a: '1', c: '3' } },
      spec: { replicas: 2 },
    });
  });

  it('ignores a null for a key the object does not have', () => {
    expect(strategicMergePatch({ a: 1 }, { b: null }, FIXTURE_TABLE)).toEqual({ a: 1 });
  });

  it('drops nulls inside a value that replaces nothing', () => {
    expect(strategicMergePatch({}, { a: { b: null, c: 1 } }, FIXTURE_TABLE)).toEqual({
      a: { c: 1 },
    });
  });

  it('replaces a value of another JSON type outright', () => {
    expect(strategicMergePatch({ a: { b: 1 } }, { a: 'text' }, FIXTURE_TABLE)).toEqual({
      a: 'text',
    });
  });

  it('does not modify its arguments', () => {
    const original = { spec: { containers: containers('a') } };
    const patch = { spec: { containers: [{ name: 'a', image: 'a:2' }] } };
    const before = structuredClone([original, patch]);
    strategicMergePatch(original, patch, FIXTURE_TABLE);
    expect([original, patch]).toEqual(before);
  });

  it('rejects a patch that is not an object', () => {
    expectError(() => strategicMergePatch({}, [] as unknown as JsonObject, FIXTURE_TABLE), 400);
  });
});

describe('strategicMergePatch: lists merged by key', () => {
  it('merges a container by name and keeps fields the patch does not name', () => {
    const result = patchPodSpec(
      { containers: [{ name: 'app', image: 'app:1', args: ['--x'] }] },
      { containers: [{ name: 'app', image: 'app:2' }] },
    );
    expect(result.containers).toEqual([{ name: 'app', image: 'app:2', args: ['--x'] }]);
  });

  it('puts an item the server did not have before the server-only items', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b') },
      { containers: containers('new') },
    );
    expect(names(result.containers)).toEqual(['new', 'a', 'b']);
  });

  it('interleaves patched items with server-only items by the server order', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b', 'c') },
      { containers: [{ name: 'b', image: 'b:2' }, ...containers('new')] },
    );
    expect(names(result.containers)).toEqual(['a', 'b', 'new', 'c']);
    expect((result.containers as JsonObject[])[1]).toEqual({ name: 'b', image: 'b:2' });
  });

  it('follows the patch order among the items it names, server order decides the rest', () => {
    // Patch items sorted by the patch: [c, a]; server-only [b]. b precedes c on the server, so it
    // is emitted first; a cannot move ahead of c because the patch put c first.
    const result = patchPodSpec(
      { containers: containers('a', 'b', 'c') },
      {
        containers: [
          { name: 'c', image: 'c:2' },
          { name: 'a', image: 'a:2' },
        ],
      },
    );
    expect(names(result.containers)).toEqual(['b', 'c', 'a']);
  });

  it('keys volumeMounts by mountPath, not by name', () => {
    const result = patchPodSpec(
      {
        containers: [
          {
            name: 'app',
            volumeMounts: [
              { name: 'data', mountPath: '/a' },
              { name: 'data', mountPath: '/b' },
            ],
          },
        ],
      },
      {
        containers: [
          { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/b', readOnly: true }] },
        ],
      },
    );
    expect((result.containers as JsonObject[])[0]?.volumeMounts).toEqual([
      { name: 'data', mountPath: '/a' },
      { name: 'data', mountPath: '/b', readOnly: true },
    ]);
  });

  it('keys ports by containerPort', () => {
    const result = patchPodSpec(
      { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }] }] },
      {
        containers: [
          { name: 'app', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 9090 }] },
        ],
      },
    );
    expect((result.containers as JsonObject[])[0]?.ports).toEqual([
      { containerPort: 80, name: 'web' },
      { containerPort: 9090 },
    ]);
  });

  it('merges env inside initContainers and deletes an env value with null', () => {
    const result = patchPodSpec(
      {
        containers: containers('app'),
        initContainers: [
          {
            name: 'init',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
      {
        initContainers: [
          {
            name: 'init',
            env: [{ name: 'B', value: null, valueFrom: { fieldRef: { fieldPath: 'x' } } }],
          },
        ],
      },
    );
    expect((result.initContainers as JsonObject[])[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { fieldRef: { fieldPath: 'x' } } },
    ]);
  });

  it('takes a list the object lacks from the patch, minus directives and nulls', () => {
    const result = patchPodSpec(
      { containers: containers('app') },
      {
        initContainers: [
          { name: 'init', image: 'busybox', command: null },
          { name: 'gone', $patch: 'delete' },
        ],
      },
    );
    expect(result.initContainers).toEqual([{ name: 'init', image: 'busybox' }]);
  });

  it('refuses a list item without its merge key', () => {
    expectError(
      () => patchPodSpec({ containers: containers('a') }, { containers: [{ image: 'x' }] }),
      500,
      /merge key: name/,
    );
  });
});

describe('strategicMergePatch: lists without a merge strategy', () => {
  it('replaces tolerations, args and command whole', () => {
    const result = patchPodSpec(
      {
        tolerations: [{ key: 'a', operator: 'Exists' }],
        containers: [{ name: 'app', args: ['a', 'b'], command: ['sh'] }],
      },
      {
        tolerations: [{ key: 'b', operator: 'Exists' }],
        containers: [{ name: 'app', args: ['c'] }],
      },
    );
    expect(result.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(result.containers).toEqual([{ name: 'app', args: ['c'], command: ['sh'] }]);
  });

  it('merges maps and replaces lists for a definition it does not know', () => {
    const result = strategicMergePatch(
      { spec: { items: [1, 2], nested: { a: 1 } } },
      { spec: { items: [3], nested: { b: 2 } } },
      FIXTURE_TABLE,
      'com.example.v1.Unknown',
    );
    expect(result).toEqual({ spec: { items: [3], nested: { a: 1, b: 2 } } });
  });
});

describe('strategicMergePatch: lists of scalars with the merge strategy', () => {
  it('unions finalizers, patch items first', () => {
    const result = strategicMergePatch(
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { finalizers: ['c', 'a'] } },
      FIXTURE_TABLE,
      STS_DEF,
    );
    expect((result.metadata as JsonObject).finalizers).toEqual(['c', 'a', 'b']);
  });

  it('deletes scalars listed in $deleteFromPrimitiveList', () => {
    const result = strategicMergePatch(
      { metadata: { finalizers: ['a', 'b', 'c'] } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zzz'] } },
      FIXTURE_TABLE,
      STS_DEF,
    );
    expect((result.metadata as JsonObject).finalizers).toEqual(['a', 'c']);
  });

  it('ignores $deleteFromPrimitiveList for a list the object lacks', () => {
    const result = strategicMergePatch(
      { metadata: { name: 'x' } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      FIXTURE_TABLE,
      STS_DEF,
    );
    expect(result).toEqual({ metadata: { name: 'x' } });
  });
});

describe('strategicMergePatch: $patch directives', () => {
  it('deletes a list item by merge key', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b') },
      { containers: [{ name: 'a', $patch: 'delete' }] },
    );
    expect(names(result.containers)).toEqual(['b']);
  });

  it('replaces a merging list whole with $patch: replace', () => {
    const result = patchPodSpec(
      {
        volumes: [
          { name: 'a', emptyDir: {} },
          { name: 'b', emptyDir: {} },
        ],
      },
      { volumes: [{ name: 'c', emptyDir: {} }, { $patch: 'replace' }] },
    );
    expect(result.volumes).toEqual([{ name: 'c', emptyDir: {} }]);
  });

  it('replaces a map whole with $patch: replace', () => {
    const result = patchPodSpec(
      { securityContext: { runAsUser: 1, fsGroup: 2 } },
      { securityContext: { $patch: 'replace', runAsUser: 3 } },
    );
    expect(result.securityContext).toEqual({ runAsUser: 3 });
  });

  it('empties a map with $patch: delete', () => {
    const result = patchPodSpec(
      { securityContext: { runAsUser: 1 } },
      { securityContext: { $patch: 'delete' } },
    );
    expect(result.securityContext).toEqual({});
  });

  it('ignores a map directive for a field the object lacks', () => {
    const result = patchPodSpec({}, { securityContext: { $patch: 'replace', runAsUser: 3 } });
    expect(result).toEqual({});
  });

  it('rejects $patch: merge on a map and on a list', () => {
    expectError(
      () => patchPodSpec({ securityContext: {} }, { securityContext: { $patch: 'merge' } }),
      500,
    );
    expectError(
      () => patchPodSpec({ containers: containers('a') }, { containers: [{ $patch: 'merge' }] }),
      500,
      /merging lists cannot yet be specified/,
    );
  });

  it('rejects an unknown $patch value', () => {
    expectError(
      () => patchPodSpec({ securityContext: {} }, { securityContext: { $patch: 'x' } }),
      500,
    );
  });
});

describe('strategicMergePatch: $setElementOrder', () => {
  it('reorders a list without changing its items', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b', 'c') },
      { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] },
    );
    expect(names(result.containers)).toEqual(['c', 'a', 'b']);
  });

  it('places a new item where the order says', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b') },
      {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'new' }, { name: 'b' }],
        containers: containers('new'),
      },
    );
    expect(names(result.containers)).toEqual(['a', 'new', 'b']);
  });

  it('interleaves server-only items the order does not mention by server position', () => {
    const result = patchPodSpec(
      { containers: containers('a', 'b', 'c') },
      { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }] },
    );
    expect(names(result.containers)).toEqual(['b', 'c', 'a']);
  });

  it('orders scalar lists too', () => {
    const result = strategicMergePatch(
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'], finalizers: ['c'] } },
      FIXTURE_TABLE,
      STS_DEF,
    );
    expect((result.metadata as JsonObject).finalizers).toEqual(['b', 'c', 'a']);
  });

  it('rejects a patch list whose order contradicts the directive', () => {
    expectError(
      () =>
        patchPodSpec(
          { containers: containers('a', 'b') },
          {
            '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
            containers: containers('b', 'a'),
          },
        ),
      500,
      /doesn't match/,
    );
  });

  it('rejects a malformed directive key', () => {
    expectError(() => patchPodSpec({}, { $setElementOrder: [] }), 400);
  });
});

describe('strategicMergePatch: $retainKeys', () => {
  it('drops keys of the live map that are not retained', () => {
    const result = patchPodSpec(
      { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }] },
      { volumes: [{ name: 'data', $retainKeys: ['name', 'emptyDir'], emptyDir: {} }] },
    );
    expect(result.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
  });

  it('rejects a patch that sets a key it does not retain', () => {
    expectError(
      () =>
        patchPodSpec(
          { volumes: [{ name: 'data', emptyDir: {} }] },
          { volumes: [{ name: 'data', $retainKeys: ['name'], hostPath: { path: '/x' } }] },
        ),
      400,
      /retainKeys/,
    );
  });
});

describe('strategicMergePatch: malformed lists', () => {
  it('refuses lists of lists with 422', () => {
    expectError(
      () =>
        strategicMergePatch(
          { metadata: { finalizers: [] } },
          { metadata: { finalizers: [['b']] } },
          FIXTURE_TABLE,
          STS_DEF,
        ),
      422,
    );
  });

  it('refuses lists mixing maps and scalars', () => {
    expectError(
      () => patchPodSpec({ containers: containers('a') }, { containers: ['b'] }),
      500,
      /not identical/,
    );
  });
});
