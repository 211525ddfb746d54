/**
 * A desired fragment value in the form the API server will store it, so that "already in place?"
 * compares like with like.
 *
 * The server does not keep every field as sent: a plain `omitempty` field holding its zero value
 * disappears (`readOnly: false` on a mount, `value: ""` on an env var), a quantity is printed in
 * its canonical form (`1024Mi` becomes `1Gi`), and a `fieldRef` gains `apiVersion: v1`. A plan
 * that compared the values as sent with the values read back would patch on every reconcile; so
 * each fragment is put into stored form when it is built. Only what the fragment states is
 * normalised — defaults the server fills in for fields the fragment leaves out never become part
 * of the fragment, so a value someone else set there is left alone. The tables are the ones
 * FakeCluster stores with, proven equal to the server's by the differential tests.
 */
import { isPlainObject, type JsonObject } from '../../core/json.js';
import { canonicalQuantity, canonicalRequirements } from '../../kube/stored-quantity.js';
import type { Container, EnvVar, Volume, VolumeMount } from '../../kube/types.js';
import { dropZeroValues } from '../../kube/zero-values.js';

/** An env var as stored: no empty `value`, `fieldRef.apiVersion` defaulted. */
export function storedEnvVar(env: EnvVar): EnvVar {
  const stored = structuredClone(env) as unknown as JsonObject;
  dropZeroValues(stored, 'envVar');
  const fieldRef = isPlainObject(stored.valueFrom) ? stored.valueFrom.fieldRef : undefined;
  if (isPlainObject(fieldRef) && fieldRef.apiVersion === undefined) fieldRef.apiVersion = 'v1';
  return stored as unknown as EnvVar;
}

/** A volume mount as stored: no `readOnly: false`, no empty `subPath`. */
export function storedVolumeMount(mount: VolumeMount): VolumeMount {
  const stored = structuredClone(mount) as unknown as JsonObject;
  dropZeroValues(stored, 'volumeMount');
  return stored as unknown as VolumeMount;
}

/** A container as stored, in the fields it states (env, mounts, ports, resources, probes). */
export function storedContainer(container: Container): Container {
  const stored = structuredClone(container) as unknown as JsonObject;
  dropZeroValues(stored, 'container');
  if (Array.isArray(container.env)) stored.env = container.env.map(storedEnvVar) as never;
  if (Array.isArray(container.volumeMounts)) {
    stored.volumeMounts = container.volumeMounts.map(storedVolumeMount) as never;
  }
  if (Array.isArray(stored.ports)) {
    for (const port of stored.ports) if (isPlainObject(port)) dropZeroValues(port, 'containerPort');
  }
  if (isPlainObject(stored.resources)) canonicalRequirements(stored.resources);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (isPlainObject(stored[probe])) dropZeroValues(stored[probe], 'probe');
  }
  return stored as unknown as Container;
}

/** A pod volume as stored: an `emptyDir` without an empty medium, its size limit canonical. */
export function storedVolume(volume: Volume): Volume {
  const stored = structuredClone(volume) as unknown as JsonObject;
  const emptyDir = stored.emptyDir;
  if (isPlainObject(emptyDir)) {
    dropZeroValues(emptyDir, 'emptyDir');
    if (typeof emptyDir.sizeLimit === 'string') {
      emptyDir.sizeLimit = canonicalQuantity(emptyDir.sizeLimit, true);
    }
  }
  return stored as unknown as Volume;
}
