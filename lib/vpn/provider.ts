/**
 * `VPNGatewayProvider`: turn the controller's own pod (the one running gluetun) into a
 * pod-gateway VPN gateway and tell every related download client how to reach it, in charmarr's
 * wire format. It patches only its own StatefulSet.
 *
 * Flow of one reconcile (a `Capability`):
 *   prepare     own options checked; the cluster DNS IP discovered (kube-dns, then coredns).
 *   contribute  privileged init container with the INPUT accepts, dnsmasq sidecar, settings
 *               volume and hash; more than one replica is refused (the name must be one pod).
 *   beforePatch the settings ConfigMap (settings.sh, nat.conf) and the headless Service.
 *   verify      once the gateway's rollout is complete, the provider data is published to every
 *               relation (leader only); before that clients are told nothing, so none starts
 *               against a gateway that is not ready.
 * `remove()` takes out exactly what was added, the side objects after the patch.
 */
import type { KubePort } from '../kube/port.js';
import { rolloutProgress } from '../kube/rollout-progress.js';
import type { KubeObject, StatefulSet } from '../kube/types.js';
import type { RelationBackend } from '../relations/backend.js';
import type { FieldIssue } from '../relations/errors.js';
import type { SchemaRegistry } from '../relations/schema-registry.js';
import { active, maintenance, waiting, type Status } from '../relations/status.js';
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
import { POD_GATEWAY_IMAGE } from './client-pod.js';
import { discoverClusterDns } from './cluster-addresses.js';
import { GatewayReplicasError, VPNConfigurationError } from './errors.js';
import {
  contributeGateway,
  contributeGatewayRemoval,
  gatewayService,
  type GatewayPodSpec,
} from './gateway-pod.js';
import {
  DEFAULT_VPN_GATEWAY_ENDPOINT,
  VPNGatewayProviderEndpoint,
  type VPNGatewayProviderConfig,
} from './interface.js';
import { fqdnProblem, parseIp, type Cidr, type IpAddress } from '../core/net.js';
import { CONFIG_MAP_TYPE, SERVICE_TYPE } from './resources.js';
import { gatewaySettings, settingsHash } from './settings.js';
import { deleteOwned, ensureSideObject, ownershipLabels } from './side-objects.js';
import { parseClusterCidrs, vxlanNetworkProblem } from './validate.js';

/** What the gateway knows about its own VPN, from gluetun's control server. */
export interface GatewayHealth {
  readonly connected: boolean;
  /** The VPN exit address, when known. */
  readonly externalIp?: string;
}

/** Options of `VPNGatewayProvider`. */
export interface VPNGatewayProviderOptions {
  readonly kube: KubePort;
  readonly backend: RelationBackend;
  /** The relation endpoint (default `vpn-gateway`). */
  readonly endpoint?: string;
  /** This controller's StatefulSet; default: the app name in the model's namespace. */
  readonly statefulSet?: { readonly name: string; readonly namespace: string };
  /** In-cluster ranges clients reach directly: pods, services and nodes (required). */
  readonly clusterCidrs: readonly string[];
  /** Link-local ranges published with them (default Istio ambient's probe source, 169.254.7.127/32). */
  readonly extraPublishedCidrs?: readonly string[];
  /** The cluster DNS Service IP (default: discovered in kube-system). */
  readonly clusterDnsIp?: string;
  /** The cluster domain (default cluster.local). */
  readonly clusterDomain?: string;
  /** VXLAN network identifier (default 42). */
  readonly vxlanId?: number;
  /** First three octets of the VXLAN subnet (default 172.16.0). */
  readonly vxlanIpNetwork?: string;
  /** VXLAN UDP port (default 4790: not flannel's or Cilium's 8472, not Calico's 4789). */
  readonly vxlanPort?: number;
  /** gluetun's tunnel interface (default tun0, gluetun's own default for WireGuard too). */
  readonly vpnInterface?: string;
  /** The VPN's own outward port, allowed while other traffic is blocked (default 443). */
  readonly vpnTrafficPort?: number;
  /** First DHCP address; static ones lie below it (default 20). */
  readonly firstDynamicIp?: number;
  /** `nat.conf` lines (pod-gateway's static address and port-forward table; default empty). */
  readonly natEntries?: readonly {
    readonly host: string;
    readonly ip: number;
    readonly ports?: readonly string[];
  }[];
  /** pod-gateway's image (default `ghcr.io/angelnu/pod-gateway:v1.13.0`). */
  readonly image?: string;
  /** Name of the headless Service (default `<statefulset>-vpn-gateway`). */
  readonly serviceName?: string;
  /** Published as `instance_name` (default: the app name). */
  readonly instanceName?: string;
  /** The VPN's state, published to clients (default: not connected). */
  readonly health?: () => Promise<GatewayHealth>;
  /** Field manager of every write (default `charmkit-vpn`). */
  readonly fieldManager?: string;
  readonly schemas?: SchemaRegistry;
}

