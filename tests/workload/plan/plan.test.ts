import { jest } from '@jest/globals';
import { KubernetesError } from '../../../lib/kube/errors.js';
import type { KubePort } from '../../../lib/kube/port.js';
import { applyPlan, reconcileStatefulSet } from '../../../lib/workload/plan/apply.js';
import {
  ContainerNotFoundError,
  MountPathConflictError,
  PlanConflictError,
  PlanInconsistentError,
  StatefulSetPlan,
  type PlanResult,
} from '../../../lib/workload/plan/index.js';
import type { StatefulSet } from '../../../lib/kube/types.js';
import { strategicMergePatch, type JsonObject } from '../../../lib/testing/strategic-merge.js';
import { definitionForKind } from '../../../lib/testing/strategic-merge-metadata.js';
import { PATCH_METADATA } from '../../../lib/testing/generated/patch-metadata.js';

/** A StatefulSet shaped like the one Juju creates for a sidecar charm named radarr. */
function jujuStatefulSet(): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: 'radarr',
      namespace: 'media',
      resourceVersion: '42',
      annotations: { 'juju.is/version': '3.6' },
    },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'radarr' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'radarr' } },
        spec: {
          initContainers: [
            {
              name: 'charm-init',
              image: 'jujusolutions/jujud-operator:3.6',
              volumeMounts: [{ name: 'charm-data', mountPath: '/charm/bin' }],
              terminationMessagePath: '/dev/termination-log',
            },
          ],
          containers: [
            {
              name: 'charm',
              image: 'jujusolutions/charm-base:ubuntu-22.04',
              volumeMounts: [{ name: 'charm-data', mountPath: '/charm/bin' }],
            },
            {
              name: 'radarr',
              image: 'lscr.io/linuxserver/radarr:5',
              imagePullPolicy: 'IfNotPresent',
              env: [{ name: 'TZ', value: 'Etc/UTC' }],
              securityContext: { capabilities: { add: ['SYS_TIME'] }, runAsUser: 0 },
              volumeMounts: [{ name: 'charm-data', mountPath: '/charm/bin' }],
            },
          ],
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          volumes: [{ name: 'charm-data', emptyDir: {} }],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'radarr-config' },
          spec: {},
        },
      ],
    },
  };
}

/** The StatefulSet as the server would store it once the plan's patch is applied. */
function afterPatch(observed: StatefulSet, result: PlanResult): StatefulSet {
  const next = structuredClone(observed);
  next.spec.template = structuredClone(result.predicted);
  next.metadata.annotations = { ...result.predictedAnnotations };
  next.metadata.resourceVersion = String(Number(observed.metadata.resourceVersion ?? '0') + 1);
  return next;
}

function mountStorage(plan: StatefulSetPlan, path = '/data', claim = 'media-pvc'): StatefulSetPlan {
  return plan
    .ensureVolume('storage', {
      name: 'charmkit-storage-media',
      persistentVolumeClaim: { claimName: claim },
    })
    .ensureVolumeMount('storage', 'radarr', { name: 'charmkit-storage-media', mountPath: path })
    .ensurePodSecurityContext('storage', { fsGroup: 1000 });
}

type Body = Record<string, unknown>;
function podSpecOf(result: PlanResult): Body {
  const body = result.patch?.body as { spec: { template: { spec: Body } } };
  return body.spec.template.spec;
}

describe('StatefulSetPlan: nothing to do', () => {
  it('an empty plan is up to date and has no patch', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet()).compute();
    expect(result.upToDate).toBe(true);
    expect(result.patch).toBeUndefined();
    expect(result.changes).toEqual([]);
    expect(result.predicted).toEqual(jujuStatefulSet().spec.template);
  });

  it('fragments the observed template already satisfies produce no patch', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet())
      .ensureVolume('x', { name: 'charm-data', emptyDir: {} })
      .ensureVolumeMount('x', 'radarr', { name: 'charm-data', mountPath: '/charm/bin' })
      .ensurePodSecurityContext('x', { runAsUser: 0 })
      .ensureContainerSecurityContext('x', 'radarr', { capabilities: { add: ['SYS_TIME'] } })
      .ensureEnv('x', 'radarr', { name: 'TZ', value: 'Etc/UTC' })
      .ensureAnnotation('x', 'juju.is/version', '3.6');
    expect(plan.compute().upToDate).toBe(true);
  });

  it('server-defaulted fields in an observed sidecar do not cause a patch loop', () => {
    const sts = jujuStatefulSet();
    sts.spec.template.spec.containers.push({
      name: 'gateway',
      image: 'ghcr.io/angelnu/pod-gateway:v1.10.0',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      resources: {},
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      ports: [{ containerPort: 4789, protocol: 'UDP' }],
    });
    const result = StatefulSetPlan.for(sts)
      .ensureContainer('vpn', {
        name: 'gateway',
        image: 'ghcr.io/angelnu/pod-gateway:v1.10.0',
        env: [{ name: 'B', value: '2' }],
        ports: [{ containerPort: 4789 }],
      })
      .compute();
    expect(result.upToDate).toBe(true);
  });
});

