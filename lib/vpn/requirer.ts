/**
 * `VPNGatewayRequirer`: route a download client's own pods through a VPN gateway over
 * pod-gateway's VXLAN, behind a kill switch, failing closed at every step.
 *
 * Flow of one reconcile (a `Capability`; see lib/workload/capability.ts for the stages):
 *   prepare   relation data → validated `GatewayOffer` (invalid → Blocked, nothing touched: the
 *             kill switch and the routing in place stay). No relation → the broken-relation policy.
 *   contribute  init container, sidecar, settings volume, settings hash, DNS (pure).
 *   beforePatch the kill switch NetworkPolicy FIRST, then the CiliumNetworkPolicy where Cilium
 *             runs, then the settings ConfigMap. Any failure withdraws the routing fragments: the
 *             StatefulSet is not patched, the status says why.
 *   patch     (by `reconcileCapabilities`: one patch with every other capability's changes)
 *   afterPatch  only for `onRelationBroken: 'remove'`: the owned side objects go once the
 *             containers are gone.
 *   verify    status from the rollout and the gateway's own report (`vpn_connected`).
 * A no-op reconcile writes nothing: every side object is read and compared first, and the plan
 * sends no patch when the template already holds every fragment.
 *
 * This module is the flow: what to do in which case, and the status to show. The side objects'
 * reads and writes (kill switch, Cilium companion, ConfigMap, removal) are requirer-side-objects.ts.
 */
import type { KubePort } from '../kube/port.js';
import { rolloutProgress } from '../kube/rollout-progress.js';
import type { RelationBackend } from '../relations/backend.js';
import { RelationDataValidationError, type FieldIssue } from '../relations/errors.js';
import type { Relation } from '../relations/relation.js';
import type { SchemaRegistry } from '../relations/schema-registry.js';
import { active, blocked, maintenance, waiting, type Status } from '../relations/status.js';
import type {
  Capability,
  CapabilityContext,
  CapabilityResult,
  PatchOutcome,
  PatchStep,
  Preparation,
} from '../workload/capability.js';
import { statusForFailure } from '../workload/failure-status.js';
import type { PlanChange, StatefulSetPlan } from '../workload/plan/index.js';
import { reconcileCapabilities } from '../workload/reconcile.js';
import {
  clusterDomainOf,
  contributeClientRemoval,
  contributeClientRouting,
  namespaceOf,
  POD_GATEWAY_IMAGE,
  tunnelDns,
  type ClientPodSpec,
} from './client-pod.js';
import type { ApiServerOption } from './cluster-addresses.js';
import { VPNConfigurationError } from './errors.js';
import { DEFAULT_VPN_GATEWAY_ENDPOINT, VPNGatewayRequirerEndpoint } from './interface.js';
import {
  buildKillSwitch,
  buildMinimalKillSwitch,
  DEFAULT_LINK_LOCAL_ADDRESSES,
} from './kill-switch.js';
import {
  addressRange,
  cidrContains,
  fqdnProblem,
  parseCidr,
  parseIp,
  type Cidr,
  type IpAddress,
} from '../core/net.js';
import { killSwitchVariant, RequirerSideObjects } from './requirer-side-objects.js';
import { clientSettings, settingsHash } from './settings.js';
import { parseClusterCidrs, validateGatewayConfig, type GatewayOffer } from './validate.js';

/** What happens to routing and the kill switch when the gateway relation goes away. */
export type RelationBrokenPolicy =
  /** Routing containers removed, kill switch kept: the client stays dark until a gateway returns. */
  | 'failClosed'
  /** Everything charmkit added removed (found by ownership labels): the client reaches the internet directly. */
  | 'remove';

