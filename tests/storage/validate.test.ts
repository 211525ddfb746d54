import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  InvalidStorageDataError,
  mountPathProblem,
  toStorageOffer,
  type StorageProviderAppData,
} from '../../lib/storage/validate.js';
import { fromStorageOffer } from '../../lib/storage/wire-format.js';

const load = (side: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL(`../../schemas/storage/v1/${side}.json`, import.meta.url), 'utf8'),
  );

const ajv = new Ajv2020({ allErrors: true, strict: true });
const providerApp = ajv.compile({
  ...(load('provider') as object),
  $ref: '#/properties/app',
});
const requirerApp = ajv.compile({ ...(load('requirer') as object), $ref: '#/properties/app' });

const good: StorageProviderAppData = {
  'pvc-name': 'charmarr-shared-media',
  namespace: 'media',
  'mount-path': '/data',
  puid: 1000,
  pgid: 1000,
  'access-mode': 'ReadWriteMany',
  'storage-class': 'nfs-client',
  size: '100Gi',
};

describe('storage v1 schemas (decoded values)', () => {
  it('accept complete and minimal provider data', () => {
    expect(providerApp(good)).toBe(true);
    expect(providerApp({ 'pvc-name': 'a', namespace: 'b', 'mount-path': '/x' })).toBe(true);
  });

  it.each([
    ['missing pvc-name', { namespace: 'b', 'mount-path': '/x' }],
    ['uppercase pvc-name', { ...good, 'pvc-name': 'Media' }],
    ['relative mount path', { ...good, 'mount-path': 'data' }],
    ['negative puid', { ...good, puid: -1 }],
    ['huge pgid', { ...good, pgid: 2 ** 32 }],
    ['unknown access mode', { ...good, 'access-mode': 'RWX' }],
    ['bad size', { ...good, size: '10 GB' }],
    ['unknown key', { ...good, extra: 'x' }],
  ])('reject provider data with %s', (_label, data) => {
    expect(providerApp(data)).toBe(false);
  });

  it('size accepts every quantity form Kubernetes does', () => {
    for (const size of ['1', '10Gi', '1.5Ti', '500M', '1e9', '2E+3', '.5Gi', '100m']) {
      expect(providerApp({ ...good, size })).toBe(true);
    }
  });

  it('requirer data names the instance', () => {
    expect(requirerApp({ 'instance-name': 'radarr-4k' })).toBe(true);
    expect(requirerApp({})).toBe(false);
    expect(requirerApp({ 'instance-name': 'Radarr 4K' })).toBe(false);
  });
});

describe('mountPathProblem', () => {
  it.each(['/data', '/media/library', '/a.b/c-d_e', '/x/.hidden'])('accepts %s', (path) => {
    expect(mountPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['data', 'absolute'],
    ['/', 'root'],
    ['/data/', 'end with'],
    ['/data/../etc', '".."'],
    ['/..', '".."'],
    ['/data/./x', 'normalised'],
    ['/data//x', 'normalised'],
    ['/da\nta', 'control'],
  ])('rejects %j (%s)', (path, reason) => {
    expect(mountPathProblem(path)).toContain(reason);
  });
});

describe('toStorageOffer', () => {
  it('converts valid data and round-trips through fromStorageOffer (which adds the charmarr copy)', () => {
    const offer = toStorageOffer(good, 'remote app bag', 'media');
    expect(offer).toEqual({
      claimName: 'charmarr-shared-media',
      namespace: 'media',
      mountPath: '/data',
      puid: 1000,
      pgid: 1000,
      accessMode: 'ReadWriteMany',
      storageClass: 'nfs-client',
      size: '100Gi',
      wireFormat: 'charmkit',
    });
    expect(fromStorageOffer(offer)).toEqual({
      ...good,
      config: { pvc_name: 'charmarr-shared-media', mount_path: '/data', puid: 1000, pgid: 1000 },
    });
  });

  it('reports every semantic problem at once, with a typed error', () => {
    const bad = { ...good, 'mount-path': '/data/../etc', namespace: 'other', size: '0' };
    expect(() => toStorageOffer(bad, 'remote app bag of "storage"', 'media')).toThrow(
      InvalidStorageDataError,
    );
    try {
      toStorageOffer(bad, 'remote app bag of "storage"', 'media');
    } catch (error) {
      const e = error as InvalidStorageDataError;
      expect(e.issues.map((i) => i.field)).toEqual(['mount-path', 'namespace', 'size']);
      expect(e.message).toContain('a pod can only mount claims of its own namespace');
      expect(e.message).toContain('invalid storage data from remote app bag of "storage"');
    }
  });
});
