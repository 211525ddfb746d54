/**
 * Differential fidelity test: every strategic merge patch below is applied to the same object on
 * the real kube-apiserver and on `FakeCluster`, and the results must be equal.
 *
 * How each case runs:
 * 1. the base object is created on the real server and the *defaulted* object it returns is what
 *    seeds the fake, so both start from byte-identical state;
 * 2. the same patch is sent to both (the real one through the charmkit adapter, as
 *    `application/strategic-merge-patch+json`);
 * 3. both succeed and yield the same object, or both fail with the same HTTP code and reason.
 *
 * What the comparison ignores, and why: server-managed metadata (`uid`, `resourceVersion`,
 * `generation`, `creationTimestamp`, `managedFields`) and `status` — not what a patch is about, and
 * tested in fake-cluster.diff.int.test.ts. Everything else must match exactly, list order and the
 * server's defaulting of what a patch introduces (a new container's `imagePullPolicy`, a new
 * volume's `defaultMode`...) included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { asKubernetesError, type KubernetesError } from '../../lib/kube/errors.js';
import type { KubePort, ObjectRef } from '../../lib/kube/port.js';
import type { KubeObject } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../support/cluster.js';

type Json = Record<string, unknown>;
type BaseName = 'statefulset' | 'configmap' | 'service' | 'deployment';

interface DiffCase {
  name: string;
  base: BaseName;
  /** Changes the base object before it is created (a variant of the base). */
  mutate?: (object: Json & KubeObject) => void;
  patch: Json;
}

const ns = useTestNamespace('smp-diff');
let port: KubePort;
const finalizerCleanup: ObjectRef[] = [];

beforeAll(() => {
  port = createKubePort({ kubeconfigPath, retry: { maxAttempts: 1 } });
});

afterAll(async () => {
  // Objects with finalizers would keep the test namespace terminating forever.
  for (const ref of finalizerCleanup) {
    await port
      .patch(ref, { type: 'merge', body: { metadata: { finalizers: null } } })
      .catch(() => undefined);
  }
});

// ---- base objects ---------------------------------------------------------------------------------

function statefulSet(name: string): Json & KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      labels: { app: 'web', tier: 'backend' },
      annotations: { 'charmkit.dev/note': 'base' },
    },
    spec: {
      replicas: 0,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { 'charmkit.dev/rev': '1' } },
        spec: {
          initContainers: [
            {
              name: 'init',
              image: 'busybox:1',
              command: ['sh', '-c', 'true'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
          ],
          containers: [
            {
              name: 'app',
              image: 'web:1',
              command: ['/bin/web'],
              args: ['--port', '8080'],
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', value: '2' },
                { name: 'Z', value: '3' },
              ],
              ports: [
                { name: 'http', containerPort: 8080, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
              ],
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'config', mountPath: '/etc/web' },
              ],
              securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
              resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m' } },
            },
            { name: 'sidecar', image: 'side:1' },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'web-config' } },
            { name: 'scratch', emptyDir: {} },
          ],
          tolerations: [
            { key: 'a', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'b', operator: 'Equal', value: 'x', effect: 'NoExecute' },
          ],
          imagePullSecrets: [{ name: 'reg1' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          securityContext: { fsGroup: 1000, runAsUser: 1000 },
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
}

function configMap(name: string): Json & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'web' } },
    data: { a: '1', b: '2' },
  };
}

function service(name: string): Json & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  };
}

function deployment(name: string): Json & KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'api' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'api', image: 'api:1' }] },
      },
    },
  };
}

const BASES: Record<BaseName, (name: string) => Json & KubeObject> = {
  statefulset: statefulSet,
  configmap: configMap,
  service,
  deployment,
};

// ---- patch builders -------------------------------------------------------------------------------

/** A patch of the pod template spec. */
const podSpec = (spec: Json): Json => ({ spec: { template: { spec } } });
/** A patch of the `app` container. */
const app = (fields: Json): Json => podSpec({ containers: [{ name: 'app', ...fields }] });

function templateSpec(object: Json & KubeObject): Json {
  return ((object.spec as Json).template as Json).spec as Json;
}

function withoutInitContainers(object: Json & KubeObject): void {
  delete templateSpec(object).initContainers;
}

function withFinalizers(...finalizers: string[]) {
  return (object: Json & KubeObject): void => {
    object.metadata.finalizers = finalizers;
  };
}

// ---- the cases ------------------------------------------------------------------------------------

