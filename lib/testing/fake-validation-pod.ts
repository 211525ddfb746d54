/**
 * Validation of pod specs, for `FakeCluster` (Pods and the pod templates of workload kinds): the
 * mistakes a self-patching controller makes, rejected with kube-apiserver v1.37's 422 wording.
 *
 * Checked: no containers; a container without `name` or `image`; duplicate container names
 * (across containers and initContainers); ports (number required and in range, protocol, IANA
 * name, duplicate names); `imagePullPolicy`; env names; duplicate volume names; a volume with no
 * source or with more than one (e.g. a source swapped without `$retainKeys`); configMap/secret
 * volumes without a name or with a `defaultMode` above 0777; a volumeMount naming a volume that
 * does not exist (for StatefulSets, volumeClaimTemplates count as volumes); two mounts on one
 * mountPath in one container; `restartPolicy` (workload templates allow only `Always`);
 * `dnsPolicy`, and `dnsConfig` required with `dnsPolicy: None`.
 */
import { isPlainObject, type JsonObject } from '../core/json.js';
import type { Container, Volume } from '../kube/types.js';
import {
  duplicate,
  forbidden,
  invalid,
  notFoundField,
  notSupported,
  required,
  type FieldError,
} from './fake-errors.js';
import { VOLUME_SOURCES } from './fake-defaults-pod.js';
import { portNameErrors, portNumberErrors } from './fake-validation-meta.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** What the pod spec's owner allows as `restartPolicy`. */
export type RestartPolicies = readonly string[];

/** Errors of the pod spec at `path`; `claimVolumes` are volumes a StatefulSet adds. */
export function validatePodSpec(
  spec: unknown,
  path: string,
  claimVolumes: Volume[],
  restartPolicies: RestartPolicies,
): FieldError[] {
  if (!isPlainObject(spec)) return [required(path)];
  const errors: FieldError[] = [];
  const containers = listOf<Container>(spec.containers);
  const initContainers = listOf<Container>(spec.initContainers);
  const own = listOf<Volume>(spec.volumes);
  const claimNames = new Set(claimVolumes.map((v) => v.name));
  const volumes = [...claimVolumes, ...own.filter((v) => !claimNames.has(v.name))];

  // Only volumes without errors can be mounted, as on the server.
  const volumeNames = new Set<string>();
  volumes.forEach((volume, i) => {
    const at = `${path}.volumes[${i}]`;
    const volumeErrors: FieldError[] = [];
    if (!volume.name) volumeErrors.push(required(`${at}.name`));
    else if (volumeNames.has(volume.name)) volumeErrors.push(duplicate(`${at}.name`, volume.name));
    volumeErrors.push(...validateVolumeSource(volume, at));
    if (volumeErrors.length === 0) volumeNames.add(volume.name);
    errors.push(...volumeErrors);
  });

  if (containers.length === 0) errors.push(required(`${path}.containers`));
  const containerNames = new Set<string>();
  const checkContainers = (list: Container[], field: string): void => {
    list.forEach((container, i) => {
      const at = `${path}.${field}[${i}]`;
      if (!container.name) errors.push(required(`${at}.name`));
      else if (containerNames.has(container.name))
        errors.push(duplicate(`${at}.name`, container.name));
      else containerNames.add(container.name);
      if (!container.image) errors.push(required(`${at}.image`));
      errors.push(...validatePorts(container, at));
      (container.env ?? []).forEach((env, j) => {
        if (!env.name) errors.push(required(`${at}.env[${j}].name`));
      });
      const mountPaths = new Set<string>();
      (container.volumeMounts ?? []).forEach((mount, j) => {
        const mountAt = `${at}.volumeMounts[${j}]`;
        if (!mount.name) errors.push(required(`${mountAt}.name`));
        else if (!volumeNames.has(mount.name))
          errors.push(notFoundField(`${mountAt}.name`, mount.name));
        if (!mount.mountPath) errors.push(required(`${mountAt}.mountPath`));
        else if (mountPaths.has(mount.mountPath)) {
          errors.push(invalid(`${mountAt}.mountPath`, mount.mountPath, 'must be unique'));
        } else mountPaths.add(mount.mountPath);
      });
      const policy = container.imagePullPolicy;
      if (typeof policy === 'string' && !PULL_POLICIES.includes(policy)) {
        errors.push(notSupported(`${at}.imagePullPolicy`, policy, PULL_POLICIES));
      }
    });
  };
  // The server checks containers before initContainers (a clash is reported on the init one).
  checkContainers(containers, 'containers');
  checkContainers(initContainers, 'initContainers');

  if (typeof spec.restartPolicy === 'string' && !restartPolicies.includes(spec.restartPolicy)) {
    errors.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  if (typeof spec.dnsPolicy === 'string' && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    errors.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  }
  if (spec.dnsPolicy === 'None' && !isPlainObject(spec.dnsConfig)) {
    errors.push(required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  return errors;
}

function listOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as unknown as T[]) : [];
}

function validatePorts(container: Container, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  listOf<JsonObject>(container.ports).forEach((port, i) => {
    const portAt = `${at}.ports[${i}]`;
    if (typeof port.name === 'string' && port.name !== '') {
      for (const detail of portNameErrors(port.name)) {
        errors.push(invalid(`${portAt}.name`, port.name, detail));
      }
      if (names.has(port.name)) errors.push(duplicate(`${portAt}.name`, port.name));
      names.add(port.name);
    }
    const number = typeof port.containerPort === 'number' ? port.containerPort : 0;
    if (number === 0) errors.push(required(`${portAt}.containerPort`));
    else
      for (const detail of portNumberErrors(number)) {
        errors.push(invalid(`${portAt}.containerPort`, number, detail));
      }
    if (typeof port.hostPort === 'number' && port.hostPort !== 0) {
      for (const detail of portNumberErrors(port.hostPort)) {
        errors.push(invalid(`${portAt}.hostPort`, port.hostPort, detail));
      }
    }
    if (typeof port.protocol === 'string' && !PROTOCOLS.includes(port.protocol)) {
      errors.push(notSupported(`${portAt}.protocol`, port.protocol, PROTOCOLS));
    }
  });
  return errors;
}

/**
 * Exactly one source per volume. Switching a volume's source with a strategic merge patch but
 * without `$retainKeys` leaves both sources in place, which the server rejects: worth catching.
 */
function validateVolumeSource(volume: Volume, path: string): FieldError[] {
  const present = VOLUME_SOURCES.filter(
    (source) => volume[source] !== undefined && volume[source] !== null,
  );
  if (present.length === 0) return [required(path, 'must specify a volume type')];
  const errors = present
    .slice(1)
    .map((source) => forbidden(`${path}.${source}`, 'may not specify more than 1 volume type'));
  for (const [source, nameField] of [
    ['configMap', 'name'],
    ['secret', 'secretName'],
  ] as const) {
    const found = volume[source];
    if (!isPlainObject(found)) continue;
    if (!found[nameField]) errors.push(required(`${path}.${source}.${nameField}`));
    const mode = found.defaultMode;
    if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) {
      errors.push(
        invalid(
          `${path}.${source}.defaultMode`,
          mode,
          'must be a number between 0 and 0777 (octal), both inclusive',
        ),
      );
    }
  }
  return errors;
}
