/**
 * charmkit storage and charmarr's `media-storage` relation talking to each other, in all four
 * directions, from bags recorded with charmarr's own Python library (tests/storage/fixtures/
 * charmarr, README there for the command):
 *
 *   1. charmarr provider → charmkit requirer: each recorded provider bag mounts, as charmarr would;
 *   2. charmkit provider → charmarr requirer: our bag is the one fed to charmarr's requirer class,
 *      which parsed it into the same claim (recorded), and it fits the library's JSON Schema;
 *   3. charmkit requirer ↔ charmarr provider: our instance name is the string charmarr writes and
 *      charmarr's provider listed it; charmarr's requirer bag is listed by our provider;
 *   4. charmkit ↔ charmkit: both representations in one bag, read as charmkit's.
 *
 * Plus the strict validation charmarr's library does not do (it reads a bad bag as "no data"),
 * the defaults charmarr's model applies, and pgid / mount-path changes moving fsGroup and mount.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from '@jest/globals';
import type { KubeObject, PersistentVolumeClaim, StatefulSet } from '../../lib/kube/types.js';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { StorageProvider } from '../../lib/storage/provider.js';
import { StorageRequirer } from '../../lib/storage/requirer.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { jujuCharmStatefulSet } from '../support/objects.js';

const NS = 'media';
const FIXTURES = new URL('./fixtures/charmarr/', import.meta.url);
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;

type Bag = Record<string, string>;
interface CharmarrBags {
  generator: Record<string, string>;
  provider: Record<'custom' | 'defaults', Bag>;
  requirer: Record<'radarr-4k', Bag>;
  schema: { provider: Record<string, unknown>; requirer: Record<string, unknown> };
}
interface CharmkitBags {
  provider: Record<string, Bag>;
  requirer: Record<string, Bag>;
}
interface CharmarrReads {
  provider: Record<string, { is_ready: boolean; provider: Record<string, unknown> | null }>;
  requirer: Record<string, { connected_apps: string[] }>;
}

const charmarr = fixture<CharmarrBags>('charmarr-bags.json');

function boundClaim(name: string): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: {
      accessModes: ['ReadWriteMany'],
      storageClassName: 'nfs',
      resources: { requests: { storage: '10Gi' } },
    },
    status: { phase: 'Bound' },
  };
}

/** Radarr (container `radarr`) related to a provider app whose bag the test controls. */
function radarrAgainst(
  providerBag: Bag | undefined,
  endpoints: { provider: string; requirer: string } = {
    provider: 'media-storage',
    requirer: 'media-storage',
  },
) {
  const kube = new FakeCluster({
    simulate: { statefulSets: true },
    objects: [
      jujuCharmStatefulSet('radarr', NS, { name: 'radarr', image: 'registry.invalid/radarr:5' }),
      boundClaim('charmarr-shared-media'),
    ],
  });
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('radarr/0', { leader: true });
  const id = model.relate(
    { app: 'charmarr-storage', endpoint: endpoints.provider },
    { app: 'radarr', endpoint: endpoints.requirer },
  );
  const provider = { scope: 'app' as const, name: 'charmarr-storage' };
  if (providerBag) model.seedBag(id, provider, providerBag);
  const requirer = new StorageRequirer({
    kube,
    backend,
    container: 'radarr',
    endpoint: endpoints.requirer,
    instanceName: 'radarr-4k',
  });
  return { kube, model, id, requirer, seed: (bag: Bag) => model.seedBag(id, provider, bag) };
}

function podSpec(kube: FakeCluster) {
  const sts = kube.peek<StatefulSet>({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    namespace: NS,
    name: 'radarr',
  });
  const spec = sts?.spec.template.spec;
  if (!spec) throw new Error('no StatefulSet');
  return spec;
}

const mountsOf = (kube: FakeCluster) =>
  podSpec(kube).containers.find((c) => c.name === 'radarr')?.volumeMounts ?? [];

const config = (value: Record<string, unknown>): Bag => ({ config: JSON.stringify(value) });

