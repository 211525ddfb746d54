/**
 * The validation `FakeCluster` does before it stores a write — deliberately modest, and listed
 * here and in the modules it dispatches to, in full.
 *
 * The fake rejects (422 Invalid, worded like kube-apiserver v1.37) the mistakes a self-patching
 * controller actually makes, so a unit test catches them before a cluster does:
 *
 * - a missing or malformed `metadata.name` (DNS-1123 subdomain; DNS-1123 label for Namespace,
 *   Service and StatefulSet), label keys and values the server refuses (fake-validation-meta.ts);
 * - pod specs: Pod, and the pod templates of StatefulSet, Deployment, DaemonSet, ReplicaSet, Job
 *   (fake-validation-pod.ts);
 * - StatefulSet: a selector that does not match the template labels; on update, changes to the
 *   immutable `selector`, `volumeClaimTemplates`, `serviceName`, `podManagementPolicy`;
 * - Pod updates that change anything but images, activeDeadlineSeconds and tolerations;
 * - PersistentVolumeClaim updates that change anything in `spec` but `resources.requests`
 *   and `volumeAttributesClassName` (and binding-time `volumeName`);
 * - NetworkPolicy and Service specs (fake-validation-network.ts);
 * - ConfigMap keys and size, ConfigMap/Secret `immutable` (fake-validation-data.ts).
 *
 * Everything else the server validates (resource quantities, probes, most enum values, field
 * types...) is *not* checked: the fake stores what it is given.
 */
import { isPlainObject, jsonEqual } from '../core/json.js';
import type { KubeObject, Volume } from '../kube/types.js';
import { forbidden, invalid, required, type FieldError } from './fake-errors.js';
import { validateConfigMapData, validateImmutableData } from './fake-validation-data.js';
import { validateName, validateLabels } from './fake-validation-meta.js';
import { validateNetworkPolicy, validateService } from './fake-validation-network.js';
import { validatePodSpec } from './fake-validation-pod.js';

/** Where each workload kind keeps its pod spec, and the restart policies it allows. */
const POD_SPECS: Readonly<Record<string, { path: readonly string[]; restart: readonly string[] }>> =
  {
    'v1/Pod': { path: ['spec'], restart: ['Always', 'OnFailure', 'Never'] },
    'apps/v1/StatefulSet': { path: ['spec', 'template', 'spec'], restart: ['Always'] },
    'apps/v1/Deployment': { path: ['spec', 'template', 'spec'], restart: ['Always'] },
    'apps/v1/DaemonSet': { path: ['spec', 'template', 'spec'], restart: ['Always'] },
    'apps/v1/ReplicaSet': { path: ['spec', 'template', 'spec'], restart: ['Always'] },
    'batch/v1/Job': { path: ['spec', 'template', 'spec'], restart: ['OnFailure', 'Never'] },
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
  const key = kindKey(object);
  const podSpec = POD_SPECS[key];
  if (podSpec) {
    const claimVolumes = key === 'apps/v1/StatefulSet' ? volumeClaimTemplateVolumes(object) : [];
    errors.push(
      ...validatePodSpec(
        dig(object, podSpec.path),
        podSpec.path.join('.'),
        claimVolumes,
        podSpec.restart,
      ),
    );
  }
  switch (key) {
    case 'apps/v1/StatefulSet':
      errors.push(...validateSelector(object));
      break;
    case 'networking.k8s.io/v1/NetworkPolicy':
      errors.push(...validateNetworkPolicy(object, old));
      break;
    case 'v1/Service':
      errors.push(...validateService(object));
      break;
    case 'v1/ConfigMap':
      errors.push(...validateConfigMapData(object));
      break;
  }
  if (old) errors.push(...validateUpdate(object, old));
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