/** Options of `VPNGatewayRequirer`. */
export interface VPNGatewayRequirerOptions {
  readonly kube: KubePort;
  readonly backend: RelationBackend;
  /** The relation endpoint (default `vpn-gateway`). */
  readonly endpoint?: string;
  /** This controller's StatefulSet; default: the app name in the model's namespace. */
  readonly statefulSet?: { readonly name: string; readonly namespace: string };
  /**
   * The client must never reach the internet directly: a minimal kill switch (cluster DNS and the
   * API server only) is in place from the first reconcile, before any gateway is related, and the
   * status is Blocked until one is. Default false.
   */
  readonly required?: boolean;
  /** Default `failClosed`. */
  readonly onRelationBroken?: RelationBrokenPolicy;
  /**
   * `tunnel` (default): the pod resolves names through the gateway's dnsmasq, inside the VPN.
   * `cluster`: it keeps cluster DNS, whose upstream queries leave outside the VPN (a DNS leak the
   * status names); use it only when other init containers need DNS before the tunnel is up.
   */
  readonly dns?: 'tunnel' | 'cluster';
  /** The cluster domain for the DNS search list (default: from the gateway's name, else cluster.local). */
  readonly clusterDomain?: string;
  /**
   * The node address ranges. Kubelet probes come from the node, so their replies must not go into
   * the tunnel and the kill switch must allow them; a status note says when this is not set.
   */
  readonly nodeCidrs?: readonly string[];
  /** Link-local addresses to allow and route directly (default 169.254.7.127 and 169.254.20.10). */
  readonly linkLocalAddresses?: readonly string[];
  /** The API server's addresses; default discovered (pod environment, `kubernetes` Service and slices). */
  readonly apiServer?: ApiServerOption;
  /** Whether Cilium runs: `auto` (default) reads its CRD once and records the answer. */
  readonly cilium?: 'auto' | 'present' | 'absent';
  /** Namespace of cluster DNS (default kube-system). */
  readonly dnsNamespace?: string;
  /** pod-gateway's image (default `ghcr.io/angelnu/pod-gateway:v1.13.0`); never from relation data. */
  readonly image?: string;
  /** Published to the gateway as `instance_name` (default: the app name). */
  readonly instanceName?: string;
  /** Field manager of every write (default `charmkit-vpn`). */
  readonly fieldManager?: string;
  /** The environment to read `KUBERNETES_SERVICE_HOST` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where to load the schema from (default: the package's schemas/). */
  readonly schemas?: SchemaRegistry;
}

/** Where a reconcile ended; `status` says the same for humans. */
export type VPNGatewayRequirerState =
  /** No gateway related and none required: nothing of the VPN is in place. */
  | 'no-relation'
  /** Required, no gateway yet: only the minimal kill switch; the client has no internet. */
  | 'protected'
  /** Related, the gateway has published nothing yet. */
  | 'waiting-for-gateway'
  /** The gateway's data is invalid: everything in place was kept. */
  | 'invalid'
  /** Routing was added or changed; pods are rolling. */
  | 'routing'
  /** Routing in place and rolled out. */
  | 'routed'
  /** The relation went away: routing removed (kill switch kept or removed per policy). */
  | 'unrouted'
  /** A failure; see `error`. Nothing was opened. */
  | 'failed';

/** What a reconcile did and what to show. */
export interface VPNGatewayRequirerResult extends CapabilityResult {
  readonly state: VPNGatewayRequirerState;
  /** Which kill switch is in place after this reconcile, as far as this reconcile knows. */
  readonly killSwitch: 'full' | 'minimal' | 'kept' | 'removed' | 'none';
  /** Writes to side objects (kill switch, Cilium policy, ConfigMap), in order. */
  readonly sideWrites: readonly string[];
  /** Things the user should know even when all is well (DNS leak, node range, Cilium unknown). */
  readonly notes: readonly string[];
  /** The validated gateway offer, once read. */
  readonly offer?: GatewayOffer;
  /** Whether this unit wrote relation data (its instance name). */
  readonly relationDataWritten: boolean;
}

/**
 * The download client's side of the `vpn-gateway` relation. A `Capability`: `reconcile()` runs it
 * alone; pass it to `reconcileCapabilities` with other capabilities to share one patch.
 */
export class VPNGatewayRequirer implements Capability<VPNGatewayRequirerResult> {
  /** The endpoint this requirer reads, for event wiring. */
  readonly endpoint: VPNGatewayRequirerEndpoint;
  /** Owner tag of this capability's plan fragments. */
  readonly owner: string;
  private readonly options: VPNGatewayRequirerOptions;
  private readonly nodeCidrs: readonly Cidr[];
  private readonly linkLocal: readonly IpAddress[];
  /** What the current reconcile has learnt and done, for `failed` and `verify`. */
  private run: { written: boolean; sideWrites: string[]; notes: string[]; offer?: GatewayOffer } = {
    written: false,
    sideWrites: [],
    notes: [],
  };