describe('StatefulSetPlan: mounting a volume', () => {
  it('produces one strategic patch that adds the volume, the mount and fsGroup', () => {
    const result = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    expect(result.upToDate).toBe(false);
    expect(result.patch?.type).toBe('strategic');
    expect(result.patch?.body).toEqual({
      metadata: { resourceVersion: '42' },
      spec: {
        template: {
          spec: {
            volumes: [
              { name: 'charmkit-storage-media', persistentVolumeClaim: { claimName: 'media-pvc' } },
            ],
            // pins observed order with the new element appended (the server would prepend it)
            '$setElementOrder/volumes': [
              { name: 'charm-data' },
              { name: 'charmkit-storage-media' },
            ],
            containers: [
              {
                name: 'radarr',
                volumeMounts: [{ name: 'charmkit-storage-media', mountPath: '/data' }],
                '$setElementOrder/volumeMounts': [
                  { mountPath: '/charm/bin' },
                  { mountPath: '/data' },
                ],
              },
            ],
            securityContext: { fsGroup: 1000 },
          },
        },
      },
    });
    expect(result.changes.map((c) => c.summary)).toEqual([
      'add volume charmkit-storage-media (claim media-pvc)',
      'mount volume charmkit-storage-media at /data in radarr',
      'set pod securityContext.fsGroup to 1000',
    ]);
    expect(result.changes.every((c) => c.owner === 'storage')).toBe(true);
  });

  it('predicts the template the server will hold, keeping everything it did not touch', () => {
    const result = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    const spec = result.predicted.spec;
    expect(spec.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, fsGroup: 1000 });
    expect(spec.volumes?.map((v) => v.name)).toEqual(['charm-data', 'charmkit-storage-media']);
    const radarr = spec.containers.find((c) => c.name === 'radarr');
    expect(radarr?.volumeMounts).toEqual([
      { name: 'charm-data', mountPath: '/charm/bin' },
      { name: 'charmkit-storage-media', mountPath: '/data' },
    ]);
    expect(radarr?.securityContext).toEqual({ capabilities: { add: ['SYS_TIME'] }, runAsUser: 0 });
    expect(spec.containers.find((c) => c.name === 'charm')?.volumeMounts).toHaveLength(1);
  });

  it('is idempotent: the same fragments against the patched result are up to date', () => {
    const first = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    const second = mountStorage(
      StatefulSetPlan.for(afterPatch(jujuStatefulSet(), first)),
    ).compute();
    expect(second.upToDate).toBe(true);
    expect(second.patch).toBeUndefined();
  });

  it('does not modify the observed StatefulSet it was built from', () => {
    const sts = jujuStatefulSet();
    const plan = mountStorage(StatefulSetPlan.for(sts));
    plan.compute();
    plan.compute();
    expect(sts).toEqual(jujuStatefulSet());
    expect(plan.compute()).toEqual(plan.compute());
  });

  it('omits resourceVersion when optimistic locking is off', () => {
    const result = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute({
      optimisticLock: false,
    });
    expect(result.patch?.body).not.toHaveProperty('metadata');
  });

  it('a changed claim updates the volume in place', () => {
    const first = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    const moved = mountStorage(
      StatefulSetPlan.for(afterPatch(jujuStatefulSet(), first)),
      '/data',
      'other',
    ).compute();
    expect(podSpecOf(moved)).toEqual({
      volumes: [{ name: 'charmkit-storage-media', persistentVolumeClaim: { claimName: 'other' } }],
    });
    expect(moved.changes.map((c) => c.summary)).toEqual([
      'update volume charmkit-storage-media (claim media-pvc -> claim other)',
    ]);
  });

  it('a changed volume source drops the old source with $retainKeys', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureVolume('x', { name: 'charm-data', persistentVolumeClaim: { claimName: 'c' } })
      .compute();
    expect(podSpecOf(result).volumes).toEqual([
      {
        name: 'charm-data',
        persistentVolumeClaim: { claimName: 'c' },
        $retainKeys: ['name', 'persistentVolumeClaim'],
      },
    ]);
    expect(result.predicted.spec.volumes).toEqual([
      { name: 'charm-data', persistentVolumeClaim: { claimName: 'c' } },
    ]);
  });

  it('a mount of a volumeClaimTemplate needs no pod volume', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureVolumeMount('x', 'radarr', { name: 'radarr-config', mountPath: '/config' })
      .compute();
    expect(result.upToDate).toBe(false);
  });
});

