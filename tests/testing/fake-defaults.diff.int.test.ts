/**
 * Differential test of FakeCluster's defaulting (lib/testing/fake-defaults*.ts,
 * fake-pod-admission.ts): the same object is created on the real kube-apiserver and on an empty
 * FakeCluster, and what each stores must be the same object — every field the server fills in
 * (imagePullPolicy, terminationMessagePath, `resources: {}`, port protocols, probe timings, volume
 * modes, the StatefulSet's update strategy...) included. Then the write paths: a patch that nulls
 * or omits a defaulted field is a no-op on both, and a capability's patch sent twice writes
 * nothing the second time on both — the property "0 writes on the next hook" rests on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jsonEqual } from '../../lib/core/json.js';
import { registerResource } from '../../lib/kube/resources.js';
import type { ObjectRef, Patch } from '../../lib/kube/port.js';
import type { Container, KubeObject, Pod, StatefulSet } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { gatewayCapabilityPatch } from './fixtures/objects.js';
import {
  comparable,
  expectSameFailure,
  refOf,
  TEST_SERVICE_CIDR,
  type Outcome,
  podlessStatefulSet,
  useDifferential,
} from './fixtures/differential.js';

const diff = useDifferential('defaults-diff');
const { ns, fresh } = diff;
const cleanup: ObjectRef[] = [];

beforeAll(() => {
  // Kinds the charmkit port does not map out of the box.
  registerResource(
    { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
    { plural: 'replicasets', namespaced: true },
  );
  registerResource(
    { apiVersion: 'apps/v1', kind: 'DaemonSet' },
    { plural: 'daemonsets', namespaced: true },
  );
});

afterAll(async () => {
  // Cluster-scoped objects outlive the test namespace.
  for (const ref of cleanup) await diff.port.delete(ref).catch(() => undefined);
});

function newFake(): FakeCluster {
  return new FakeCluster({ serviceCIDR: TEST_SERVICE_CIDR });
}

/** Creates `object` on both; both must succeed and store the same object, which is returned. */
async function createOnBoth<T extends KubeObject>(
  object: T,
  fake: FakeCluster = newFake(),
): Promise<{ real: T; simulated: T; fake: FakeCluster }> {
  const [real, simulated] = await diff.both(fake, (k) => k.create(object));
  if (!real.ok || !simulated.ok) {
    expect({ simulated: brief(simulated) }).toEqual({ simulated: brief(real) });
    throw new Error('unreachable: both creates should have succeeded');
  }
  expect(comparable(simulated.value)).toEqual(comparable(real.value));
  return { real: real.value, simulated: simulated.value, fake };
}

function brief(o: Outcome<unknown>): unknown {
  return o.ok ? 'created' : { code: o.code, message: o.message };
}

/** A StatefulSet with no pods (replicas 0) and the given pod spec. */
function statefulSet(name: string, podSpec: Record<string, unknown>, spec = {}): StatefulSet {
  return podlessStatefulSet(name, ns.name, podSpec, spec);
}

