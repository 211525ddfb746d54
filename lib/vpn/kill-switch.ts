/**
 * The kill switch: a NetworkPolicy that lets the download client's pods send packets only where
 * they must, so that when routing through the tunnel fails (init error, routes lost, gateway gone)
 * traffic is dropped instead of leaving by the node's default route.
 *
 * A NetworkPolicy sees the OUTER packet: the tunnel is UDP from the client pod to the gateway pod,
 * so allowing the gateway pod allows everything the tunnel carries, and nothing else reaches the
 * internet. Egress is allowed to:
 *   1. the cluster ranges (pods, services and nodes; kubelet probe replies come from the node range),
 *   2. the gateway pod, selected by namespace and pod labels, with no ports: NetworkPolicy cannot
 *      name ICMP and client_init.sh must ping the gateway; the VXLAN UDP port is part of this,
 *   3. cluster DNS on 53/UDP and 53/TCP (the kube-system namespace, and the DNS Service IP for CNIs
 *      that match before DNAT),
 *   4. the API server for the controller sharing the pod: the `kubernetes` Service address on its
 *      port and each endpoint address on its port, because CNIs differ in whether they apply
 *      policy before or after the Service DNAT,
 *   5. the link-local addresses meshes and node-local DNS use (169.254.7.127, 169.254.20.10).
 * Nothing else: IPv6 is denied except the IPv6 cluster ranges configured. The minimal variant, for
 * a client that requires the VPN before any gateway is related, keeps only 3 and 4.
 */
import type { KubeObject, ObjectMeta } from '../kube/types.js';
import { hostCidr, type Cidr, type IpAddress } from '../core/net.js';

/** Link-local addresses allowed by default: Istio ambient's probe source and NodeLocal DNSCache. */
export const DEFAULT_LINK_LOCAL_ADDRESSES: readonly string[] = ['169.254.7.127', '169.254.20.10'];

/** A NetworkPolicy as charmkit writes it (plain JSON). */
export interface NetworkPolicy extends KubeObject {
  spec: NetworkPolicySpec;
}

/** The parts of a NetworkPolicy spec the kill switch uses. */
export interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes: string[];
  egress: NetworkPolicyEgressRule[];
  [key: string]: unknown;
}

/** One egress rule: destinations and, optionally, ports (none = every protocol and port). */
export interface NetworkPolicyEgressRule {
  to: NetworkPolicyPeer[];
  ports?: { protocol: 'TCP' | 'UDP' | 'SCTP'; port: number }[];
}

/** One destination of an egress rule. */
export interface NetworkPolicyPeer {
  ipBlock?: { cidr: string };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}

/** An address and port, as the API server listens on it. */
export interface HostPort {
  readonly ip: IpAddress;
  readonly port: number;
}

/** Where the API server can be reached from the pod, as its CNI may see it. */
export interface ApiServerAddresses {
  /** The `kubernetes` Service (ClusterIP and port, usually 443). */
  readonly service?: HostPort;
  /** Its endpoints (the real listeners, e.g. a node's 6443). */
  readonly endpoints: readonly HostPort[];
}

/** Where the gateway pod lives. */
export interface GatewayPodPeer {
  /** The gateway's namespace. */
  readonly namespace: string;
  /** Its pods' `app.kubernetes.io/name`. */
  readonly instanceName: string;
}

/** What the minimal kill switch is built from. */
export interface MinimalKillSwitchInput {
  /** The policy's metadata (name, namespace, ownership labels, annotations). */
  readonly metadata: ObjectMeta & { name: string; namespace: string };
  /** The labels of the pods to protect (the StatefulSet's selector). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Namespace of cluster DNS (default kube-system). */
  readonly dnsNamespace: string;
  /** The cluster DNS Service IP, when known. */
  readonly clusterDnsIp?: IpAddress;
  readonly apiServer: ApiServerAddresses;
}

/** What the full kill switch adds. */
export interface KillSwitchInput extends MinimalKillSwitchInput {
  /** Cluster ranges (IPv4 and IPv6): pods, services, nodes. */
  readonly clusterCidrs: readonly Cidr[];
  /** The gateway pod, when its namespace is known. */
  readonly gateway?: GatewayPodPeer;
  /** Link-local single addresses to allow. */
  readonly linkLocal: readonly IpAddress[];
}

const DNS_PORTS: NetworkPolicyEgressRule['ports'] = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];

/** The kill switch with the gateway related: the five kinds of destination in the module comment. */
export function buildKillSwitch(input: KillSwitchInput): NetworkPolicy {
  const egress: NetworkPolicyEgressRule[] = [];
  if (input.clusterCidrs.length > 0) {
    egress.push({ to: input.clusterCidrs.map((c) => ({ ipBlock: { cidr: c.text } })) });
  }
  if (input.gateway !== undefined) {
    egress.push({
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': input.gateway.namespace },
          },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': input.gateway.instanceName } },
        },
      ],
    });
  }
  egress.push(...essentialRules(input));
  if (input.linkLocal.length > 0) {
    egress.push({ to: input.linkLocal.map((ip) => ({ ipBlock: { cidr: hostCidr(ip) } })) });
  }
  return policy(input, egress);
}

/** The kill switch before any gateway is related: cluster DNS and the API server, nothing else. */
export function buildMinimalKillSwitch(input: MinimalKillSwitchInput): NetworkPolicy {
  return policy(input, essentialRules(input));
}

/** DNS and API server rules, shared by both variants. */
function essentialRules(input: MinimalKillSwitchInput): NetworkPolicyEgressRule[] {
  const dnsPeers: NetworkPolicyPeer[] = [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.dnsNamespace } } },
  ];
  if (input.clusterDnsIp !== undefined)
    dnsPeers.push({ ipBlock: { cidr: hostCidr(input.clusterDnsIp) } });
  const rules: NetworkPolicyEgressRule[] = [{ to: dnsPeers, ports: structuredClone(DNS_PORTS) }];
  const targets = [
    ...(input.apiServer.service ? [input.apiServer.service] : []),
    ...input.apiServer.endpoints,
  ];
  const seen = new Set<string>();
  for (const target of targets) {
    const key = `${target.ip.text}:${target.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push({
      to: [{ ipBlock: { cidr: hostCidr(target.ip) } }],
      ports: [{ protocol: 'TCP', port: target.port }],
    });
  }
  return rules;
}

function policy(input: MinimalKillSwitchInput, egress: NetworkPolicyEgressRule[]): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: structuredClone(input.metadata),
    spec: {
      podSelector: { matchLabels: { ...input.podLabels } },
      policyTypes: ['Egress'],
      egress,
    },
  };
}