describe('StatefulSetPlan: moving a mount', () => {
  it('deletes the old mountPath entry and adds the new one in the same patch', () => {
    const first = mountStorage(StatefulSetPlan.for(jujuStatefulSet()), '/media').compute();
    const observed = afterPatch(jujuStatefulSet(), first);
    const result = mountStorage(StatefulSetPlan.for(observed), '/data').compute();
    expect(podSpecOf(result)).toEqual({
      containers: [
        {
          name: 'radarr',
          volumeMounts: [
            { mountPath: '/media', $patch: 'delete' },
            { name: 'charmkit-storage-media', mountPath: '/data' },
          ],
          '$setElementOrder/volumeMounts': [{ mountPath: '/charm/bin' }, { mountPath: '/data' }],
        },
      ],
    });
    expect(result.changes.map((c) => c.summary)).toEqual([
      'move mount of volume charmkit-storage-media in radarr from /media to /data',
    ]);
    const mounts = result.predicted.spec.containers.find((c) => c.name === 'radarr')?.volumeMounts;
    expect(mounts?.filter((m) => m.name === 'charmkit-storage-media')).toEqual([
      { name: 'charmkit-storage-media', mountPath: '/data' },
    ]);
  });

  it('keeps other mounts of the volume when moveExisting is false', () => {
    const sts = jujuStatefulSet();
    const result = StatefulSetPlan.for(sts)
      .ensureVolumeMount(
        'x',
        'radarr',
        { name: 'charm-data', mountPath: '/again' },
        { moveExisting: false },
      )
      .compute();
    expect(podSpecOf(result)).toEqual({
      containers: [
        {
          name: 'radarr',
          volumeMounts: [{ name: 'charm-data', mountPath: '/again' }],
          '$setElementOrder/volumeMounts': [{ mountPath: '/charm/bin' }, { mountPath: '/again' }],
        },
      ],
    });
  });

  it('refuses two fragments that mount one volume at two paths with moving on', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet())
      .ensureVolumeMount('a', 'radarr', { name: 'charm-data', mountPath: '/one' })
      .ensureVolumeMount('b', 'radarr', { name: 'charm-data', mountPath: '/two' });
    // /charm/bin is moved by the first; the second would move /one, which 'a' wants.
    expect(() => plan.compute()).toThrow(PlanConflictError);
  });
});