const CASES: DiffCase[] = [
  // containers
  { name: 'containers: change one image', base: 'statefulset', patch: app({ image: 'web:2' }) },
  {
    name: 'containers: a new container goes before the existing ones',
    base: 'statefulset',
    patch: podSpec({ containers: [{ name: 'new', image: 'new:1' }] }),
  },
  {
    name: 'containers: modify one and add one',
    base: 'statefulset',
    patch: podSpec({
      containers: [
        { name: 'sidecar', image: 'side:2' },
        { name: 'new', image: 'new:1' },
      ],
    }),
  },
  {
    name: 'containers: two new containers keep the patch order',
    base: 'statefulset',
    patch: podSpec({
      containers: [
        { name: 'n1', image: 'n:1' },
        { name: 'n2', image: 'n:1' },
      ],
    }),
  },
  {
    name: 'containers: patch order against the server order',
    base: 'statefulset',
    patch: podSpec({
      containers: [
        { name: 'sidecar', image: 'side:2' },
        { name: 'app', image: 'web:2' },
      ],
    }),
  },
  {
    name: 'containers: $patch: delete removes one',
    base: 'statefulset',
    patch: podSpec({ containers: [{ name: 'sidecar', $patch: 'delete' }] }),
  },
  {
    name: 'containers: $patch: replace replaces the list',
    base: 'statefulset',
    patch: podSpec({ containers: [{ name: 'only', image: 'only:1' }, { $patch: 'replace' }] }),
  },
  {
    name: 'containers: $setElementOrder reorders without changes',
    base: 'statefulset',
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] }),
  },
  {
    name: 'containers: $setElementOrder places a new container in the middle',
    base: 'statefulset',
    patch: podSpec({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'mid' }, { name: 'sidecar' }],
      containers: [{ name: 'mid', image: 'mid:1' }],
    }),
  },
  {
    name: 'containers: nulls inside a new container are dropped',
    base: 'statefulset',
    patch: podSpec({ containers: [{ name: 'n', image: 'n:1', args: null, workingDir: '/w' }] }),
  },
  // env
  {
    name: 'env: a new variable goes first',
    base: 'statefulset',
    patch: app({ env: [{ name: 'NEW', value: 'n' }] }),
  },
  {
    name: 'env: change a value',
    base: 'statefulset',
    patch: app({ env: [{ name: 'Y', value: '22' }] }),
  },
  {
    name: 'env: $patch: delete',
    base: 'statefulset',
    patch: app({ env: [{ name: 'X', $patch: 'delete' }] }),
  },
  {
    name: 'env: value replaced by valueFrom',
    base: 'statefulset',
    patch: app({
      env: [{ name: 'Z', value: null, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    }),
  },
  {
    name: 'env: patched and new variables interleave with the server order',
    base: 'statefulset',
    patch: app({
      env: [
        { name: 'Y', value: '22' },
        { name: 'NEW', value: 'n' },
      ],
    }),
  },
  {
    name: 'env: $setElementOrder alone',
    base: 'statefulset',
    patch: app({ '$setElementOrder/env': [{ name: 'Z' }, { name: 'X' }, { name: 'Y' }] }),
  },
  {
    name: 'env: $setElementOrder with a deletion and an addition',
    base: 'statefulset',
    patch: app({
      '$setElementOrder/env': [{ name: 'Z' }, { name: 'NEW' }, { name: 'X' }],
      env: [
        { name: 'NEW', value: 'n' },
        { name: 'Y', $patch: 'delete' },
      ],
    }),
  },
  // initContainers
  {
    name: 'initContainers: env merged inside an init container',
    base: 'statefulset',
    patch: podSpec({
      initContainers: [
        {
          name: 'init',
          env: [
            { name: 'B', value: '22' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    }),
  },
  {
    name: 'initContainers: a new init container',
    base: 'statefulset',
    patch: podSpec({ initContainers: [{ name: 'init2', image: 'busybox:1' }] }),
  },
  {
    name: 'initContainers: added to a template that has none',
    base: 'statefulset',
    mutate: withoutInitContainers,
    patch: podSpec({
      initContainers: [{ name: 'init', image: 'busybox:1', env: [{ name: 'A', value: '1' }] }],
    }),
  },
  {
    name: 'initContainers: directives in a list the template lacks are dropped',
    base: 'statefulset',
    mutate: withoutInitContainers,
    patch: podSpec({
      '$setElementOrder/initContainers': [{ name: 'i1' }],
      initContainers: [
        { name: 'i1', image: 'busybox:1' },
        { name: 'ghost', $patch: 'delete' },
      ],
    }),
  },
  // ports
  {
    name: 'ports: a new port',
    base: 'statefulset',
    patch: app({ ports: [{ containerPort: 7070, name: 'admin' }] }),
  },
  {
    name: 'ports: renamed by containerPort',
    base: 'statefulset',
    patch: app({ ports: [{ containerPort: 9090, name: 'prom' }] }),
  },
  {
    name: 'ports: deleted by containerPort',
    base: 'statefulset',
    patch: app({ ports: [{ containerPort: 9090, $patch: 'delete' }] }),
  },
  // volumeMounts
  {
    name: 'volumeMounts: the same volume at another mountPath is a new mount',
    base: 'statefulset',
    patch: app({ volumeMounts: [{ name: 'config', mountPath: '/etc/other' }] }),
  },
  {
    name: 'volumeMounts: readOnly set on an existing mountPath',
    base: 'statefulset',
    patch: app({ volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }] }),
  },
  {
    name: 'volumeMounts: deleted by mountPath',
    base: 'statefulset',
    patch: app({ volumeMounts: [{ mountPath: '/etc/web', $patch: 'delete' }] }),
  },
  {
    name: 'volumeMounts: $setElementOrder by mountPath',
    base: 'statefulset',
    patch: app({
      '$setElementOrder/volumeMounts': [{ mountPath: '/etc/web' }, { mountPath: '/data' }],
    }),
  },
  {
    name: 'volumeMounts: a new mount with a subPath',
    base: 'statefulset',
    patch: app({
      volumeMounts: [{ name: 'data', mountPath: '/var/log/web', subPath: 'logs' }],
    }),
  },
  // volumes
  {
    name: 'volumes: a new volume, mounted in the sidecar',
    base: 'statefulset',
    patch: podSpec({
      volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }],
      containers: [{ name: 'sidecar', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
    }),
  },
  {
    name: 'volumes: $retainKeys swaps the volume source',
    base: 'statefulset',
    patch: podSpec({
      volumes: [{ name: 'config', $retainKeys: ['name', 'emptyDir'], emptyDir: {} }],
    }),
  },
  {
    name: 'volumes: without $retainKeys both sources would stay (rejected)',
    base: 'statefulset',
    patch: podSpec({ volumes: [{ name: 'config', emptyDir: {} }] }),
  },
  {
    name: 'volumes: $patch: delete',
    base: 'statefulset',
    patch: podSpec({ volumes: [{ name: 'scratch', $patch: 'delete' }] }),
  },
  {
    name: 'volumes: added to a template that has none',
    base: 'statefulset',
    mutate: (o) => {
      delete templateSpec(o).volumes;
      const containers = templateSpec(o).containers as Json[];
      (containers[0] as Json).volumeMounts = [{ name: 'data', mountPath: '/data' }];
    },
    patch: podSpec({ volumes: [{ name: 'scratch', emptyDir: {} }] }),
  },
  // securityContext
  {
    name: 'securityContext: container fields merged one by one',
    base: 'statefulset',
    patch: app({ securityContext: { runAsUser: 1001 } }),
  },
  {
    name: 'securityContext: capability lists are replaced, not merged',
    base: 'statefulset',
    mutate: (o) => {
      const containers = templateSpec(o).containers as Json[];
      (containers[0] as Json).securityContext = {
        capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
      };
    },
    patch: app({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
  },
  {
    name: 'securityContext: pod-level $patch: replace',
    base: 'statefulset',
    patch: podSpec({ securityContext: { $patch: 'replace', runAsUser: 2000 } }),
  },
  {
    name: 'securityContext: pod-level $patch: delete leaves {}',
    base: 'statefulset',
    patch: podSpec({ securityContext: { $patch: 'delete' } }),
  },
  {
    name: 'securityContext: null removes the container one',
    base: 'statefulset',
    patch: app({ securityContext: null }),
  },
  {
    name: 'securityContext: a map directive for a field the container lacks is ignored',
    base: 'statefulset',
    patch: podSpec({
      containers: [{ name: 'sidecar', securityContext: { $patch: 'replace', runAsUser: 5 } }],
    }),
  },
  // lists without a strategy
  {
    name: 'tolerations are replaced whole',
    base: 'statefulset',
    patch: podSpec({ tolerations: [{ key: 'c', operator: 'Exists' }] }),
  },
  {
    name: 'args are replaced whole',
    base: 'statefulset',
    patch: app({ args: ['--port', '9000'] }),
  },
  {
    name: 'command is replaced whole',
    base: 'statefulset',
    patch: app({ command: ['/bin/other'] }),
  },
  { name: 'args: null deletes them', base: 'statefulset', patch: app({ args: null }) },
  {
    name: 'args: an empty list is the same as none',
    base: 'statefulset',
    patch: app({ args: [] }),
  },
  // maps
  {
    name: 'labels: added and removed',
    base: 'statefulset',
    patch: { metadata: { labels: { tier: null, team: 'media' } } },
  },
  {
    name: 'annotations: added and removed',
    base: 'statefulset',
    patch: { metadata: { annotations: { 'charmkit.dev/note': null, 'charmkit.dev/x': 'y' } } },
  },
  {
    name: 'annotations: removing the last one drops the map',
    base: 'statefulset',
    patch: { metadata: { annotations: { 'charmkit.dev/note': null } } },
  },
  {
    name: 'template annotations merged',
    base: 'statefulset',
    patch: { spec: { template: { metadata: { annotations: { 'charmkit.dev/rev': '2' } } } } },
  },
  {
    name: 'nodeSelector merged as a map',
    base: 'statefulset',
    patch: podSpec({ nodeSelector: { 'topology.kubernetes.io/zone': 'a' } }),
  },
  {
    name: 'imagePullSecrets merged by name',
    base: 'statefulset',
    patch: podSpec({ imagePullSecrets: [{ name: 'reg2' }] }),
  },
  {
    name: 'resources: limits merged as a map',
    base: 'statefulset',
    patch: app({ resources: { limits: { cpu: '500m' }, requests: { cpu: null } } }),
  },
  {
    name: 'scalar spec fields and a nested strategy',
    base: 'statefulset',
    patch: { spec: { minReadySeconds: 5, updateStrategy: { rollingUpdate: { partition: 1 } } } },
  },
  // finalizers
  {
    name: 'finalizers: added to an object without them',
    base: 'statefulset',
    patch: { metadata: { finalizers: ['charmkit.dev/a', 'charmkit.dev/b'] } },
  },
  {
    name: 'finalizers: union, patch items first',
    base: 'statefulset',
    mutate: withFinalizers('charmkit.dev/a', 'charmkit.dev/b'),
    patch: { metadata: { finalizers: ['charmkit.dev/c', 'charmkit.dev/a'] } },
  },
  {
    name: 'finalizers: $deleteFromPrimitiveList',
    base: 'statefulset',
    mutate: withFinalizers('charmkit.dev/a', 'charmkit.dev/b', 'charmkit.dev/c'),
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['charmkit.dev/b'] } },
  },
  {
    name: 'finalizers: $setElementOrder with an addition',
    base: 'statefulset',
    mutate: withFinalizers('charmkit.dev/a', 'charmkit.dev/b'),
    patch: {
      metadata: {
        '$setElementOrder/finalizers': ['charmkit.dev/b', 'charmkit.dev/c', 'charmkit.dev/a'],
        finalizers: ['charmkit.dev/c'],
      },
    },
  },
  // failures both must agree on
  {
    name: 'rejected: $patch: merge in a map (500)',
    base: 'statefulset',
    patch: podSpec({ securityContext: { $patch: 'merge' } }),
  },
  {
    name: 'rejected: an unknown $patch value (500)',
    base: 'statefulset',
    patch: podSpec({ securityContext: { $patch: 'bogus' } }),
  },
  {
    name: 'rejected: a list item without its merge key (500)',
    base: 'statefulset',
    patch: podSpec({ containers: [{ image: 'x:1' }] }),
  },
  {
    name: 'rejected: $retainKeys omitting a key the patch sets (400)',
    base: 'statefulset',
    patch: podSpec({ volumes: [{ name: 'config', $retainKeys: ['name'], emptyDir: {} }] }),
  },
  {
    name: 'rejected: $setElementOrder contradicting the patch list',
    base: 'statefulset',
    patch: podSpec({
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
      containers: [
        { name: 'sidecar', image: 'side:2' },
        { name: 'app', image: 'web:2' },
      ],
    }),
  },
  {
    name: 'rejected: volumeClaimTemplates are immutable (422)',
    base: 'statefulset',
    patch: {
      spec: {
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
          },
        ],
      },
    },
  },
  {
    name: 'rejected: a new container without an image (422)',
    base: 'statefulset',
    patch: podSpec({ containers: [{ name: 'noimage' }] }),
  },
  {
    name: 'rejected: a mount of a volume that does not exist (422)',
    base: 'statefulset',
    patch: app({ volumeMounts: [{ name: 'nope', mountPath: '/nope' }] }),
  },
  {
    name: 'rejected: template labels that no longer match the selector (422)',
    base: 'statefulset',
    patch: { spec: { template: { metadata: { labels: { app: 'other' } } } } },
  },
  // other kinds
  {
    name: 'configmap: data keys added and removed',
    base: 'configmap',
    patch: { data: { a: null, c: '3' } },
  },
  {
    name: 'configmap: deleting every key drops data',
    base: 'configmap',
    patch: { data: { a: null, b: null } },
  },
  {
    name: 'configmap: data replaced with $patch: replace',
    base: 'configmap',
    patch: { data: { $patch: 'replace', z: '26' } },
  },
  {
    name: 'configmap: labels removed entirely with null',
    base: 'configmap',
    patch: { metadata: { labels: null } },
  },
  {
    name: 'service: ports merged by port',
    base: 'service',
    patch: { spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } },
  },
  {
    name: 'service: targetPort of an existing port changed',
    base: 'service',
    patch: { spec: { ports: [{ port: 80, targetPort: 9000 }] } },
  },
  {
    name: 'service: selector merged as a map',
    base: 'service',
    patch: { spec: { selector: { tier: 'backend' } } },
  },
  {
    name: 'deployment: $retainKeys switches the rollout strategy',
    base: 'deployment',
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
  },
  {
    name: 'deployment: containers merged by name',
    base: 'deployment',
    patch: {
      spec: { template: { spec: { containers: [{ name: 'api', image: 'api:2', args: ['-v'] }] } } },
    },
  },
];

