/**
 * One StatefulSet patch per reconcile, however many capabilities want to change the pod template.
 *
 * A controller that mounts shared storage AND routes through a VPN must not send two patches (two
 * rollouts, two chances to race). Each capability instead contributes *desired fragments* to a
 * `StatefulSetPlan` built from the observed StatefulSet: "this volume exists", "this container
 * mounts it at /data", "this sidecar runs", "fsGroup is 1000". `compute()` is pure: it decides
 * whether the observed template already satisfies every fragment and, if not, produces ONE
 * strategic merge patch (removals as `$patch: delete` directives keyed by merge key, never list
 * indexes that another writer could shift) plus a readable list of what changes and who wants it.
 * `applyPlan` is the only I/O: it sends that patch, or nothing.
 *
 * This module knows nothing of storage or VPN; fragments carry an owner tag so conflicts and
 * changes name the capability responsible.
 *
 * The plan's parts, one concept a module; this one re-exports the public names of the others so
 * `statefulset-plan.js` stays the one import for the whole plan:
 * - statefulset-plan.ts: the fragment vocabulary and `StatefulSetPlan`, which collects fragments
 *   and computes;
 * - statefulset-plan-errors.ts: the typed errors `compute()` throws;
 * - statefulset-plan-patch.ts: the working copy and patch body fragments write into (private);
 * - statefulset-plan-merge.ts: the strategic merge rules used to predict the result (private);
 * - statefulset-plan-apply.ts: `applyPlan` and `reconcileStatefulSet`, the I/O.
 */
import type { ObjectRef, Patch } from './port.js';
import { MountPathConflictError, PlanConflictError } from './statefulset-plan-errors.js';
import { covers, isRecord, jsonEqual, mergeValue } from './statefulset-plan-merge.js';
import {
  canonical,
  checkConsistency,
  describePath,
  dropIfEmpty,
  findContainer,
  PatchBody,
  pinElementOrder,
  requireContainer,
  resolveField,
  type JsonRecord,
  type Working,
} from './statefulset-plan-patch.js';
import type {
  Container,
  EnvVar,
  PodSecurityContext,
  PodTemplateSpec,
  StatefulSet,
  Volume,
  VolumeMount,
} from './types.js';

export {
  ContainerNotFoundError,
  MountPathConflictError,
  PlanConflictError,
  PlanInconsistentError,
} from './statefulset-plan-errors.js';
export { applyPlan, reconcileStatefulSet } from './statefulset-plan-apply.js';
export type {
  AppliedPlan,
  ApplyPlanOptions,
  ReconcileStatefulSetOptions,
  StatefulSetReconcile,
} from './statefulset-plan-apply.js';

/** Which container list a fragment addresses: the workload containers or the init containers. */
export type ContainerKind = 'containers' | 'initContainers';

/** Addresses init containers instead of workload containers. */
export interface ContainerSelector {
  /** Target `initContainers` instead of `containers` (default false). */
  initContainer?: boolean;
}

/** Options of `ensureVolumeMount`. */
export interface VolumeMountOptions extends ContainerSelector {
  /**
   * Remove other mounts of the same volume in this container (default true). A capability mounts
   * its volume once; when the desired path changes the mount must MOVE, because volumeMounts merge
   * by mountPath and a plain merge would leave the old path mounted too.
   */
  moveExisting?: boolean;
}

/** Options of `ensureInitContainer`. */
export interface InitContainerOptions {
  /**
   * `first` makes the init container run before all others (e.g. network setup that the others
   * depend on); `any` (default) leaves ordering to the server, which appends new elements.
   */
  position?: 'first' | 'any';
}

/** Pod-level securityContext fields to ensure; `null` means "must be absent". */
export type PodSecurityContextFragment = {
  [K in keyof PodSecurityContext]?: PodSecurityContext[K] | null;
};

/** Container securityContext fields to ensure; `null` means "must be absent". */
export interface ContainerSecurityContextFragment {
  /** Capabilities that must be present; they are added to, never replace, the observed lists. */
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean | null;
  runAsUser?: number | null;
  runAsGroup?: number | null;
  runAsNonRoot?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  readOnlyRootFilesystem?: boolean | null;
}

/** One line of "what this patch does and who asked for it". */
export interface PlanChange {
  /** The capability that contributed the fragment (e.g. `storage:data`). */
  readonly owner: string;
  /** What changes, in words a user reading a log understands. */
  readonly summary: string;
}