describe('StatefulSetPlan: typed errors', () => {
  it('a container the StatefulSet does not have is an error naming the ones it has', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).ensureVolumeMount('storage', 'radarr-k8s', {
      name: 'charm-data',
      mountPath: '/data',
    });
    expect(() => plan.compute()).toThrow(ContainerNotFoundError);
    try {
      plan.compute();
    } catch (e) {
      const err = e as ContainerNotFoundError;
      expect(err.available).toEqual(['charm', 'radarr']);
      expect(err.message).toContain('"radarr-k8s"');
      expect(err.message).toContain('charmcraft.yaml');
      expect(err.name).toBe('ContainerNotFoundError');
    }
  });

  it('container-level fields on a missing container are errors too, never a silent no-op', () => {
    const sc = StatefulSetPlan.for(jujuStatefulSet()).ensureContainerSecurityContext('v', 'nope', {
      capabilities: { add: ['NET_ADMIN'] },
    });
    expect(() => sc.compute()).toThrow(ContainerNotFoundError);
    const env = StatefulSetPlan.for(jujuStatefulSet()).ensureEnv('v', 'nope', {
      name: 'A',
      value: '1',
    });
    expect(() => env.compute()).toThrow(ContainerNotFoundError);
  });

  it('a mount path used by a volume the fragment does not name is a conflict, not a takeover', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).ensureVolumeMount('storage', 'radarr', {
      name: 'charmkit-storage-media',
      mountPath: '/charm/bin',
    });
    expect(() => plan.compute()).toThrow(MountPathConflictError);
  });

  it('two owners wanting different values for one key conflict, naming both', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).ensurePodSecurityContext('storage', {
      fsGroup: 1000,
    });
    expect(() => plan.ensurePodSecurityContext('vpn', { fsGroup: 2000 })).toThrow(
      /storage and vpn want different values for pod securityContext.fsGroup/,
    );
  });

  it('identical fragments from two owners are accepted once', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensurePodSecurityContext('storage', { fsGroup: 1000 })
      .ensurePodSecurityContext('other', { fsGroup: 1000 })
      .compute();
    expect(result.changes).toHaveLength(1);
  });

  it('ensure and remove of the same volume conflict', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).ensureVolume('a', {
      name: 'v',
      emptyDir: {},
    });
    expect(() => plan.removeVolume('b', 'v')).toThrow(PlanConflictError);
  });

  it('a mount of a volume that will not exist is inconsistent', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).ensureVolumeMount('storage', 'radarr', {
      name: 'ghost',
      mountPath: '/data',
    });
    expect(() => plan.compute()).toThrow(PlanInconsistentError);
  });

  it('removing a volume that a container still mounts is inconsistent', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet()).removeVolume('x', 'charm-data');
    expect(() => plan.compute()).toThrow(/charm-data/);
  });

  it('pod spec fields with dedicated methods are refused by ensurePodSpecField', () => {
    expect(() =>
      StatefulSetPlan.for(jujuStatefulSet()).ensurePodSpecField('x', 'volumes', []),
    ).toThrow(TypeError);
  });
});

describe('StatefulSetPlan: exact removals', () => {
  it('unmounting uses delete directives keyed by merge key and restores fsGroup', () => {
    const first = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    const observed = afterPatch(jujuStatefulSet(), first);
    const result = StatefulSetPlan.for(observed)
      .removeVolumeMounts('storage', 'charmkit-storage-media')
      .removeVolume('storage', 'charmkit-storage-media')
      .ensurePodSecurityContext('storage', { fsGroup: null })
      .compute();
    expect(podSpecOf(result)).toEqual({
      containers: [{ name: 'radarr', volumeMounts: [{ mountPath: '/data', $patch: 'delete' }] }],
      securityContext: { fsGroup: null },
      volumes: [{ name: 'charmkit-storage-media', $patch: 'delete' }],
    });
    expect(result.predicted).toEqual(jujuStatefulSet().spec.template);
  });

  it('removals of things that are absent are no-ops', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .removeVolumeMounts('s', 'nothing')
      .removeVolume('s', 'nothing')
      .removeVolumeMountAt('s', 'radarr', '/nowhere')
      .removeVolumeMountAt('s', 'no-container', '/nowhere')
      .removeContainer('s', 'gone')
      .removeInitContainer('s', 'gone')
      .removeEnv('s', 'radarr', 'NOPE')
      .ensureAnnotation('s', 'absent', null)
      .ensureTemplateAnnotation('s', 'absent', null)
      .compute();
    expect(result.upToDate).toBe(true);
  });

  it('removeVolumeMountAt deletes one mount by path', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .removeVolumeMountAt('s', 'radarr', '/charm/bin')
      .compute();
    expect(podSpecOf(result)).toEqual({
      containers: [
        { name: 'radarr', volumeMounts: [{ mountPath: '/charm/bin', $patch: 'delete' }] },
      ],
    });
  });

  it('removeContainer and removeEnv use delete directives', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .removeContainer('s', 'charm')
      .removeEnv('s', 'radarr', 'TZ')
      .compute();
    expect(podSpecOf(result).containers).toEqual([
      { name: 'charm', $patch: 'delete' },
      { name: 'radarr', env: [{ name: 'TZ', $patch: 'delete' }] },
    ]);
  });
});

