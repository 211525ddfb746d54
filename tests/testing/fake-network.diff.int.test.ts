/**
 * Differential test of FakeCluster's NetworkPolicies and Services against the real kube-apiserver
 * (lib/testing/fake-validation-network.ts, fake-services.ts, fake-defaults.ts): what the VPN
 * capability's kill switch and the gateway's headless Service depend on. Each case sends the same
 * object or patch to both; both must store the same object (allocated addresses checked for shape,
 * then masked) or refuse it with the same code, reason, message and causes.
 */
import { describe, expect, it } from '@jest/globals';
import type { Patch } from '../../lib/kube/port.js';
import type { KubeObject } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import {
  comparable,
  expectSameFailure,
  refOf,
  TEST_SERVICE_CIDR,
  type Outcome,
  useDifferential,
} from './fixtures/differential.js';

const diff = useDifferential('network-diff');
const { ns, fresh } = diff;

function newFake(): FakeCluster {
  return new FakeCluster({ serviceCIDR: TEST_SERVICE_CIDR });
}

function policy(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: fresh('policy'), namespace: ns.name },
    spec,
  };
}

function service(spec: Record<string, unknown>, name = fresh('svc')): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns.name }, spec };
}

/** Both succeed and store the same object, or both fail identically. */
function expectSameOutcome(real: Outcome<KubeObject>, simulated: Outcome<KubeObject>): void {
  if (real.ok && simulated.ok) {
    expect(comparable(simulated.value)).toEqual(comparable(real.value));
  } else if (!real.ok) {
    expect(simulated).toEqual(real);
  } else {
    expect({ fake: simulated }).toEqual({ fake: 'created, as on the server' });
  }
}

async function createBoth(object: KubeObject, fake = newFake()) {
  const [real, simulated] = await diff.both(fake, (k) => k.create(object));
  expectSameOutcome(real, simulated);
  return { real, simulated, fake };
}

/** The kill switch a VPN client installs: egress to the cluster, the gateway and DNS only. */
function killSwitch(): KubeObject {
  return policy({
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'qbittorrent' } },
    policyTypes: ['Egress'],
    egress: [
      { to: [{ ipBlock: { cidr: '10.244.0.0/16' } }, { ipBlock: { cidr: '10.96.0.0/16' } }] },
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gluetun' } } }],
        ports: [{ port: 4789, protocol: 'UDP' }],
      },
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gluetun' } } }] },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }],
      },
      {
        to: [{ ipBlock: { cidr: '169.254.20.10/32' } }, { ipBlock: { cidr: 'fd00:10:96::/112' } }],
      },
    ],
  });
}

describe('NetworkPolicy: defaults', () => {
  it.each([
    [
      'egress without policyTypes, ports of every shape',
      {
        podSelector: {},
        egress: [
          {
            to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
            ports: [
              { port: 53 },
              { port: 4789, protocol: 'UDP' },
              { port: 'dns' },
              { port: 1000, endPort: 2000 },
              {},
            ],
          },
          {},
        ],
      },
    ],
    ['ingress only', { podSelector: { matchLabels: { a: 'b' } } }],
    ['an empty egress list', { podSelector: {}, egress: [] }],
    ['Egress alone', { podSelector: {}, policyTypes: ['Egress'] }],
    ['no pod selector', { egress: [{}] }],
    ['the same type twice', { podSelector: {}, policyTypes: ['Egress', 'Egress'] }],
    [
      'peers with both selectors',
      {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } },
                podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] },
              },
            ],
          },
        ],
      },
    ],
    [
      'the cluster-wide CIDRs the server accepts',
      {
        podSelector: {},
        egress: [
          {
            to: ['0.0.0.0/0', '::/0', 'fd00::/8', 'FD00::/8'].map((cidr) => ({
              ipBlock: { cidr },
            })),
          },
        ],
      },
    ],
  ])('%s', async (_name, spec) => {
    await createBoth(policy(spec));
  });

  it("a VPN client's kill switch is stored the same, and re-sending it writes nothing on either", async () => {
    const object = killSwitch();
    const { real, simulated, fake } = await createBoth(object);
    if (!real.ok || !simulated.ok) throw new Error('both creates should succeed');
    const ref = refOf(object);
    const patch: Patch = { type: 'strategic', body: { spec: object.spec as never } };
    const [again, againFake] = await diff.both(fake, (k) => k.patch(ref, patch));
    expect(again.ok && again.value.metadata.resourceVersion).toBe(
      real.value.metadata.resourceVersion,
    );
    expect(againFake.ok && againFake.value.metadata.resourceVersion).toBe(
      simulated.value.metadata.resourceVersion,
    );
    // policyTypes is defaulted only when empty: adding ingress rules later does not add Ingress.
    const widen: Patch = {
      type: 'merge',
      body: { spec: { ingress: [{ from: [{ podSelector: {} }] }] } },
    };
    const [widened, widenedFake] = await diff.both(fake, (k) => k.patch(ref, widen));
    expectSameOutcome(widened, widenedFake);
  });
});

