import {
  decideAccessModes,
  InvalidAccessModeError,
  RWO_NOTE,
  rwxFamily,
} from '../../lib/storage/access-mode.js';
import {
  defaultStorageClass,
  isCsiLikeProvisioner,
  resolveStorageClass,
} from '../../lib/storage/storage-class.js';
import type { StorageClass } from '../../lib/kube/types.js';

function sc(name: string, provisioner: string, extra: Partial<StorageClass> = {}): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner,
    ...extra,
  };
}

describe('RWX provisioner table', () => {
  it.each([
    ['nfs.csi.k8s.io', 'NFS'],
    ['cluster.local/nfs-client-provisioner', 'NFS'],
    ['k8s-sigs.io/nfs-subdir-external-provisioner', 'NFS'],
    ['cephfs.csi.ceph.com', 'CephFS'],
    ['rook-ceph.cephfs.csi.ceph.com', 'CephFS'],
    ['efs.csi.aws.com', 'Amazon EFS'],
    ['file.csi.azure.com', 'Azure Files'],
    ['kubernetes.io/azure-file', 'Azure Files'],
    ['filestore.csi.storage.gke.io', 'Google Filestore'],
    ['seaweedfs-csi-driver', 'SeaweedFS'],
    ['driver.longhorn.io', 'Longhorn (share-manager)'],
    ['kubernetes.io/glusterfs', 'GlusterFS'],
    ['csi.juicefs.com', 'JuiceFS'],
  ])('%s is RWX-capable (%s)', (provisioner, family) => {
    expect(rwxFamily(sc('x', provisioner))).toBe(family);
  });

  it.each([
    'ebs.csi.aws.com',
    'pd.csi.storage.gke.io',
    'disk.csi.azure.com',
    'rbd.csi.ceph.com',
    'rancher.io/local-path',
    'kubernetes.io/no-provisioner',
    'confsnfsx.example.com', // "nfs" inside a word is not NFS
  ])('%s is not known to support RWX', (provisioner) => {
    expect(rwxFamily(sc('x', provisioner))).toBeUndefined();
  });

  it('Portworx is RWX only with sharedv4', () => {
    expect(rwxFamily(sc('px', 'pxd.portworx.com'))).toBeUndefined();
    expect(rwxFamily(sc('px', 'pxd.portworx.com', { parameters: { sharedv4: 'true' } }))).toBe(
      'Portworx sharedv4',
    );
  });
});

describe('decideAccessModes', () => {
  it('prefers ReadWriteMany on a known RWX class', () => {
    const d = decideAccessModes({ storageClass: sc('nfs', 'nfs.csi.k8s.io') });
    expect(d.accessModes).toEqual(['ReadWriteMany']);
    expect(d.note).toBeUndefined();
    expect(d.reason).toContain('NFS');
  });

  it('falls back to ReadWriteOnce with a note that consumers share one node', () => {
    const d = decideAccessModes({ storageClass: sc('standard', 'rancher.io/local-path') });
    expect(d.accessModes).toEqual(['ReadWriteOnce']);
    expect(d.note).toBe(RWO_NOTE);
    expect(d.note).toContain('same node');
    expect(d.reason).toContain('set accessModes to override');
  });

  it('falls back to ReadWriteOnce when there is no class to inspect', () => {
    expect(decideAccessModes({ storageClass: undefined }).accessModes).toEqual(['ReadWriteOnce']);
  });

  it('a user override wins in both directions and is validated', () => {
    const local = sc('standard', 'rancher.io/local-path');
    expect(decideAccessModes({ storageClass: local, override: ['ReadWriteMany'] })).toMatchObject({
      accessModes: ['ReadWriteMany'],
      note: undefined,
    });
    expect(
      decideAccessModes({ storageClass: sc('nfs', 'nfs.csi.k8s.io'), override: ['ReadWriteOnce'] }),
    ).toMatchObject({ accessModes: ['ReadWriteOnce'], note: RWO_NOTE });
    expect(() => decideAccessModes({ storageClass: local, override: ['RWX'] })).toThrow(
      InvalidAccessModeError,
    );
  });

  it('user-declared RWX provisioners extend the table', () => {
    const d = decideAccessModes({
      storageClass: sc('mine', 'example.com/shared'),
      extraRwxProvisioners: ['example.com/shared'],
    });
    expect(d.accessModes).toEqual(['ReadWriteMany']);
  });
});

describe('storage class resolution', () => {
  const standard = sc('standard', 'kubernetes.io/no-provisioner', {
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      creationTimestamp: '2024-01-01T00:00:00Z',
    },
  });
  const newer = sc('newer', 'x', {
    metadata: {
      name: 'newer',
      annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'true' },
      creationTimestamp: '2024-06-01T00:00:00Z',
    },
  });
  const plain = sc('plain', 'y');

  it('finds the default class, the newest when several are marked', () => {
    expect(defaultStorageClass([plain, standard])?.metadata.name).toBe('standard');
    expect(defaultStorageClass([standard, newer, plain])?.metadata.name).toBe('newer');
    expect(defaultStorageClass([plain])).toBeUndefined();
  });

  it('resolves undefined to the default, "" to static binding, names to classes', () => {
    expect(resolveStorageClass(undefined, [standard, plain])).toMatchObject({
      kind: 'class',
      defaulted: true,
    });
    expect(resolveStorageClass(null, [plain])).toEqual({ kind: 'no-default' });
    expect(resolveStorageClass('', [standard])).toEqual({ kind: 'static' });
    expect(resolveStorageClass('plain', [standard, plain])).toMatchObject({
      kind: 'class',
      defaulted: false,
    });
    expect(resolveStorageClass('fast', [standard])).toEqual({ kind: 'missing', name: 'fast' });
  });

  it('tells CSI driver names from external and in-tree provisioners', () => {
    expect(isCsiLikeProvisioner('ebs.csi.aws.com')).toBe(true);
    expect(isCsiLikeProvisioner('seaweedfs-csi-driver')).toBe(true);
    expect(isCsiLikeProvisioner('cluster.local/nfs-client-provisioner')).toBe(false);
    expect(isCsiLikeProvisioner('kubernetes.io/no-provisioner')).toBe(false);
    expect(isCsiLikeProvisioner('myprovisioner')).toBe(false);
  });
});
