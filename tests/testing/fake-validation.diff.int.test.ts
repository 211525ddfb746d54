/**
 * Differential test of FakeCluster's validation of pod templates, ConfigMaps and names
 * (lib/testing/fake-validation*.ts) against the real kube-apiserver: the same invalid object or
 * update is sent to both, and both must refuse it with the same code, reason, message and causes —
 * the text a controller shows in its status. Valid neighbours of each case are accepted by both
 * and stored the same.
 */
import { describe, expect, it } from '@jest/globals';
import type { Patch } from '../../lib/kube/port.js';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import {
  comparable,
  expectSameFailure,
  podlessStatefulSet,
  refOf,
  useDifferential,
} from './fixtures/differential.js';

const diff = useDifferential('validation-diff');
const { ns, fresh } = diff;

function statefulSet(podSpec: Record<string, unknown>, name = fresh('sts')): StatefulSet {
  return podlessStatefulSet(name, ns.name, podSpec);
}

function configMap(extra: Record<string, unknown>, name = fresh('cm')): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name }, ...extra };
}

async function expectBothRefuse(object: KubeObject): Promise<void> {
  const [real, simulated] = await diff.both(new FakeCluster(), (k) => k.create(object));
  expectSameFailure(real, simulated);
}

async function expectBothStore(object: KubeObject, fake = new FakeCluster()): Promise<FakeCluster> {
  const [real, simulated] = await diff.both(fake, (k) => k.create(object));
  if (!real.ok || !simulated.ok) {
    expect({ simulated }).toEqual({ simulated: real });
    throw new Error('both creates should succeed');
  }
  expect(comparable(simulated.value)).toEqual(comparable(real.value));
  return fake;
}

const app = (extra: Record<string, unknown>) => ({
  containers: [{ name: 'app', image: 'registry.invalid/app:1', ...extra }],
});

describe('pod templates: what the server refuses', () => {
  it.each([
    ['a port protocol it does not know', app({ ports: [{ containerPort: 80, protocol: 'ICMP' }] })],
    ['containerPort 0', app({ ports: [{ containerPort: 0 }] })],
    ['containerPort 70000', app({ ports: [{ containerPort: 70000 }] })],
    [
      'a port name too long and badly formed',
      app({ ports: [{ containerPort: 80, name: 'Way_Too_Long_Name_x' }] }),
    ],
    [
      'two ports with one name',
      app({
        ports: [
          { containerPort: 80, name: 'http' },
          { containerPort: 81, name: 'http' },
        ],
      }),
    ],
    ['a hostPort out of range', app({ ports: [{ containerPort: 80, hostPort: 70000 }] })],
    ['an unknown pull policy', app({ imagePullPolicy: 'Sometimes' })],
    ['an env var without a name', app({ env: [{ name: '', value: 'x' }] })],
    ['dnsPolicy None without dnsConfig', { dnsPolicy: 'None' }],
    ['an unknown dnsPolicy', { dnsPolicy: 'Nope' }],
    ['restartPolicy Never in a StatefulSet', { restartPolicy: 'Never' }],
    ['a configMap volume without a name', { volumes: [{ name: 'c', configMap: {} }] }],
    [
      'a configMap volume mode above 0777',
      { volumes: [{ name: 'c', configMap: { name: 'x', defaultMode: 4096 } }] },
    ],
    ['a secret volume without a name', { volumes: [{ name: 's', secret: {} }] }],
    [
      'a mount of a volume that does not exist',
      app({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] }),
    ],
    ['an init container named like a container', { initContainers: [{ name: 'app', image: 'x' }] }],
  ])('%s', async (_name, podSpec) => {
    await expectBothRefuse(statefulSet(podSpec));
  });

  it('the VPN containers (capabilities, dnsPolicy None with dnsConfig, a sidecar) are accepted by both', async () => {
    await expectBothStore(
      statefulSet({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['172.16.0.1'],
          searches: ['media.svc.cluster.local'],
          options: [{ name: 'ndots', value: '5' }],
        },
        initContainers: [
          {
            name: 'gateway-init',
            image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
            securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
          },
          {
            name: 'gateway-sidecar',
            image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
            restartPolicy: 'Always',
          },
        ],
        volumes: [
          { name: 'gateway-config', configMap: { name: 'gateway-settings', defaultMode: 493 } },
        ],
      }),
    );
  });

  it('a patch that breaks a template is refused the same way', async () => {
    const object = statefulSet({});
    const fake = await expectBothStore(object);
    const patch: Patch = {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              dnsPolicy: 'None',
              containers: [{ name: 'app', ports: [{ containerPort: 53, protocol: 'ICMP' }] }],
            },
          },
        },
      },
    };
    const [real, simulated] = await diff.both(fake, (k) => k.patch(refOf(object), patch));
    expectSameFailure(real, simulated);
  });
});

