/**
 * A small, deterministic cluster for the resize unit tests: FakeCluster for the API, plus the
 * controllers a resize waits on, played from what the real ones do (and what the integration tests
 * check against the real control plane):
 *
 * - the StatefulSet controller: pods and claims per ordinal, scale up/down, the claim owner
 *   references its retention policy asks for (so `whenScaled: Delete` really deletes claims with
 *   their pods through FakeCluster's cascade), adoption of orphaned pods, status and revisions;
 * - a kubelet: a pod whose claims are bound runs and is Ready; a pod of the StatefulSet that
 *   starts on a claim whose volume does not hold that claim's original data is recorded as a
 *   violation ("scaled up onto an unverified volume");
 * - the PV binder and a dynamic provisioner: bind, pre-bound volumes (`volumeName`, `claimRef`
 *   without UID), WaitForFirstConsumer, Released volumes, reclaim policy Delete deleting the
 *   volume *and its data*; the pvc-protection finalizer;
 * - a CSI resizer: online, filesystem-on-remount or infeasible;
 * - the Job controller, with the copy/verify scripts modelled on volume contents (strings): a copy
 *   copies the content, a verify compares it with the recorded digest. Tests choose per Job
 *   whether it succeeds, fails, hangs past its deadline, or whether a writer changes the source;
 * - the admission the resize meets: the claim resize plugin (allowVolumeExpansion, bound claims),
 *   the "not below status.capacity" rule, Pod Security for the copy pod, RBAC on volumes.
 *
 * The world acts only when the helper sleeps (the virtual clock advances) and between runs, so
 * every test is deterministic. `port` is the helper's view: it numbers the helper's calls, and can
 * inject a fault into call n (through FakeCluster's `failNext`, before the request is applied) or
 * lose the answer of call n (after it was applied) — the two ways a crash meets an API call.
 */
