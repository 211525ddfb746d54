/**
 * The API server's defaulting of pod specs, for `FakeCluster`: what kube-apiserver v1.37 fills in
 * when it decodes a Pod or a workload's pod template (StatefulSet, Deployment, DaemonSet,
 * ReplicaSet, Job), whether the request is a create, a replace or a patch.
 *
 * This decides whether a reconcile is a no-op. A controller that compares the container it wants
 * (`{name, image}`) with the one it reads back sees `imagePullPolicy`, `terminationMessagePath`,
 * `resources: {}`... that it never sent; unless the fake adds them too, "0 writes on the next
 * hook" passes in a unit test and fails on a cluster. Every default here is checked against a
 * real server by tests/testing/fake-defaults.diff.int.test.ts.
 *
 * Modelled: containers, init and ephemeral containers (pull policy from the image tag, termination
 * message path/policy, `resources: {}`, port protocol, `fieldRef.apiVersion`, probe timings, HTTP
 * probe/hook path and scheme, gRPC service), the pod spec (restart and DNS policy, scheduler,
 * `securityContext: {}`, grace period, service account mirror), volumes
 * (no source means `emptyDir: {}`, hostPath type, configMap/secret/downwardAPI/projected
 * `defaultMode: 420`, token expiry, ephemeral claim templates), and for Pods alone requests copied
 * from limits, `enableServiceLinks` and host-network host ports; quantities in resources and
 * `emptyDir.sizeLimit` are stored in the server's canonical text (fake-quantity.ts). Not modelled:
 * defaults of the legacy in-tree volume types (iscsi, rbd, azureDisk, scaleIO) and pod-level
 * resources beyond their quantities.
 */
import { isPlainObject, type JsonObject, type JsonValue } from '../core/json.js';
import { dropZeroValues } from '../kube/zero-values.js';
import { canonicalQuantity, canonicalRequirements } from '../kube/stored-quantity.js';

/** Volume sources in the order kube-apiserver counts them (validation reports the second one). */
export const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const;

/** The file mode configMap, secret, downwardAPI and projected volumes get: 0644. */
const DEFAULT_MODE = 420;

/** `value[key]` when it is an object. */
export function child(value: JsonObject, key: string): JsonObject | undefined {
  const found = value[key];
  return isPlainObject(found) ? found : undefined;
}

/** Calls `fn` for every object in `value[key]` when that is a list. */
export function eachIn(value: JsonObject | undefined, key: string, fn: (item: JsonObject) => void) {
  const list = value?.[key];
  if (Array.isArray(list)) for (const item of list) if (isPlainObject(item)) fn(item);
}

/** Sets `key` when it is absent (Go: a nil pointer, map or slice). */
export function orSet(target: JsonObject, key: string, value: JsonValue): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

/** Sets `key` when it is absent or empty (Go: a string field left `""`). */
export function orSetString(target: JsonObject, key: string, value: string): void {
  if (target[key] === undefined || target[key] === null || target[key] === '') target[key] = value;
}

/** Sets `key` when it is absent or zero (Go: an int field left `0`). */
function orSetNumber(target: JsonObject, key: string, value: number): void {
  if (target[key] === undefined || target[key] === null || target[key] === 0) target[key] = value;
}

/**
 * The pull policy the server gives a container without one: `Always` when the image's tag is
 * `latest` (an image named without tag or digest counts as `:latest`), `IfNotPresent` otherwise
 * (including a digest without tag, and a reference the server cannot parse).
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  if (name === '' || /[A-Z]/.test(name)) return 'IfNotPresent';
  const colon = name.indexOf(':', name.lastIndexOf('/') + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : at >= 0 ? '' : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultFieldRef(holder: JsonObject | undefined): void {
  const fieldRef = holder && child(holder, 'fieldRef');
  if (fieldRef) orSetString(fieldRef, 'apiVersion', 'v1');
}

function defaultHttpGet(handler: JsonObject | undefined): void {
  const httpGet = handler && child(handler, 'httpGet');
  if (!httpGet) return;
  orSetString(httpGet, 'path', '/');
  orSetString(httpGet, 'scheme', 'HTTP');
}

function defaultProbe(probe: JsonObject | undefined): void {
  if (!probe) return;
  dropZeroValues(probe, 'probe');
  orSetNumber(probe, 'timeoutSeconds', 1);
  orSetNumber(probe, 'periodSeconds', 10);
  orSetNumber(probe, 'successThreshold', 1);
  orSetNumber(probe, 'failureThreshold', 3);
  defaultHttpGet(probe);
  const grpc = child(probe, 'grpc');
  if (grpc) orSet(grpc, 'service', '');
}

/** Defaults one container (regular, init or ephemeral). */
export function defaultContainer(container: JsonObject): void {
  dropZeroValues(container, 'container');
  eachIn(container, 'volumeMounts', (mount) => dropZeroValues(mount, 'volumeMount'));
  const image = typeof container.image === 'string' ? container.image : '';
  orSetString(container, 'imagePullPolicy', defaultPullPolicy(image));
  orSetString(container, 'terminationMessagePath', '/dev/termination-log');
  orSetString(container, 'terminationMessagePolicy', 'File');
  orSet(container, 'resources', {});
  canonicalRequirements(child(container, 'resources'));
  eachIn(container, 'ports', (port) => {
    dropZeroValues(port, 'containerPort');
    orSetString(port, 'protocol', 'TCP');
  });
  eachIn(container, 'env', (env) => {
    dropZeroValues(env, 'envVar');
    const valueFrom = child(env, 'valueFrom');
    defaultFieldRef(valueFrom);
  });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    defaultProbe(child(container, probe));
  }
  const lifecycle = child(container, 'lifecycle');
  if (lifecycle) {
    defaultHttpGet(child(lifecycle, 'postStart'));
    defaultHttpGet(child(lifecycle, 'preStop'));
  }
}

