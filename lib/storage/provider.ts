/**
 * `StorageProvider`: create and own the shared claim, explain it when it does not bind, and publish
 * it to requirers only once they can use it.
 *
 * Flow of `reconcile(config)`:
 *   1. Validate the configuration (size, mount path, access-mode override): invalid → Blocked, no
 *      request.
 *   2. GET the claim. Missing → pick access modes (ReadWriteMany when the class is known to
 *      support it, else ReadWriteOnce with a note), check namespace quotas first (a quota refusal
 *      is a 403 no Role can fix), create a static PersistentVolume if configured, and create the
 *      claim, labelled and owned by the provider's StatefulSet when that exists.
 *   3. Present → sizes only grow: a smaller size is a typed error, a larger one is reported as a
 *      needed resize (performing it is a separate step).
 *   4. Not Bound → diagnose why (pure `diagnoseClaim` over classes, CSIDrivers and events).
 *   5. Usable (Bound, or waiting only for its first consumer) → publish to every relation (the
 *      leader does; writes happen only when data changed).
 *   6. Optionally probe write permission as puid/pgid with a Job, without ever waiting for it.
 *
 * Reads that RBAC forbids for diagnosis only (StorageClasses, CSIDrivers, quotas) degrade to a
 * note instead of failing: the claim itself still gets created.
 *
 * This file sequences the steps and decides the status; each step lives in its own module:
 * provider-reads.ts (what the provider observes), provider-claim.ts (step 2's creation),
 * provider-publish.ts (step 5) and provider-probe.ts (step 6).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { asError } from '../core/errors.js';
import { asKubernetesError } from '../kube/errors.js';
import type { KubePort } from '../kube/port.js';
import { statusForFailure } from '../workload/failure-status.js';
import type { PersistentVolumeClaim, StorageClass } from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import type { SchemaRegistry } from '../relations/schema-registry.js';
import { active, blocked, combineStatuses, type Status } from '../relations/status.js';
import { decideAccessModes, RWO_NOTE, type AccessModeDecision } from './access-mode.js';
import { isCharmkitManaged, type StaticVolumeSource } from './claim.js';
import { DEFAULT_STORAGE_ENDPOINT, StorageProviderEndpoint } from './interface.js';
import { quotaExceeded, type ClaimDiagnosis } from './pending-diagnosis.js';
import type { ProbeOutcome } from './probe.js';
import { createClaim } from './provider-claim.js';
import { runProbe, probeStatus } from './provider-probe.js';
import {
  offerFor,
  publishOffer,
  requirerInstances,
  type StorageRequirerInstance,
} from './provider-publish.js';
import { ProviderReads } from './provider-reads.js';
import type { ClaimRef, ProviderScope } from './provider-scope.js';
import { parseQuotaError } from './quota.js';
import { checkSizeChange, validateStorageSize, type SizeChange } from './size.js';
import { InvalidStorageDataError, mountPathProblem } from './validate.js';

/** What storage to provide. */
export interface StorageConfig {
  /** StorageClass; undefined = the cluster default; `''` = no class (static volumes only). */
  readonly className?: string;
  /** Requested size, a Kubernetes quantity such as `100Gi`; it may only grow. */
  readonly size: string;
  /** Overrides the access-mode decision, e.g. `['ReadWriteMany']` for a class charmkit does not know. */
  readonly accessModes?: readonly string[];
}

/** Options of `StorageProvider`. */
export interface StorageProviderOptions {
  /** The Kubernetes API (the client-node adapter, or FakeCluster in tests). */
  readonly kube: KubePort;
  readonly backend: RelationBackend;
  /** The relation endpoint (default `storage`). */
  readonly endpoint?: string;
  /** Namespace of the claim; default the model name (the controller's own namespace). */
  readonly namespace?: string;
  /** The claim name (default `<app>-shared`). */
  readonly claimName?: string;
  /** The path requirers mount the volume at (absolute, normalised). */
  readonly mountPath: string;
  /** Owner uid/gid of the files, published so requirers can run as and set fsGroup to them. */
  readonly puid?: number;
  readonly pgid?: number;
  /**
   * Opt-in garbage collection of the claim with a StatefulSet: `true` for the provider's own (the
   * app name), a name for another, `false` (the default) for none. Off by default because an owner
   * makes removing the provider application delete the claim — and, with a Delete reclaim policy,
   * the users' data — and nothing may delete user data before a verified copy.
   */
  readonly ownerStatefulSet?: string | boolean;
  /** Bind to an existing NFS export or host path instead of provisioning dynamically. */
  readonly staticVolume?: StaticVolumeSource;
  /** Provisioners the user knows to support ReadWriteMany. */
  readonly extraRwxProvisioners?: readonly string[];
  /** Run the write-permission probe Job (needs puid and pgid); `image` overrides the default. */
  readonly permissionProbe?: boolean | { readonly image?: string };
  /** Field manager of writes (default `charmkit-storage`). */
  readonly fieldManager?: string;
  /** Time, for "how long has the claim been Pending" (default the real clock). */
  readonly clock?: Clock;
  readonly schemas?: SchemaRegistry;
}

