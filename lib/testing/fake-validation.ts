/**
 * The validation `FakeCluster` does — deliberately modest, and listed here in full.
 *
 * The fake rejects (422 Invalid, worded like kube-apiserver v1.37) the mistakes a self-patching
 * controller actually makes, so a unit test catches them before a cluster does:
 *
 * - a missing or malformed `metadata.name` (DNS-1123 subdomain; DNS-1123 label for Namespace,
 *   Service and StatefulSet), label values that are not valid label values;
 * - pod specs (Pod, and the pod templates of StatefulSet, Deployment, DaemonSet, ReplicaSet, Job):
 *   no containers, a container without `name` or `image`, duplicate container names (across
 *   containers and initContainers), duplicate volume names, a volume with no source or with more
 *   than one (e.g. a source swapped without `$retainKeys`), a volumeMount naming a volume that
 *   does not exist (for StatefulSets, volumeClaimTemplates count as volumes), two mounts on one
 *   mountPath in one container;
 * - StatefulSet: a selector that does not match the template labels; on update, changes to the
 *   immutable `selector`, `volumeClaimTemplates`, `serviceName`, `podManagementPolicy`;
 * - Pod updates that change anything but images, activeDeadlineSeconds and tolerations;
 * - PersistentVolumeClaim updates that change anything in `spec` but `resources.requests`
 *   and `volumeAttributesClassName` (and binding-time `volumeName`);
 * - ConfigMap/Secret: data changes, or un-setting `immutable`, when `immutable: true`.
 *
 * Everything else the server validates (resource quantities, probes, ports ranges, enum values,
 * field types...) is *not* checked: the fake stores what it is given.
 */
import type { Container, KubeObject, Volume } from '../kube/types.js';
import {
  duplicate,
  forbidden,
  invalid,
  notFoundField,
  required,
  type FieldError,
} from './fake-errors.js';
import { jsonEqual } from '../core/json.js';
import { isPlainObject } from '../core/json.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_HINT =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HINT =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " +
  "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used " +
  "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['v1/Namespace', 'v1/Service', 'apps/v1/StatefulSet']);

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  'v1/Pod': ['spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'apps/v1/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
};