  constructor(options: VPNGatewayRequirerOptions) {
    const endpoint = options.endpoint ?? DEFAULT_VPN_GATEWAY_ENDPOINT;
    this.options = options;
    this.endpoint = new VPNGatewayRequirerEndpoint(options.backend, endpoint, options.schemas);
    this.owner = `vpn:${endpoint}`;
    const issues: FieldIssue[] = [];
    this.nodeCidrs = parseClusterCidrs(options.nodeCidrs ?? [], 'nodeCidrs', issues);
    this.linkLocal = (options.linkLocalAddresses ?? DEFAULT_LINK_LOCAL_ADDRESSES).flatMap(
      (text) => {
        const ip = parseIp(text);
        const linkLocal = parseCidr(ip?.family === 6 ? 'fe80::/10' : '169.254.0.0/16');
        if (ip === undefined || !('cidr' in linkLocal) || !cidrContains(linkLocal.cidr, ip)) {
          issues.push({
            field: 'linkLocalAddresses',
            reason: `"${text}" is not a link-local address`,
          });
          return [];
        }
        return [ip];
      },
    );
    if (
      options.clusterDomain !== undefined &&
      options.clusterDomain.split('.').some((l) => l === '')
    ) {
      issues.push({ field: 'clusterDomain', reason: 'must be a domain such as cluster.local' });
    } else if (
      options.clusterDomain !== undefined &&
      fqdnProblem(`x.${options.clusterDomain}`) !== undefined
    ) {
      issues.push({ field: 'clusterDomain', reason: 'must be a domain such as cluster.local' });
    }
    if (issues.length > 0) throw new VPNConfigurationError('VPNGatewayRequirer options', issues);
  }

  /** The StatefulSet this requirer patches. */
  get statefulSet(): { name: string; namespace: string } {
    if (this.options.statefulSet) return { ...this.options.statefulSet };
    const context = this.options.backend.context;
    return { name: context.appName, namespace: context.modelName ?? 'default' };
  }

  /** Name of the kill switch NetworkPolicy (charmarr's name, so a migrated client keeps one). */
  get killSwitchName(): string {
    return `${this.statefulSet.name}-vpn-killswitch`;
  }

  /** Name of the client's settings ConfigMap (charmarr's name). */
  get configMapName(): string {
    return `${this.statefulSet.name}-gateway-client-config`;
  }

  /** Runs one reconcile with this capability alone (one StatefulSet read, at most one patch). */
  async reconcile(): Promise<VPNGatewayRequirerResult> {
    const reconciled = await reconcileCapabilities(this.context, [this] as const, {
      fieldManager: this.fieldManager,
    });
    return reconciled.results[0];
  }

  /** Capability stage 1: relation data and validation; never touches the StatefulSet. */
  async prepare(): Promise<Preparation<VPNGatewayRequirerResult>> {
    this.run = { written: false, sideWrites: [], notes: [] };
    const relations = await this.endpoint.relations();
    const relation = relations[0];
    if (relation === undefined) return this.withoutGateway();
    if (relations.length > 1) {
      const apps = relations.map((r) => r.remoteApp).join(', ');
      return this.keepInPlace(
        'invalid',
        blocked(
          `${this.endpoint.name} is related to ${relations.length} gateways (${apps}); relate exactly one`,
        ),
      );
    }
    this.run.written = await this.publishInstanceName(relation);
    const data = await this.endpoint.remoteAppData(relation);
    if (data === undefined) {
      const status = waiting(`waiting for ${relation.remoteApp} to publish its gateway settings`);
      return this.options.required === true
        ? this.minimalParticipation('waiting-for-gateway', status, false)
        : this.keepInPlace('waiting-for-gateway', status);
    }
    const offer = validateGatewayConfig(data.config, `${relation.remoteApp} on ${relation}`);
    this.run.offer = offer;
    return this.routing(offer, relation);
  }

  /** Capability: the result for a failure at any stage. Nothing is ever opened by a failure. */
  failed(failure: unknown): VPNGatewayRequirerResult {
    const invalid =
      failure instanceof RelationDataValidationError || failure instanceof VPNConfigurationError;
    const status = statusForFailure(failure, {
      app: this.statefulSet.name,
      label: this.endpoint.name,
    });
    const kept = invalid ? '; the kill switch and routing in place were kept' : '';
    return {
      state: invalid ? 'invalid' : 'failed',
      status: { ...status, message: `${status.message}${kept}` },
      changes: [],
      error: failure instanceof Error ? failure : new Error(String(failure)),
      killSwitch: 'kept',
      sideWrites: [...this.run.sideWrites],
      notes: [...this.run.notes],
      relationDataWritten: this.run.written,
      ...(this.run.offer ? { offer: this.run.offer } : {}),
    };
  }