/** Where a reconcile ended. */
export type VPNGatewayProviderState = 'rolling-out' | 'serving' | 'removed' | 'invalid' | 'failed';

/** What a reconcile did and what to show. */
export interface VPNGatewayProviderResult extends CapabilityResult {
  readonly state: VPNGatewayProviderState;
  /** Side-object writes, in order. */
  readonly sideWrites: readonly string[];
  /** Relations whose app bag changed. */
  readonly published: readonly number[];
  /** The data published (or that would be, once ready). */
  readonly config?: VPNGatewayProviderConfig;
}

interface CheckedOptions {
  readonly clusterCidrs: readonly Cidr[];
  readonly publishedCidrs: readonly Cidr[];
  readonly clusterDnsIp?: IpAddress;
  readonly clusterDomain: string;
  readonly vxlanId: number;
  readonly vxlanIpNetwork: string;
  readonly vxlanPort: number;
  readonly vpnInterface: string;
  readonly vpnTrafficPort: number;
  readonly firstDynamicIp: number;
  readonly natConf: string;
}

/**
 * The gateway's side of the `vpn-gateway` relation. A `Capability`: `reconcile()` runs it alone;
 * pass it to `reconcileCapabilities` with the gluetun container's own capability for one patch.
 */
export class VPNGatewayProvider implements Capability<VPNGatewayProviderResult> {
  readonly endpoint: VPNGatewayProviderEndpoint;
  readonly owner: string;
  private readonly options: VPNGatewayProviderOptions;
  private readonly checked: CheckedOptions;
  private run: { sideWrites: string[] } = { sideWrites: [] };

  constructor(options: VPNGatewayProviderOptions) {
    const endpoint = options.endpoint ?? DEFAULT_VPN_GATEWAY_ENDPOINT;
    this.options = options;
    this.endpoint = new VPNGatewayProviderEndpoint(options.backend, endpoint, options.schemas);
    this.owner = `vpn:${endpoint}`;
    this.checked = checkOptions(options);
  }

  /** The StatefulSet this provider patches. */
  get statefulSet(): { name: string; namespace: string } {
    if (this.options.statefulSet) return { ...this.options.statefulSet };
    const context = this.options.backend.context;
    return { name: context.appName, namespace: context.modelName ?? 'default' };
  }

  /** The headless Service clients resolve. */
  get serviceName(): string {
    return this.options.serviceName ?? `${this.statefulSet.name}-vpn-gateway`;
  }

  /** The fully qualified name published as `gateway_dns_name`. */
  get gatewayDnsName(): string {
    return `${this.serviceName}.${this.statefulSet.namespace}.svc.${this.checked.clusterDomain}`;
  }

  /** The settings ConfigMap (charmarr's name). */
  get configMapName(): string {
    return `${this.statefulSet.name}-gateway-settings`;
  }

  /** One reconcile with this capability alone. */
  async reconcile(): Promise<VPNGatewayProviderResult> {
    const reconciled = await reconcileCapabilities(this.context, [this] as const, {
      fieldManager: this.fieldManager,
    });
    return reconciled.results[0];
  }

  /** Takes out what the provider added: containers and volume, then the ConfigMap and Service. */
  async remove(): Promise<VPNGatewayProviderResult> {
    const reconciled = await reconcileCapabilities(this.context, [this.removal()] as const, {
      fieldManager: this.fieldManager,
    });
    return reconciled.results[0];
  }

  /** The capability form of `remove()`, to share a patch with others. */
  removal(): Capability<VPNGatewayProviderResult> {
    return {
      owner: this.owner,
      prepare: () => {
        this.run = { sideWrites: [] };
        return Promise.resolve({
          contribute: (plan: StatefulSetPlan) => contributeGatewayRemoval(plan, this.owner),
          afterPatch: async (step: PatchStep) => {
            const { namespace, name } = this.statefulSet;
            for (const type of [CONFIG_MAP_TYPE, SERVICE_TYPE]) {
              for (const deleted of await deleteOwned(step.kube, type, namespace, name)) {
                this.run.sideWrites.push(`delete ${type.kind} ${namespace}/${deleted}`);
              }
            }
          },
          verify: (outcome: PatchOutcome) =>
            Promise.resolve(
              this.result(
                'removed',
                outcome.changes.length > 0
                  ? maintenance('VPN gateway removed (rolling out)')
                  : active('VPN gateway not configured'),
                outcome.changes,
              ),
            ),
        });
      },
      failed: (failure: unknown) => this.failed(failure),
    };
  }

