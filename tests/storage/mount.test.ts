import { StatefulSetPlan, type PlanResult } from '../../lib/workload/plan/index.js';
import type { Pod, StatefulSet } from '../../lib/kube/types.js';
import {
  contributeMount,
  contributeUnmount,
  mountRecordKey,
  podMountProblem,
  readMountRecord,
  storageVolumeName,
  type MountSpec,
} from '../../lib/storage/mount.js';

function sts(fsGroup?: number): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'radarr', namespace: 'media', resourceVersion: '7' },
    spec: {
      selector: {},
      template: {
        spec: {
          containers: [
            { name: 'charm', image: 'c' },
            {
              name: 'radarr',
              image: 'r',
              volumeMounts: [{ name: 'config', mountPath: '/config' }],
            },
            { name: 'helper', image: 'h' },
          ],
          volumes: [{ name: 'config', emptyDir: {} }],
          securityContext: fsGroup === undefined ? { runAsUser: 0 } : { runAsUser: 0, fsGroup },
        },
      },
    },
  };
}

function applied(observed: StatefulSet, result: PlanResult): StatefulSet {
  const next = structuredClone(observed);
  next.spec.template = structuredClone(result.predicted);
  next.metadata.annotations = { ...result.predictedAnnotations };
  return next;
}

const spec: MountSpec = {
  owner: 'storage:media',
  volume: storageVolumeName('media'),
  claimName: 'shared-media',
  container: 'radarr',
  mountPath: '/data',
  fsGroup: 1000,
};

function mount(observed: StatefulSet, s: MountSpec = spec): PlanResult {
  const plan = StatefulSetPlan.for(observed);
  contributeMount(plan, s);
  return plan.compute();
}

describe('storageVolumeName', () => {
  it('is deterministic and readable for ordinary endpoint names', () => {
    expect(storageVolumeName('media')).toBe('charmkit-storage-media');
    expect(storageVolumeName('shared-data')).toBe('charmkit-storage-shared-data');
    expect(storageVolumeName('media')).toBe(storageVolumeName('media'));
  });

  it('is a DNS-1123 label of at most 63 characters for any input, without collisions', () => {
    const long = 'a'.repeat(100);
    const names = [
      long,
      `${long}b`,
      'Media',
      'media_',
      'MEDIA',
      '--',
      '',
      'x'.repeat(46),
      'x'.repeat(47),
    ].map(storageVolumeName);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(storageVolumeName('Media')).not.toBe(storageVolumeName('media'));
  });
});

describe('contributeMount', () => {
  it('adds the volume, the mount, fsGroup and a record, keeping other securityContext fields', () => {
    const result = mount(sts());
    expect(result.changes.map((c) => c.summary)).toEqual([
      'add volume charmkit-storage-media (claim shared-media)',
      'mount volume charmkit-storage-media at /data in radarr',
      'set pod securityContext.fsGroup to 1000',
      'set annotation storage.charmkit.io/charmkit-storage-media',
    ]);
    expect(result.predicted.spec.securityContext).toEqual({ runAsUser: 0, fsGroup: 1000 });
    const record = JSON.parse(result.predictedAnnotations[mountRecordKey(spec.volume)] ?? '');
    expect(record).toEqual({
      volume: 'charmkit-storage-media',
      claim: 'shared-media',
      container: 'radarr',
      mountPath: '/data',
      fsGroup: 1000,
      previousFsGroup: null,
    });
  });

  it('is a no-op once mounted', () => {
    expect(mount(applied(sts(), mount(sts()))).upToDate).toBe(true);
  });

  it('remembers an fsGroup it replaced across reconciles, and a path change moves the mount', () => {
    const first = applied(sts(500), mount(sts(500)));
    expect(readMountRecord(first, spec.volume)?.previousFsGroup).toBe(500);
    const moved = mount(first, { ...spec, mountPath: '/media' });
    expect(moved.changes.map((c) => c.summary)).toEqual([
      'move mount of volume charmkit-storage-media in radarr from /data to /media',
      'set annotation storage.charmkit.io/charmkit-storage-media',
    ]);
    const after = applied(first, moved);
    expect(readMountRecord(after, spec.volume)).toMatchObject({
      mountPath: '/media',
      previousFsGroup: 500,
    });
  });

  it('moving to another container removes the mount from the old one', () => {
    const first = applied(sts(), mount(sts()));
    const result = mount(first, { ...spec, container: 'helper' });
    const containers = result.predicted.spec.containers;
    expect(containers.find((c) => c.name === 'radarr')?.volumeMounts).toEqual([
      { name: 'config', mountPath: '/config' },
    ]);
    expect(containers.find((c) => c.name === 'helper')?.volumeMounts).toEqual([
      { name: 'charmkit-storage-media', mountPath: '/data' },
    ]);
  });

  it('leaves fsGroup alone when no group is given', () => {
    const result = mount(sts(500), { ...spec, fsGroup: undefined });
    expect(result.predicted.spec.securityContext).toEqual({ runAsUser: 0, fsGroup: 500 });
  });
});

describe('contributeUnmount', () => {
  it('removes exactly what was added and restores the previous fsGroup', () => {
    for (const original of [sts(), sts(500)]) {
      const mounted = applied(original, mount(original));
      const plan = StatefulSetPlan.for(mounted);
      contributeUnmount(plan, spec.owner, spec.volume);
      const result = plan.compute();
      expect(result.predicted).toEqual(original.spec.template);
      expect(result.predictedAnnotations).toEqual({});
      const body = JSON.stringify(result.patch?.body);
      expect(body).toContain('"$patch":"delete"');
      const again = StatefulSetPlan.for(applied(mounted, result));
      contributeUnmount(again, spec.owner, spec.volume);
      expect(again.compute().upToDate).toBe(true);
    }
  });

  it('does not touch an fsGroup someone changed after charmkit set it', () => {
    const mounted = applied(sts(), mount(sts()));
    mounted.spec.template.spec.securityContext = { runAsUser: 0, fsGroup: 2000 };
    const plan = StatefulSetPlan.for(mounted);
    contributeUnmount(plan, spec.owner, spec.volume);
    expect(plan.compute().predicted.spec.securityContext).toEqual({ runAsUser: 0, fsGroup: 2000 });
  });
});

describe('podMountProblem', () => {
  function pod(mounted: boolean, claim = 'shared-media'): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'radarr-0' },
      spec: {
        containers: [
          {
            name: 'radarr',
            volumeMounts: mounted ? [{ name: 'charmkit-storage-media', mountPath: '/data' }] : [],
          },
        ],
        volumes: [{ name: 'charmkit-storage-media', persistentVolumeClaim: { claimName: claim } }],
      },
    };
  }

  it('accepts a pod that carries the volume and the mount', () => {
    expect(podMountProblem(pod(true), spec)).toBeUndefined();
  });

  it('names what is missing', () => {
    expect(podMountProblem(pod(false), spec)).toBe(
      'container radarr of pod radarr-0 does not mount /data',
    );
    expect(podMountProblem(pod(true, 'other'), spec)).toContain(
      'does not reference PVC shared-media',
    );
    const bare = pod(true);
    bare.spec.volumes = [];
    expect(podMountProblem(bare, spec)).toBe('pod radarr-0 has no volume charmkit-storage-media');
  });
});
