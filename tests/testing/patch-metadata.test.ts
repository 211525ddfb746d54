/**
 * Guards the generated table (lib/testing/generated/patch-metadata.ts): a regeneration against a
 * broken or very different API server must not silently change how FakeCluster merges.
 */
import { describe, expect, it } from '@jest/globals';
import { PATCH_METADATA } from '../../lib/testing/generated/patch-metadata.js';
import {
  definitionForKind,
  fieldPatchMeta,
  mergeStrategyOf,
} from '../../lib/testing/strategic-merge-metadata.js';

const POD_SPEC = 'io.k8s.api.core.v1.PodSpec';
const CONTAINER = 'io.k8s.api.core.v1.Container';

describe('generated patch metadata', () => {
  it('maps every kind charmkit needs to its definition', () => {
    for (const [apiVersion, kind] of [
      ['v1', 'Pod'],
      ['apps/v1', 'StatefulSet'],
      ['apps/v1', 'Deployment'],
      ['batch/v1', 'Job'],
      ['v1', 'PersistentVolumeClaim'],
      ['v1', 'PersistentVolume'],
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'Service'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['storage.k8s.io/v1', 'StorageClass'],
      ['v1', 'Namespace'],
      ['v1', 'ServiceAccount'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
    ] as const) {
      const definition = definitionForKind(PATCH_METADATA, apiVersion, kind);
      expect(definition).toMatch(new RegExp(`\\.${kind}$`));
      expect(PATCH_METADATA.definitions[definition as string]).toBeDefined();
    }
  });

  it('leads from a StatefulSet to its containers', () => {
    const path = ['spec', 'template', 'spec', 'containers'];
    let definition: string | undefined = 'io.k8s.api.apps.v1.StatefulSet';
    for (const field of path) definition = fieldPatchMeta(PATCH_METADATA, definition, field)?.ref;
    expect(definition).toBe(CONTAINER);
  });

  it.each([
    [POD_SPEC, 'containers', 'merge', 'name'],
    [POD_SPEC, 'initContainers', 'merge', 'name'],
    [POD_SPEC, 'volumes', 'merge', 'name'],
    [POD_SPEC, 'imagePullSecrets', 'merge', 'name'],
    [CONTAINER, 'env', 'merge', 'name'],
    [CONTAINER, 'ports', 'merge', 'containerPort'],
    [CONTAINER, 'volumeMounts', 'merge', 'mountPath'],
    ['io.k8s.api.core.v1.ServiceSpec', 'ports', 'merge', 'port'],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences', 'merge', 'uid'],
    ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers', 'merge', undefined],
  ])('%s.%s merges (%s) on %s', (definition, field, strategy, key) => {
    const meta = fieldPatchMeta(PATCH_METADATA, definition, field);
    expect(mergeStrategyOf(meta)).toBe(strategy);
    expect(meta?.key).toBe(key);
  });

  it.each([
    [POD_SPEC, 'tolerations'],
    [CONTAINER, 'args'],
    [CONTAINER, 'command'],
  ])('%s.%s has no strategy, so it is replaced whole', (definition, field) => {
    expect(mergeStrategyOf(fieldPatchMeta(PATCH_METADATA, definition, field))).toBeUndefined();
  });

  it('knows volumes carry retainKeys and labels are a map', () => {
    expect(fieldPatchMeta(PATCH_METADATA, POD_SPEC, 'volumes')?.strategy).toBe('merge,retainKeys');
    expect(
      fieldPatchMeta(PATCH_METADATA, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels')
        ?.map,
    ).toBe(true);
  });
});