  /** Capability stage 1: cluster DNS. Never touches the StatefulSet. */
  async prepare(context: CapabilityContext): Promise<Preparation<VPNGatewayProviderResult>> {
    this.run = { sideWrites: [] };
    const dnsIp = this.checked.clusterDnsIp ?? (await discoverClusterDns(context.kube));
    const settings = {
      'settings.sh': gatewaySettings({
        vxlanId: this.checked.vxlanId,
        vxlanIpNetwork: this.checked.vxlanIpNetwork,
        vxlanPort: this.checked.vxlanPort,
        firstDynamicIp: this.checked.firstDynamicIp,
        vpnInterface: this.checked.vpnInterface,
        vpnTrafficPort: this.checked.vpnTrafficPort,
        localCidrs: this.checked.clusterCidrs,
        clusterDnsIp: dnsIp.text,
        clusterDomain: this.checked.clusterDomain,
      }),
      // Always present: gateway_init.sh reads it and aborts when it is missing.
      'nat.conf': this.checked.natConf,
    };
    const spec: GatewayPodSpec = {
      image: this.options.image ?? POD_GATEWAY_IMAGE,
      configMapName: this.configMapName,
      settingsHash: settingsHash(settings),
      inputCidrs: this.checked.clusterCidrs,
    };
    const { name, namespace } = this.statefulSet;
    return {
      contribute: (plan) => {
        const replicas = plan.observed.spec.replicas ?? 1;
        if (replicas > 1) throw new GatewayReplicasError(name, replicas);
        contributeGateway(plan, this.owner, spec);
      },
      beforePatch: async (step) => {
        await this.ensure(
          step,
          {
            ...CONFIG_MAP_TYPE,
            metadata: { name: this.configMapName, namespace, labels: ownershipLabels(name) },
            data: settings,
          },
          'data',
        );
        await this.ensure(
          step,
          gatewayService(
            { name: this.serviceName, namespace, labels: ownershipLabels(name) },
            step.plan.observed.spec.selector.matchLabels ?? {},
            this.checked.vxlanPort,
          ),
          'spec',
        );
      },
      verify: (outcome) => this.publish(outcome, dnsIp),
    };
  }

  /** Capability: the result for a failure at any stage. */
  failed(failure: unknown): VPNGatewayProviderResult {
    const status = statusForFailure(failure, {
      app: this.statefulSet.name,
      label: this.endpoint.name,
    });
    return {
      state: failure instanceof VPNConfigurationError ? 'invalid' : 'failed',
      status,
      changes: [],
      error: failure instanceof Error ? failure : new Error(String(failure)),
      sideWrites: [...this.run.sideWrites],
      published: [],
    };
  }

  private get context(): CapabilityContext {
    return { kube: this.options.kube, statefulSet: this.statefulSet };
  }

  private get fieldManager(): string {
    return this.options.fieldManager ?? 'charmkit-vpn';
  }

  private result(
    state: VPNGatewayProviderState,
    status: Status,
    changes: readonly PlanChange[],
    published: readonly number[] = [],
    config?: VPNGatewayProviderConfig,
  ): VPNGatewayProviderResult {
    return {
      state,
      status,
      changes,
      sideWrites: [...this.run.sideWrites],
      published,
      ...(config ? { config } : {}),
    };
  }

  private async ensure(step: PatchStep, desired: KubeObject, content: string): Promise<void> {
    const ensured = await ensureSideObject(step.kube, desired, [content], this.fieldManager);
    if (ensured.write !== 'none') {
      this.run.sideWrites.push(
        `${ensured.write} ${desired.kind} ${desired.metadata.namespace}/${desired.metadata.name}`,
      );
    }
  }

  /** Publishes to every relation once the gateway runs; before that, clients are told nothing. */
  private async publish(
    outcome: PatchOutcome,
    dnsIp: IpAddress,
  ): Promise<VPNGatewayProviderResult> {
    const health = (await this.options.health?.()) ?? { connected: false };
    const external = health.externalIp === undefined ? undefined : parseIp(health.externalIp);
    const config: VPNGatewayProviderConfig = {
      routing_method: 'pod-gateway',
      gateway_dns_name: this.gatewayDnsName,
      vxlan_id: this.checked.vxlanId,
      vxlan_ip_network: this.checked.vxlanIpNetwork,
      vxlan_port: this.checked.vxlanPort,
      cluster_cidrs: this.checked.publishedCidrs.map((c) => c.text).join(','),
      cluster_dns_ip: dnsIp.text,
      vpn_connected: health.connected,
      external_ip: external?.text ?? null,
      instance_name: this.options.instanceName ?? this.options.backend.context.appName,
    };
    const progress = rolloutProgress(outcome.observed as StatefulSet);
    if (outcome.changes.length > 0 || !progress.complete) {
      const why = outcome.changes.length > 0 ? 'rolling out' : progress.message;
      return this.result(
        'rolling-out',
        maintenance(`VPN gateway starting (${why}); clients are told once it is ready`),
        outcome.changes,
        [],
        config,
      );
    }
    const published: number[] = [];
    const relations = await this.endpoint.relations();
    if (await this.options.backend.isLeader()) {
      for (const relation of relations) {
        if (await this.endpoint.publishAppData(relation, { config })) published.push(relation.id);
      }
    }
    const clients = `${relations.length} client${relations.length === 1 ? '' : 's'}`;
    const status = health.connected
      ? active(`VPN gateway serving ${clients}${external ? ` (exit ${external.text})` : ''}`)
      : waiting(`VPN gateway ready for ${clients}; the VPN is not connected yet`);
    return this.result('serving', status, [], published, config);
  }
}