describe('charmarr provider → charmkit requirer (recorded bags)', () => {
  it('was recorded with charmarr-lib-core 1.0.0 and its bags are one JSON key, config', () => {
    expect(charmarr.generator['charmarr-lib-core']).toBe('1.0.0');
    for (const bag of Object.values(charmarr.provider))
      expect(Object.keys(bag)).toEqual(['config']);
  });

  it.each([
    ['custom', '/media', 1001, 1002],
    ['defaults', '/data', 1000, 1000],
  ] as const)(
    'the "%s" bag mounts at %s with fsGroup = pgid, and says it spoke charmarr',
    async (name, mountPath, puid, pgid) => {
      const { kube, requirer } = radarrAgainst(charmarr.provider[name]);
      const first = await requirer.reconcile();
      expect(first.state).toBe('patched');
      expect(first.offer).toMatchObject({
        claimName: 'charmarr-shared-media',
        namespace: NS,
        mountPath,
        puid,
        pgid,
        wireFormat: 'charmarr',
      });
      expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
      expect(mountsOf(kube)).toContainEqual(
        expect.objectContaining({ mountPath, name: requirer.volume }),
      );
      // Only pgid reaches the pod; puid is published information, as in charmarr.
      expect(podSpec(kube).securityContext?.fsGroup).toBe(pgid);
      expect(podSpec(kube).securityContext?.runAsUser).toBeUndefined();

      const settled = await requirer.reconcile();
      expect(settled.state).toBe('mounted');
      expect(settled.status).toEqual({
        name: 'active',
        message: `shared storage charmarr-shared-media mounted at ${mountPath}`,
      });
      kube.clearRequests();
      expect((await requirer.reconcile()).changed).toBe(false);
      expect(kube.writes()).toEqual([]);
    },
  );

  it('fields charmarr may leave out get its model defaults: /data, uid and gid 1000', async () => {
    const { kube, requirer } = radarrAgainst(config({ pvc_name: 'charmarr-shared-media' }));
    const result = await requirer.reconcile();
    expect(result.offer).toMatchObject({ mountPath: '/data', puid: 1000, pgid: 1000 });
    expect(mountsOf(kube)).toContainEqual(expect.objectContaining({ mountPath: '/data' }));
    expect(podSpec(kube).securityContext?.fsGroup).toBe(1000);
  });

  it('a pgid change moves fsGroup and a mount_path change moves the mount, one patch each', async () => {
    const { kube, requirer, seed } = radarrAgainst(charmarr.provider.custom);
    await requirer.reconcile();
    await requirer.reconcile();

    seed(config({ pvc_name: 'charmarr-shared-media', mount_path: '/media', pgid: 2000 }));
    kube.clearRequests();
    const regrouped = await requirer.reconcile();
    expect(regrouped.state).toBe('patched');
    expect(kube.writes()).toHaveLength(1);
    expect(podSpec(kube).securityContext?.fsGroup).toBe(2000);

    seed(config({ pvc_name: 'charmarr-shared-media', mount_path: '/srv/media', pgid: 2000 }));
    kube.clearRequests();
    await requirer.reconcile();
    expect(kube.writes()).toHaveLength(1);
    const mounts = mountsOf(kube).filter((m) => m.name === requirer.volume);
    expect(mounts).toEqual([expect.objectContaining({ mountPath: '/srv/media' })]);
    expect(podSpec(kube).securityContext?.fsGroup).toBe(2000);
  });

  it('works on the `storage` endpoint too: endpoint names are configuration, not format', async () => {
    const { requirer } = radarrAgainst(charmarr.provider.custom, {
      provider: 'media-storage',
      requirer: 'storage',
    });
    expect((await requirer.reconcile()).offer?.wireFormat).toBe('charmarr');
  });
});

