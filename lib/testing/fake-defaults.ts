/**
 * The API server's defaulting, kind by kind, for `FakeCluster`: what kube-apiserver v1.37 fills in
 * on every write (create, replace, patch) before it validates and stores an object. Defaults are
 * idempotent, so a write that only omits a defaulted field stores nothing new — on the server and
 * here — and a patch that sets one to `null` gets it back.
 *
 * Pod specs are in fake-defaults-pod.ts, Services in fake-services.ts; the create-only admission
 * plugins in fake-admission.ts. Modelled here: StatefulSet (`replicas`, `podManagementPolicy`,
 * `updateStrategy` with `partition` and `maxUnavailable`, `revisionHistoryLimit`,
 * `persistentVolumeClaimRetentionPolicy`, `serviceName: ""`, claim templates as PVCs with
 * `volumeMode` and a Pending status), Deployment, DaemonSet and ReplicaSet spec defaults, the pod
 * template of every workload kind including Job (whose own spec defaults are not modelled),
 * NetworkPolicy (`podSelector: {}`, `policyTypes`, port protocol), PersistentVolumeClaim and
 * PersistentVolume (`volumeMode`, reclaim policy, hostPath type), Secret `type` and `stringData` (folded into
 * `data`), and the Namespace name label.
 */
import { isPlainObject, type JsonObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import {
  child,
  defaultClaimSpec,
  defaultPod,
  defaultPodSpec,
  eachIn,
  orSet,
  orSetString,
} from './fake-defaults-pod.js';
import { dropZeroValues } from '../kube/zero-values.js';
import { canonicalResourceList } from '../kube/stored-quantity.js';
import { defaultService } from './fake-services.js';

type Defaulter = (object: JsonObject) => void;

const DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  'v1/Pod': defaultPod,
  'v1/Service': defaultService,
  'v1/Secret': defaultSecret,
  'v1/Namespace': defaultNamespace,
  'v1/PersistentVolumeClaim': (claim) => withSpec(claim, defaultClaimSpec),
  'v1/PersistentVolume': (volume) =>
    withSpec(volume, (spec) => {
      orSetString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
      orSet(spec, 'volumeMode', 'Filesystem');
      canonicalResourceList(spec.capacity);
      const hostPath = child(spec, 'hostPath');
      if (hostPath) orSet(hostPath, 'type', '');
    }),
  'apps/v1/StatefulSet': defaultStatefulSet,
  'apps/v1/Deployment': defaultDeployment,
  'apps/v1/DaemonSet': defaultDaemonSet,
  'apps/v1/ReplicaSet': (set) =>
    withSpec(set, (spec) => {
      orSet(spec, 'replicas', 1);
      defaultTemplate(spec);
    }),
  'batch/v1/Job': (job) => withSpec(job, defaultTemplate),
  'networking.k8s.io/v1/NetworkPolicy': defaultNetworkPolicy,
};

/** Fills in the server's defaults for `object`'s kind, in place. */
export function applyDefaults(object: KubeObject): void {
  const defaulter = DEFAULTERS[`${object.apiVersion}/${object.kind}`];
  if (defaulter) defaulter(object as unknown as JsonObject);
}

function withSpec(object: JsonObject, fn: (spec: JsonObject) => void): void {
  const spec = child(object, 'spec');
  if (spec) fn(spec);
}

function defaultTemplate(spec: JsonObject): void {
  const podSpec = child(child(spec, 'template') ?? {}, 'spec');
  if (podSpec) defaultPodSpec(podSpec);
}

function defaultStatefulSet(set: JsonObject): void {
  const spec = child(set, 'spec');
  if (!spec) return;
  dropZeroValues(spec, 'statefulSetSpec');
  orSetString(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy') ?? {};
  spec.updateStrategy = strategy;
  if (strategy.type === undefined || strategy.type === '') {
    strategy.type = 'RollingUpdate';
    orSet(strategy, 'rollingUpdate', {});
  }
  const rolling = child(strategy, 'rollingUpdate');
  if (strategy.type === 'RollingUpdate' && rolling) {
    orSet(rolling, 'partition', 0);
    orSet(rolling, 'maxUnavailable', 1);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy') ?? {};
  orSetString(retention, 'whenDeleted', 'Retain');
  orSetString(retention, 'whenScaled', 'Retain');
  spec.persistentVolumeClaimRetentionPolicy = retention;
  orSet(spec, 'replicas', 1);
  orSet(spec, 'revisionHistoryLimit', 10);
  // `serviceName` has no omitempty: the server always writes it, empty when unset.
  orSet(spec, 'serviceName', '');
  eachIn(spec, 'volumeClaimTemplates', (template) => {
    orSetString(template, 'apiVersion', 'v1');
    orSetString(template, 'kind', 'PersistentVolumeClaim');
    const claimSpec = child(template, 'spec');
    if (claimSpec) defaultClaimSpec(claimSpec);
    const status = child(template, 'status') ?? {};
    orSetString(status, 'phase', 'Pending');
    template.status = status;
  });
  defaultTemplate(spec);
}

/**
 * A Deployment's or DaemonSet's strategy at `field`: type RollingUpdate unless set, and for
 * RollingUpdate the given parameters where absent.
 */
function defaultRollingStrategy(spec: JsonObject, field: string, rolling: JsonObject): void {
  const strategy = child(spec, field) ?? {};
  spec[field] = strategy;
  orSetString(strategy, 'type', 'RollingUpdate');
  if (strategy.type !== 'RollingUpdate') return;
  const parameters = child(strategy, 'rollingUpdate') ?? {};
  for (const [key, value] of Object.entries(rolling)) orSet(parameters, key, value);
  strategy.rollingUpdate = parameters;
}

function defaultDeployment(deployment: JsonObject): void {
  withSpec(deployment, (spec) => {
    orSet(spec, 'replicas', 1);
    defaultRollingStrategy(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
    orSet(spec, 'revisionHistoryLimit', 10);
    orSet(spec, 'progressDeadlineSeconds', 600);
    defaultTemplate(spec);
  });
}

function defaultDaemonSet(set: JsonObject): void {
  withSpec(set, (spec) => {
    defaultRollingStrategy(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
    orSet(spec, 'revisionHistoryLimit', 10);
    defaultTemplate(spec);
  });
}

function defaultNetworkPolicy(policy: JsonObject): void {
  const spec = child(policy, 'spec') ?? {};
  policy.spec = spec;
  orSet(spec, 'podSelector', {});
  for (const direction of ['ingress', 'egress']) {
    eachIn(spec, direction, (rule) =>
      eachIn(rule, 'ports', (port) => orSet(port, 'protocol', 'TCP')),
    );
  }
  const types = spec.policyTypes;
  if (!Array.isArray(types) || types.length === 0) {
    const egress = spec.egress;
    spec.policyTypes =
      Array.isArray(egress) && egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** `type: Opaque`, and the write-only `stringData` folded into `data` (base64). */
function defaultSecret(secret: JsonObject): void {
  orSetString(secret, 'type', 'Opaque');
  const stringData = child(secret, 'stringData');
  if (!stringData) return;
  const data = child(secret, 'data') ?? {};
  for (const [key, value] of Object.entries(stringData)) {
    if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  secret.data = data;
  delete secret.stringData;
}

function defaultNamespace(namespace: JsonObject): void {
  const metadata = child(namespace, 'metadata');
  const name = metadata?.name;
  if (!metadata || typeof name !== 'string' || name === '') return;
  const labels = isPlainObject(metadata.labels) ? metadata.labels : {};
  labels['kubernetes.io/metadata.name'] = name;
  metadata.labels = labels;
}