/** The pure outcome of a plan: whether anything must change, and the one patch that does it. */
export interface PlanResult {
  /** The StatefulSet the patch is for. */
  readonly target: ObjectRef;
  /** True when the observed StatefulSet already satisfies every fragment: send nothing. */
  readonly upToDate: boolean;
  /** Every fragment that is not yet satisfied, in the order the patch applies them. */
  readonly changes: readonly PlanChange[];
  /** The single strategic merge patch, or undefined when up to date. */
  readonly patch: Extract<Patch, { type: 'strategic' }> | undefined;
  /** The pod template as it will be once the patch is applied (equal to observed if up to date). */
  readonly predicted: PodTemplateSpec;
  /** StatefulSet annotations as they will be once the patch is applied. */
  readonly predictedAnnotations: Readonly<Record<string, string>>;
  /** The observed StatefulSet the plan was computed from. */
  readonly observed: StatefulSet;
}

/** Options of `compute()`. */
export interface ComputeOptions {
  /**
   * Put the observed `resourceVersion` into the patch (default true), so a concurrent writer turns
   * our patch into a 409 instead of us silently applying a decision made on stale data (e.g. a
   * capability list computed as a union). Retry by re-reading and recomputing.
   */
  optimisticLock?: boolean;
}

interface Fragment {
  readonly owner: string;
  /** What the fragment is about; two fragments with one key must agree. */
  readonly key: string;
  /** Canonical desired value, to tell an identical duplicate from a conflict. */
  readonly identity: string;
  /** Fragments apply in phase order so e.g. a sidecar exists before a mount into it. */
  readonly phase: number;
  /** Applies the fragment; returns a change summary, or undefined when already satisfied. */
  apply(working: Working, patch: PatchBody): string | undefined;
}

const PHASE = {
  container: 0,
  volume: 1,
  member: 2,
  removeMember: 3,
  removeContainer: 4,
  removeVolume: 5,
} as const;

/**
 * A StatefulSet pod-template change under construction: capabilities add fragments, then
 * `compute()` returns the single patch (or none). Build a fresh plan from the StatefulSet you just
 * read on every reconcile; a plan is cheap and never talks to the API server.
 */
export class StatefulSetPlan {
  private readonly fragments: Fragment[] = [];

  private constructor(readonly observed: StatefulSet) {}

  /** Starts a plan against the StatefulSet as just read from the API server. */
  static for(observed: StatefulSet): StatefulSetPlan {
    return new StatefulSetPlan(structuredClone(observed));
  }