/** What a provider reconcile did and found. */
export interface StorageProviderResult {
  /** Whether anything was written: a Kubernetes object or relation data. */
  readonly changed: boolean;
  readonly status: Status;
  readonly claim?: PersistentVolumeClaim;
  readonly diagnosis?: ClaimDiagnosis;
  /** The access-mode decision, when the claim was created by this reconcile. */
  readonly accessModes?: AccessModeDecision;
  /** Set when the configured size is larger than the claim: a resize is needed. */
  readonly resize?: Extract<SizeChange, { kind: 'grow' }>;
  /** Relation ids whose data this reconcile wrote. */
  readonly published: readonly number[];
  /**
   * Who the claim is offered to: each related requirer's instance name and the wire format it
   * spoke (charmkit or charmarr). Read once the claim is usable; empty before.
   */
  readonly requirers: readonly StorageRequirerInstance[];
  readonly probe?: ProbeOutcome;
  /** Things worth logging that did not change the status (forbidden diagnostic reads, ...). */
  readonly notes: readonly string[];
  /** The typed error behind a Blocked or error status. */
  readonly error?: Error;
}

/** Creates, explains and publishes a shared claim. */
export class StorageProvider {
  /** The endpoint requirers relate to. */
  readonly endpoint: StorageProviderEndpoint;
  private readonly options: StorageProviderOptions;

  constructor(options: StorageProviderOptions) {
    this.options = options;
    this.endpoint = new StorageProviderEndpoint(
      options.backend,
      options.endpoint ?? DEFAULT_STORAGE_ENDPOINT,
      options.schemas,
    );
  }

  /** The claim this provider manages. */
  get claimRef(): { name: string; namespace: string } {
    const context = this.options.backend.context;
    return {
      name: this.options.claimName ?? `${context.appName}-shared`,
      namespace: this.options.namespace ?? context.modelName ?? 'default',
    };
  }

  /** Runs the flow in the module comment once. */
  async reconcile(config: StorageConfig): Promise<StorageProviderResult> {
    const run = new ProviderRun(this.options, this.endpoint, this.claimRef);
    try {
      return await run.reconcile(config);
    } catch (failure) {
      return run.failed(failure);
    }
  }
}

/**
 * The state of one reconcile; kept apart so the class above stays a small public surface. What it
 * reads, how it creates the claim, the probe and publishing live in their own provider-* modules;
 * this class only sequences them and decides the status.
 */
class ProviderRun implements ProviderScope {
  readonly notes: string[] = [];
  private changed = false;
  private readonly reads: ProviderReads;

  constructor(
    private readonly options: StorageProviderOptions,
    private readonly endpoint: StorageProviderEndpoint,
    readonly ref: ClaimRef,
  ) {
    this.reads = new ProviderReads(this, () => new Date((options.clock ?? systemClock).now()));
  }

  get kube(): KubePort {
    return this.options.kube;
  }

  get app(): string {
    return this.options.backend.context.appName;
  }

  get fieldManager(): string {
    return this.options.fieldManager ?? 'charmkit-storage';
  }

  wrote(): void {
    this.changed = true;
  }