describe('StatefulSetPlan: what a VPN capability needs', () => {
  it('adds an init container first, a sidecar and NET_ADMIN without dropping observed capabilities', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureInitContainer(
        'vpn',
        { name: 'gateway-init', image: 'pod-gateway:v1', command: ['/bin/client_init.sh'] },
        { position: 'first' },
      )
      .ensureContainer('vpn', { name: 'gateway-sidecar', image: 'pod-gateway:v1' })
      .ensureContainerSecurityContext(
        'vpn',
        'gateway-init',
        { capabilities: { add: ['NET_ADMIN'] } },
        { initContainer: true },
      )
      .ensureContainerSecurityContext('vpn', 'radarr', { capabilities: { add: ['NET_ADMIN'] } })
      .compute();
    const spec = podSpecOf(result);
    expect(spec['$setElementOrder/initContainers']).toEqual([
      { name: 'gateway-init' },
      { name: 'charm-init' },
    ]);
    expect(spec.initContainers).toEqual([
      {
        name: 'gateway-init',
        image: 'pod-gateway:v1',
        command: ['/bin/client_init.sh'],
        securityContext: { capabilities: { add: ['NET_ADMIN'] } },
      },
    ]);
    expect(spec.containers).toEqual([
      { name: 'radarr', securityContext: { capabilities: { add: ['SYS_TIME', 'NET_ADMIN'] } } },
      { name: 'gateway-sidecar', image: 'pod-gateway:v1' },
    ]);
    expect(result.predicted.spec.initContainers?.map((c) => c.name)).toEqual([
      'gateway-init',
      'charm-init',
    ]);
    const again = StatefulSetPlan.for(afterPatch(jujuStatefulSet(), result))
      .ensureInitContainer(
        'vpn',
        { name: 'gateway-init', image: 'pod-gateway:v1', command: ['/bin/client_init.sh'] },
        { position: 'first' },
      )
      .ensureContainer('vpn', { name: 'gateway-sidecar', image: 'pod-gateway:v1' })
      .ensureContainerSecurityContext('vpn', 'radarr', { capabilities: { add: ['NET_ADMIN'] } })
      .compute();
    expect(again.upToDate).toBe(true);
  });

  it('capability lists from two owners are unioned into one list', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureContainerSecurityContext('a', 'radarr', { capabilities: { add: ['NET_ADMIN'] } })
      .ensureContainerSecurityContext('b', 'radarr', { capabilities: { add: ['NET_RAW'] } })
      .compute();
    expect(podSpecOf(result).containers).toEqual([
      {
        name: 'radarr',
        securityContext: { capabilities: { add: ['SYS_TIME', 'NET_ADMIN', 'NET_RAW'] } },
      },
    ]);
  });

  it('removes one capability and keeps the rest', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .removeContainerCapabilities('vpn', 'radarr', { add: ['SYS_TIME'] })
      .compute();
    expect(podSpecOf(result).containers).toEqual([
      { name: 'radarr', securityContext: { capabilities: { add: [] } } },
    ]);
  });

  it('a sidecar can receive a mount in the same plan that adds it', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureVolumeMount('storage', 'gateway-sidecar', { name: 'charm-data', mountPath: '/x' })
      .ensureContainer('vpn', { name: 'gateway-sidecar', image: 'pod-gateway:v1' })
      .compute();
    expect(podSpecOf(result).containers).toEqual([
      {
        name: 'gateway-sidecar',
        image: 'pod-gateway:v1',
        volumeMounts: [{ name: 'charm-data', mountPath: '/x' }],
      },
    ]);
  });

  it('switching an env var from value to valueFrom clears the old value', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensureEnv('vpn', 'radarr', {
        name: 'TZ',
        valueFrom: { configMapKeyRef: { name: 'tz', key: 'tz' } },
      })
      .compute();
    expect(podSpecOf(result).containers).toEqual([
      {
        name: 'radarr',
        env: [
          { name: 'TZ', valueFrom: { configMapKeyRef: { name: 'tz', key: 'tz' } }, value: null },
        ],
      },
    ]);
  });

  it('pod spec fields, template annotations and StatefulSet annotations', () => {
    const result = StatefulSetPlan.for(jujuStatefulSet())
      .ensurePodSpecField('vpn', 'dnsPolicy', 'None')
      .ensurePodSpecField('vpn', 'dnsConfig', { nameservers: ['10.0.0.1'] })
      .ensureTemplateAnnotation('vpn', 'charmkit.io/vpn-config', 'abc')
      .ensureAnnotation('storage', 'charmkit.io/storage', '{}')
      .compute();
    expect(result.patch?.body).toEqual({
      metadata: { annotations: { 'charmkit.io/storage': '{}' }, resourceVersion: '42' },
      spec: {
        template: {
          metadata: { annotations: { 'charmkit.io/vpn-config': 'abc' } },
          spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.1'] } },
        },
      },
    });
    expect(result.predictedAnnotations).toEqual({
      'juju.is/version': '3.6',
      'charmkit.io/storage': '{}',
    });
  });
});