describe('NetworkPolicy: what the server refuses', () => {
  const egressTo = (ipBlock: Record<string, unknown>) => ({
    podSelector: {},
    egress: [{ to: [{ ipBlock }] }],
  });
  it.each([
    ['host bits set', egressTo({ cidr: '10.0.0.1/8' })],
    ['a leading zero in an octet', egressTo({ cidr: '010.0.0.0/8' })],
    ['a leading zero in the prefix', egressTo({ cidr: '10.0.0.0/08' })],
    ['a prefix too long', egressTo({ cidr: '10.0.0.0/33' })],
    ['an address without prefix', egressTo({ cidr: '10.0.0.0' })],
    ['not an address', egressTo({ cidr: 'nonsense' })],
    ['an empty CIDR', egressTo({ cidr: '' })],
    ['an IPv4-mapped IPv6 CIDR', egressTo({ cidr: '::ffff:10.0.0.0/104' })],
    ['except equal to cidr', egressTo({ cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] })],
    ['except outside cidr', egressTo({ cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] })],
    ['except of another family', egressTo({ cidr: '10.0.0.0/8', except: ['fd00::/16'] })],
    ['except with host bits', egressTo({ cidr: '10.0.0.0/8', except: ['10.1.0.1/16'] })],
    ['except wider than cidr', egressTo({ cidr: '10.0.0.0/16', except: ['10.0.0.0/8'] })],
    [
      'an ipBlock with a selector',
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
    ],
    ['an empty peer', { podSelector: {}, egress: [{ to: [{}] }] }],
    ['port 0', { podSelector: {}, egress: [{ ports: [{ port: 0 }] }] }],
    ['port 70000', { podSelector: {}, egress: [{ ports: [{ port: 70000 }] }] }],
    [
      'a port name with an underscore',
      { podSelector: {}, egress: [{ ports: [{ port: 'Bad_Name' }] }] },
    ],
    ['a port name with two hyphens', { podSelector: {}, egress: [{ ports: [{ port: 'a--b' }] }] }],
    [
      'a port name starting with a hyphen',
      { podSelector: {}, egress: [{ ports: [{ port: '-ab' }] }] },
    ],
    ['a port name without a letter', { podSelector: {}, egress: [{ ports: [{ port: '123' }] }] }],
    ['ICMP', { podSelector: {}, egress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] }],
    ['endPort below port', { podSelector: {}, egress: [{ ports: [{ port: 100, endPort: 50 }] }] }],
    [
      'endPort after a named port',
      { podSelector: {}, egress: [{ ports: [{ port: 'dns', endPort: 50 }] }] },
    ],
    ['endPort without port', { podSelector: {}, egress: [{ ports: [{ endPort: 50 }] }] }],
    [
      'endPort out of range',
      { podSelector: {}, egress: [{ ports: [{ port: 10, endPort: 70000 }] }] },
    ],
    ['a lowercase policy type', { podSelector: {}, policyTypes: ['egress'] }],
    ['three policy types', { podSelector: {}, policyTypes: ['Egress', 'Ingress', 'Egress'] }],
    ['a selector value with a space', { podSelector: { matchLabels: { a: 'not ok' } } }],
    ['a selector key with a space', { podSelector: { matchLabels: { 'bad key': 'x' } } }],
    ['In without values', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }],
    [
      'Exists with values',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } },
    ],
    [
      'an unknown operator',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } },
    ],
    [
      'a bad namespace selector in a peer',
      {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { a: 'not ok' } } }] }],
      },
    ],
  ])('%s', async (_name, spec) => {
    const object = policy(spec);
    const [real, simulated] = await diff.both(newFake(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it('an update that opens the kill switch to 0.0.0.0/0 is accepted on both (only a controller can refuse it)', async () => {
    const object = killSwitch();
    const { fake } = await createBoth(object);
    const open: Patch = {
      type: 'merge',
      body: { spec: { egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } },
    };
    const [real, simulated] = await diff.both(fake, (k) => k.patch(refOf(object), open));
    expectSameOutcome(real, simulated);
  });
});

describe('Service: defaults and allocation', () => {
  it.each([
    [
      'ClusterIP with one unnamed port and targetPort 0',
      { ports: [{ port: 8080, targetPort: 0 }] },
    ],
    [
      'named ports, UDP and a named target',
      {
        selector: { app: 'x' },
        ports: [
          { name: 'http', port: 80 },
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
        ],
      },
    ],
    [
      'headless with a selector (the gateway)',
      {
        clusterIP: 'None',
        selector: { app: 'gluetun' },
        ports: [{ name: 'vxlan', port: 4789, protocol: 'UDP' }],
      },
    ],
    ['headless without ports', { clusterIP: 'None', selector: { app: 'x' } }],
    ['headless without selector', { clusterIP: 'None', ports: [{ port: 80 }] }],
    ['NodePort', { type: 'NodePort', ports: [{ port: 80 }] }],
    ['LoadBalancer', { type: 'LoadBalancer', ports: [{ port: 80 }] }],
    ['ExternalName', { type: 'ExternalName', externalName: 'example.com' }],
    ['ClientIP affinity', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }],
    [
      'PreferDualStack on a single-stack cluster',
      { ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] },
    ],
    ['Local internal traffic', { internalTrafficPolicy: 'Local', ports: [{ port: 80 }] }],
    [
      'zero values the server does not store',
      {
        publishNotReadyAddresses: false,
        clusterIP: '',
        externalName: '',
        ports: [{ port: 80, name: '', nodePort: 0 }],
      },
    ],
  ])('%s', async (_name, spec) => {
    await createBoth(service(spec));
  });

  it('a requested cluster IP is kept; taken or outside the range it is refused on both', async () => {
    const fake = newFake();
    // An address the shared test cluster is unlikely to have handed out already.
    const address = `10.96.${200 + (Date.now() % 50)}.${20 + (process.pid % 200)}`;
    await createBoth(service({ clusterIP: address, ports: [{ port: 80 }] }), fake);
    const second = service({ clusterIP: address, ports: [{ port: 80 }] });
    const [taken, takenFake] = await diff.both(fake, (k) => k.create(second));
    expectSameFailure(taken, takenFake);
    const third = service({ clusterIP: '1.2.3.4', ports: [{ port: 80 }] });
    const [outside, outsideFake] = await diff.both(fake, (k) => k.create(third));
    expectSameFailure(outside, outsideFake);
  });

  it('updates keep allocated addresses, refuse to change them, and default new ports', async () => {
    const object = service({ selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }] });
    const { real, simulated, fake } = await createBoth(object);
    if (!real.ok || !simulated.ok) throw new Error('both creates should succeed');
    const ref = refOf(object);
    const strip = (o: KubeObject, rv: string | undefined): KubeObject => {
      const copy = structuredClone(o);
      const spec = copy.spec as Record<string, unknown>;
      for (const key of [
        'clusterIP',
        'clusterIPs',
        'ipFamilies',
        'ipFamilyPolicy',
        'type',
        'sessionAffinity',
        'internalTrafficPolicy',
      ])
        delete spec[key];
      copy.metadata = { ...copy.metadata, resourceVersion: rv };
      return copy;
    };
    // A replace without the allocated and defaulted fields changes nothing.
    const [replaced, replacedFake] = await diff.both(fake, (k) =>
      k.replace(
        diff.isReal(k)
          ? strip(real.value, real.value.metadata.resourceVersion)
          : strip(simulated.value, simulated.value.metadata.resourceVersion),
      ),
    );
    expect(replaced.ok && replaced.value.metadata.resourceVersion).toBe(
      real.value.metadata.resourceVersion,
    );
    expect(replacedFake.ok && replacedFake.value.metadata.resourceVersion).toBe(
      simulated.value.metadata.resourceVersion,
    );
    const [nulled, nulledFake] = await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { spec: { clusterIP: null } } }),
    );
    expectSameOutcome(nulled, nulledFake);
    const [headless, headlessFake] = await diff.both(fake, (k) =>
      k.patch(ref, { type: 'merge', body: { spec: { clusterIP: 'None', clusterIPs: ['None'] } } }),
    );
    expectSameFailure(headless, headlessFake);
    const [added, addedFake] = await diff.both(fake, (k) =>
      k.patch(ref, {
        type: 'strategic',
        body: { spec: { ports: [{ name: 'metrics', port: 9090 }] } },
      }),
    );
    expectSameOutcome(added, addedFake);
  });
});