  async reconcile(config: StorageConfig): Promise<StorageProviderResult> {
    this.validate(config);
    let claim = await this.reads.claim();
    let decision: AccessModeDecision | undefined;
    let resize: StorageProviderResult['resize'];
    if (!claim) {
      const created = await createClaim(this, this.reads, {
        className: config.className,
        size: config.size,
        accessModes: config.accessModes,
        staticVolume: this.options.staticVolume,
        extraRwxProvisioners: this.options.extraRwxProvisioners,
        ownerStatefulSet: this.ownerOption,
      });
      if (created.kind === 'over-quota') {
        return {
          changed: false,
          status: created.diagnosis.status,
          diagnosis: created.diagnosis,
          published: [],
          requirers: [],
          notes: this.notes,
        };
      }
      claim = created.claim;
      decision = created.decision;
    } else {
      resize = this.checkExisting(claim, config);
    }
    const diagnosis = await this.reads.diagnosis(claim);
    const statuses: Status[] = [
      diagnosis.usable ? active(this.readyMessage(claim, diagnosis)) : diagnosis.status,
    ];
    const published: number[] = [];
    let requirers: StorageRequirerInstance[] = [];
    let probe: ProbeOutcome | undefined;
    if (diagnosis.usable) {
      const offer = offerFor(this, claim, this.options);
      published.push(...(await publishOffer(this, this.options.backend, this.endpoint, offer)));
      requirers = await requirerInstances(this, this.endpoint);
      probe = await runProbe(this, {
        setting: this.options.permissionProbe,
        puid: this.options.puid,
        pgid: this.options.pgid,
        owner: () => this.reads.ownerReference(this.ownerOption),
      });
      if (probe) statuses.push(probeStatus(probe, this.ref.name, this.options));
    }
    if (resize) statuses.push(await this.resizeStatus(claim, resize));
    return {
      changed: this.changed,
      status: combineStatuses(statuses),
      claim,
      diagnosis,
      accessModes: decision,
      resize,
      published,
      requirers,
      probe,
      notes: this.notes,
    };
  }

  failed(failure: unknown): StorageProviderResult {
    const kube = asKubernetesError(failure);
    const quota =
      kube?.isForbidden() && !kube.rbac ? parseQuotaError(kube.serverMessage) : undefined;
    const status = quota
      ? quotaExceeded(this.ref.name, quota).status
      : statusForFailure(failure, { app: this.app });
    return {
      changed: this.changed,
      status,
      published: [],
      requirers: [],
      notes: this.notes,
      error: asError(failure),
    };
  }

  private get ownerOption(): string | boolean {
    return this.options.ownerStatefulSet ?? false;
  }

  private validate(config: StorageConfig): void {
    validateStorageSize(config.size);
    const problem = mountPathProblem(this.options.mountPath);
    if (problem) {
      throw new InvalidStorageDataError('the storage configuration', [
        { field: 'mountPath', reason: problem },
      ]);
    }
    // Throws InvalidAccessModeError for unknown modes before anything is created.
    decideAccessModes({ storageClass: undefined, override: config.accessModes });
  }

  private checkExisting(
    claim: PersistentVolumeClaim,
    config: StorageConfig,
  ): StorageProviderResult['resize'] {
    if (!isCharmkitManaged(claim)) {
      this.notes.push(`PVC ${this.ref.name} was not created by charmkit; it is used as it is`);
      return undefined;
    }
    const current = claim.spec.resources?.requests?.storage;
    if (current === undefined) return undefined;
    const change = checkSizeChange(this.ref.name, current, config.size);
    const wanted = config.accessModes;
    if (wanted?.length && wanted.join() !== (claim.spec.accessModes ?? []).join()) {
      this.notes.push(
        `PVC ${this.ref.name} keeps access modes ${(claim.spec.accessModes ?? []).join(', ')}: ` +
          'access modes of an existing claim cannot change',
      );
    }
    return change.kind === 'grow' ? change : undefined;
  }

  private async resizeStatus(
    claim: PersistentVolumeClaim,
    resize: NonNullable<StorageProviderResult['resize']>,
  ): Promise<Status> {
    const name = claim.spec.storageClassName;
    const classes: StorageClass[] | undefined = name
      ? await this.reads.storageClasses()
      : undefined;
    const sc = classes?.find((c) => c.metadata.name === name);
    const prefix = `PVC ${this.ref.name} needs a resize from ${resize.current} to ${resize.desired}`;
    if (sc && sc.allowVolumeExpansion !== true) {
      return blocked(
        `${prefix}, but StorageClass "${name ?? ''}" does not allow volume expansion; ` +
          'migrate the data to a larger claim or set the size back',
      );
    }
    return blocked(`${prefix}; resizing is not automated yet: raise the claim's request by hand`);
  }

  private readyMessage(claim: PersistentVolumeClaim, diagnosis: ClaimDiagnosis): string {
    const modes = claim.spec.accessModes ?? [];
    const size = claim.spec.resources?.requests?.storage ?? '';
    const base =
      diagnosis.condition === 'bound'
        ? `PVC ${this.ref.name} ready (${size}, ${modes.join(', ')})`
        : diagnosis.status.message;
    return modes.includes('ReadWriteMany') ? base : `${base}; ${RWO_NOTE}`;
  }
}