describe('StatefulSetPlan: composition', () => {
  it('storage and a second capability produce ONE patch with changes from both owners', () => {
    const plan = StatefulSetPlan.for(jujuStatefulSet());
    mountStorage(plan);
    plan.ensureContainer('vpn', { name: 'gateway-sidecar', image: 'pod-gateway:v1' });
    const result = plan.compute();
    expect(new Set(result.changes.map((c) => c.owner))).toEqual(new Set(['storage', 'vpn']));
    const containers = podSpecOf(result).containers as { name: string }[];
    expect(containers.map((c) => c.name).sort()).toEqual(['gateway-sidecar', 'radarr']);
    expect(plan.owners()).toEqual(['storage', 'vpn']);
  });
});

describe('applyPlan', () => {
  function recordingPort(): { port: KubePort; patch: jest.Mock } {
    const patch = jest.fn(async (..._args: unknown[]) => jujuStatefulSet());
    const fail = async (): Promise<never> => {
      throw new Error('unexpected request');
    };
    const port = {
      get: fail,
      list: fail,
      create: fail,
      replace: fail,
      patch,
      delete: fail,
      watch: fail,
    };
    return { port: port as unknown as KubePort, patch };
  }

  it('sends nothing when the plan is up to date', async () => {
    const { port, patch } = recordingPort();
    const applied = await applyPlan(port, StatefulSetPlan.for(jujuStatefulSet()).compute());
    expect(applied.patched).toBe(false);
    expect(patch).not.toHaveBeenCalled();
  });

  it('sends exactly one strategic patch to the observed StatefulSet with the field manager', async () => {
    const { port, patch } = recordingPort();
    const result = mountStorage(StatefulSetPlan.for(jujuStatefulSet())).compute();
    const applied = await applyPlan(port, result, { fieldManager: 'radarr-charm' });
    expect(applied.patched).toBe(true);
    expect(applied.changes).toHaveLength(3);
    expect(patch).toHaveBeenCalledTimes(1);
    expect(patch.mock.calls[0]).toEqual([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'radarr', namespace: 'media' },
      result.patch,
      { fieldManager: 'radarr-charm' },
    ]);
  });
});