describe('ConfigMaps', () => {
  it('keys the server accepts, empty values and hidden files included', async () => {
    await expectBothStore(
      configMap({ data: { 'settings.sh': 'X=1', 'nat.conf': '', 'a_b-C.1': '', '.hidden': 'v' } }),
    );
    await expectBothStore(configMap({ data: {} }));
    await expectBothStore(configMap({ binaryData: { blob: 'eA==' }, immutable: false }));
  });

  it.each([
    ['.', { data: { '.': 'v' } }],
    ['..', { data: { '..': 'v' } }],
    ['a key starting with ..', { data: { '..x': 'v' } }],
    ['a slash', { data: { 'a/b': 'v' } }],
    ['a space', { data: { 'a b': 'v' } }],
    ['an empty key', { data: { '': 'v' } }],
    ['a key too long', { data: { ['x'.repeat(254)]: 'v' } }],
    ['a key too long and badly formed', { data: { ['/'.repeat(254)]: 'v' } }],
    ['a key in data and binaryData', { data: { a: 'x' }, binaryData: { a: 'eA==' } }],
    ['more than 1 MiB', { data: { a: 'x'.repeat(1024 * 1024 + 1) } }],
    [
      'more than 1 MiB across data and binaryData',
      { data: { a: 'x'.repeat(1024 * 1024) }, binaryData: { b: 'eA==' } },
    ],
  ])('refuses %s', async (_name, extra) => {
    await expectBothRefuse(configMap(extra));
  });

  it('an immutable ConfigMap keeps its data and its flag; labels may change', async () => {
    const object = configMap({ data: { a: '1' }, immutable: true });
    const fake = await expectBothStore(object);
    const ref = refOf(object);
    for (const body of [
      { data: { a: '2' } },
      { immutable: false },
      { immutable: null, data: { a: '3' } },
    ]) {
      const [real, simulated] = await diff.both(fake, (k) => k.patch(ref, { type: 'merge', body }));
      expectSameFailure(real, simulated);
    }
    const [real, simulated] = await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { metadata: { labels: { a: 'b' } } } }),
    );
    expect(real.ok && simulated.ok).toBe(true);
    if (real.ok && simulated.ok)
      expect(comparable(simulated.value)).toEqual(comparable(real.value));
  });

  it('a mutable ConfigMap can be made immutable with new data in one write', async () => {
    const object = configMap({ data: { a: '1' } });
    const fake = await expectBothStore(object);
    const [real, simulated] = await diff.both(fake, (k) =>
      k.patch(refOf(object), { type: 'merge', body: { immutable: true, data: { a: '9' } } }),
    );
    if (!real.ok || !simulated.ok) throw new Error('both patches should succeed');
    expect(comparable(simulated.value)).toEqual(comparable(real.value));
  });
});

describe('names', () => {
  it.each([['a.b'], ['Bad'], ['x'.repeat(64)]])('a StatefulSet named %s', async (name) => {
    await expectBothRefuse(statefulSet({}, name));
  });

  it('a StatefulSet may start with a digit', async () => {
    await expectBothStore(statefulSet({}, `1${fresh('digit')}`));
  });

  it.each([['a.b'], ['Bad']])('a Namespace named %s', async (name) => {
    await expectBothRefuse({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });

  it.each([['Bad'], ['a_b'], ['-a']])('a ConfigMap named %s', async (name) => {
    await expectBothRefuse(configMap({}, name));
  });

  it('a ConfigMap may have dots in its name', async () => {
    await expectBothStore(configMap({}, `a.${fresh('dotted')}`));
  });
});