describe('Service: what the server refuses', () => {
  it.each([
    ['no ports', { selector: { app: 'x' } }],
    ['two ports without names', { ports: [{ port: 80 }, { port: 81 }] }],
    ['one unnamed port of two', { ports: [{ name: 'a', port: 80 }, { port: 81 }] }],
    [
      'a duplicate port name',
      {
        ports: [
          { name: 'a', port: 80 },
          { name: 'a', port: 81 },
        ],
      },
    ],
    [
      'the same port and protocol twice',
      {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      },
    ],
    ['a port name that is not a DNS label', { ports: [{ name: 'Bad_Name', port: 80 }] }],
    ['port 0', { ports: [{ port: 0 }] }],
    ['ICMP', { ports: [{ port: 80, protocol: 'ICMP' }] }],
    ['targetPort 70000', { ports: [{ port: 80, targetPort: 70000 }] }],
    ['a bad named targetPort', { ports: [{ port: 80, targetPort: 'Bad_Name' }] }],
    ['an unknown type', { type: 'Cluster', ports: [{ port: 80 }] }],
    ['an unknown affinity', { sessionAffinity: 'Sticky', ports: [{ port: 80 }] }],
    [
      'an unknown internal traffic policy',
      { internalTrafficPolicy: 'Nope', ports: [{ port: 80 }] },
    ],
    ['a clusterIP that is not an IP', { clusterIP: 'nonsense', ports: [{ port: 80 }] }],
    ['a clusterIP with a leading zero', { clusterIP: '10.96.01.1', ports: [{ port: 80 }] }],
    ['headless NodePort', { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }],
    ['headless LoadBalancer', { type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] }],
    ['ExternalName without a name', { type: 'ExternalName' }],
    ['a selector value with a space', { selector: { app: 'not ok' }, ports: [{ port: 80 }] }],
    ['a selector key with a space', { selector: { 'bad key': 'x' }, ports: [{ port: 80 }] }],
  ])('%s', async (_name, spec) => {
    const object = service(spec);
    const [real, simulated] = await diff.both(newFake(), (k) => k.create(object));
    expectSameFailure(real, simulated);
  });

  it.each([['a.b'], ['Bad'], ['-ab'], ['a_b'], ['x'.repeat(64)]])('the name %s', async (name) => {
    const [real, simulated] = await diff.both(newFake(), (k) =>
      k.create(service({ ports: [{ port: 80 }] }, name)),
    );
    expectSameFailure(real, simulated);
  });
});