// ---- comparison -----------------------------------------------------------------------------------

/** The object without server-managed metadata and status. */
function comparable(object: KubeObject): Json {
  const copy = structuredClone(object) as Json & KubeObject;
  for (const field of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
  ]) {
    delete copy.metadata[field];
  }
  delete copy.status;
  return copy;
}

type Outcome = { ok: true; object: KubeObject } | { ok: false; error: KubernetesError };

async function outcome(promise: Promise<KubeObject>): Promise<Outcome> {
  try {
    return { ok: true, object: await promise };
  } catch (error) {
    // The adapter reports a 5xx it did not retry as RetryExhaustedError; look through it.
    const kubeError = asKubernetesError(error);
    if (kubeError) return { ok: false, error: kubeError };
    throw error;
  }
}

function describeOutcome(o: Outcome): Json {
  return o.ok
    ? { ok: true }
    : { ok: false, code: o.error.code, reason: o.error.reason, message: o.error.serverMessage };
}

describe('strategic merge patch: FakeCluster vs kube-apiserver', () => {
  it('has at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, testCase, index) => {
    const object = BASES[testCase.base](`diff-${index}`);
    object.metadata.namespace = ns.name;
    testCase.mutate?.(object);
    let live = await port.create(object);
    const ref: ObjectRef = {
      apiVersion: live.apiVersion,
      kind: live.kind,
      namespace: ns.name,
      name: live.metadata.name ?? '',
    };
    if (testCase.base === 'deployment') {
      // The deployment controller annotates a new Deployment with its revision; seed the fake
      // after that write, or the comparison would see the controller, not the patch.
      live = await waitUntil('the deployment revision annotation', async () => {
        const current = await port.get(ref);
        return current.metadata.annotations?.['deployment.kubernetes.io/revision']
          ? current
          : undefined;
      });
    }
    if (live.metadata.finalizers) finalizerCleanup.push(ref);
    const fake = new FakeCluster({ objects: [live] });

    const real = await outcome(port.patch(ref, { type: 'strategic', body: testCase.patch }));
    const simulated = await outcome(fake.patch(ref, { type: 'strategic', body: testCase.patch }));
    if (real.ok && real.object.metadata.finalizers) finalizerCleanup.push(ref);

    if (real.ok !== simulated.ok) {
      // Fails, showing both outcomes side by side.
      expect(describeOutcome(simulated)).toEqual(describeOutcome(real));
    } else if (real.ok && simulated.ok) {
      expect(comparable(simulated.object)).toEqual(comparable(real.object));
    } else if (!real.ok && !simulated.ok) {
      expect({ code: simulated.error.code, reason: simulated.error.reason }).toEqual({
        code: real.error.code,
        reason: real.error.reason,
      });
      if (real.error.code === 422) {
        // Validation: the same fields, for the same reasons (values are printed differently).
        const causes = (e: KubernetesError) =>
          e.causes.map((c) => `${c.field ?? ''} ${c.reason ?? ''}`);
        expect(causes(simulated.error)).toEqual(causes(real.error));
      } else {
        expect(simulated.error.serverMessage).toBe(real.error.serverMessage);
      }
    }
  });
});
