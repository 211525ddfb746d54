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
 * The plan's parts live beside it in lib/workload/plan/, one concept a module, imported in one
 * direction only (leaves first): selectors.ts (which container list) and merge.ts (the strategic
 * merge rules used to predict the result) → errors.ts (what `compute()` throws) → working.ts (the
 * working copy and patch body fragments write into) → fragment.ts (what a fragment is, its phases)
 * → the fragment kinds volumes.ts, containers.ts, security.ts, fields.ts → this module
 * (`StatefulSetPlan`: fragment bookkeeping, a conflict refused when added, and `compute()`) →
 * apply.ts (the I/O) → index.ts (the public names). The fragment kinds never import this module;
 * they receive the plan's `add` as an argument.
 */
import type { ObjectRef, Patch } from '../../kube/port.js';
import * as containers from './containers.js';
import type { InitContainerOptions } from './containers.js';
import { PlanConflictError } from './errors.js';
import * as fieldFragments from './fields.js';
import type { AddFragment, Fragment } from './fragment.js';
import type { ContainerKind, ContainerSelector } from './selectors.js';
import {
  checkConsistency,
  PatchBody,
  pinElementOrder,
  type JsonRecord,
  type Working,
} from './working.js';
import * as security from './security.js';
import type { ContainerSecurityContextFragment, PodSecurityContextFragment } from './security.js';
import * as volumes from './volumes.js';
import type { VolumeMountOptions } from './volumes.js';
import type {
  Container,
  EnvVar,
  PodTemplateSpec,
  StatefulSet,
  Volume,
  VolumeMount,
} from '../../kube/types.js';

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

/**
 * A StatefulSet pod-template change under construction: capabilities add fragments, then
 * `compute()` returns the single patch (or none). Build a fresh plan from the StatefulSet you just
 * read on every reconcile; a plan is cheap and never talks to the API server.
 */
export class StatefulSetPlan {
  private readonly fragments: Fragment[] = [];

  /**
   * Records a fragment; the subject modules get it as their `AddFragment`. An identical duplicate is
   * a no-op; a different fragment for the same key throws at once, naming both owners.
   */
  private readonly add: AddFragment = (fragment) => {
    const same = this.fragments.find((f) => f.key === fragment.key);
    if (same) {
      if (same.identity === fragment.identity) return;
      throw new PlanConflictError(fragment.key, [same.owner, fragment.owner]);
    }
    this.fragments.push(fragment);
  };

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
    volumes.ensureVolume(this.add, owner, volume);
    return this;
  }

  /** Ensures no pod volume has this name. Its mounts must be removed too (see `removeVolumeMounts`). */
  removeVolume(owner: string, name: string): this {
    volumes.removeVolume(this.add, owner, name);
    return this;
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
    volumes.ensureVolumeMount(this.add, owner, container, mount, options);
    return this;
  }

  /** Ensures nothing is mounted at `mountPath` in `container` (a missing container counts as done). */
  removeVolumeMountAt(
    owner: string,
    container: string,
    mountPath: string,
    options: ContainerSelector = {},
  ): this {
    volumes.removeVolumeMountAt(this.add, owner, container, mountPath, options);
    return this;
  }

  /** Ensures no container or init container mounts `volume` anywhere: the exact undo of mounting it. */
  removeVolumeMounts(owner: string, volume: string): this {
    volumes.removeVolumeMounts(this.add, owner, volume);
    return this;
  }

  /**
   * Ensures a workload container (a sidecar) exists and contains `container`'s fields. Keyed lists
   * inside it (env, ports, volumeMounts) are merged, so fields the server defaults never cause a
   * patch loop.
   */
  ensureContainer(owner: string, container: Container): this {
    containers.ensureContainer(this.add, owner, container);
    return this;
  }

  /** Ensures an init container exists, optionally running first (see `InitContainerOptions`). */
  ensureInitContainer(
    owner: string,
    container: Container,
    options: InitContainerOptions = {},
  ): this {
    containers.ensureInitContainer(this.add, owner, container, options);
    return this;
  }

  /** Ensures a workload container is gone (e.g. a sidecar whose relation was removed). */
  removeContainer(owner: string, name: string): this {
    containers.removeContainer(this.add, owner, name);
    return this;
  }

  /** Ensures an init container is gone. */
  removeInitContainer(owner: string, name: string): this {
    containers.removeInitContainer(this.add, owner, name);
    return this;
  }

  /** Ensures an environment variable of a container (env merges by name). */
  ensureEnv(owner: string, container: string, env: EnvVar, options: ContainerSelector = {}): this {
    containers.ensureEnv(this.add, owner, container, env, options);
    return this;
  }

  /** Ensures a container has no environment variable of this name. */
  removeEnv(owner: string, container: string, name: string, options: ContainerSelector = {}): this {
    containers.removeEnv(this.add, owner, container, name, options);
    return this;
  }

  /**
   * Ensures pod-level securityContext fields without touching the others (e.g. `fsGroup` from a
   * storage capability next to `runAsUser` set by someone else). Array fields such as
   * `supplementalGroups` are unions: each listed value must be present. `null` removes a field.
   */
  ensurePodSecurityContext(owner: string, fields: PodSecurityContextFragment): this {
    security.ensurePodSecurityContext(this.add, owner, fields);
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
    security.ensureContainerSecurityContext(this.add, owner, container, fields, options);
    return this;
  }

  /** Ensures capabilities are no longer in a container's `capabilities.add`/`drop` lists. */
  removeContainerCapabilities(
    owner: string,
    container: string,
    capabilities: { add?: string[]; drop?: string[] },
    options: ContainerSelector = {},
  ): this {
    security.removeContainerCapabilities(this.add, owner, container, capabilities, options);
    return this;
  }

  /**
   * Ensures an annotation on the StatefulSet itself (not the pod template, so it never restarts
   * pods). Useful to record what a capability added, so that removal later is exact. `null` removes.
   */
  ensureAnnotation(owner: string, key: string, value: string | null): this {
    fieldFragments.ensureAnnotation(this.add, owner, key, value);
    return this;
  }

  /** Ensures a pod-template annotation; changing one restarts pods (e.g. a config checksum). */
  ensureTemplateAnnotation(owner: string, key: string, value: string | null): this {
    fieldFragments.ensureTemplateAnnotation(this.add, owner, key, value);
    return this;
  }

  /**
   * Ensures a pod spec field that is neither a container list, `volumes` nor `securityContext`
   * (those have dedicated methods with merge semantics), e.g. `dnsPolicy` or `dnsConfig`. Objects
   * merge; `null` removes the field.
   */
  ensurePodSpecField(owner: string, field: string, value: unknown): this {
    fieldFragments.ensurePodSpecField(this.add, owner, field, value);
    return this;
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
}
