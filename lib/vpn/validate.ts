/**
 * The semantic checks of `vpn-gateway` data: what a JSON Schema cannot say about a value that ends
 * up in a kill switch, a routing table and a file pod-gateway sources as shell.
 *
 * The wire format (charmarr's) carries addresses as free strings. Each is parsed here, and a value
 * that would weaken the kill switch is refused outright: `0.0.0.0/0` or `::/0`, a range too broad
 * to be a cluster's, a public IPv4 range. A refused bag never reaches a builder: the caller keeps
 * whatever is in place (fail closed) and shows every bad field at once, in words, never quoting a
 * pattern. Only `GatewayOffer`, the output of these checks, is accepted by the builders.
 */
import { RelationDataValidationError, type FieldIssue } from '../relations/errors.js';
import { CHARMARR_DEFAULTS, type VPNGatewayProviderConfig } from './interface.js';
import {
  cidrCovers,
  fqdnProblem,
  labelValueProblem,
  parseCidr,
  parseIp,
  parseThreeOctets,
  type Cidr,
  type IpAddress,
} from '../core/net.js';

/** The routing methods this library implements. */
export const ROUTING_METHODS = ['pod-gateway'] as const;
/** A routing method this library implements. */
export type RoutingMethod = (typeof ROUTING_METHODS)[number];

/** A gateway's settings after every check: the only input the VPN builders accept. */
export interface GatewayOffer {
  readonly routingMethod: RoutingMethod;
  /** Fully qualified name resolving to the gateway pod. */
  readonly gatewayDnsName: string;
  readonly vxlanId: number;
  /** Three octets, e.g. `172.16.0`; the gateway is `.1`. */
  readonly vxlanIpNetwork: string;
  readonly vxlanPort: number;
  /** In-cluster ranges reached directly, never through the VPN. */
  readonly clusterCidrs: readonly Cidr[];
  readonly clusterDnsIp: IpAddress;
  readonly vpnConnected: boolean;
  readonly externalIp: IpAddress | undefined;
  /** The gateway's application name (its pods' `app.kubernetes.io/name`). */
  readonly instanceName: string;
}

/** At most this many cluster ranges: enough for any cluster, too few to tile the internet. */
export const MAX_CLUSTER_CIDRS = 32;

const PRIVATE_V4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
];
const LOCAL_V6 = ['fc00::/7', 'fe80::/10'];
const privateV4 = PRIVATE_V4.map(mustParse);
const localV6 = LOCAL_V6.map(mustParse);

/**
 * Why one cluster range would weaken the kill switch, or undefined when it may be allowed: the
 * whole address space, an IPv4 range outside the private and link-local ones, an IPv6 range
 * broader than /48 outside the unique-local and link-local ones.
 */
export function clusterCidrProblem(cidr: Cidr): string | undefined {
  if (cidr.prefix === 0) {
    return `"${cidr.text}" is every address; allowing it would switch the kill switch off`;
  }
  if (cidr.family === 4 && !privateV4.some((range) => cidrCovers(range, cidr))) {
    return (
      `"${cidr.text}" is not a private range; a cluster range must lie within ` +
      `${PRIVATE_V4.join(', ')} or the download client could reach it without the VPN`
    );
  }
  if (cidr.family === 6 && !localV6.some((range) => cidrCovers(range, cidr)) && cidr.prefix < 48) {
    return `"${cidr.text}" is broader than /48 outside fc00::/7; too broad to be a cluster range`;
  }
  return undefined;
}

/**
 * Parses a list of cluster ranges (a comma-separated string as on the wire, or a list) into
 * `Cidr`s, adding one issue per bad entry under `field`. Empty entries are ignored.
 */
export function parseClusterCidrs(
  input: string | readonly string[],
  field: string,
  issues: FieldIssue[],
): Cidr[] {
  const entries = (typeof input === 'string' ? input.split(',') : [...input])
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length > MAX_CLUSTER_CIDRS) {
    issues.push({
      field,
      reason: `lists ${entries.length} ranges; at most ${MAX_CLUSTER_CIDRS} are accepted`,
    });
    return [];
  }
  const cidrs: Cidr[] = [];
  for (const entry of entries) {
    const parsed = parseCidr(entry);
    if ('problem' in parsed) {
      issues.push({ field, reason: parsed.problem });
      continue;
    }
    const problem = clusterCidrProblem(parsed.cidr);
    if (problem !== undefined) issues.push({ field, reason: problem });
    else if (!cidrs.some((c) => c.text === parsed.cidr.text)) cidrs.push(parsed.cidr);
  }
  return cidrs;
}

/**
 * Checks a provider `config` object that already passed the schema, and returns the offer built
 * from it. Throws `RelationDataValidationError` naming every bad field (as `config.<field>`), so
 * a Blocked status tells the gateway's operator everything to fix at once.
 */
