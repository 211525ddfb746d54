import type { KubeEvent, PersistentVolumeClaim, StorageClass } from '../../lib/kube/types.js';
import {
  diagnoseClaim,
  quotaExceeded,
  type ClaimState,
} from '../../lib/storage/pending-diagnosis.js';
import { checkClaimQuota, parseQuotaError, type ResourceQuota } from '../../lib/storage/quota.js';

const NOW = new Date('2025-01-01T00:10:00Z');

function claim(
  spec: Partial<PersistentVolumeClaim['spec']> = {},
  phase = 'Pending',
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: 'media',
      namespace: 'arr',
      uid: 'u1',
      creationTimestamp: '2025-01-01T00:00:00Z',
    },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } }, ...spec },
    status: { phase },
  };
}

function sc(name: string, provisioner: string, extra: Partial<StorageClass> = {}): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner,
    ...extra,
  };
}

function event(reason: string, message: string, name = 'media'): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.1`, namespace: 'arr' },
    involvedObject: { kind: 'PersistentVolumeClaim', name, namespace: 'arr', uid: 'u1' },
    reason,
    message,
    lastTimestamp: '2025-01-01T00:00:05Z',
  };
}

const defaultClass = sc('standard', 'ebs.csi.aws.com', {
  metadata: {
    name: 'standard',
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  },
});
const seaweed = sc('seaweedfs', 'seaweedfs-csi-driver');
const driver = (name: string) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSIDriver',
  metadata: { name },
});

function diagnose(partial: Partial<ClaimState> & { claim: PersistentVolumeClaim }) {
  return diagnoseClaim({
    storageClasses: [defaultClass, seaweed],
    csiDrivers: [],
    events: [],
    now: NOW,
    ...partial,
  });
}

describe('diagnoseClaim', () => {
  it('a Bound claim is usable and active', () => {
    const d = diagnose({ claim: claim({ storageClassName: 'standard' }, 'Bound') });
    expect(d).toEqual({
      condition: 'bound',
      usable: true,
      status: { name: 'active', message: '' },
    });
  });

  it('no class named and no default class: blocked, naming how to set a default', () => {
    const d = diagnose({ claim: claim(), storageClasses: [seaweed] });
    expect(d.condition).toBe('no-default-class');
    expect(d.usable).toBe(false);
    expect(d.status.name).toBe('blocked');
    expect(d.status.message).toContain('no default StorageClass (classes: seaweedfs)');
    expect(d.status.message).toContain('storageclass.kubernetes.io/is-default-class="true"');
  });

  it('no class named while a default exists: waiting for the retroactive assignment', () => {
    const d = diagnose({ claim: claim() });
    expect(d.condition).toBe('default-class-pending');
    expect(d.status).toEqual({
      name: 'waiting',
      message:
        'PVC media is Pending: waiting for Kubernetes to assign the default StorageClass "standard"',
    });
  });

  it('a named class that does not exist: blocked, listing the classes that do', () => {
    const d = diagnose({ claim: claim({ storageClassName: 'fast' }) });
    expect(d.condition).toBe('class-not-found');
    expect(d.status.message).toBe(
      'PVC media is Pending: StorageClass "fast" does not exist (classes: standard, seaweedfs); create it or configure an existing class',
    );
  });

  it('a CSI provisioner without a registered CSIDriver: blocked, install the driver', () => {
    const d = diagnose({
      claim: claim({ storageClassName: 'seaweedfs' }),
      csiDrivers: [driver('ebs.csi.aws.com')],
    });
    expect(d.condition).toBe('no-csi-driver');
    expect(d.status.name).toBe('blocked');
    expect(d.status.message).toContain('no CSIDriver of that name is registered');
    expect(d.status.message).toContain('install the seaweedfs-csi-driver CSI driver');
  });

  it('skips the CSIDriver check when drivers could not be listed', () => {
    const d = diagnose({ claim: claim({ storageClassName: 'seaweedfs' }), csiDrivers: undefined });
    expect(d.condition).toBe('provisioning');
  });

  it('an external provisioner that has not acted after the grace period: blocked', () => {
    const events = [
      event(
        'ExternalProvisioning',
        "Waiting for a volume to be created either by the external provisioner 'seaweedfs-csi-driver' or manually by the system administrator.",
      ),
    ];
    const state = {
      claim: claim({ storageClassName: 'seaweedfs' }),
      csiDrivers: [driver('seaweedfs-csi-driver')],
      events,
    };
    const late = diagnose(state);
    expect(late.condition).toBe('provisioner-not-acting');
    expect(late.status.message).toContain('after 600s');
    expect(late.status.message).toContain('check that the provisioner is installed and running');
    const early = diagnose({ ...state, now: new Date('2025-01-01T00:00:30Z') });
    expect(early.condition).toBe('provisioning');
    expect(early.status.name).toBe('waiting');
  });

  it('a provisioning failure reports the provisioner message', () => {
    const d = diagnose({
      claim: claim({ storageClassName: 'standard' }),
      csiDrivers: [driver('ebs.csi.aws.com')],
      events: [event('ProvisioningFailed', 'rpc error: volume limit reached')],
    });
    expect(d.condition).toBe('provisioning-failed');
    expect(d.status.message).toContain('rpc error: volume limit reached');
  });

  it('WaitForFirstConsumer before scheduling is usable and not an error', () => {
    const wffc = sc('local', 'kubernetes.io/no-provisioner', {
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const d = diagnose({
      claim: claim({ storageClassName: 'local' }),
      storageClasses: [wffc],
      events: [
        event('WaitForFirstConsumer', 'waiting for first consumer to be created before binding'),
      ],
    });
    expect(d.condition).toBe('waiting-for-first-consumer');
    expect(d.usable).toBe(true);
    expect(d.status.name).toBe('active');
  });

  it('WaitForFirstConsumer after a node was selected is judged like any other claim', () => {
    const wffc = sc('local', 'kubernetes.io/no-provisioner', {
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const c = claim({ storageClassName: 'local' });
    c.metadata.annotations = { 'volume.kubernetes.io/selected-node': 'node-1' };
    const d = diagnose({
      claim: c,
      storageClasses: [wffc],
      events: [event('FailedBinding', 'no persistent volumes available')],
    });
    expect(d.condition).toBe('no-matching-volume');
  });

  it('a no-provisioner class without a matching PV: blocked, create a PV', () => {
    const local = sc('static', 'kubernetes.io/no-provisioner', { volumeBindingMode: 'Immediate' });
    const d = diagnose({
      claim: claim({ storageClassName: 'static' }),
      storageClasses: [local],
      events: [
        event(
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set',
        ),
      ],
    });
    expect(d.condition).toBe('no-matching-volume');
    expect(d.status.message).toBe(
      'PVC media is Pending: no available PersistentVolume of class "static" with at least 10Gi and access modes ReadWriteMany; create one (this class has no dynamic provisioner)',
    );
  });

  it('storageClassName "" binds statically', () => {
    const d = diagnose({
      claim: claim({ storageClassName: '' }),
      events: [event('FailedBinding', 'no persistent volumes available')],
    });
    expect(d.condition).toBe('no-matching-volume');
    expect(d.status.message).toContain('class (no class)');
    expect(diagnose({ claim: claim({ storageClassName: '' }) }).condition).toBe('pending');
  });

  it('a Lost claim is blocked', () => {
    expect(diagnose({ claim: claim({ volumeName: 'pv-1' }, 'Lost') }).condition).toBe('claim-lost');
  });

  it('ignores events about other objects and reads the newest event first', () => {
    const other = event('ProvisioningFailed', 'not me', 'other');
    const old = {
      ...event('ProvisioningFailed', 'old failure'),
      lastTimestamp: '2025-01-01T00:00:01Z',
    };
    const recent = {
      ...event('ProvisioningFailed', 'new failure'),
      lastTimestamp: '2025-01-01T00:05:00Z',
    };
    const d = diagnose({
      claim: claim({ storageClassName: 'standard' }),
      csiDrivers: [driver('ebs.csi.aws.com')],
      events: [other, old, recent],
    });
    expect(d.status.message).toContain('new failure');
    const none = diagnose({
      claim: claim({ storageClassName: 'standard' }),
      csiDrivers: [driver('ebs.csi.aws.com')],
      events: [other],
    });
    expect(none.condition).toBe('provisioning');
  });
});

describe('quota checks', () => {
  const quota = (
    hard: Record<string, string>,
    used: Record<string, string> = {},
  ): ResourceQuota => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'storage-quota' },
    spec: { hard },
    status: { hard, used },
  });

  it('finds a requests.storage limit a new claim would break', () => {
    const v = checkClaimQuota({ storageClassName: 'standard', storage: '5Gi', claims: 1 }, [
      quota({ 'requests.storage': '8Gi' }, { 'requests.storage': '4Gi' }),
    ]);
    expect(v).toEqual({
      quota: 'storage-quota',
      resource: 'requests.storage',
      requested: '5Gi',
      used: '4Gi',
      limit: '8Gi',
    });
  });

  it('counts claims and per-class limits, and accepts what fits', () => {
    expect(
      checkClaimQuota({ storageClassName: 's', storage: '1Gi', claims: 1 }, [
        quota({ persistentvolumeclaims: '1' }, { persistentvolumeclaims: '1' }),
      ])?.resource,
    ).toBe('persistentvolumeclaims');
    expect(
      checkClaimQuota({ storageClassName: 'fast', storage: '2Gi', claims: 1 }, [
        quota({ 'fast.storageclass.storage.k8s.io/requests.storage': '1Gi' }),
      ])?.resource,
    ).toBe('fast.storageclass.storage.k8s.io/requests.storage');
    expect(
      checkClaimQuota({ storageClassName: 'slow', storage: '2Gi', claims: 1 }, [
        quota({ 'fast.storageclass.storage.k8s.io/requests.storage': '1Gi' }),
      ]),
    ).toBeUndefined();
    expect(
      checkClaimQuota({ storageClassName: 's', storage: '4Gi', claims: 1 }, [
        quota({ 'requests.storage': '4Gi' }),
      ]),
    ).toBeUndefined();
  });

  it('a resize adds only the growth and no claim', () => {
    const q = [
      quota(
        { 'requests.storage': '10Gi', persistentvolumeclaims: '1' },
        { 'requests.storage': '8Gi', persistentvolumeclaims: '1' },
      ),
    ];
    expect(
      checkClaimQuota({ storageClassName: 's', storage: '2Gi', claims: 0 }, q),
    ).toBeUndefined();
    expect(checkClaimQuota({ storageClassName: 's', storage: '3Gi', claims: 0 }, q)?.resource).toBe(
      'requests.storage',
    );
  });

  it('parses the API server refusal and maps it to a blocked status', () => {
    const v = parseQuotaError(
      'persistentvolumeclaims "media" is forbidden: exceeded quota: storage-quota, requested: requests.storage=5Gi, used: requests.storage=0, limited: requests.storage=1Gi',
    );
    expect(v).toEqual({
      quota: 'storage-quota',
      resource: 'requests.storage',
      requested: '5Gi',
      used: '0',
      limit: '1Gi',
    });
    expect(
      parseQuotaError('statefulsets.apps "x" is forbidden: User "u" cannot patch'),
    ).toBeUndefined();
    const d = quotaExceeded('media', v!);
    expect(d.condition).toBe('quota-exceeded');
    expect(d.status).toEqual({
      name: 'blocked',
      message:
        'PVC media would exceed ResourceQuota storage-quota (requests.storage: 5Gi requested, 0 used of 1Gi); raise the quota or request less storage',
    });
  });
});