  private get context(): CapabilityContext {
    return { kube: this.options.kube, statefulSet: this.statefulSet };
  }

  private get fieldManager(): string {
    return this.options.fieldManager ?? 'charmkit-vpn';
  }

  /** The side objects' I/O for one patch step, recording into this reconcile's run. */
  private sideObjects(step: PatchStep): RequirerSideObjects {
    const config = {
      statefulSet: this.statefulSet,
      killSwitchName: this.killSwitchName,
      fieldManager: this.fieldManager,
      cilium: this.options.cilium ?? 'auto',
      apiServer: this.options.apiServer,
      env: this.options.env ?? process.env,
    };
    return new RequirerSideObjects(step, config, this.run);
  }

  private result(
    state: VPNGatewayRequirerState,
    status: Status,
    killSwitch: VPNGatewayRequirerResult['killSwitch'],
    changes: readonly PlanChange[] = [],
  ): VPNGatewayRequirerResult {
    return {
      state,
      status,
      changes,
      killSwitch,
      sideWrites: [...this.run.sideWrites],
      notes: [...this.run.notes],
      relationDataWritten: this.run.written,
      ...(this.run.offer ? { offer: this.run.offer } : {}),
    };
  }

  /** Stop without touching anything (fail closed). */
  private keepInPlace(
    state: VPNGatewayRequirerState,
    status: Status,
  ): Preparation<VPNGatewayRequirerResult> {
    return { done: this.result(state, status, 'kept') };
  }

  /** No gateway related: take routing out per the broken-relation policy; minimal kill switch if required. */
  private withoutGateway(): Preparation<VPNGatewayRequirerResult> {
    const policy = this.options.onRelationBroken ?? 'failClosed';
    const required = this.options.required === true;
    const status = required
      ? blocked(
          `a VPN gateway is required: relate ${this.endpoint.name} to one (no internet access until then)`,
        )
      : waiting(`no VPN gateway related on ${this.endpoint.name}`);
    if (required)
      return this.minimalParticipation(
        required ? 'protected' : 'no-relation',
        status,
        policy === 'remove',
      );
    return {
      contribute: (plan) => contributeClientRemoval(plan, this.owner),
      afterPatch:
        policy === 'remove'
          ? async (step) => {
              await this.sideObjects(step).deleteOwnedObjects(true);
            }
          : undefined,
      verify: (outcome) =>
        Promise.resolve(
          outcome.changes.length > 0 || this.run.sideWrites.length > 0
            ? this.result(
                'unrouted',
                maintenance('VPN routing removed (rolling out)'),
                policy === 'remove' ? 'removed' : 'kept',
                outcome.changes,
              )
            : this.result('no-relation', status, policy === 'remove' ? 'none' : 'kept'),
        ),
    };
  }

  /**
   * The minimal kill switch (required VPN, no usable gateway): routing taken out if present, the
   * minimal policy created when no kill switch exists (an existing one is kept: it is no weaker),
   * or replaced by the minimal one when the policy is `remove`.
   */
  private minimalParticipation(
    state: VPNGatewayRequirerState,
    status: Status,
    replaceFull: boolean,
  ): Preparation<VPNGatewayRequirerResult> {
    return {
      contribute: (plan) => {
        if (state !== 'waiting-for-gateway') contributeClientRemoval(plan, this.owner);
      },
      beforePatch: async (step) => {
        const side = this.sideObjects(step);
        const observed = await side.readKillSwitch();
        const kept = observed !== undefined && killSwitchVariant(observed) !== 'minimal';
        if (kept && !replaceFull) return;
        await side.putKillSwitch(observed, 'minimal', (frame) =>
          buildMinimalKillSwitch({
            ...frame,
            dnsNamespace: this.options.dnsNamespace ?? 'kube-system',
          }),
        );
      },
      afterPatch: replaceFull
        ? async (step) => {
            await this.sideObjects(step).deleteOwnedObjects(false);
          }
        : undefined,
      verify: (outcome) =>
        Promise.resolve(
          outcome.changes.length > 0
            ? this.result(
                'unrouted',
                maintenance('VPN routing removed (rolling out)'),
                'minimal',
                outcome.changes,
              )
            : this.result(state, status, 'minimal'),
        ),
    };
  }

