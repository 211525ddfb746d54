/**
 * `StorageProvider`: create and own the shared claim, explain it when it does not bind, and publish
 * it to requirers only once they can use it (seed 003).
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
 */
import { asKubernetesError, isAlreadyExists, isNotFound } from '../kube/errors.js';
import type { KubePort, TypeRef } from '../kube/port.js';
import type {
  KubeEvent,
  KubeObject,
  OwnerReference,
  PersistentVolume,
  PersistentVolumeClaim,
  StatefulSet,
  StorageClass,
} from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import type { SchemaRegistry } from '../relations/schema-registry.js';
import { active, blocked, combineStatuses, waiting, type Status } from '../relations/status.js';
import {
  decideAccessModes,
  RWO_NOTE,
  type AccessMode,
  type AccessModeDecision,
} from './access-mode.js';
import {
  buildClaim,
  buildStaticVolume,
  isCharmkitManaged,
  staticAccessModes,
  staticVolumeName,
  type StaticVolumeSource,
} from './claim.js';
import { asError } from '../core/errors.js';
import { statusForFailure } from '../workload/failure-status.js';
import { DEFAULT_STORAGE_ENDPOINT, StorageProviderEndpoint } from './interface.js';
import { diagnoseClaim, quotaExceeded, type ClaimDiagnosis } from './pending-diagnosis.js';
import {
  buildProbeJob,
  probeJobName,
  probeOutcome,
  type ProbeJob,
  type ProbeOutcome,
} from './probe.js';
import { checkClaimQuota, parseQuotaError, type ResourceQuota } from './quota.js';
import { checkSizeChange, validateStorageSize, type SizeChange } from './size.js';
import { resolveStorageClass, type CsiDriver } from './storage-class.js';
import {
  fromStorageOffer,
  InvalidStorageDataError,
  mountPathProblem,
  type StorageOffer,
} from './validate.js';

/** What storage to provide (seed 003's `StorageConfig`). */
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
  readonly port: KubePort;
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
  /** Clock for "how long has the claim been Pending" (default `new Date()`). */
  readonly now?: () => Date;
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
  readonly probe?: ProbeOutcome;
  /** Things worth logging that did not change the status (forbidden diagnostic reads, ...). */
  readonly notes: readonly string[];
  /** The typed error behind a Blocked or error status. */
  readonly error?: Error;
}

const CLAIM: TypeRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

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

/** The state of one reconcile; kept apart so the class above stays a small public surface. */
class ProviderRun {
  private changed = false;
  private readonly notes: string[] = [];
  private classes: StorageClass[] | undefined;
  private classesRead = false;

  constructor(
    private readonly options: StorageProviderOptions,
    private readonly endpoint: StorageProviderEndpoint,
    private readonly ref: { name: string; namespace: string },
  ) {}

  private get port(): KubePort {
    return this.options.port;
  }

  private get app(): string {
    return this.options.backend.context.appName;
  }

  private get fieldManager(): string {
    return this.options.fieldManager ?? 'charmkit-storage';
  }

