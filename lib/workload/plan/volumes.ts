/**
 * The volume fragments of a StatefulSet plan: pod volumes, and the mounts of them in containers.
 *
 * Volumes merge by name, mounts by mount path, so the sharp edges are here: a volume's source is
 * replaced (never merged into a second source), a mount path already used by another volume is a
 * conflict rather than a silent swap of data, and a mount whose path changes must move, because
 * merging it would leave the old path mounted too. `VolumeMountOptions` is public (re-exported by
 * plan.ts).
 */
import { MountPathConflictError, PlanConflictError } from './errors.js';
import { PHASE, type AddFragment } from './fragment.js';
import { kindOf, type ContainerSelector } from './selectors.js';
import { canonicalJson } from '../../core/json.js';
import { covers, mergeValue } from './merge.js';
import { storedVolume, storedVolumeMount } from './stored-form.js';
import { dropIfEmpty, findContainer, requireContainer } from './working.js';
import type { Volume, VolumeMount } from '../../kube/types.js';

/** Options of `ensureVolumeMount`. */
export interface VolumeMountOptions extends ContainerSelector {
  /**
   * Remove other mounts of the same volume in this container (default true). A capability mounts
   * its volume once; when the desired path changes the mount must MOVE, because volumeMounts merge
   * by mountPath and a plain merge would leave the old path mounted too.
   */
  moveExisting?: boolean;
}

/** `StatefulSetPlan.ensureVolume`: merges into a volume of that name, or replaces its source. */
export function ensureVolume(add: AddFragment, owner: string, volume: Volume): void {
  const desired = storedVolume(volume);
  add({
    owner,
    key: `volume ${volume.name}`,
    identity: canonicalJson(desired),
    phase: PHASE.volume,
    apply: (w, p) => {
      w.ensuredVolumes.add(desired.name);
      const volumes = (w.template.spec.volumes ??= []);
      const index = volumes.findIndex((v) => v.name === desired.name);
      const existing = volumes[index];
      if (existing && covers(desired, existing)) return undefined;
      const element = p.element(p.podSpec(), 'volumes', 'name', desired.name);
      Object.assign(element, structuredClone(desired));
      const extra = existing ? Object.keys(existing).filter((k) => !(k in desired)) : [];
      if (existing && extra.length > 0) {
        // A volume has exactly one source; `$retainKeys` drops the old one instead of merging.
        element.$retainKeys = Object.keys(desired).sort();
        volumes[index] = structuredClone(desired);
        return `replace volume ${desired.name} (${describeSource(existing)} -> ${describeSource(desired)})`;
      }
      if (existing) {
        volumes[index] = mergeValue(existing, desired) as Volume;
        return `update volume ${desired.name} (${describeSource(existing)} -> ${describeSource(desired)})`;
      }
      volumes.push(structuredClone(desired));
      return `add volume ${desired.name} (${describeSource(desired)})`;
    },
  });
}

/** `StatefulSetPlan.removeVolume`: deletes the volume by name, recording who removed it. */
export function removeVolume(add: AddFragment, owner: string, name: string): void {
  add({
    owner,
    key: `volume ${name}`,
    identity: 'absent',
    phase: PHASE.removeVolume,
    apply: (w, p) => {
      const volumes = w.template.spec.volumes ?? [];
      if (!volumes.some((v) => v.name === name)) return undefined;
      w.removedVolumes.set(name, owner);
      w.template.spec.volumes = volumes.filter((v) => v.name !== name);
      dropIfEmpty(w.template.spec, 'volumes');
      p.element(p.podSpec(), 'volumes', 'name', name).$patch = 'delete';
      return `remove volume ${name}`;
    },
  });
}

/**
 * `StatefulSetPlan.ensureVolumeMount`: mounts by mount path, refusing a path another volume holds,
 * and (with `moveExisting`) deletes the volume's other mounts in the same container.
 */