  /** A valid offer: kill switch, settings, routing. */
  private routing(offer: GatewayOffer, relation: Relation): Preparation<VPNGatewayRequirerResult> {
    const { namespace } = this.statefulSet;
    const notRouted = unique([
      ...offer.clusterCidrs,
      ...this.nodeCidrs,
      ...this.linkLocal.map(addressRange),
    ]);
    const settings = { 'settings.sh': clientSettings({ offer, notRouted }) };
    const clusterDomain =
      this.options.clusterDomain ?? clusterDomainOf(offer.gatewayDnsName) ?? 'cluster.local';
    const spec: ClientPodSpec = {
      image: this.options.image ?? POD_GATEWAY_IMAGE,
      configMapName: this.configMapName,
      gatewayDnsName: offer.gatewayDnsName,
      settingsHash: settingsHash(settings),
      dns:
        this.options.dns === 'cluster'
          ? { mode: 'cluster' }
          : tunnelDns(offer.vxlanIpNetwork, namespace, clusterDomain),
    };
    if (this.options.dns === 'cluster') {
      this.run.notes.push(
        'DNS uses the cluster resolver: the names this client looks up leave outside the VPN (a DNS leak); ' +
          "set dns: 'tunnel' to resolve through the gateway",
      );
    }
    if (this.nodeCidrs.length === 0) {
      this.run.notes.push(
        'node address ranges are not configured (nodeCidrs): unless the gateway lists them, kubelet probe ' +
          'replies go into the tunnel and the probes fail',
      );
    }
    const gatewayNamespace = namespaceOf(offer.gatewayDnsName);
    return {
      contribute: (plan: StatefulSetPlan) => contributeClientRouting(plan, this.owner, spec),
      beforePatch: async (step) => {
        const side = this.sideObjects(step);
        const observed = await side.readKillSwitch();
        // The kill switch first: routing must never exist without it.
        await side.putKillSwitch(observed, 'full', (frame) =>
          buildKillSwitch({
            ...frame,
            dnsNamespace: this.options.dnsNamespace ?? 'kube-system',
            clusterDnsIp: offer.clusterDnsIp,
            clusterCidrs: unique([...offer.clusterCidrs, ...this.nodeCidrs]),
            linkLocal: this.linkLocal,
            ...(gatewayNamespace !== undefined
              ? { gateway: { namespace: gatewayNamespace, instanceName: offer.instanceName } }
              : {}),
          }),
        );
        await side.putSettings(this.configMapName, settings);
      },
      verify: (outcome) => Promise.resolve(this.verifyRouting(outcome, offer, relation)),
    };
  }

  private verifyRouting(
    outcome: PatchOutcome,
    offer: GatewayOffer,
    relation: Relation,
  ): VPNGatewayRequirerResult {
    const gateway = relation.remoteApp;
    if (outcome.changes.length > 0) {
      return this.result(
        'routing',
        maintenance(`routing through VPN gateway ${gateway} (rolling out)`),
        'full',
        outcome.changes,
      );
    }
    const progress = rolloutProgress(outcome.observed);
    if (!progress.complete) {
      return this.result(
        'routing',
        waiting(`routing through VPN gateway ${gateway}: ${progress.message}`),
        'full',
      );
    }
    if (!offer.vpnConnected) {
      return this.result(
        'routed',
        waiting(
          `VPN gateway ${gateway} reports its VPN is down; traffic is blocked until it reconnects`,
        ),
        'full',
      );
    }
    const exit = offer.externalIp === undefined ? '' : ` (exit ${offer.externalIp.text})`;
    const notes = this.run.notes.length > 0 ? `; ${this.run.notes.join('; ')}` : '';
    return this.result(
      'routed',
      active(`routed through VPN gateway ${gateway}${exit}${notes}`),
      'full',
    );
  }

  private async publishInstanceName(relation: Relation): Promise<boolean> {
    if (!(await this.options.backend.isLeader())) return false;
    const instance = this.options.instanceName ?? this.options.backend.context.appName;
    return this.endpoint.publishAppData(relation, { config: { instance_name: instance } });
  }
}

function unique(cidrs: readonly Cidr[]): Cidr[] {
  const seen = new Set<string>();
  return cidrs.filter((c) => (seen.has(c.text) ? false : (seen.add(c.text), true)));
}
