/**
 * Unit tests of what FakeCluster adds to and checks in a write (defaults, create-time admission,
 * allocation, validation). The differential tests prove each against a real API server; these pin
 * the behaviours a charm author's "0 writes on the next hook" test depends on, without a cluster.
 */
import { describe, expect, it } from '@jest/globals';
import { asKubernetesError } from '../../lib/kube/errors.js';
import type { KubeObject, Pod, StatefulSet } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { FakeClusterError } from '../../lib/testing/fake-errors.js';
import { cidrProblems } from '../../lib/testing/fake-ip.js';
import { gatewayCapabilityPatch, statefulSet, STS_REF } from './fixtures/objects.js';

const CAPABILITY_PATCH = gatewayCapabilityPatch();

describe('FakeCluster defaults what the API server defaults', () => {
  it('a new container gets pull policy, termination message, resources and port protocol', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.template.spec.containers = [
      { name: 'app', image: 'web', ports: [{ containerPort: 80 }] },
      { name: 'pinned', image: 'web:1' },
    ];
    const stored = await fake.create(sts);
    const [latest, pinned] = stored.spec.template.spec.containers;
    expect(latest).toEqual({
      name: 'app',
      image: 'web',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      imagePullPolicy: 'Always',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    expect(pinned?.imagePullPolicy).toBe('IfNotPresent');
    expect(stored.spec.template.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    });
    expect(stored.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it("a capability's patch sent twice writes once: the second changes nothing", async () => {
    const fake = new FakeCluster({ objects: [statefulSet()] });
    const first = await fake.patch<StatefulSet>(STS_REF, CAPABILITY_PATCH);
    const second = await fake.patch<StatefulSet>(STS_REF, CAPABILITY_PATCH);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.metadata.generation).toBe(2);
    expect(first.spec.template.spec.volumes).toEqual([
      { name: 'gateway-config', configMap: { name: 'gateway-settings', defaultMode: 420 } },
    ]);
  });

  it('nulling a defaulted field is a no-op; a different value is a change', async () => {
    const fake = new FakeCluster({ objects: [statefulSet()] });
    const before = fake.peek<StatefulSet>(STS_REF);
    const nulled = await fake.patch<StatefulSet>(STS_REF, {
      type: 'strategic',
      body: {
        spec: { template: { spec: { containers: [{ name: 'app', imagePullPolicy: null }] } } },
      },
    });
    expect(nulled.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    const changed = await fake.patch<StatefulSet>(STS_REF, {
      type: 'strategic',
      body: {
        spec: { template: { spec: { containers: [{ name: 'app', imagePullPolicy: 'Never' }] } } },
      },
    });
    expect(changed.metadata.generation).toBe(2);
  });

  it('quantities are stored as the server prints them', async () => {
    const fake = new FakeCluster();
    const sts = statefulSet();
    sts.spec.template.spec.containers[0]!.resources = { limits: { memory: '1024Mi', cpu: '0.5' } };
    const stored = await fake.create(sts);
    expect(stored.spec.template.spec.containers[0]?.resources).toEqual({
      limits: { memory: '1Gi', cpu: '500m' },
    });
  });
});

describe('FakeCluster admits Pods and allocates Service addresses as the server does', () => {
  const pod = (extra: Record<string, unknown> = {}): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'media' },
      spec: { containers: [{ name: 'app', image: 'web:1' }], ...extra },
    }) as Pod;

  it('a Pod gets its service account token, tolerations, priority and QoS class', async () => {
    const stored = await new FakeCluster().create(pod());
    expect(stored.spec.serviceAccountName).toBe('default');
    expect(stored.spec.volumes?.[0]?.name).toMatch(/^kube-api-access-[b-z2-9]{5}$/);
    expect(stored.spec.containers[0]?.volumeMounts).toEqual([
      {
        name: stored.spec.volumes?.[0]?.name,
        readOnly: true,
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      },
    ]);
    expect(stored.spec.tolerations).toHaveLength(2);
    expect(stored.spec).toMatchObject({ priority: 0, enableServiceLinks: true });
    expect(stored.status?.qosClass).toBe('BestEffort');
    const optedOut = await new FakeCluster().create(pod({ automountServiceAccountToken: false }));
    expect(optedOut.spec.volumes).toBeUndefined();
  });

  it('Services get the lowest free cluster IP of the range; headless ones keep None', async () => {
    const fake = new FakeCluster({ serviceCIDR: '10.43.0.0/16' });
    const service = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'media' },
      spec,
    });
    const a = await fake.create(service('a', { ports: [{ port: 80 }] }));
    const b = await fake.create(service('b', { ports: [{ port: 80 }] }));
    const gateway = await fake.create(
      service('gateway', {
        clusterIP: 'None',
        selector: { app: 'gluetun' },
        ports: [{ port: 4789, protocol: 'UDP' }],
      }),
    );
    expect(a.spec).toMatchObject({
      clusterIP: '10.43.0.1',
      clusterIPs: ['10.43.0.1'],
      type: 'ClusterIP',
    });
    expect(b.spec).toMatchObject({ clusterIP: '10.43.0.2' });
    expect(gateway.spec).toMatchObject({
      clusterIP: 'None',
      clusterIPs: ['None'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 4789, protocol: 'UDP', targetPort: 4789 }],
    });
    const taken = await fake
      .create(service('c', { clusterIP: '10.43.0.1', ports: [{ port: 80 }] }))
      .catch((e: unknown) => e);
    expect(asKubernetesError(taken)?.serverMessage).toContain('provided IP is already allocated');
  });

  it('refuses a service range that is not an IPv4 CIDR', () => {
    expect(() => new FakeCluster({ serviceCIDR: '10.43.0.1/16' })).toThrow(FakeClusterError);
  });
});

describe('FakeCluster validates what the VPN capability sends', () => {
  it('NetworkPolicy: policyTypes defaulted only when empty; a CIDR with host bits refused', async () => {
    const fake = new FakeCluster();
    const policy = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: 'media' },
      spec,
    });
    const stored = await fake.create(
      policy('kill-switch', { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] }),
    );
    expect(stored.spec).toEqual({
      podSelector: {},
      egress: [{ ports: [{ port: 53, protocol: 'TCP' }] }],
      policyTypes: ['Ingress', 'Egress'],
    });
    const refused = await fake
      .create(
        policy('open', {
          podSelector: {},
          egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/8' } }] }],
        }),
      )
      .catch((e: unknown) => e);
    expect(asKubernetesError(refused)?.serverMessage).toContain(
      'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length',
    );
  });

  it('ConfigMap keys the server refuses are refused', async () => {
    const refused = await new FakeCluster()
      .create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'media' },
        data: { 'a/b': 'x' },
      })
      .catch((e: unknown) => e);
    expect(asKubernetesError(refused)?.code).toBe(422);
  });

  it.each([
    ['10.0.0.0/8', []],
    ['0.0.0.0/0', []],
    ['fd00::/8', []],
    ['10.0.0.1/8', ['must not have bits set beyond the prefix length']],
    ['010.0.0.0/8', ['must not have leading 0s in IP or prefix length']],
    ['10.0.0.0/08', ['must not have leading 0s in IP or prefix length']],
    ['::ffff:10.0.0.0/104', ['must not have an IPv4-mapped IPv6 address']],
    ['10.0.0.0/33', ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
    ['10.0.0.0', ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
  ])('the CIDR %s: %j', (cidr, problems) => {
    expect(cidrProblems(cidr)).toEqual(problems);
  });
});