  async reconcile(config: StorageConfig): Promise<StorageProviderResult> {
    this.validate(config);
    let claim = await this.getClaim();
    let decision: AccessModeDecision | undefined;
    let resize: StorageProviderResult['resize'];
    if (!claim) {
      const created = await this.createClaim(config);
      if ('status' in created) return created;
      claim = created.claim;
      decision = created.decision;
    } else {
      resize = this.checkExisting(claim, config);
    }
    const diagnosis = await this.diagnose(claim);
    const statuses: Status[] = [
      diagnosis.usable ? active(this.readyMessage(claim, diagnosis)) : diagnosis.status,
    ];
    const published: number[] = [];
    let probe: ProbeOutcome | undefined;
    if (diagnosis.usable) {
      published.push(...(await this.publish(claim)));
      probe = await this.probe();
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
      notes: this.notes,
      error: asError(failure),
    };
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

  private async getClaim(): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.port.get<PersistentVolumeClaim>({ ...CLAIM, ...this.ref });
    } catch (failure) {
      if (isNotFound(failure)) return undefined;
      throw failure;
    }
  }

  private async createClaim(
    config: StorageConfig,
  ): Promise<
    { claim: PersistentVolumeClaim; decision: AccessModeDecision } | StorageProviderResult
  > {
    const source = this.options.staticVolume;
    let decision: AccessModeDecision;
    let className: string | undefined;
    let resolvedClass: string | undefined;
    if (source) {
      const modes = config.accessModes?.length ? undefined : staticAccessModes(source);
      decision = modes
        ? {
            accessModes: modes,
            reason: `static ${'nfs' in source ? 'NFS' : 'hostPath'} volume`,
            note: modes.includes('ReadWriteMany') ? undefined : RWO_NOTE,
          }
        : decideAccessModes({ storageClass: undefined, override: config.accessModes });
      className = '';
    } else {
      const classes = await this.storageClasses();
      const resolution =
        classes === undefined ? undefined : resolveStorageClass(config.className, classes);
      const storageClass = resolution?.kind === 'class' ? resolution.storageClass : undefined;
      resolvedClass = storageClass?.metadata.name ?? config.className;
      decision = decideAccessModes({
        storageClass,
        override: config.accessModes,
        extraRwxProvisioners: this.options.extraRwxProvisioners,
      });
      className = config.className;
    }
    const quotas = await this.tryList<ResourceQuota>(
      { apiVersion: 'v1', kind: 'ResourceQuota' },
      this.ref.namespace,
    );
    const violation = checkClaimQuota(
      { storageClassName: resolvedClass, storage: config.size, claims: 1 },
      quotas ?? [],
    );
    if (violation) {
      const diagnosis = quotaExceeded(this.ref.name, violation);
      return {
        changed: false,
        status: diagnosis.status,
        diagnosis,
        published: [],
        notes: this.notes,
      };
    }
    const owner = await this.ownerReference();
    let volumeName: string | undefined;
    if (source)
      volumeName = await this.ensureStaticVolume(source, config.size, decision.accessModes);
    const desired = buildClaim({
      ...this.ref,
      app: this.app,
      size: config.size,
      accessModes: decision.accessModes,
      storageClassName: className,
      volumeName,
      owner,
    });
    try {
      const claim = await this.port.create(desired, { fieldManager: this.fieldManager });
      this.changed = true;
      return { claim, decision };
    } catch (failure) {
      if (!isAlreadyExists(failure)) throw failure;
      const claim = await this.getClaim();
      if (!claim) throw failure;
      return { claim, decision };
    }
  }

  private async ensureStaticVolume(
    source: StaticVolumeSource,
    size: string,
    accessModes: readonly AccessMode[],
  ): Promise<string> {
    const name = staticVolumeName(this.ref.namespace, this.ref.name);
    const volume = buildStaticVolume({
      name,
      app: this.app,
      source,
      size,
      accessModes,
      claim: this.ref,
    });
    try {
      await this.port.create(volume, { fieldManager: this.fieldManager });
      this.changed = true;
    } catch (failure) {
      if (!isAlreadyExists(failure)) throw failure;
      const existing = await this.port.get<PersistentVolume>({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        name,
      });
      const claimRef = existing.spec.claimRef;
      if (
        !isCharmkitManaged(existing) ||
        claimRef?.name !== this.ref.name ||
        claimRef.namespace !== this.ref.namespace
      ) {
        throw new InvalidStorageDataError('the static volume configuration', [
          {
            field: 'staticVolume',
            reason: `PersistentVolume ${name} already exists and is not charmkit's volume for ${this.ref.namespace}/${this.ref.name}`,
          },
        ]);
      }
    }
    return name;
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
    const classes = name ? await this.storageClasses() : undefined;
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

  private async diagnose(claim: PersistentVolumeClaim): Promise<ClaimDiagnosis> {
    if (claim.status?.phase === 'Bound')
      return diagnoseClaim({ claim, storageClasses: [], events: [], now: this.now() });
    const storageClasses = (await this.storageClasses()) ?? [];
    const csiDrivers = await this.tryList<CsiDriver>({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
    });
    const events =
      (await this.tryList<KubeEvent>({ apiVersion: 'v1', kind: 'Event' }, this.ref.namespace, {
        fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${this.ref.name}`,
      })) ?? [];
    return diagnoseClaim({ claim, storageClasses, csiDrivers, events, now: this.now() });
  }

  private async publish(claim: PersistentVolumeClaim): Promise<number[]> {
    if (!(await this.options.backend.isLeader())) return [];
    const offer: StorageOffer = {
      claimName: this.ref.name,
      namespace: this.ref.namespace,
      mountPath: this.options.mountPath,
      puid: this.options.puid,
      pgid: this.options.pgid,
      accessMode: claim.spec.accessModes?.[0] as AccessMode | undefined,
      storageClass: claim.spec.storageClassName || undefined,
      size: claim.spec.resources?.requests?.storage,
    };
    const data = fromStorageOffer(offer);
    const written: number[] = [];
    for (const relation of await this.endpoint.relations()) {
      if (await this.endpoint.publishAppData(relation, data)) written.push(relation.id);
    }
    if (written.length > 0) this.changed = true;
    return written;
  }

  private async probe(): Promise<ProbeOutcome | undefined> {
    const setting = this.options.permissionProbe;
    const { puid, pgid } = this.options;
    if (!setting || puid === undefined || pgid === undefined) return undefined;
    const image = typeof setting === 'object' ? setting.image : undefined;
    const spec = {
      claim: this.ref.name,
      namespace: this.ref.namespace,
      app: this.app,
      puid,
      pgid,
      image,
    };
    const ref = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: this.ref.namespace,
      name: probeJobName(spec),
    };
    try {
      return probeOutcome(await this.port.get<ProbeJob>(ref));
    } catch (failure) {
      if (!isNotFound(failure)) throw failure;
    }
    const owner = await this.ownerReference();
    await this.port.create(buildProbeJob({ ...spec, owner }), { fieldManager: this.fieldManager });
    this.changed = true;
    return { state: 'running' };
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

  private async ownerReference(): Promise<OwnerReference | undefined> {
    const option = this.options.ownerStatefulSet ?? false;
    if (option === false) return undefined;
    const name = option === true ? this.app : option;
    try {
      const sts = await this.port.get<StatefulSet>({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: this.ref.namespace,
        name,
      });
      if (!sts.metadata.uid) return undefined;
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name,
        uid: sts.metadata.uid,
        blockOwnerDeletion: false,
      };
    } catch (failure) {
      const kube = asKubernetesError(failure);
      if (kube?.isNotFound()) return undefined;
      if (kube?.isForbidden()) {
        this.notes.push(`cannot read StatefulSet ${name} to own the claim: ${kube.message}`);
        return undefined;
      }
      throw failure;
    }
  }

  private async storageClasses(): Promise<StorageClass[] | undefined> {
    if (!this.classesRead) {
      this.classes = await this.tryList<StorageClass>({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
      });
      this.classesRead = true;
    }
    return this.classes;
  }

  /** Lists, or returns undefined (with a note) when RBAC forbids it: diagnostics degrade, not fail. */
  private async tryList<T extends KubeObject>(
    type: TypeRef,
    namespace?: string,
    options: { fieldSelector?: string } = {},
  ): Promise<T[] | undefined> {
    try {
      return (await this.port.list<T>(type, { namespace, ...options })).items;
    } catch (failure) {
      const kube = asKubernetesError(failure);
      if (!kube?.isForbidden()) throw failure;
      this.notes.push(`cannot list ${type.kind} (${kube.message}); diagnosis is less precise`);
      return undefined;
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function probeStatus(
  probe: ProbeOutcome,
  claim: string,
  options: Pick<StorageProviderOptions, 'puid' | 'pgid'>,
): Status {
  const who = `uid ${options.puid ?? ''} / gid ${options.pgid ?? ''}`;
  switch (probe.state) {
    case 'running':
      return waiting(`checking that ${who} can write to PVC ${claim}`);
    case 'succeeded':
      return active();
    case 'failed':
      return blocked(
        `${who} cannot write to PVC ${claim} (${probe.message}); make the volume's root writable ` +
          "for that group (chown/chmod on the backend) or publish the owner's puid/pgid",
      );
  }
}
