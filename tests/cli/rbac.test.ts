import { describe, expect, it } from '@jest/globals';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';
import { rbacObjects, type PolicyRule } from '../../cli/rbac.js';

const rulesOf = (kind: string, namespace?: string) =>
  rbacObjects({
    capabilities: ['vpn-requirer', 'storage-requirer'],
    namespace: 'media',
    statefulSet: 'qb',
    claim: 'media-shared',
  })
    .filter((o) => o.kind === kind && o.metadata.namespace === namespace)
    .flatMap((o) => (o as unknown as { rules: PolicyRule[] }).rules);

describe('rbacObjects', () => {
  it('narrows by resourceNames wherever Kubernetes allows it, never for create or list', () => {
    for (const rule of rulesOf('Role', 'media')) {
      const unnamed = rule.verbs.some((v) => v === 'create' || v === 'list');
      if (unnamed) expect(rule.resourceNames).toBeUndefined();
      else expect(rule.resourceNames?.length).toBeGreaterThan(0);
    }
    expect(rulesOf('Role', 'media')).toContainEqual({
      apiGroups: ['apps'],
      resources: ['statefulsets'],
      resourceNames: ['qb'],
      verbs: ['get', 'patch'],
    });
  });

  it('reads outside the namespace get a Role where they are; cluster-scoped ones a ClusterRole', () => {
    expect(rulesOf('Role', 'default')).toEqual([
      { apiGroups: [''], resources: ['services'], resourceNames: ['kubernetes'], verbs: ['get'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    expect(rulesOf('ClusterRole')).toEqual([
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['ciliumnetworkpolicies.cilium.io'],
        verbs: ['get'],
      },
    ]);
  });

  it('options take rules away: API server given, minimal, no delete unless remove', () => {
    const objects = rbacObjects({
      capabilities: ['vpn-requirer'],
      namespace: 'media',
      statefulSet: 'qb',
      apiServerGiven: true,
      minimal: true,
    });
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}`)).toEqual([
      'Role media',
      'RoleBinding media',
    ]);
    expect(JSON.stringify(objects)).not.toContain('delete');
    expect(
      JSON.stringify(
        rbacObjects({
          capabilities: ['vpn-requirer'],
          namespace: 'm',
          statefulSet: 'qb',
          vpnRemove: true,
        }),
      ),
    ).toContain('delete');
  });
});

describe('charmkit rbac', () => {
  it('prints YAML documents, or a JSON List with --json', async () => {
    const stdout = new MemoryStream();
    expect(
      await main(['rbac', 'radarr', '-n', 'media'], {
        stdout,
        stderr: new MemoryStream(),
        env: {},
      }),
    ).toBe(0);
    expect(stdout.text).toContain('kind: Role\n');
    expect(stdout.text).toContain('---\n');
    const json = new MemoryStream();
    await main(['rbac', 'radarr', '-n', 'media', '--json'], {
      stdout: json,
      stderr: new MemoryStream(),
      env: {},
    });
    const list = JSON.parse(json.text) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['Role', 'RoleBinding']);
  });

  it('refuses an unknown example or capability with exit 2', async () => {
    const stderr = new MemoryStream();
    expect(
      await main(['rbac', 'sonarr', '-n', 'm'], { stdout: new MemoryStream(), stderr, env: {} }),
    ).toBe(2);
    expect(stderr.text).toContain('unknown example "sonarr"');
    expect(
      await main(['rbac', '--capabilities', 'teleport', '-n', 'm', '--statefulset', 'x'], {
        stdout: new MemoryStream(),
        stderr: new MemoryStream(),
        env: {},
      }),
    ).toBe(2);
  });
});