describe('strict validation of charmarr bags (charmarr itself reads bad data as "no data")', () => {
  const invalid = async (bag: Bag) => {
    const { kube, requirer } = radarrAgainst(bag);
    const result = await requirer.reconcile();
    expect(result.state).toBe('invalid');
    expect(result.status.name).toBe('blocked');
    expect(result.error?.name).toBe('InvalidStorageDataError');
    expect(kube.requests).toEqual([]);
    // Words a user can act on, never a schema's regular expression.
    expect(result.status.message).not.toMatch(/pattern|\^|\$"/);
    return result.status.message;
  };

  it('names every bad field at once', async () => {
    const message = await invalid(
      config({ pvc_name: 'Shared_Media', mount_path: 'data', puid: '1000', pgid: -1 }),
    );
    expect(message).toContain(
      'invalid storage data from charmarr-storage on media-storage:0: ' +
        'config.mount_path: must be an absolute path; ' +
        'config.pgid: must be a whole number from 0 to 2147483647 (a JSON number, not text); ' +
        'config.puid: must be a whole number from 0 to 2147483647 (a JSON number, not text); ' +
        'config.pvc_name: must be a Kubernetes object name',
    );
  });

  it.each([
    [
      'config that is not JSON',
      { config: '{pvc_name:' },
      'config: must be valid JSON holding an object',
    ],
    ['config that is not an object', { config: '"claim"' }, 'config: must be a JSON object'],
    ['a missing pvc_name', config({ mount_path: '/data' }), 'config.pvc_name: is required'],
    [
      'a mount path escaping with ".."',
      config({ pvc_name: 'media', mount_path: '/data/../etc' }),
      'config.mount_path: must not contain ".." segments',
    ],
    [
      'the root as mount path',
      config({ pvc_name: 'media', mount_path: '/' }),
      'must not be the root',
    ],
    [
      'a field charmarr does not define',
      config({ pvc_name: 'media', read_only: true }),
      'config.read_only: is not a field of this interface; remove it',
    ],
  ])('%s', async (_label, bag, expected) => {
    expect(await invalid(bag)).toContain(expected);
  });

  it('a charmkit bag whose charmarr copy describes another claim is refused, naming the fields', async () => {
    const ours = fixture<CharmkitBags>('charmkit-bags.json').provider.full!;
    const tampered = {
      ...ours,
      config: JSON.stringify({ pvc_name: 'other', mount_path: '/media', puid: 1001, pgid: 7 }),
    };
    const message = await invalid(tampered);
    expect(message).toContain('config.pgid: must match pgid');
    expect(message).toContain('config.pvc_name: must match pvc-name');
    expect(message).not.toContain('config.mount_path');
  });
});

/** Our provider on a fake cluster with one requirer app related, publishing `options`. */
async function charmkitProviderBag(
  options: { mountPath: string; puid?: number; pgid?: number },
  requirerBag?: Bag,
) {
  const kube = new FakeCluster({
    simulate: { bindClaims: true },
    objects: [
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'nfs' },
        provisioner: 'nfs.csi.k8s.io',
      } as KubeObject,
    ],
  });
  const model = new MemoryModel({ name: NS });
  const id = model.relate(
    { app: 'charmkit-storage', endpoint: 'media-storage' },
    { app: 'radarr', endpoint: 'media-storage' },
  );
  if (requirerBag) model.seedBag(id, { scope: 'app', name: 'radarr' }, requirerBag);
  const provider = new StorageProvider({
    kube,
    backend: model.backend('charmkit-storage/0', { leader: true }),
    endpoint: 'media-storage',
    claimName: 'charmarr-shared-media',
    ...options,
  });
  let result = await provider.reconcile({ className: 'nfs', size: '10Gi' });
  for (let i = 0; i < 3 && result.published.length === 0; i++) {
    result = await provider.reconcile({ className: 'nfs', size: '10Gi' });
  }
  return { id, result, bag: model.bag(id, { scope: 'app', name: 'charmkit-storage' }) };
}

async function charmkitRequirerBag(instanceName: string): Promise<Bag> {
  const model = new MemoryModel({ name: NS });
  const id = model.relate(
    { app: 'charmarr-storage', endpoint: 'media-storage' },
    { app: 'radarr', endpoint: 'media-storage' },
  );
  const requirer = new StorageRequirer({
    kube: new FakeCluster(),
    backend: model.backend('radarr/0', { leader: true }),
    container: 'radarr',
    endpoint: 'media-storage',
    instanceName,
  });
  // Nothing published yet: the requirer introduces itself and waits, without a Kubernetes request.
  expect((await requirer.reconcile()).state).toBe('waiting-for-provider');
  return model.bag(id, { scope: 'app', name: 'radarr' });
}

/** The bags charmarr's library was fed (scripts/fixtures/charmarr-media-storage.sh). */
async function currentCharmkitBags(): Promise<CharmkitBags> {
  return {
    provider: {
      full: (await charmkitProviderBag({ mountPath: '/media', puid: 1001, pgid: 1002 })).bag,
      'no-ids': (await charmkitProviderBag({ mountPath: '/data' })).bag,
    },
    requirer: { 'radarr-4k': await charmkitRequirerBag('radarr-4k') },
  };
}