export function validateGatewayConfig(
  config: VPNGatewayProviderConfig,
  source: string,
): GatewayOffer {
  const issues: FieldIssue[] = [];
  const field = (name: string): string => `config.${name}`;

  const routingMethod = config.routing_method ?? CHARMARR_DEFAULTS.routing_method;
  if (!(ROUTING_METHODS as readonly string[]).includes(routingMethod)) {
    issues.push({
      field: field('routing_method'),
      reason: `must be one of ${ROUTING_METHODS.join(', ')}`,
    });
  }
  const dnsProblem = fqdnProblem(config.gateway_dns_name);
  if (dnsProblem !== undefined)
    issues.push({ field: field('gateway_dns_name'), reason: dnsProblem });

  const vxlanId = config.vxlan_id ?? CHARMARR_DEFAULTS.vxlan_id;
  if (!Number.isInteger(vxlanId) || vxlanId < 1 || vxlanId > 16777215) {
    issues.push({ field: field('vxlan_id'), reason: 'must be a whole number from 1 to 16777215' });
  }
  const vxlanPort = config.vxlan_port ?? CHARMARR_DEFAULTS.vxlan_port;
  if (!Number.isInteger(vxlanPort) || vxlanPort < 1 || vxlanPort > 65535) {
    issues.push({ field: field('vxlan_port'), reason: 'must be a whole number from 1 to 65535' });
  }

  const clusterCidrs = parseClusterCidrs(config.cluster_cidrs, field('cluster_cidrs'), issues);
  if (clusterCidrs.length === 0 && !issues.some((i) => i.field === field('cluster_cidrs'))) {
    issues.push({ field: field('cluster_cidrs'), reason: 'must list at least one range' });
  }

  const vxlanIpNetwork = config.vxlan_ip_network ?? CHARMARR_DEFAULTS.vxlan_ip_network;
  const networkProblem = vxlanNetworkProblem(vxlanIpNetwork, clusterCidrs);
  if (networkProblem !== undefined)
    issues.push({ field: field('vxlan_ip_network'), reason: networkProblem });

  const clusterDnsIp = parseIp(config.cluster_dns_ip);
  if (clusterDnsIp === undefined) {
    issues.push({ field: field('cluster_dns_ip'), reason: 'must be an IPv4 or IPv6 address' });
  }
  let externalIp: IpAddress | undefined;
  if (config.external_ip !== undefined && config.external_ip !== null) {
    externalIp = typeof config.external_ip === 'string' ? parseIp(config.external_ip) : undefined;
    if (externalIp === undefined) {
      issues.push({
        field: field('external_ip'),
        reason: 'must be an IPv4 or IPv6 address, or null',
      });
    }
  }
  const nameProblem = labelValueProblem(config.instance_name);
  if (nameProblem !== undefined)
    issues.push({ field: field('instance_name'), reason: nameProblem });

  if (issues.length > 0 || clusterDnsIp === undefined) {
    throw new RelationDataValidationError(source, issues);
  }
  return {
    routingMethod: routingMethod as RoutingMethod,
    gatewayDnsName: config.gateway_dns_name,
    vxlanId,
    vxlanIpNetwork,
    vxlanPort,
    clusterCidrs,
    clusterDnsIp,
    vpnConnected: config.vpn_connected ?? CHARMARR_DEFAULTS.vpn_connected,
    externalIp,
    instanceName: config.instance_name,
  };
}

/**
 * Why a VXLAN network prefix cannot be used, or undefined: it must be three octets (`172.16.0`,
 * not a CIDR), inside a private IPv4 range, and its /24 must not overlap a cluster range (the
 * client would route that range into the tunnel and lose it).
 */
export function vxlanNetworkProblem(
  text: string,
  clusterCidrs: readonly Cidr[],
): string | undefined {
  const octets = parseThreeOctets(text);
  if (octets === undefined) {
    return 'must be the first three octets of an IPv4 network, e.g. 172.16.0 (not a CIDR such as 172.16.0.0/24)';
  }
  const parsed = parseCidr(`${octets.join('.')}.0/24`);
  if ('problem' in parsed) return parsed.problem;
  if (!privateV4.slice(0, 4).some((range) => cidrCovers(range, parsed.cidr))) {
    return 'must lie within a private range (10.x, 172.16-31.x, 192.168.x or 100.64-127.x)';
  }
  const overlap = clusterCidrs.find(
    (c) => cidrCovers(c, parsed.cidr) || cidrCovers(parsed.cidr, c),
  );
  if (overlap !== undefined)
    return `overlaps the cluster range ${overlap.text}; choose another /24`;
  return undefined;
}

function mustParse(text: string): Cidr {
  const parsed = parseCidr(text);
  if ('problem' in parsed) throw new Error(`internal range ${text}: ${parsed.problem}`);
  return parsed.cidr;
}