/** Checks every option once, naming each bad one. */
function checkOptions(options: VPNGatewayProviderOptions): CheckedOptions {
  const issues: FieldIssue[] = [];
  const clusterCidrs = parseClusterCidrs(options.clusterCidrs, 'clusterCidrs', issues);
  if (clusterCidrs.length === 0 && issues.length === 0)
    issues.push({ field: 'clusterCidrs', reason: 'must list at least one range' });
  const extra = parseClusterCidrs(
    options.extraPublishedCidrs ?? ['169.254.7.127/32'],
    'extraPublishedCidrs',
    issues,
  );
  const integer = (field: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      issues.push({ field, reason: `must be a whole number from ${min} to ${max}` });
    }
    return value;
  };
  const vxlanId = integer('vxlanId', options.vxlanId ?? 42, 1, 16777215);
  const vxlanPort = integer('vxlanPort', options.vxlanPort ?? 4790, 1, 65535);
  const vpnTrafficPort = integer('vpnTrafficPort', options.vpnTrafficPort ?? 443, 1, 65535);
  const firstDynamicIp = integer('firstDynamicIp', options.firstDynamicIp ?? 20, 2, 254);
  const vxlanIpNetwork = options.vxlanIpNetwork ?? '172.16.0';
  const networkProblem = vxlanNetworkProblem(vxlanIpNetwork, clusterCidrs);
  if (networkProblem !== undefined)
    issues.push({ field: 'vxlanIpNetwork', reason: networkProblem });
  const vpnInterface = options.vpnInterface ?? 'tun0';
  if (!/^[a-z][a-z0-9]{0,14}$/.test(vpnInterface)) {
    issues.push({
      field: 'vpnInterface',
      reason: 'must be a network interface name such as tun0 or wg0',
    });
  }
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  if (fqdnProblem(`x.${clusterDomain}`) !== undefined) {
    issues.push({ field: 'clusterDomain', reason: 'must be a domain such as cluster.local' });
  }
  let clusterDnsIp: IpAddress | undefined;
  if (options.clusterDnsIp !== undefined) {
    clusterDnsIp = parseIp(options.clusterDnsIp);
    if (clusterDnsIp === undefined)
      issues.push({ field: 'clusterDnsIp', reason: 'must be an IPv4 or IPv6 address' });
  }
  const natLines: string[] = [];
  for (const [i, entry] of (options.natEntries ?? []).entries()) {
    const field = `natEntries[${i}]`;
    if (!/^[a-z0-9]{1,63}$/.test(entry.host)) {
      issues.push({
        field,
        reason: 'host must be the pod name up to its first dash (letters and digits)',
      });
    }
    integer(`${field}.ip`, entry.ip, 2, firstDynamicIp - 1);
    for (const port of entry.ports ?? []) {
      if (!/^(udp|tcp):[1-9][0-9]{0,4}$/.test(port) || Number(port.split(':')[1]) > 65535) {
        issues.push({ field, reason: 'ports must look like udp:51413 or tcp:8080' });
      }
    }
    natLines.push([entry.host, String(entry.ip), ...(entry.ports ?? [])].join(' '));
  }
  if (issues.length > 0) throw new VPNConfigurationError('VPNGatewayProvider options', issues);
  const seen = new Set<string>();
  const publishedCidrs = [...clusterCidrs, ...extra].filter((c) =>
    seen.has(c.text) ? false : (seen.add(c.text), true),
  );
  return {
    clusterCidrs,
    publishedCidrs,
    ...(clusterDnsIp ? { clusterDnsIp } : {}),
    clusterDomain,
    vxlanId,
    vxlanIpNetwork,
    vxlanPort,
    vpnInterface,
    vpnTrafficPort,
    firstDynamicIp,
    natConf: natLines.length > 0 ? `${natLines.join('\n')}\n` : '',
  };
}