import { createHash } from 'node:crypto';
import { FakeCluster } from 'charmkit/testing';
import { revisionName } from '../../../../lib/testing/fake-statefulsets.js';
import type {
  DeleteOptions,
  KubeList,
  KubeObject,
  KubePort,
  ListOptions,
  ObjectRef,
  Patch,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  RequestRecord,
  StatefulSet,
  TypeRef,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from 'charmkit/kube';
import { compareQuantities } from 'charmkit/kube';

export const NS = 'media';
export const STS = 'web';

const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
const PV = { apiVersion: 'v1', kind: 'PersistentVolume' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const SC = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;
const STSREF = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: STS } as const;
const PROTECTION = 'kubernetes.io/pvc-protection';

/** How a Job of the copy/verify scripts behaves. */
export type JobBehavior = 'ok' | 'fail' | 'hang' | 'tamper-source' | 'no-report';

/** What the world starts with. */
export interface WorldOptions {
  replicas?: number;
  /** Claims of extra ordinals (at or above `replicas`), kept from an earlier scale-down. */
  leftovers?: number[];
  /** volumeClaimTemplates: name and size; class `standard` unless given. */
  templates?: { name: string; size: string; storageClassName?: string }[];
  /** Extra/overridden StorageClasses. Defaults: standard (expandable), fixed (not). */
  classes?: { name: string; expand: boolean; mode?: string; reclaimPolicy?: string }[];
  retention?: { whenDeleted?: string; whenScaled?: string };
  /** How the resizer answers an expansion. Default `online`. */
  resizer?: 'online' | 'remount' | 'infeasible';
  /** Per Job, what happens (by role and claim). Default `ok`. */
  jobs?: (role: string, claim: string) => JobBehavior;
  /** Whether the helper may write PersistentVolumes. Default true. */
  volumeWrites?: boolean;
  /** Namespaced permissions the helper lacks, as `resource/verb` (e.g. `jobs/create`). */
  denied?: string[];
  /** Namespace Pod Security `enforce` level. */
  podSecurity?: 'privileged' | 'baseline' | 'restricted';
  /** Extra objects (HPAs, quotas, foreign pods...). */
  objects?: KubeObject[];
}

/** A crash point: fail helper call `call` before it reaches the server, or lose its answer after. */
export interface CrashPoint {
  call: number;
  mode: 'before' | 'after';
}

export class World {
  readonly fake: FakeCluster;
  readonly port: HelperPort;
  now = 0;
  readonly clock = {
    now: () => this.now,
    sleep: async (ms: number) => {
      this.now += Math.max(ms, 1);
      await this.tick();
    },
  };
  /** Volume name → its data (the content of its filesystem). */
  readonly content = new Map<string, string>();
  /** Claim name → the data it held before the resize (what must survive). */
  readonly original = new Map<string, string>();
  /** Original claim name → UID, and its original volume. */
  readonly originalClaims = new Map<string, { uid: string; volume: string }>();
  /** Claims whose copy a verify Job proved (claim name → the verified volume). */
  readonly verified = new Map<string, string>();
  /** Broken invariants, in the order they were seen. */
  readonly violations: string[] = [];
  /** Every pod start of the StatefulSet: pod, claim, whether its data was the original. */
  readonly podStarts: { pod: string; claim: string; ok: boolean }[] = [];
  asHelper = false;
  private readonly options: WorldOptions;
  private readonly jobStarted = new Map<string, number>();
  private readonly remountPending = new Map<string, Set<string>>();
  private nextVolume = 0;

  /** A world with its StatefulSet's pods running. */
  static async create(options: WorldOptions = {}): Promise<World> {
    const world = new World(options);
    await world.tick();
    return world;
  }

  private constructor(options: WorldOptions = {}) {
    this.options = options;
    this.fake = new FakeCluster({
      authorize: (record) =>
        !this.asHelper ||
        options.volumeWrites !== false ||
        record.kind !== 'PersistentVolume' ||
        record.verb === 'list',
    });
    this.port = new HelperPort(this);
    this.seedInitial();
  }

  get deniedPermissions(): string[] {
    return this.options.denied ?? [];
  }

  get replicas(): number {
    return this.options.replicas ?? 2;
  }

  templates(): { name: string; size: string; storageClassName?: string }[] {
    return this.options.templates ?? [{ name: 'data', size: '1Gi' }];
  }

  /** Claim names of the StatefulSet (all ordinals, leftovers included). */
  claimNames(): string[] {
    const ordinals = [...Array(this.replicas).keys(), ...(this.options.leftovers ?? [])];
    return this.templates().flatMap((t) => ordinals.map((i) => `${t.name}-${STS}-${i}`));
  }

  private seedInitial(): void {
    const classes = [
      { name: 'standard', expand: true },
      { name: 'fixed', expand: false },
      ...(this.options.classes ?? []),
    ];
    const byName = new Map(classes.map((c) => [c.name, c]));
    this.fake.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: NS,
        labels: this.options.podSecurity
          ? { 'pod-security.kubernetes.io/enforce': this.options.podSecurity }
          : {},
      },
    });
    for (const c of byName.values()) {
      this.fake.seed({
        ...SC,
        metadata: { name: c.name },
        provisioner: 'example.com/csi',
        allowVolumeExpansion: c.expand,
        reclaimPolicy: ('reclaimPolicy' in c ? c.reclaimPolicy : undefined) ?? 'Delete',
        volumeBindingMode: ('mode' in c ? c.mode : undefined) ?? 'Immediate',
      });
    }
    const set: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: STS, namespace: NS, labels: { app: STS } },
      spec: {
        replicas: this.replicas,
        serviceName: STS,
        selector: { matchLabels: { app: STS } },
        template: {
          metadata: { labels: { app: STS } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.invalid/app:1',
                volumeMounts: this.templates().map((t) => ({
                  name: t.name,
                  mountPath: `/${t.name}`,
                })),
              },
            ],
          },
        },
        volumeClaimTemplates: this.templates().map((t) => ({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: t.name },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: t.storageClassName ?? 'standard',
            resources: { requests: { storage: t.size } },
          },
        })),
        ...(this.options.retention
          ? { persistentVolumeClaimRetentionPolicy: { ...this.options.retention } }
          : {}),
      },
    };
    this.fake.seed(set);
    for (const t of this.templates()) {
      const className = t.storageClassName ?? 'standard';
      const sc = byName.get(className);
      for (const ordinal of [...Array(this.replicas).keys(), ...(this.options.leftovers ?? [])]) {
        const name = `${t.name}-${STS}-${ordinal}`;
        const claim: PersistentVolumeClaim = {
          ...PVC,
          metadata: {
            name,
            namespace: NS,
            labels: { app: STS },
            annotations: { 'pv.kubernetes.io/bind-completed': 'yes' },
            finalizers: [PROTECTION],
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: className,
            volumeMode: 'Filesystem',
            resources: { requests: { storage: t.size } },
          },
        };
        this.fake.seed(claim);
        const stored = this.fake.peek<PersistentVolumeClaim>({ ...PVC, namespace: NS, name });
        const volume = this.provisionFor(stored as PersistentVolumeClaim, sc?.reclaimPolicy);
        const data = `data of ${name}: ${createHash('sha256').update(name).digest('hex')}`;
        this.content.set(volume, data);
        this.original.set(name, data);
        this.originalClaims.set(name, { uid: stored?.metadata.uid ?? '', volume });
      }
    }
    for (const object of this.options.objects ?? []) this.fake.seed(object);
  }

  /** Creates and binds a volume for `claim` (dynamic provisioning); returns its name. */
  private provisionFor(claim: PersistentVolumeClaim, reclaimPolicy?: string): string {
    const name = `pv-${++this.nextVolume}`;
    const size = claim.spec.resources?.requests?.storage ?? '1Gi';
    this.fake.seed({
      ...PV,
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'example.com/csi' } },
      spec: {
        capacity: { storage: size },
        accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
        storageClassName: claim.spec.storageClassName ?? '',
        persistentVolumeReclaimPolicy: reclaimPolicy ?? 'Delete',
        volumeMode: claim.spec.volumeMode ?? 'Filesystem',
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: claim.metadata.namespace,
          name: claim.metadata.name,
          uid: claim.metadata.uid,
        },
        csi: { driver: 'example.com/csi', volumeHandle: name },
      },
      status: { phase: 'Bound' },
    });
    this.content.set(name, '');
    const bound = structuredClone(claim);
    bound.spec.volumeName = name;
    bound.status = {
      phase: 'Bound',
      capacity: { storage: size },
      accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
    };
    this.fake.seed(bound);
    return name;
  }

  // ---- reading --------------------------------------------------------------------------------

  claim(name: string): PersistentVolumeClaim | undefined {
    return this.fake.peek<PersistentVolumeClaim>({ ...PVC, namespace: NS, name });
  }

  volume(name: string): PersistentVolume | undefined {
    return this.fake.peek<PersistentVolume>({ ...PV, name });
  }

  set(): StatefulSet | undefined {
    return this.fake.peek<StatefulSet>(STSREF);
  }

  pods(): Pod[] {
    return this.fake.objects<Pod>(POD, NS);
  }

  claims(): PersistentVolumeClaim[] {
    return this.fake.objects<PersistentVolumeClaim>(PVC, NS);
  }

  /** Sets a claim's data (a test's writer). */
  write(claim: string, data: string): void {
    const volume = this.claim(claim)?.spec.volumeName;
    if (!volume) throw new Error(`claim ${claim} is not bound`);
    this.content.set(volume, data);
    this.original.set(claim, data);
  }

  // ---- the controllers -------------------------------------------------------------------------

  /** Lets `ms` of virtual time pass (the controllers run). */
  async advance(ms: number): Promise<void> {
    await this.clock.sleep(ms);
  }

  /** Runs every controller until nothing changes. */
  async tick(): Promise<void> {
    await this.tickSync();
  }

  private async tickSync(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const changed =
        (await this.protection()) ||
        (await this.binder()) ||
        this.resizer() ||
        (await this.statefulSetController()) ||
        this.kubelet() ||
        (await this.jobController());
      this.checkInvariants();
      if (!changed) return;
    }
    throw new Error('the world did not settle in 200 rounds');
  }

  /** pvc-protection: a claim being deleted goes once no running pod uses it. */
  private async protection(): Promise<boolean> {
    for (const claim of this.claims()) {
      const name = claim.metadata.name ?? '';
      if (!claim.metadata.deletionTimestamp) {
        if (!(claim.metadata.finalizers ?? []).includes(PROTECTION)) {
          const next = structuredClone(claim);
          next.metadata.finalizers = [...(next.metadata.finalizers ?? []), PROTECTION];
          this.fake.seed(next);
          return true;
        }
        continue;
      }
      // As the pvc-protection controller decides deletion: any pod that was scheduled (has a
      // node) and names the claim holds it, whatever its phase — a finished Job pod too.
      const used = this.pods().some(
        (p) =>
          p.spec.nodeName !== undefined &&
          (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name),
      );
      if (!used) {
        await this.fake.patch(
          { ...PVC, namespace: NS, name },
          { type: 'merge', body: { metadata: { finalizers: null } } },
        );
        return true;
      }
    }
    return false;
  }

  /** The PV binder, a provisioner, and reclaim. */
  private async binder(): Promise<boolean> {
    const claims = this.claims();
    const volumes = this.fake.objects<PersistentVolume>(PV);
    // Bound volumes whose claim is gone are Released; Delete reclaims them (and their data).
    for (const pv of volumes) {
      const ref = pv.spec.claimRef;
      const phase = pv.status?.phase;
      if (ref?.uid && phase === 'Bound') {
        const claim = claims.find((c) => c.metadata.name === ref.name);
        if (!claim || claim.metadata.uid !== ref.uid) {
          if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
            await this.fake.delete({ ...PV, name: pv.metadata.name ?? '' });
            this.content.delete(pv.metadata.name ?? '');
          } else {
            this.fake.seed({ ...pv, status: { phase: 'Released' } });
          }
          return true;
        }
      }
      if (ref && !ref.uid && phase !== 'Available' && phase !== 'Bound') {
        this.fake.seed({ ...pv, status: { phase: 'Available' } });
        return true;
      }
      if (phase === 'Released' && ref?.uid && pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
        await this.fake.delete({ ...PV, name: pv.metadata.name ?? '' });
        this.content.delete(pv.metadata.name ?? '');
        return true;
      }
    }
    for (const claim of claims) {
      if (claim.status?.phase === 'Bound' || claim.metadata.deletionTimestamp) continue;
      const wanted = claim.spec.volumeName;
      if (wanted) {
        const pv = this.volume(wanted);
        const ref = pv?.spec.claimRef;
        const fits =
          pv &&
          (!ref || (ref.name === claim.metadata.name && ref.namespace === NS)) &&
          (!ref?.uid || ref.uid === claim.metadata.uid) &&
          compareQuantities(
            pv.spec.capacity?.storage ?? '0',
            claim.spec.resources?.requests?.storage ?? '0',
          ) >= 0;
        if (pv && fits && pv.status?.phase !== 'Bound') {
          this.fake.seed({
            ...pv,
            spec: {
              ...pv.spec,
              claimRef: {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                namespace: NS,
                name: claim.metadata.name,
                uid: claim.metadata.uid,
              },
            },
            status: { phase: 'Bound' },
          });
          this.fake.seed({
            ...claim,
            status: {
              phase: 'Bound',
              capacity: { ...pv.spec.capacity },
              accessModes: pv.spec.accessModes ?? [],
            },
          });
          return true;
        }
        continue;
      }
      const sc = this.fake.peek({ ...SC, name: claim.spec.storageClassName ?? '' });
      if (!sc) continue;
      if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !this.hasConsumer(claim)) continue;
      this.provisionFor(claim, sc.reclaimPolicy as string | undefined);
      return true;
    }
    return false;
  }

  private hasConsumer(claim: PersistentVolumeClaim): boolean {
    return this.pods().some((p) =>
      (p.spec.volumes ?? []).some(
        (v) => v.persistentVolumeClaim?.claimName === claim.metadata.name,
      ),
    );
  }

  /** A CSI resizer (external-resizer + kubelet expansion). */
  private resizer(): boolean {
    for (const claim of this.claims()) {
      if (claim.status?.phase !== 'Bound') continue;
      const request = claim.spec.resources?.requests?.storage ?? '0';
      const capacity = claim.status.capacity?.storage ?? '0';
      if (compareQuantities(request, capacity) <= 0) {
        if (claim.status.allocatedResourceStatuses || claim.status.conditions?.length) {
          this.fake.seed({
            ...claim,
            status: {
              ...claim.status,
              allocatedResourceStatuses: undefined,
              conditions: undefined,
            },
          });
          return true;
        }
        continue;
      }
      const sc = this.fake.peek({ ...SC, name: claim.spec.storageClassName ?? '' });
      if (sc?.allowVolumeExpansion !== true) continue;
      const mode = this.options.resizer ?? 'online';
      const name = claim.metadata.name ?? '';
      const statuses = (claim.status.allocatedResourceStatuses ?? {}) as Record<string, string>;
      const pv = this.volume(claim.spec.volumeName ?? '');
      if (mode === 'infeasible') {
        if (statuses.storage === 'ControllerResizeInfeasible') continue;
        this.fake.seed({
          ...claim,
          status: {
            ...claim.status,
            allocatedResources: { storage: request },
            allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' },
            conditions: [
              {
                type: 'ControllerResizeError',
                status: 'True',
                message:
                  'resize volume failed: rpc error: code = OutOfRange desc = exceeds the pool',
              },
            ],
          },
        });
        return true;
      }
      if (!statuses.storage) {
        this.fake.seed({
          ...claim,
          status: {
            ...claim.status,
            allocatedResources: { storage: request },
            allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
            conditions: [{ type: 'Resizing', status: 'True' }],
          },
        });
        return true;
      }
      if (statuses.storage === 'ControllerResizeInProgress') {
        if (pv) this.fake.seed({ ...pv, spec: { ...pv.spec, capacity: { storage: request } } });
        if (mode === 'remount') {
          this.remountPending.set(
            name,
            new Set(this.mountingPods(name).map((p) => p.metadata.uid ?? '')),
          );
          this.fake.seed({
            ...claim,
            status: {
              ...claim.status,
              allocatedResourceStatuses: { storage: 'NodeResizePending' },
              conditions: [
                {
                  type: 'FileSystemResizePending',
                  status: 'True',
                  message: 'Waiting for user to (re-)start a pod to finish file system resize',
                },
              ],
            },
          });
          return true;
        }
        this.finishExpansion(claim, request);
        return true;
      }
      if (statuses.storage === 'NodeResizePending') {
        const before = this.remountPending.get(name) ?? new Set();
        const fresh = this.mountingPods(name).some(
          (p) => !before.has(p.metadata.uid ?? '') && p.status?.phase === 'Running',
        );
        if (fresh) {
          this.finishExpansion(claim, request);
          return true;
        }
      }
    }
    return false;
  }

  private finishExpansion(claim: PersistentVolumeClaim, size: string): void {
    this.fake.seed({
      ...claim,
      status: {
        phase: 'Bound',
        accessModes: claim.status?.accessModes ?? [],
        capacity: { storage: size },
        allocatedResources: { storage: size },
      },
    });
  }

  private mountingPods(claim: string): Pod[] {
    return this.pods().filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim),
    );
  }

  /** The StatefulSet controller (see the module comment). */
  private async statefulSetController(): Promise<boolean> {
    const set = this.set();
    if (!set || set.metadata.deletionTimestamp) return false;
    const uid = set.metadata.uid ?? '';
    const replicas = set.spec.replicas ?? 1;
    const revision = revisionName(set);
    const policy = {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
      ...(set.spec.persistentVolumeClaimRetentionPolicy as object | undefined),
    } as { whenDeleted: string; whenScaled: string };
    const ordinalOf = (name: string) => {
      const rest = name.startsWith(`${STS}-`) ? name.slice(STS.length + 1) : '';
      return /^\d+$/.test(rest) ? Number(rest) : undefined;
    };
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: STS,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    // Adopt orphans.
    for (const pod of this.pods()) {
      if (ordinalOf(pod.metadata.name ?? '') === undefined) continue;
      const refs = pod.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.controller)) {
        this.fake.seed({ ...pod, metadata: { ...pod.metadata, ownerReferences: [owner] } });
        return true;
      }
    }
    const pods = this.pods().filter((p) =>
      (p.metadata.ownerReferences ?? []).some((r) => r.uid === uid),
    );
    // Claim owner references per the retention policy.
    for (const claim of this.claims()) {
      const template = this.templates().find((t) =>
        (claim.metadata.name ?? '').startsWith(`${t.name}-${STS}-`),
      );
      if (!template || claim.metadata.deletionTimestamp) continue;
      const ordinal = Number((claim.metadata.name ?? '').slice(`${template.name}-${STS}-`.length));
      const pod = pods.find((p) => ordinalOf(p.metadata.name ?? '') === ordinal);
      const scaledDown = ordinal >= replicas;
      const wanted: { kind: string; name: string; uid: string }[] = [];
      if (policy.whenDeleted === 'Delete' && !scaledDown) wanted.push({ ...owner });
      if (policy.whenScaled === 'Delete' && scaledDown && pod) {
        wanted.push({
          kind: 'Pod',
          name: pod.metadata.name ?? '',
          uid: pod.metadata.uid ?? '',
        });
      }
      const others = (claim.metadata.ownerReferences ?? []).filter(
        (r) =>
          !(r.kind === 'StatefulSet' && r.name === STS) &&
          !(r.kind === 'Pod' && ordinalOf(r.name) !== undefined),
      );
      const refs = [
        ...others,
        ...wanted.map((w) => ({
          apiVersion: w.kind === 'Pod' ? 'v1' : 'apps/v1',
          kind: w.kind,
          name: w.name,
          uid: w.uid,
          controller: true,
          blockOwnerDeletion: true,
        })),
      ];
      if (JSON.stringify(refs) !== JSON.stringify(claim.metadata.ownerReferences ?? [])) {
        this.fake.seed({
          ...claim,
          metadata: { ...claim.metadata, ownerReferences: refs.length ? refs : undefined },
        });
        return true;
      }
    }
    // Scale down, highest ordinal first (the GC then deletes claims owned by the pod).
    const surplus = pods
      .filter((p) => (ordinalOf(p.metadata.name ?? '') ?? 0) >= replicas)
      .sort(
        (a, b) => (ordinalOf(b.metadata.name ?? '') ?? 0) - (ordinalOf(a.metadata.name ?? '') ?? 0),
      );
    if (surplus[0]) {
      await this.fake.delete({ ...POD, namespace: NS, name: surplus[0].metadata.name ?? '' });
      return true;
    }
    // Claims, then pods, for every ordinal below replicas.
    for (let i = 0; i < replicas; i++) {
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const name = `${t.metadata.name ?? ''}-${STS}-${i}`;
        if (!this.claim(name)) {
          this.fake.seed({
            ...PVC,
            metadata: { name, namespace: NS, labels: { app: STS } },
            spec: structuredClone(t.spec),
            status: { phase: 'Pending' },
          });
          return true;
        }
      }
      const podName = `${STS}-${i}`;
      if (!this.fake.peek({ ...POD, namespace: NS, name: podName })) {
        const template = structuredClone(set.spec.template);
        this.fake.seed({
          ...POD,
          metadata: {
            name: podName,
            namespace: NS,
            labels: { ...template.metadata?.labels, 'controller-revision-hash': revision },
            ownerReferences: [owner],
          },
          spec: {
            ...template.spec,
            volumes: (set.spec.volumeClaimTemplates ?? []).map((t) => ({
              name: t.metadata.name ?? '',
              persistentVolumeClaim: { claimName: `${t.metadata.name ?? ''}-${STS}-${i}` },
            })),
          },
          status: { phase: 'Pending' },
        });
        return true;
      }
    }
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter((p) => p.status?.phase === 'Running').length;
    const status = {
      observedGeneration: set.metadata.generation,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: live.length,
      updatedReplicas: live.length,
      currentRevision: revision,
      updateRevision: revision,
    };
    if (JSON.stringify(status) !== JSON.stringify(set.status ?? {})) {
      this.fake.seed({ ...set, status });
      return true;
    }
    return false;
  }

  /** Pods whose claims are bound start (Running, Ready); job pods are the Job controller's. */
  private kubelet(): boolean {
    for (const pod of this.pods()) {
      if (pod.status?.phase !== 'Pending' || pod.metadata.deletionTimestamp) continue;
      if (pod.metadata.labels?.['batch.kubernetes.io/job-name']) continue;
      const claims = (pod.spec.volumes ?? [])
        .map((v) => v.persistentVolumeClaim?.claimName)
        .filter((n): n is string => n !== undefined);
      if (!claims.every((c) => this.claim(c)?.status?.phase === 'Bound')) continue;
      for (const c of claims) {
        const data = this.content.get(this.claim(c)?.spec.volumeName ?? '');
        const ok = data === this.original.get(c);
        this.podStarts.push({ pod: pod.metadata.name ?? '', claim: c, ok });
        if (!ok) {
          this.violations.push(
            `pod ${pod.metadata.name ?? ''} started on claim ${c} whose data is not the original`,
          );
        }
      }
      this.fake.seed({
        ...pod,
        spec: { ...pod.spec, nodeName: 'node-1' },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: pod.spec.containers.map((c) => ({
            name: c.name,
            ready: true,
            restartCount: 0,
            state: { running: {} },
          })),
        },
      });
      return true;
    }
    return false;
  }

  /** The Job controller and the scripts, modelled on volume contents. */
  private async jobController(): Promise<boolean> {
    for (const job of this.fake.objects<KubeObject>(JOB, NS)) {
      const name = job.metadata.name ?? '';
      const status = (job.status ?? {}) as { conditions?: { type: string }[] };
      if ((status.conditions ?? []).length > 0) continue;
      const podName = `${name}-pod`;
      const template = (
        job.spec as {
          template: { metadata: { labels: Record<string, string> }; spec: Pod['spec'] };
        }
      ).template;
      const role = template.metadata.labels['resize.charmkit.io/role'] ?? '';
      const claim = template.metadata.labels['resize.charmkit.io/claim'] ?? '';
      const pod = this.fake.peek<Pod>({ ...POD, namespace: NS, name: podName });
      if (!pod) {
        this.fake.seed({
          ...POD,
          metadata: {
            name: podName,
            namespace: NS,
            labels: {
              ...template.metadata.labels,
              'batch.kubernetes.io/job-name': name,
              'job-name': name,
            },
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name,
                uid: job.metadata.uid ?? '',
                controller: true,
              },
            ],
          },
          spec: { ...structuredClone(template.spec), nodeName: 'node-1' },
          status: { phase: 'Pending' },
        });
        this.jobStarted.set(name, this.now);
        return true;
      }
      const volumes = Object.fromEntries(
        (pod.spec.volumes ?? []).map((v) => [v.name, v.persistentVolumeClaim?.claimName]),
      );
      const src = this.claim(volumes.src ?? '');
      const dst = this.claim(volumes.dst ?? '');
      if (src?.status?.phase !== 'Bound' || dst?.status?.phase !== 'Bound') continue;
      const behavior = this.options.jobs?.(role, claim) ?? 'ok';
      const deadline = Number(
        (job.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds ?? 0,
      );
      if (behavior === 'hang') {
        if (pod.status?.phase === 'Pending') {
          this.fake.seed({ ...pod, status: { phase: 'Running' } });
          return true;
        }
        if (this.now - (this.jobStarted.get(name) ?? 0) >= deadline * 1000) {
          await this.fake.delete({ ...POD, namespace: NS, name: podName });
          this.finishJob(
            job,
            false,
            'DeadlineExceeded',
            'Job was active longer than specified deadline',
          );
          return true;
        }
        continue;
      }
      const script = role === 'copy' || role === 'copy-back' ? 'copy' : 'verify';
      const srcVolume = src.spec.volumeName ?? '';
      const dstVolume = dst.spec.volumeName ?? '';
      const env = Object.fromEntries(
        (pod.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']),
      );
      let report: Record<string, unknown>;
      if (behavior === 'fail') {
        report = { ok: false, role: script, reason: 'rsync exited with status 23' };
      } else if (script === 'copy') {
        const data = this.content.get(srcVolume) ?? '';
        this.content.set(dstVolume, data);
        report = {
          ok: true,
          role: 'copy',
          bytes: Buffer.byteLength(data),
          files: 1,
          digest: sha(data),
        };
        if (behavior === 'tamper-source')
          this.write(volumes.src ?? '', `${data} (changed by a writer)`);
      } else {
        const a = this.content.get(srcVolume) ?? '';
        const b = this.content.get(dstVolume) ?? '';
        const expected = env.EXPECTED_DIGEST ?? '';
        report =
          sha(a) === expected && sha(b) === expected
            ? { ok: true, role: 'verify', bytes: Buffer.byteLength(a), files: 1, digest: expected }
            : { ok: false, role: 'verify', reason: 'the checksum dry run found 1 difference(s)' };
        if (report.ok === true && role === 'verify') this.verified.set(claim, dstVolume);
      }
      const ok = report.ok === true;
      const text = behavior === 'no-report' ? '' : JSON.stringify(report);
      this.fake.seed({
        ...pod,
        status: {
          phase: ok ? 'Succeeded' : 'Failed',
          containerStatuses: [
            {
              name: script,
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: ok ? 0 : 1, message: text } },
            },
          ],
        },
      });
      this.finishJob(
        job,
        ok,
        ok ? 'Completed' : 'BackoffLimitExceeded',
        ok ? '' : 'Job has reached the specified backoff limit',
      );
      return true;
    }
    return false;
  }

  private finishJob(job: KubeObject, ok: boolean, reason: string, message: string): void {
    this.fake.seed({
      ...job,
      status: {
        ...(ok ? { succeeded: 1 } : { failed: 1 }),
        conditions: [{ type: ok ? 'Complete' : 'Failed', status: 'True', reason, message }],
      },
    });
  }

  // ---- invariants -----------------------------------------------------------------------------

  /**
   * - the original data of every claim exists on some volume at every moment;
   * - an original claim (by UID) disappears only after a verified copy of it exists.
   */
  checkInvariants(): void {
    for (const [claim, data] of this.original) {
      if (![...this.content.values()].includes(data)) {
        this.note(`the data of claim ${claim} exists on no volume`);
      }
    }
    for (const [name, { uid }] of this.originalClaims) {
      const now = this.claim(name);
      if ((!now || now.metadata.uid !== uid) && !this.verified.has(name)) {
        this.note(`original claim ${name} was deleted before a verified copy existed`);
      }
    }
  }

  private note(violation: string): void {
    if (!this.violations.includes(violation)) this.violations.push(violation);
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The helper's port: forwards to the FakeCluster, records each call, plays admission, and injects
 * one crash when asked.
 */
export class HelperPort implements KubePort {
  readonly calls: RequestRecord[] = [];
  crash: CrashPoint | undefined;

  constructor(private readonly world: World) {}

  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    return this.call({ verb: 'get', ...ids(ref) }, () => this.world.fake.get<T>(ref));
  }

  list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options?: ListOptions,
  ): Promise<KubeList<T>> {
    const record: RequestRecord = { verb: 'list', apiVersion: type.apiVersion, kind: type.kind };
    if (options?.namespace) record.namespace = options.namespace;
    return this.call(record, () => this.world.fake.list<T>(type, options));
  }

  create<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    if (object.kind === 'SelfSubjectAccessReview') return this.review(object) as Promise<T>;
    const record = {
      verb: 'create' as const,
      ...ids({ ...object, ...object.metadata, name: object.metadata.name ?? '' }),
    };
    if (object.kind === 'Pod' && options?.dryRun) this.podSecurity(object);
    return this.call(record, () => this.world.fake.create(object, options));
  }

  replace<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    const record = {
      verb: 'replace' as const,
      ...ids({ ...object, ...object.metadata, name: object.metadata.name ?? '' }),
    };
    return this.call(record, () => this.world.fake.replace(object, options));
  }

  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options?: WriteOptions,
  ): Promise<T> {
    if (ref.kind === 'PersistentVolumeClaim') this.claimAdmission(ref, patch);
    return this.call({ verb: 'patch', ...ids(ref), patchType: patch.type }, () =>
      this.world.fake.patch<T>(ref, patch, options),
    );
  }

  delete(ref: ObjectRef, options?: DeleteOptions): Promise<void> {
    return this.call({ verb: 'delete', ...ids(ref) }, () => this.world.fake.delete(ref, options));
  }

  watch<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    return this.world.fake.watch(type, options, onEvent);
  }

  private call<T>(record: RequestRecord, run: () => Promise<T>): Promise<T> {
    const index = this.calls.length;
    this.calls.push(record);
    const crash = this.crash?.call === index ? this.crash : undefined;
    if (crash?.mode === 'before') {
      this.world.fake.failNext({
        verb: record.verb,
        kind: record.kind,
        ...(record.name !== undefined ? { name: record.name } : {}),
        status: { code: 500, message: 'injected: the server failed before applying the request' },
      });
    }
    this.world.asHelper = true;
    let promise: Promise<T>;
    try {
      promise = run();
    } finally {
      this.world.asHelper = false;
    }
    const result = promise.then(async (value) => {
      this.world.checkInvariants();
      if (crash?.mode === 'after') {
        throw new Error('injected: the connection broke after the server applied the request');
      }
      return value;
    });
    return result;
  }

  /** The authorizer's answer to a SelfSubjectAccessReview (never stored, as on a server). */
  private review(object: KubeObject): Promise<KubeObject> {
    const attributes = (object.spec as { resourceAttributes: { resource: string; verb: string } })
      .resourceAttributes;
    const named = { ...object, metadata: { name: `review-${this.calls.length}` } };
    const denied = this.world.deniedPermissions.includes(
      `${attributes.resource}/${attributes.verb}`,
    );
    return this.call({ verb: 'create', apiVersion: object.apiVersion, kind: object.kind }, () =>
      this.world.fake.create(named, { dryRun: true }),
    ).then((review) => ({ ...review, status: { allowed: !denied } }));
  }

  /** The claim-resize admission plugin and the "not below capacity" validation. */
  private claimAdmission(ref: ObjectRef, patch: Patch): void {
    if (patch.type !== 'merge') return;
    const body = patch.body as { spec?: { resources?: { requests?: { storage?: string } } } };
    const size = body.spec?.resources?.requests?.storage;
    const claim = this.world.claim(ref.name);
    if (!size || !claim) return;
    const request = claim.spec.resources?.requests?.storage ?? '0';
    const capacity = claim.status?.capacity?.storage ?? '0';
    const fail = (code: number, message: string) =>
      this.world.fake.failNext({
        verb: 'patch',
        kind: ref.kind,
        name: ref.name,
        status: { code, message },
      });
    if (compareQuantities(size, request) > 0) {
      if (claim.status?.phase !== 'Bound') {
        fail(
          403,
          `persistentvolumeclaims "${ref.name}" is forbidden: Only bound persistent volume claims can be expanded`,
        );
        return;
      }
      const sc = this.world.fake.peek({ ...SC, name: claim.spec.storageClassName ?? '' });
      if (sc?.allowVolumeExpansion !== true) {
        fail(
          403,
          `persistentvolumeclaims "${ref.name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
        );
      }
    } else if (compareQuantities(size, request) < 0 && compareQuantities(size, capacity) <= 0) {
      fail(
        422,
        `PersistentVolumeClaim "${ref.name}" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity`,
      );
    }
  }

  /** Pod Security admission for the copy pod (it runs as root). */
  private podSecurity(pod: KubeObject): void {
    const ns = this.world.fake.peek({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    if (ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') return;
    this.world.fake.failNext({
      verb: 'create',
      kind: 'Pod',
      name: pod.metadata.name ?? '',
      status: {
        code: 403,
        message: `pods "${pod.metadata.name ?? ''}" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true`,
      },
    });
  }
}

function ids(ref: { apiVersion: string; kind: string; name?: string; namespace?: string }): {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
} {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    ...(ref.name !== undefined ? { name: ref.name } : {}),
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
  };
}