function kindKey(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}`;
}

function dig(object: unknown, path: readonly string[]): unknown {
  let current = object;
  for (const part of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Errors in a new or updated object on its own (`old` is the stored object for updates). */
export function validateObject(object: KubeObject, old?: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!old) errors.push(...validateName(object));
  errors.push(...validateLabels(object));
  const podSpecPath = POD_SPEC_PATHS[kindKey(object)];
  if (podSpecPath) {
    const claimVolumes =
      kindKey(object) === 'apps/v1/StatefulSet' ? volumeClaimTemplateVolumes(object) : [];
    errors.push(...validatePodSpec(dig(object, podSpecPath), podSpecPath.join('.'), claimVolumes));
  }
  if (kindKey(object) === 'apps/v1/StatefulSet') errors.push(...validateSelector(object));
  if (old) errors.push(...validateUpdate(object, old));
  return errors;
}

function validateName(object: KubeObject): FieldError[] {
  const name = object.metadata.name;
  if (name === undefined || name === '') {
    return [required('metadata.name', 'name or generateName is required')];
  }
  const asLabel = LABEL_NAMED.has(kindKey(object));
  if (asLabel ? !DNS_LABEL.test(name) || name.length > 63 : !DNS_SUBDOMAIN.test(name)) {
    return [invalid('metadata.name', name, asLabel ? LABEL_HINT : SUBDOMAIN_HINT)];
  }
  if (name.length > 253)
    return [invalid('metadata.name', name, 'must be no more than 253 characters')];
  return [];
}

function validateLabels(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) {
      errors.push(
        invalid(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " +
            "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or " +
            "'my_value',  or '12345', regex used for validation is " +
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    } else if (key === '') {
      errors.push(invalid('metadata.labels', key, 'name part must be non-empty'));
    }
  }
  return errors;
}

/**
 * The volumes a StatefulSet's pods get from its volumeClaimTemplates. The server validates the
 * template with these put first (replacing template volumes of the same name), so field paths
 * in its errors count them: we do the same to report the same `volumes[i]`.
 */
function volumeClaimTemplateVolumes(object: KubeObject): Volume[] {
  const templates = dig(object, ['spec', 'volumeClaimTemplates']);
  if (!Array.isArray(templates)) return [];
  return templates
    .map((t) => (isPlainObject(t) && isPlainObject(t.metadata) ? t.metadata.name : undefined))
    .filter((n): n is string => typeof n === 'string')
    .map((name) => ({ name, persistentVolumeClaim: { claimName: name } }));
}

function validatePodSpec(spec: unknown, path: string, claimVolumes: Volume[]): FieldError[] {
  if (!isPlainObject(spec)) return [required(path)];
  const errors: FieldError[] = [];
  const containers = Array.isArray(spec.containers)
    ? (spec.containers as unknown as Container[])
    : [];
  const initContainers = Array.isArray(spec.initContainers)
    ? (spec.initContainers as unknown as Container[])
    : [];
  const own = Array.isArray(spec.volumes) ? (spec.volumes as unknown as Volume[]) : [];
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
    });
  };
  // The server checks containers before initContainers (a clash is reported on the init one).
  checkContainers(containers, 'containers');
  checkContainers(initContainers, 'initContainers');
  return errors;
}

/** Volume sources in the order kube-apiserver counts them (it reports the second one found). */
const VOLUME_SOURCES = [
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
];

/**
 * Exactly one source per volume. Switching a volume's source with a strategic merge patch but
 * without `$retainKeys` leaves both sources in place, which the server rejects: worth catching.
 */
function validateVolumeSource(volume: Volume, path: string): FieldError[] {
  const present = VOLUME_SOURCES.filter(
    (source) => volume[source] !== undefined && volume[source] !== null,
  );
  if (present.length === 0) return [required(path, 'must specify a volume type')];
  return present
    .slice(1)
    .map((source) => forbidden(`${path}.${source}`, 'may not specify more than 1 volume type'));
}

function validateSelector(object: KubeObject): FieldError[] {
  const selector = dig(object, ['spec', 'selector']);
  if (!isPlainObject(selector)) return [required('spec.selector')];
  const labels = (dig(object, ['spec', 'template', 'metadata', 'labels']) ?? {}) as Record<
    string,
    string
  >;
  const matchLabels = (isPlainObject(selector.matchLabels) ? selector.matchLabels : {}) as Record<
    string,
    string
  >;
  const empty = Object.keys(matchLabels).length === 0 && !Array.isArray(selector.matchExpressions);
  if (empty) {
    return [invalid('spec.selector', selector, 'empty selector is invalid for statefulset')];
  }
  const matches = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  return matches
    ? []
    : [
        invalid(
          'spec.template.metadata.labels',
          labels,
          '`selector` does not match template `labels`',
        ),
      ];
}

function validateUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  switch (kindKey(object)) {
    case 'apps/v1/StatefulSet':
      return ['selector', 'volumeClaimTemplates', 'serviceName', 'podManagementPolicy']
        .filter((field) => !jsonEqual(dig(object, ['spec', field]), dig(old, ['spec', field])))
        .map((field) =>
          invalid(`spec.${field}`, dig(object, ['spec', field]), 'field is immutable'),
        );
    case 'v1/Pod':
      return podSpecChanged(object, old)
        ? [
            forbidden(
              'spec',
              'pod updates may not change fields other than `spec.containers[*].image`,' +
                '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
                '`spec.tolerations` (only additions to existing tolerations),' +
                '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
            ),
          ]
        : [];
    case 'v1/PersistentVolumeClaim':
      return claimSpecChanged(object, old)
        ? [
            forbidden(
              'spec',
              'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
            ),
          ]
        : [];
    case 'v1/ConfigMap':
    case 'v1/Secret':
      return validateImmutableData(object, old);
    default:
      return [];
  }
}

function podSpecChanged(object: KubeObject, old: KubeObject): boolean {
  const strip = (spec: unknown): unknown => {
    if (!isPlainObject(spec)) return spec;
    const copy = structuredClone(spec);
    for (const list of ['containers', 'initContainers']) {
      const items = copy[list];
      if (Array.isArray(items)) for (const c of items) if (isPlainObject(c)) delete c.image;
    }
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    return copy;
  };
  return !jsonEqual(strip(object.spec), strip(old.spec));
}

function claimSpecChanged(object: KubeObject, old: KubeObject): boolean {
  const strip = (spec: unknown, binding: boolean): unknown => {
    if (!isPlainObject(spec)) return spec;
    const copy = structuredClone(spec);
    if (isPlainObject(copy.resources)) delete copy.resources.requests;
    delete copy.volumeAttributesClassName;
    // The binder sets volumeName once; setting an unset one is allowed.
    if (binding) delete copy.volumeName;
    return copy;
  };
  const binding = !isPlainObject(old.spec) || old.spec.volumeName === undefined;
  return !jsonEqual(strip(object.spec, binding), strip(old.spec, binding));
}

function validateImmutableData(object: KubeObject, old: KubeObject): FieldError[] {
  if (old.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (object.immutable !== true) {
    errors.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  }
  if (!jsonEqual(object.data, old.data) || !jsonEqual(object.binaryData, old.binaryData)) {
    errors.push(forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errors;
}