describe('defaulting on create: FakeCluster stores what kube-apiserver stores', () => {
  it('containers: pull policy by tag, termination message, resources, ports, env, probes, hooks', async () => {
    const containers: Container[] = [
      {
        name: 'latest',
        image: 'registry.invalid/a:latest',
        ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        livenessProbe: { httpGet: { port: 80 } },
        readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['true'] } },
        lifecycle: { preStop: { httpGet: { port: 80 } }, postStart: { exec: { command: ['x'] } } },
      } as Container,
      { name: 'tagged', image: 'registry.invalid/b:1.0', resources: { limits: { cpu: '100m' } } },
      { name: 'digest', image: `registry.invalid/c@sha256:${'a'.repeat(64)}` },
      { name: 'registry-port', image: 'localhost:5000/d' },
      { name: 'bare', image: 'busybox' },
      { name: 'grpc', image: 'x:2', readinessProbe: { grpc: { port: 9000 } } } as Container,
      {
        name: 'explicit',
        image: 'x',
        imagePullPolicy: 'Never',
        terminationMessagePolicy: 'FallbackToLogsOnError',
      },
    ];
    await createOnBoth(statefulSet(fresh('containers'), { containers }));
  });

  it('init containers and a restartable sidecar get the same defaults', async () => {
    await createOnBoth(
      statefulSet(fresh('init'), {
        initContainers: [
          {
            name: 'init',
            image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
            command: ['/bin/client_init.sh'],
            securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
          },
          {
            name: 'sidecar',
            image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
            restartPolicy: 'Always',
            ports: [{ containerPort: 4789, protocol: 'UDP' }],
          },
        ],
      }),
    );
  });

  it('volumes: configMap, secret, no source, hostPath, claim, downwardAPI, projected, ephemeral', async () => {
    await createOnBoth(
      statefulSet(fresh('volumes'), {
        volumes: [
          { name: 'config', configMap: { name: 'settings' } },
          {
            name: 'config-mode',
            configMap: { name: 'settings', defaultMode: 493, items: [{ key: 'a', path: 'a' }] },
          },
          { name: 'secret', secret: { secretName: 'creds' } },
          { name: 'scratch' },
          { name: 'tun', hostPath: { path: '/dev/net/tun' } },
          { name: 'tun-typed', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } },
          { name: 'claim', persistentVolumeClaim: { claimName: 'media' } },
          {
            name: 'info',
            downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] },
          },
          {
            name: 'bundle',
            projected: {
              sources: [
                { serviceAccountToken: { path: 't' } },
                { configMap: { name: 'q' } },
                {
                  downwardAPI: {
                    items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }],
                  },
                },
              ],
            },
          },
          {
            name: 'cache',
            ephemeral: {
              volumeClaimTemplate: {
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  resources: { requests: { storage: '1Gi' } },
                },
              },
            },
          },
        ],
      }),
    );
  });

  it('quantities: stored in the canonical text, resource lists rounded up to milli', async () => {
    const sent = [
      '1024Mi',
      '0.5',
      '1000m',
      '1e3',
      '2048Ki',
      '1.5Gi',
      '100M',
      '1000000',
      '0.1',
      '1500m',
      '1k',
      '1024',
      '5Gi',
      '512Mi',
      '0',
      '2.5',
      '10e2',
      '1E6',
      '123456789',
      '1.0',
      '1000Ki',
      '0.001',
      '0.0001',
      '+3',
      '0.5Ki',
      '3000Mi',
      '7e-3',
    ];
    const containers = sent.map((quantity, i) => ({
      name: `c${i}`,
      image: 'registry.invalid/app:1',
      resources: {
        limits: { memory: quantity, cpu: quantity },
        requests: { 'ephemeral-storage': quantity },
      },
    }));
    await createOnBoth(
      statefulSet(
        fresh('quantities'),
        {
          containers,
          volumes: [
            { name: 'cache', emptyDir: { sizeLimit: '0.0001' } },
            { name: 'ram', emptyDir: { sizeLimit: '2048Mi' } },
          ],
        },
        {
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: '1024Gi' } },
              },
            },
          ],
        },
      ),
    );
  });

  it('zero values of plain omitempty fields are not stored; pointer fields keep theirs', async () => {
    await createOnBoth(
      statefulSet(
        fresh('zeros'),
        {
          hostNetwork: false,
          hostPID: false,
          nodeName: '',
          priorityClassName: '',
          subdomain: '',
          hostname: '',
          shareProcessNamespace: false,
          automountServiceAccountToken: false,
          volumes: [{ name: 'v', emptyDir: { medium: '' } }],
          containers: [
            {
              name: 'c',
              image: 'registry.invalid/c:1',
              stdin: false,
              tty: false,
              workingDir: '',
              command: [],
              env: [{ name: 'EMPTY', value: '' }],
              ports: [{ containerPort: 80, hostPort: 0, name: '', hostIP: '' }],
              volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: false, subPath: '' }],
              readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 0 },
              securityContext: {
                privileged: false,
                runAsNonRoot: false,
                allowPrivilegeEscalation: false,
              },
            },
          ],
        },
        { minReadySeconds: 0 },
      ),
    );
  });

  it('pod spec fields: policies, scheduler, security context, grace period, service account', async () => {
    await createOnBoth(statefulSet(fresh('podspec'), {}));
    await createOnBoth(statefulSet(fresh('account'), { serviceAccountName: 'charm' }));
    await createOnBoth(statefulSet(fresh('legacy-account'), { serviceAccount: 'charm' }));
    await createOnBoth(
      statefulSet(fresh('dns'), {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['172.16.0.1'],
          searches: ['svc.cluster.local'],
          options: [{ name: 'ndots', value: '5' }],
        },
        securityContext: { fsGroup: 1000 },
        terminationGracePeriodSeconds: 0,
      }),
    );
  });

  it.each([
    ['no strategy', {}],
    ['RollingUpdate without parameters', { updateStrategy: { type: 'RollingUpdate' } }],
    ['a partition', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }],
    ['parameters without type', { updateStrategy: { rollingUpdate: {} } }],
    ['OnDelete', { updateStrategy: { type: 'OnDelete' } }],
    [
      'a partial retention policy',
      { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } },
    ],
    [
      'Parallel, a service and history',
      { podManagementPolicy: 'Parallel', serviceName: 'web', revisionHistoryLimit: 3 },
    ],
    [
      'claim templates',
      {
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    ],
  ])('StatefulSet spec: %s', async (_name, spec) => {
    const object = statefulSet(fresh('spec'), {}, spec);
    delete (object.spec as { replicas?: number }).replicas;
    await createOnBoth(object);
  });

  it('Pods: spec defaults plus the admission plugins (token volume, tolerations, priority, QoS)', async () => {
    const pod = (name: string, spec: Record<string, unknown>): Pod =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns.name }, spec }) as Pod;
    await createOnBoth(
      pod(fresh('pod'), {
        initContainers: [
          { name: 'sidecar', image: 'registry.invalid/s:1', restartPolicy: 'Always' },
        ],
        containers: [
          {
            name: 'app',
            image: 'registry.invalid/a:1',
            resources: { limits: { cpu: '100m', memory: '64Mi' } },
          },
        ],
      }),
    );
    await createOnBoth(
      pod(fresh('guaranteed'), {
        containers: [
          {
            name: 'app',
            image: 'registry.invalid/a:1',
            resources: {
              limits: { cpu: '1', memory: '1Gi' },
              requests: { cpu: '1', memory: '1Gi' },
            },
          },
        ],
        tolerations: [
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 10,
          },
        ],
      }),
    );
    await createOnBoth(
      pod(fresh('no-token'), {
        automountServiceAccountToken: false,
        hostNetwork: true,
        containers: [
          { name: 'app', image: 'registry.invalid/a', ports: [{ containerPort: 8080 }] },
        ],
      }),
    );
  });

  it('Deployment, DaemonSet and ReplicaSet specs; a Job pod template', async () => {
    const template = (app: string) => ({
      metadata: { labels: { app } },
      spec: { containers: [{ name: 'app', image: 'registry.invalid/a:1' }] },
    });
    const workload = (
      kind: string,
      name: string,
      spec: Record<string, unknown> = {},
    ): KubeObject => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name, namespace: ns.name },
      spec: { selector: { matchLabels: { app: name } }, template: template(name), ...spec },
    });
    await createOnBoth(workload('Deployment', fresh('deploy'), { replicas: 0 }));
    await createOnBoth(workload('ReplicaSet', fresh('rs'), { replicas: 0 }));
    // The DaemonSet strategy's template-generation annotation is not modelled.
    const daemonSet = workload('DaemonSet', fresh('ds'), {
      template: {
        ...template('ds'),
        spec: { ...template('ds').spec, nodeSelector: { none: 'none' } },
      },
      selector: { matchLabels: { app: 'ds' } },
    });
    const [realSet, fakeSet] = await diff.both(newFake(), (k) => k.create(daemonSet));
    if (!realSet.ok || !fakeSet.ok) throw new Error('both DaemonSet creates should succeed');
    expect(realSet.value.metadata.annotations).toEqual({
      'deprecated.daemonset.template.generation': '1',
    });
    delete realSet.value.metadata.annotations;
    expect(comparable(fakeSet.value)).toEqual(comparable(realSet.value));
    // A Job's own spec defaults are not modelled; its pod template's are.
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: fresh('job'), namespace: ns.name },
      spec: {
        suspend: true,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'app', image: 'registry.invalid/a' }],
          },
        },
      },
    };
    const [real, simulated] = await diff.both(newFake(), (k) => k.create(job));
    const templateSpec = (o: Outcome<KubeObject>) =>
      o.ok ? (o.value.spec as { template: { spec: unknown } }).template.spec : o;
    expect(templateSpec(simulated)).toEqual(templateSpec(real));
  });

  it('claims get a volume mode and the default StorageClass; Secrets a type', async () => {
    const fake = newFake();
    // The test cluster's default class, so the DefaultStorageClass plugin has the same choice.
    fake.seed(
      await diff.port.get({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        name: 'standard',
      }),
    );
    const claim = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns.name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...extra,
      },
    });
    await createOnBoth(claim(fresh('claim')), fake);
    await createOnBoth(
      claim(fresh('sized'), {
        resources: { requests: { storage: '0.5Gi' }, limits: { storage: '2048Mi' } },
      }),
      fake,
    );
    await createOnBoth(claim(fresh('no-class'), { storageClassName: '' }), fake);
    await createOnBoth(
      claim(fresh('block'), { storageClassName: 'fixed-size', volumeMode: 'Block' }),
      fake,
    );
    await createOnBoth(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: fresh('secret'), namespace: ns.name },
        stringData: { a: 'b' },
      } as KubeObject,
      fake,
    );
  });

  it('PersistentVolumes get a reclaim policy and a volume mode; Namespaces their name label', async () => {
    const volume: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${ns.name}-pv` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'charmkit-diff-none',
        // Pre-bound to a claim that never exists, so no other test's claim can take it.
        claimRef: { namespace: ns.name, name: 'never-created' },
        hostPath: { path: '/tmp/charmkit-diff' },
      },
    };
    cleanup.push(refOf(volume));
    await createOnBoth(volume);
    const namespace: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `${ns.name}-x` },
    };
    cleanup.push(refOf(namespace));
    await createOnBoth(namespace);
  });
});

describe('defaulting on update: what a patch or replace leaves out is not a change', () => {
  it('nulling defaulted fields, or replacing without them, stores nothing on both', async () => {
    const { real, fake } = await createOnBoth(statefulSet(fresh('null'), {}));
    const ref = refOf(real);
    const patch: Patch = {
      type: 'strategic',
      body: {
        spec: {
          revisionHistoryLimit: null,
          updateStrategy: null,
          template: {
            spec: {
              dnsPolicy: null,
              containers: [{ name: 'app', imagePullPolicy: null, resources: null }],
            },
          },
        },
      },
    };
    const [patchedReal, patchedFake] = await diff.both(fake, (k) => k.patch(ref, patch));
    expect(patchedReal.ok && patchedReal.value.metadata.resourceVersion).toBe(
      real.metadata.resourceVersion,
    );
    expect(patchedFake.ok && patchedFake.value.metadata.resourceVersion).toBe(
      fake.peek(ref)?.metadata.resourceVersion,
    );
    expect(fake.writes()).toHaveLength(2);
    expect(patchedFake.ok && fake.peek(ref)?.metadata.generation).toBe(1);

    // A replace with the object as first sent (no defaults, current resourceVersion).
    const sent = statefulSet(real.metadata.name ?? '', {});
    const rvReal = real.metadata.resourceVersion;
    const rvFake = fake.peek(ref)?.metadata.resourceVersion;
    const [replacedReal, replacedFake] = await diff.both(fake, (k) =>
      k.replace({
        ...sent,
        metadata: { ...sent.metadata, resourceVersion: diff.isReal(k) ? rvReal : rvFake },
      }),
    );
    expect(replacedReal.ok && replacedReal.value.metadata.resourceVersion).toBe(rvReal);
    expect(replacedFake.ok && replacedFake.value.metadata.resourceVersion).toBe(rvFake);
  });

  it('a patch that adds containers gets them defaulted on both', async () => {
    const { real, fake } = await createOnBoth(statefulSet(fresh('add'), {}));
    const ref = refOf(real);
    const patch: Patch = {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              initContainers: [{ name: 'init', image: 'ghcr.io/angelnu/pod-gateway:v1.13.0' }],
              containers: [
                {
                  name: 'side',
                  image: 'registry.invalid/side',
                  ports: [{ containerPort: 4789, protocol: 'UDP' }, { containerPort: 8080 }],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: 'settings' } }],
            },
          },
        },
      },
    };
    const [patchedReal, patchedFake] = await diff.both(fake, (k) => k.patch(ref, patch));
    if (!patchedReal.ok || !patchedFake.ok) throw new Error('both patches should succeed');
    expect(comparable(patchedFake.value)).toEqual(comparable(patchedReal.value));
  });

  it('the same object with another default value is a change on both', async () => {
    const { real, fake } = await createOnBoth(statefulSet(fresh('explicit'), {}));
    const ref = refOf(real);
    const patch: Patch = {
      type: 'strategic',
      body: {
        spec: { template: { spec: { containers: [{ name: 'app', imagePullPolicy: 'Always' }] } } },
      },
    };
    const [patchedReal, patchedFake] = await diff.both(fake, (k) => k.patch(ref, patch));
    if (!patchedReal.ok || !patchedFake.ok) throw new Error('both patches should succeed');
    expect(patchedReal.value.metadata.generation).toBe(2);
    expect(comparable(patchedFake.value)).toEqual(comparable(patchedReal.value));
  });
});

describe('the no-op a capability relies on', () => {
  const capabilityPatch = gatewayCapabilityPatch();

  it('the second identical patch writes nothing on either; the first is seen as a change by a naive comparison on both', async () => {
    const minimal = statefulSet(fresh('noop'), {});
    const { real, fake } = await createOnBoth(minimal);
    const ref = refOf(real);

    // Read back: both hold fields the controller never sent.
    const [readReal, readFake] = await diff.both(fake, (k) => k.get<StatefulSet>(ref));
    if (!readReal.ok || !readFake.ok) throw new Error('both reads should succeed');
    expect(comparable(readFake.value)).toEqual(comparable(readReal.value));
    const sentContainer = minimal.spec.template.spec.containers[0];
    for (const read of [readReal.value, readFake.value]) {
      expect(jsonEqual(read.spec.template.spec.containers[0], sentContainer)).toBe(false);
    }

    const [firstReal, firstFake] = await diff.both(fake, (k) =>
      k.patch<StatefulSet>(ref, capabilityPatch),
    );
    if (!firstReal.ok || !firstFake.ok) throw new Error('both first patches should succeed');
    expect(comparable(firstFake.value)).toEqual(comparable(firstReal.value));
    expect(firstReal.value.metadata.generation).toBe(2);

    const [secondReal, secondFake] = await diff.both(fake, (k) =>
      k.patch<StatefulSet>(ref, capabilityPatch),
    );
    if (!secondReal.ok || !secondFake.ok) throw new Error('both second patches should succeed');
    expect(secondReal.value.metadata.resourceVersion).toBe(
      firstReal.value.metadata.resourceVersion,
    );
    expect(secondFake.value.metadata.resourceVersion).toBe(
      firstFake.value.metadata.resourceVersion,
    );
    expect(secondFake.value.metadata.generation).toBe(2);
    expect(comparable(secondFake.value)).toEqual(comparable(secondReal.value));
  });

  it('an invalid capability patch fails the same way on both', async () => {
    const { real, fake } = await createOnBoth(statefulSet(fresh('invalid'), {}));
    const broken: Patch = {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'gateway-sidecar',
                  image: 'x',
                  volumeMounts: [{ name: 'missing', mountPath: '/config' }],
                },
              ],
            },
          },
        },
      },
    };
    const [patchedReal, patchedFake] = await diff.both(fake, (k) => k.patch(refOf(real), broken));
    expectSameFailure(patchedReal, patchedFake);
  });
});