/** Defaults one volume of a pod spec. */
function defaultVolume(volume: JsonObject): void {
  if (!VOLUME_SOURCES.some((source) => volume[source] !== undefined && volume[source] !== null)) {
    volume.emptyDir = {};
    return;
  }
  const hostPath = child(volume, 'hostPath');
  if (hostPath) orSet(hostPath, 'type', '');
  const emptyDir = child(volume, 'emptyDir');
  if (emptyDir) dropZeroValues(emptyDir, 'emptyDir');
  if (typeof emptyDir?.sizeLimit === 'string') {
    emptyDir.sizeLimit = canonicalQuantity(emptyDir.sizeLimit, false);
  }
  for (const source of ['secret', 'configMap'] as const) {
    const found = child(volume, source);
    if (found) orSet(found, 'defaultMode', DEFAULT_MODE);
  }
  const downwardAPI = child(volume, 'downwardAPI');
  if (downwardAPI) {
    orSet(downwardAPI, 'defaultMode', DEFAULT_MODE);
    eachIn(downwardAPI, 'items', defaultFieldRef);
  }
  const projected = child(volume, 'projected');
  if (projected) {
    orSet(projected, 'defaultMode', DEFAULT_MODE);
    eachIn(projected, 'sources', (source) => {
      eachIn(child(source, 'downwardAPI'), 'items', defaultFieldRef);
      const token = child(source, 'serviceAccountToken');
      if (token) orSet(token, 'expirationSeconds', 3600);
    });
  }
  const claimTemplate = child(child(volume, 'ephemeral') ?? {}, 'volumeClaimTemplate');
  if (claimTemplate) {
    orSet(claimTemplate, 'metadata', {});
    const spec = child(claimTemplate, 'spec');
    if (spec) defaultClaimSpec(spec);
  }
}

/** The defaults of a PersistentVolumeClaim spec (also in claim templates). */
export function defaultClaimSpec(spec: JsonObject): void {
  orSet(spec, 'volumeMode', 'Filesystem');
  canonicalRequirements(child(spec, 'resources'));
}

/** Defaults a pod spec in place: a Pod's `spec` or a workload template's `spec.template.spec`. */
export function defaultPodSpec(spec: JsonObject): void {
  dropZeroValues(spec, 'podSpec');
  eachIn(spec, 'volumes', defaultVolume);
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    eachIn(spec, list, defaultContainer);
  }
  orSetString(spec, 'restartPolicy', 'Always');
  orSet(spec, 'terminationGracePeriodSeconds', 30);
  orSetString(spec, 'dnsPolicy', 'ClusterFirst');
  orSet(spec, 'securityContext', {});
  orSetString(spec, 'schedulerName', 'default-scheduler');
  canonicalRequirements(child(spec, 'resources'));
  // The deprecated `serviceAccount` mirrors `serviceAccountName` (either one may be sent).
  const account = spec.serviceAccountName || spec.serviceAccount;
  if (typeof account === 'string' && account !== '') {
    spec.serviceAccountName = account;
    spec.serviceAccount = account;
  }
}

/** Defaults a Pod (its spec, plus what only Pods get). */
export function defaultPod(pod: JsonObject): void {
  const spec = child(pod, 'spec');
  if (!spec) return;
  defaultPodSpec(spec);
  for (const list of ['initContainers', 'containers']) {
    eachIn(spec, list, (container) => {
      const resources = child(container, 'resources');
      const limits = resources && child(resources, 'limits');
      if (!resources || !limits) return;
      const requests = child(resources, 'requests') ?? {};
      for (const [name, value] of Object.entries(limits))
        if (!(name in requests)) requests[name] = value;
      resources.requests = requests;
    });
  }
  orSet(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const list of ['initContainers', 'containers']) {
      eachIn(spec, list, (container) =>
        eachIn(container, 'ports', (port) => {
          if (!port.hostPort) port.hostPort = port.containerPort ?? 0;
        }),
      );
    }
  }
}