describe('charmkit provider → charmarr requirer', () => {
  it('the fixture holds the bags our code publishes today (fed to charmarr by the fixture script)', async () => {
    const current = await currentCharmkitBags();
    const file = new URL('charmkit-bags.json', FIXTURES);
    if (process.env.CHARMKIT_WRITE_FIXTURES === '1') {
      writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
    }
    // A change to what we publish must be re-checked against charmarr: rerun the script.
    expect(current).toEqual(fixture<CharmkitBags>('charmkit-bags.json'));
  });

  it("charmarr's own requirer class parsed every bag into the claim we offered", () => {
    const reads = fixture<CharmarrReads>('charmarr-reads-charmkit.json');
    expect(reads.provider).toEqual({
      full: {
        is_ready: true,
        provider: {
          pvc_name: 'charmarr-shared-media',
          mount_path: '/media',
          puid: 1001,
          pgid: 1002,
        },
      },
      // Without ids of ours, charmarr applies its defaults (docs/storage.md says so).
      'no-ids': {
        is_ready: true,
        provider: {
          pvc_name: 'charmarr-shared-media',
          mount_path: '/data',
          puid: 1000,
          pgid: 1000,
        },
      },
    });
  });

  it("our config copy has charmarr's field names and types (the library's own JSON Schema)", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile({ ...charmarr.schema.provider, additionalProperties: false });
    for (const bag of Object.values(fixture<CharmkitBags>('charmkit-bags.json').provider)) {
      expect(validate(JSON.parse(bag.config ?? 'null'))).toBe(true);
    }
  });

  it("schemas/media-storage/v1 declares exactly the library model's fields, with its types", () => {
    const ours = JSON.parse(
      readFileSync(
        new URL('../../schemas/media-storage/v1/provider.json', import.meta.url),
        'utf8',
      ),
    ) as {
      $defs: { config: { properties: Record<string, { type: string }>; required: string[] } };
    };
    const theirs = charmarr.schema.provider as {
      properties: Record<string, { type: string }>;
      required: string[];
    };
    const types = (p: Record<string, { type: string }>) =>
      Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.type]));
    expect(types(ours.$defs.config.properties)).toEqual(types(theirs.properties));
    expect(ours.$defs.config.required).toEqual(theirs.required);
  });
});

describe('charmkit requirer ↔ charmarr provider (instance names)', () => {
  it("our requirer writes the very string charmarr's requirer writes, and charmarr's provider listed it", async () => {
    const ours = await charmkitRequirerBag('radarr-4k');
    expect(ours.config).toBe(charmarr.requirer['radarr-4k'].config);
    expect(ours['instance-name']).toBe('radarr-4k');
    expect(fixture<CharmarrReads>('charmarr-reads-charmkit.json').requirer).toEqual({
      'radarr-4k': { connected_apps: ['radarr-4k'] },
    });
  });

  it("our provider lists charmarr's recorded requirer bag, saying it spoke charmarr", async () => {
    const { id, result } = await charmkitProviderBag(
      { mountPath: '/data' },
      charmarr.requirer['radarr-4k'],
    );
    expect(result.requirers).toEqual([
      { relationId: id, app: 'radarr', instanceName: 'radarr-4k', wireFormat: 'charmarr' },
    ]);
  });

  it('an invalid requirer bag is a note, not a failure: the claim is still served', async () => {
    const { id, result } = await charmkitProviderBag(
      { mountPath: '/data' },
      config({ instance_name: 'Radarr 4K' }),
    );
    expect(result.status.name).toBe('active');
    expect(result.published).toEqual([id]);
    expect(result.requirers[0]?.instanceName).toBeUndefined();
    expect(result.notes.join('\n')).toContain('config.instance_name: must be an application name');
  });
});

describe('charmkit ↔ charmkit', () => {
  it('reads the charmkit keys of a bag that also carries the charmarr copy, and lists our requirer', async () => {
    const { bag } = await charmkitProviderBag({ mountPath: '/media', puid: 1001, pgid: 1002 });
    const { kube, requirer } = radarrAgainst(bag);
    const result = await requirer.reconcile();
    expect(result.offer).toEqual({
      claimName: 'charmarr-shared-media',
      namespace: NS,
      mountPath: '/media',
      puid: 1001,
      pgid: 1002,
      accessMode: 'ReadWriteMany',
      storageClass: 'nfs',
      size: '10Gi',
      wireFormat: 'charmkit',
    });
    expect(podSpec(kube).securityContext?.fsGroup).toBe(1002);

    const listed = await charmkitProviderBag(
      { mountPath: '/data' },
      await charmkitRequirerBag('radarr-4k'),
    );
    expect(listed.result.requirers).toEqual([
      { relationId: listed.id, app: 'radarr', instanceName: 'radarr-4k', wireFormat: 'charmkit' },
    ]);
  });

  it('without puid/pgid our requirer sets no fsGroup (charmarr requirers would use 1000)', async () => {
    const { bag } = await charmkitProviderBag({ mountPath: '/data' });
    const { kube, requirer } = radarrAgainst(bag);
    const result = await requirer.reconcile();
    expect(result.offer?.pgid).toBeUndefined();
    expect(podSpec(kube).securityContext?.fsGroup).toBeUndefined();
  });
});