  /** The StatefulSet the plan patches. */
  get target(): ObjectRef {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: this.observed.metadata.name ?? '',
      namespace: this.observed.metadata.namespace,
    };
  }

  /** Names of the observed containers of one kind, so capabilities can validate early. */
  containerNames(kind: ContainerKind = 'containers'): string[] {
    return (this.observed.spec.template.spec[kind] ?? []).map((c) => c.name);
  }

  /** The owners that contributed at least one fragment, in first-contribution order. */
  owners(): string[] {
    return [...new Set(this.fragments.map((f) => f.owner))];
  }

  /** Ensures a pod volume with this name whose source contains `volume`'s fields. */
  ensureVolume(owner: string, volume: Volume): this {
    const desired = structuredClone(volume);
    return this.add({
      owner,
      key: `volume ${volume.name}`,
      identity: canonical(desired),
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

  /** Ensures no pod volume has this name. Its mounts must be removed too (see `removeVolumeMounts`). */
  removeVolume(owner: string, name: string): this {
    return this.add({
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
   * Ensures `container` mounts `mount.name` at `mount.mountPath`. By default any other mount of the
   * same volume in that container is removed in the same patch, so a changed path moves the mount.
   */
  ensureVolumeMount(
    owner: string,
    container: string,
    mount: VolumeMount,
    options: VolumeMountOptions = {},
  ): this {
    const desired = structuredClone(mount);
    const kind = kindOf(options);
    const move = options.moveExisting ?? true;
    return this.add({
      owner,
      key: `${kind}/${container} mount ${mount.mountPath}`,
      identity: canonical({ desired, move }),
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

  /** Ensures nothing is mounted at `mountPath` in `container` (a missing container counts as done). */
  removeVolumeMountAt(
    owner: string,
    container: string,
    mountPath: string,
    options: ContainerSelector = {},
  ): this {
    const kind = kindOf(options);
    return this.add({
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

  /** Ensures no container or init container mounts `volume` anywhere: the exact undo of mounting it. */
  removeVolumeMounts(owner: string, volume: string): this {
    return this.add({
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
        return removed.length > 0
          ? `unmount volume ${volume} from ${removed.join(', ')}`
          : undefined;
      },
    });
  }

  /**
   * Ensures a workload container (a sidecar) exists and contains `container`'s fields. Keyed lists
   * inside it (env, ports, volumeMounts) are merged, so fields the server defaults never cause a
   * patch loop.
   */
  ensureContainer(owner: string, container: Container): this {
    return this.addContainer(owner, 'containers', container, 'any');
  }

  /** Ensures an init container exists, optionally running first (see `InitContainerOptions`). */
  ensureInitContainer(
    owner: string,
    container: Container,
    options: InitContainerOptions = {},
  ): this {
    const position = options.position ?? 'any';
    if (position === 'first') {
      this.add({
        owner,
        key: 'first init container',
        identity: container.name,
        phase: PHASE.member,
        apply: (w, p) => {
          const list = w.template.spec.initContainers ?? [];
          if (list[0]?.name === container.name) return undefined;
          const moved = list.filter((c) => c.name === container.name);
          w.template.spec.initContainers = [
            ...moved,
            ...list.filter((c) => c.name !== container.name),
          ];
          p.podSpec()['$setElementOrder/initContainers'] = w.template.spec.initContainers.map(
            (c) => ({
              name: c.name,
            }),
          );
          return `run init container ${container.name} first`;
        },
      });
    }
    return this.addContainer(owner, 'initContainers', container, position);
  }

  /** Ensures a workload container is gone (e.g. a sidecar whose relation was removed). */
  removeContainer(owner: string, name: string): this {
    return this.removeContainerOf(owner, 'containers', name);
  }

  /** Ensures an init container is gone. */
  removeInitContainer(owner: string, name: string): this {
    return this.removeContainerOf(owner, 'initContainers', name);
  }

  /** Ensures an environment variable of a container (env merges by name). */
  ensureEnv(owner: string, container: string, env: EnvVar, options: ContainerSelector = {}): this {
    const kind = kindOf(options);
    const desired = structuredClone(env);
    return this.add({
      owner,
      key: `${kind}/${container} env ${env.name}`,
      identity: canonical(desired),
      phase: PHASE.member,
      apply: (w, p) => {
        const target = requireContainer(w, kind, container);
        const existing = (target.env ?? []).find((e) => e.name === desired.name);
        if (existing && jsonEqual(desired, existing)) return undefined;
        const element = p.element(p.container(kind, container), 'env', 'name', desired.name);
        Object.assign(element, structuredClone(desired));
        // value and valueFrom exclude each other: replace, never merge, an existing variable.
        target.env = [...(target.env ?? []).filter((e) => e.name !== desired.name), desired];
        if (existing && 'value' in existing && !('value' in desired)) element.value = null;
        if (existing && 'valueFrom' in existing && !('valueFrom' in desired))
          element.valueFrom = null;
        return `set env ${desired.name} in ${container}`;
      },
    });
  }

  /** Ensures a container has no environment variable of this name. */
  removeEnv(owner: string, container: string, name: string, options: ContainerSelector = {}): this {
    const kind = kindOf(options);
    return this.add({
      owner,
      key: `${kind}/${container} env ${name}`,
      identity: 'absent',
      phase: PHASE.removeMember,
      apply: (w, p) => {
        const target = findContainer(w, kind, container);
        if (!target || !(target.env ?? []).some((e) => e.name === name)) return undefined;
        target.env = (target.env ?? []).filter((e) => e.name !== name);
        dropIfEmpty(target, 'env');
        p.element(p.container(kind, container), 'env', 'name', name).$patch = 'delete';
        return `remove env ${name} from ${container}`;
      },
    });
  }

  /**
   * Ensures pod-level securityContext fields without touching the others (e.g. `fsGroup` from a
   * storage capability next to `runAsUser` set by someone else). Array fields such as
   * `supplementalGroups` are unions: each listed value must be present. `null` removes a field.
   */
  ensurePodSecurityContext(owner: string, fields: PodSecurityContextFragment): this {
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const item of value) this.addUnionMember(owner, ['securityContext', field], item);
      } else {
        this.addField(owner, ['securityContext', field], value);
      }
    }
    return this;
  }

  /**
   * Ensures container-level securityContext fields. Capabilities are added to the observed lists
   * (which are atomic in a strategic merge, so the patch carries the full union).
   */
  ensureContainerSecurityContext(
    owner: string,
    container: string,
    fields: ContainerSecurityContextFragment,
    options: ContainerSelector = {},
  ): this {
    const kind = kindOf(options);
    const base = [kind, container, 'securityContext'];
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (field === 'capabilities' && isRecord(value)) {
        for (const list of ['add', 'drop'] as const) {
          const items = value[list];
          if (!Array.isArray(items)) continue;
          for (const item of items)
            this.addUnionMember(owner, [...base, 'capabilities', list], item);
        }
      } else {
        this.addField(owner, [...base, field], value);
      }
    }
    return this;
  }

  /** Ensures capabilities are no longer in a container's `capabilities.add`/`drop` lists. */
  removeContainerCapabilities(
    owner: string,
    container: string,
    capabilities: { add?: string[]; drop?: string[] },
    options: ContainerSelector = {},
  ): this {
    const kind = kindOf(options);
    for (const list of ['add', 'drop'] as const) {
      for (const item of capabilities[list] ?? []) {
        this.addUnionMember(
          owner,
          [kind, container, 'securityContext', 'capabilities', list],
          item,
          false,
        );
      }
    }
    return this;
  }

  /**
   * Ensures an annotation on the StatefulSet itself (not the pod template, so it never restarts
   * pods). Useful to record what a capability added, so that removal later is exact. `null` removes.
   */
  ensureAnnotation(owner: string, key: string, value: string | null): this {
    return this.add({
      owner,
      key: `annotation ${key}`,
      identity: canonical(value),
      phase: PHASE.member,
      apply: (w, p) => {
        if ((w.annotations[key] ?? null) === value) return undefined;
        const annotations = p.child(p.objectMeta(), 'annotations');
        annotations[key] = value;
        if (value === null) delete w.annotations[key];
        else w.annotations[key] = value;
        return value === null ? `remove annotation ${key}` : `set annotation ${key}`;
      },
    });
  }

  /** Ensures a pod-template annotation; changing one restarts pods (e.g. a config checksum). */
  ensureTemplateAnnotation(owner: string, key: string, value: string | null): this {
    return this.add({
      owner,
      key: `template annotation ${key}`,
      identity: canonical(value),
      phase: PHASE.member,
      apply: (w, p) => {
        const current = w.template.metadata?.annotations?.[key] ?? null;
        if (current === value) return undefined;
        p.child(p.templateMeta(), 'annotations')[key] = value;
        const metadata = (w.template.metadata ??= {});
        const annotations = (metadata.annotations ??= {});
        if (value === null) delete annotations[key];
        else annotations[key] = value;
        return value === null ? `remove pod annotation ${key}` : `set pod annotation ${key}`;
      },
    });
  }

  /**
   * Ensures a pod spec field that is neither a container list, `volumes` nor `securityContext`
   * (those have dedicated methods with merge semantics), e.g. `dnsPolicy` or `dnsConfig`. Objects
   * merge; `null` removes the field.
   */
  ensurePodSpecField(owner: string, field: string, value: unknown): this {
    if (
      [
        'containers',
        'initContainers',
        'ephemeralContainers',
        'volumes',
        'securityContext',
      ].includes(field)
    ) {
      throw new TypeError(`use the dedicated StatefulSetPlan method for pod spec field ${field}`);
    }
    return this.addField(owner, [field], value);
  }

  /**
   * Decides, without I/O, whether the observed StatefulSet satisfies every fragment and returns the
   * one patch that makes it so. Throws the typed errors of this module on conflicts and on fragments
   * that address containers the StatefulSet does not have.
   */
  compute(options: ComputeOptions = {}): PlanResult {
    const observed = this.observed;
    const working: Working = {
      name: observed.metadata.name ?? '',
      annotations: { ...(observed.metadata.annotations ?? {}) },
      template: structuredClone(observed.spec.template),
      claimTemplates: new Set(
        (observed.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name ?? ''),
      ),
      ensuredMounts: new Map(),
      ensuredVolumes: new Set(),
      removedVolumes: new Map(),
    };
    const patch = new PatchBody();
    const changes: PlanChange[] = [];
    const ordered = this.fragments
      .map((f, i) => ({ f, i }))
      .sort((a, b) => a.f.phase - b.f.phase || a.i - b.i);
    for (const { f } of ordered) {
      const summary = f.apply(working, patch);
      if (summary !== undefined) changes.push({ owner: f.owner, summary });
    }
    checkConsistency(working);
    const upToDate = changes.length === 0;
    let body: JsonRecord | undefined;
    if (!upToDate) {
      pinElementOrder(patch.root, observed.spec.template.spec, working.template.spec);
      body = patch.root;
      const version = observed.metadata.resourceVersion;
      if ((options.optimisticLock ?? true) && version !== undefined) {
        patch.objectMeta().resourceVersion = version;
      }
    }
    return {
      target: this.target,
      upToDate,
      changes,
      patch: body === undefined ? undefined : { type: 'strategic', body },
      predicted: working.template,
      predictedAnnotations: working.annotations,
      observed,
    };
  }

  private add(fragment: Fragment): this {
    const same = this.fragments.find((f) => f.key === fragment.key);
    if (same) {
      if (same.identity === fragment.identity) return this;
      throw new PlanConflictError(fragment.key, [same.owner, fragment.owner]);
    }
    this.fragments.push(fragment);
    return this;
  }

  private addContainer(
    owner: string,
    kind: ContainerKind,
    container: Container,
    position: 'first' | 'any',
  ): this {
    const desired = structuredClone(container);
    return this.add({
      owner,
      key: `${kind}/${container.name}`,
      identity: canonical({ desired, position }),
      phase: PHASE.container,
      apply: (w, p) => {
        const list = (w.template.spec[kind] ??= []);
        const index = list.findIndex((c) => c.name === desired.name);
        const existing = list[index];
        if (existing && covers(desired, existing)) return undefined;
        Object.assign(p.container(kind, desired.name), structuredClone(desired));
        const noun = kind === 'initContainers' ? 'init container' : 'container';
        if (existing) {
          list[index] = mergeValue(existing, desired, undefined) as Container;
          return `update ${noun} ${desired.name}`;
        }
        // The server appends new elements; a 'first' position is a separate ordering fragment.
        list.push(structuredClone(desired));
        return `add ${noun} ${desired.name}`;
      },
    });
  }

  private removeContainerOf(owner: string, kind: ContainerKind, name: string): this {
    return this.add({
      owner,
      key: `${kind}/${name}`,
      identity: 'absent',
      phase: PHASE.removeContainer,
      apply: (w, p) => {
        const list = w.template.spec[kind] ?? [];
        if (!list.some((c) => c.name === name)) return undefined;
        w.template.spec[kind] = list.filter((c) => c.name !== name);
        if (kind === 'initContainers') dropIfEmpty(w.template.spec, kind);
        p.container(kind, name).$patch = 'delete';
        return `remove ${kind === 'initContainers' ? 'init container' : 'container'} ${name}`;
      },
    });
  }

  /**
   * A scalar or object field at `path`: `[field]` of the pod spec, `['securityContext', f]` of the
   * pod securityContext, or `[kind, container, 'securityContext', f]` of a container.
   */
  private addField(owner: string, path: string[], value: unknown): this {
    const desired = structuredClone(value);
    return this.add({
      owner,
      key: describePath(path),
      identity: canonical(desired),
      phase: PHASE.member,
      apply: (w, p) => {
        const { parent, field } = resolveField(w, p, path, false);
        if (covers(desired, parent?.[field], field)) return undefined;
        const { parent: target, patchParent } = resolveField(w, p, path, true);
        const before = target?.[field];
        patchParent()[field] = structuredClone(desired);
        if (desired === null) delete target?.[field];
        else if (target) target[field] = mergeValue(before, desired, field);
        if (desired === null) return `remove ${describePath(path)}`;
        const was = before === undefined ? '' : ` (was ${JSON.stringify(before)})`;
        return `set ${describePath(path)} to ${JSON.stringify(desired)}${was}`;
      },
    });
  }

  /**
   * One member of an atomic list treated as a set (`capabilities.add`, `supplementalGroups`). The
   * server replaces such lists whole, so the patch carries the complete working list.
   */
  private addUnionMember(owner: string, path: string[], item: unknown, present = true): this {
    return this.add({
      owner,
      key: `${describePath(path)} ${JSON.stringify(item)}`,
      identity: present ? 'present' : 'absent',
      phase: present ? PHASE.member : PHASE.removeMember,
      apply: (w, p) => {
        const field = path[path.length - 1] ?? '';
        const { parent } = resolveField(w, p, path, false);
        const list = parent?.[field];
        const has = Array.isArray(list) && list.some((x) => jsonEqual(x, item));
        if (has === present) return undefined;
        const { parent: target, patchParent } = resolveField(w, p, path, true);
        const current = Array.isArray(target?.[field]) ? (target?.[field] as unknown[]) : [];
        const next = present ? [...current, item] : current.filter((x) => !jsonEqual(x, item));
        if (target) target[field] = next;
        patchParent()[field] = structuredClone(next);
        return `${present ? 'add' : 'remove'} ${JSON.stringify(item)} ${present ? 'to' : 'from'} ${describePath(path)}`;
      },
    });
  }
}

function kindOf(options: ContainerSelector): ContainerKind {
  return options.initContainer === true ? 'initContainers' : 'containers';
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
