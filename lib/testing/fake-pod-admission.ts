/**
 * What kube-apiserver's default admission plugins add to a Pod when it is created, for
 * `FakeCluster` (Pods a test creates and Pods the simulated StatefulSet controller creates):
 *
 * - ServiceAccount: `serviceAccountName: default` when none is named, and — unless the pod or its
 *   ServiceAccount opts out with `automountServiceAccountToken: false` — the projected
 *   `kube-api-access-<suffix>` volume (token, cluster CA, namespace) mounted read-only at
 *   /var/run/secrets/kubernetes.io/serviceaccount in every container that has nothing there;
 * - DefaultTolerationSeconds: tolerate `not-ready` and `unreachable` for 300 s;
 * - Priority: `priority` from the named PriorityClass (0 without one) and `preemptionPolicy`;
 * - the pod strategy's `status.qosClass` (Guaranteed, Burstable or BestEffort).
 *
 * Only on create: an update never adds them again. The token volume's suffix is derived from the
 * pod's name, so it is stable in a test (the server's is random).
 */
import { isPlainObject, type JsonObject } from '../core/json.js';
import { child, eachIn, orSet } from './fake-defaults-pod.js';
import type { ObjectStore } from './fake-store.js';

const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const TOLERATED = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** Applies the create-time admission of a Pod in place (see the module comment). */
export function admitPod(pod: JsonObject, store: ObjectStore): void {
  const spec = child(pod, 'spec');
  if (!spec) return;
  const metadata = child(pod, 'metadata') ?? {};
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') {
    spec.serviceAccountName = 'default';
    spec.serviceAccount = 'default';
  }
  const account = store.get({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    namespace,
    name: spec.serviceAccountName,
  });
  const automount = spec.automountServiceAccountToken ?? account?.automountServiceAccountToken;
  if (automount !== false) mountToken(spec, `${String(metadata.name ?? '')}/${namespace}`);
  addTolerations(spec);
  setPriority(spec, store);
  const status = child(pod, 'status') ?? {};
  status.qosClass = qosClass(spec);
  pod.status = status;
}

function mountToken(spec: JsonObject, seed: string): void {
  const needing: JsonObject[] = [];
  for (const list of ['initContainers', 'containers']) {
    eachIn(spec, list, (container) => {
      const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
      if (!mounts.some((m) => isPlainObject(m) && m.mountPath === TOKEN_PATH)) {
        needing.push(container);
      }
    });
  }
  if (needing.length === 0) return;
  const name = `kube-api-access-${suffix(seed)}`;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.push({
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
      defaultMode: 420,
    },
  });
  spec.volumes = volumes;
  for (const container of needing) {
    const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
    mounts.push({ name, readOnly: true, mountPath: TOKEN_PATH });
    container.volumeMounts = mounts;
  }
}

/** Five characters from the server's suffix alphabet, derived from `seed` (FNV-1a). */
function suffix(seed: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SUFFIX_ALPHABET[hash % SUFFIX_ALPHABET.length];
    hash = Math.floor(hash / SUFFIX_ALPHABET.length);
  }
  return out;
}

function addTolerations(spec: JsonObject): void {
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const covers = (key: string): boolean =>
    tolerations.some(
      (t) =>
        isPlainObject(t) &&
        (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute') &&
        ((t.operator === 'Exists' && (t.key === undefined || t.key === '')) || t.key === key),
    );
  for (const key of TOLERATED) {
    if (covers(key)) continue;
    tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

function setPriority(spec: JsonObject, store: ObjectStore): void {
  const className = spec.priorityClassName;
  const classes = store.list({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass' });
  const chosen =
    typeof className === 'string' && className !== ''
      ? classes.find((c) => c.metadata.name === className)
      : classes.find((c) => c.globalDefault === true);
  if (chosen && (className === undefined || className === '')) {
    spec.priorityClassName = chosen.metadata.name ?? '';
  }
  orSet(spec, 'priority', typeof chosen?.value === 'number' ? chosen.value : 0);
  orSet(
    spec,
    'preemptionPolicy',
    typeof chosen?.preemptionPolicy === 'string' ? chosen.preemptionPolicy : 'PreemptLowerPriority',
  );
}

/** The pod's QoS class from its containers' requests and limits (cpu and memory). */
export function qosClass(spec: JsonObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers: JsonObject[] = [];
  for (const list of ['initContainers', 'containers'])
    eachIn(spec, list, (c) => containers.push(c));
  let any = false;
  let guaranteed = true;
  for (const container of containers) {
    const resources = child(container, 'resources') ?? {};
    const requests = child(resources, 'requests') ?? {};
    const limits = child(resources, 'limits') ?? {};
    for (const name of ['cpu', 'memory']) {
      const request = requests[name];
      const limit = limits[name];
      if (isSet(request) || isSet(limit)) any = true;
      if (!isSet(limit) || (isSet(request) && request !== limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function isSet(quantity: unknown): boolean {
  return typeof quantity === 'string' && quantity !== '' && !/^0+(\.0*)?[a-zA-Z]*$/.test(quantity);
}