describe('reconcileStatefulSet', () => {
  function conflictingPort(conflicts: number) {
    const store = { sts: jujuStatefulSet() };
    let left = conflicts;
    const calls: string[] = [];
    const port = {
      get: async () => {
        calls.push('get');
        return structuredClone(store.sts);
      },
      patch: async (
        _ref: unknown,
        patch: { body: { metadata?: { resourceVersion?: string } } },
      ) => {
        calls.push('patch');
        if (left > 0) {
          left--;
          // someone else wrote in between: the stored version moved on
          store.sts.metadata.resourceVersion = String(
            Number(store.sts.metadata.resourceVersion) + 1,
          );
          throw new KubernetesError(
            {
              kind: 'Status',
              apiVersion: 'v1',
              code: 409,
              reason: 'Conflict',
              message: 'the object has been modified',
            },
            {
              verb: 'patch',
              apiVersion: 'apps/v1',
              kind: 'StatefulSet',
              group: 'apps',
              name: 'radarr',
            },
          );
        }
        expect(patch.body.metadata?.resourceVersion).toBe(store.sts.metadata.resourceVersion);
        return structuredClone(store.sts);
      },
    };
    return { port: port as unknown as KubePort, calls };
  }

  it('re-reads and recomputes after a 409 instead of resending the stale patch', async () => {
    const { port, calls } = conflictingPort(1);
    let rounds = 0;
    const done = await reconcileStatefulSet(
      port,
      { name: 'radarr', namespace: 'media' },
      (plan) => {
        rounds++;
        mountStorage(plan);
        return plan.owners();
      },
    );
    expect(calls).toEqual(['get', 'patch', 'get', 'patch']);
    expect(rounds).toBe(2);
    expect(done.attempts).toBe(2);
    expect(done.patched).toBe(true);
    expect(done.contributed).toEqual(['storage']);
  });

  it('gives up after the configured number of conflicts, keeping the conflict visible', async () => {
    const { port } = conflictingPort(5);
    await expect(
      reconcileStatefulSet(
        port,
        { name: 'radarr', namespace: 'media' },
        (plan) => mountStorage(plan),
        {
          conflictAttempts: 2,
        },
      ),
    ).rejects.toThrow(/gave up after 2 attempts/);
  });

  it('sends nothing when every contributor is satisfied', async () => {
    const { port, calls } = conflictingPort(0);
    const done = await reconcileStatefulSet(port, { name: 'radarr' }, () => undefined);
    expect(done.patched).toBe(false);
    expect(calls).toEqual(['get']);
  });
});

/** What the API server keeps of a merge result: its decode round trip drops empty lists. */
function stored<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (Array.isArray(v) && v.length === 0 ? undefined : v)),
  ) as T;
}

describe('StatefulSetPlan: predictions agree with an independent strategic-merge engine', () => {
  const plans: [string, (p: StatefulSetPlan) => void][] = [
    ['mount', (p) => void mountStorage(p)],
    [
      'mount + sidecar + first init container',
      (p) => {
        mountStorage(p);
        p.ensureContainer('vpn', { name: 'gateway-sidecar', image: 'pod-gateway:v1' });
        p.ensureInitContainer(
          'vpn',
          { name: 'gateway-init', image: 'pod-gateway:v1' },
          { position: 'first' },
        );
        p.ensureContainerSecurityContext('vpn', 'radarr', { capabilities: { add: ['NET_ADMIN'] } });
      },
    ],
    [
      'removals',
      (p) => {
        p.removeVolumeMountAt('x', 'radarr', '/charm/bin');
        p.removeEnv('x', 'radarr', 'TZ');
        p.removeContainer('x', 'charm');
        p.ensurePodSecurityContext('x', { runAsGroup: null, fsGroup: 7 });
      },
    ],
    [
      'volume source swap',
      (p) => {
        p.ensureVolume('x', { name: 'charm-data', persistentVolumeClaim: { claimName: 'c' } });
      },
    ],
    [
      'env switch',
      (p) => {
        p.ensureEnv('x', 'radarr', {
          name: 'TZ',
          valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
        });
      },
    ],
  ];

  it.each(plans)('%s', (_name, contribute) => {
    const observed = jujuStatefulSet();
    const plan = StatefulSetPlan.for(observed);
    contribute(plan);
    const result = plan.compute({ optimisticLock: false });
    const merged = strategicMergePatch(
      observed as unknown as JsonObject,
      result.patch!.body as JsonObject,
      PATCH_METADATA,
      definitionForKind(PATCH_METADATA, 'apps/v1', 'StatefulSet'),
    ) as unknown as StatefulSet;
    expect(stored(merged.spec.template)).toEqual(result.predicted);
  });

  it('a moved mount, as the server applies it', () => {
    const first = mountStorage(StatefulSetPlan.for(jujuStatefulSet()), '/media').compute();
    const observed = afterPatch(jujuStatefulSet(), first);
    const result = mountStorage(StatefulSetPlan.for(observed), '/data').compute({
      optimisticLock: false,
    });
    const merged = strategicMergePatch(
      observed as unknown as JsonObject,
      result.patch!.body as JsonObject,
      PATCH_METADATA,
      definitionForKind(PATCH_METADATA, 'apps/v1', 'StatefulSet'),
    ) as unknown as StatefulSet;
    expect(merged.spec.template).toEqual(result.predicted);
  });
});