export function ensureVolumeMount(
  add: AddFragment,
  owner: string,
  container: string,
  mount: VolumeMount,
  options: VolumeMountOptions,
): void {
  const desired = storedVolumeMount(mount);
  const kind = kindOf(options);
  const move = options.moveExisting ?? true;
  add({
    owner,
    key: `${kind}/${container} mount ${mount.mountPath}`,
    identity: canonicalJson({ desired, move }),
    phase: PHASE.member,
    apply: (w, p) => {
      const target = requireContainer(w, kind, container);
      const mounts = (target.volumeMounts ??= []);
      const atPath = mounts.find((m) => m.mountPath === desired.mountPath);
      if (atPath && atPath.name !== desired.name) {
        throw new MountPathConflictError(container, desired.mountPath, atPath.name, desired.name);
      }
      const stale = move
        ? mounts.filter((m) => m.name === desired.name && m.mountPath !== desired.mountPath)
        : [];
      for (const old of stale) {
        const other = w.ensuredMounts.get(`${kind}/${container}:${old.mountPath}`);
        if (other !== undefined) {
          throw new PlanConflictError(
            `volume ${desired.name} in ${container}`,
            [other, owner],
            'mount it at different paths',
          );
        }
      }
      w.ensuredMounts.set(`${kind}/${container}:${desired.mountPath}`, owner);
      if (atPath && covers(desired, atPath) && stale.length === 0) return undefined;
      const element = p.container(kind, container);
      for (const old of stale)
        p.element(element, 'volumeMounts', 'mountPath', old.mountPath).$patch = 'delete';
      Object.assign(
        p.element(element, 'volumeMounts', 'mountPath', desired.mountPath),
        structuredClone(desired),
      );
      target.volumeMounts = mergeValue(
        mounts.filter((m) => !stale.includes(m)),
        [desired],
        'volumeMounts',
      ) as VolumeMount[];
      if (stale.length > 0) {
        const from = stale.map((m) => m.mountPath).join(', ');
        return `move mount of volume ${desired.name} in ${container} from ${from} to ${desired.mountPath}`;
      }
      return atPath
        ? `update mount of volume ${desired.name} at ${desired.mountPath} in ${container}`
        : `mount volume ${desired.name} at ${desired.mountPath} in ${container}`;
    },
  });
}

/** `StatefulSetPlan.removeVolumeMountAt`: deletes the mount at one path, whatever volume it is. */
export function removeVolumeMountAt(
  add: AddFragment,
  owner: string,
  container: string,
  mountPath: string,
  options: ContainerSelector,
): void {
  const kind = kindOf(options);
  add({
    owner,
    key: `${kind}/${container} mount ${mountPath}`,
    identity: 'absent',
    phase: PHASE.removeMember,
    apply: (w, p) => {
      const target = findContainer(w, kind, container);
      const mounts = target?.volumeMounts ?? [];
      const old = mounts.find((m) => m.mountPath === mountPath);
      if (!target || !old) return undefined;
      target.volumeMounts = mounts.filter((m) => m !== old);
      dropIfEmpty(target, 'volumeMounts');
      p.element(p.container(kind, container), 'volumeMounts', 'mountPath', mountPath).$patch =
        'delete';
      return `unmount ${old.name} from ${mountPath} in ${container}`;
    },
  });
}

/** `StatefulSetPlan.removeVolumeMounts`: deletes every mount of one volume in every container. */
export function removeVolumeMounts(add: AddFragment, owner: string, volume: string): void {
  add({
    owner,
    key: `mounts of volume ${volume}`,
    identity: 'absent',
    phase: PHASE.removeMember,
    apply: (w, p) => {
      const removed: string[] = [];
      for (const kind of ['containers', 'initContainers'] as const) {
        for (const c of w.template.spec[kind] ?? []) {
          const stale = (c.volumeMounts ?? []).filter((m) => m.name === volume);
          if (stale.length === 0) continue;
          const element = p.container(kind, c.name);
          for (const m of stale) {
            p.element(element, 'volumeMounts', 'mountPath', m.mountPath).$patch = 'delete';
            removed.push(`${m.mountPath} in ${c.name}`);
          }
          c.volumeMounts = (c.volumeMounts ?? []).filter((m) => m.name !== volume);
          dropIfEmpty(c, 'volumeMounts');
        }
      }
      return removed.length > 0 ? `unmount volume ${volume} from ${removed.join(', ')}` : undefined;
    },
  });
}

function describeSource(volume: Volume): string {
  const claim = volume.persistentVolumeClaim?.claimName;
  if (claim !== undefined) return `claim ${claim}`;
  return (
    Object.keys(volume)
      .filter((k) => k !== 'name')
      .join(', ') || 'no source'
  );
}
