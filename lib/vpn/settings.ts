/**
 * pod-gateway's `settings.sh`: the file both halves of the tunnel SOURCE as shell (`. /config/
 * settings.sh`) before doing anything as root with NET_ADMIN. Whatever reaches it runs.
 *
 * So this module is the one place such a file is written, and it takes only values the validators
 * produced (`GatewayOffer`, parsed `Cidr`s, checked options). Even so every value is single-quoted
 * with the POSIX rule (a `'` becomes `'\''`), which leaves the shell nothing to expand: no `$()`,
 * no backticks, no globbing, no word splitting. Variable names are checked against the shell's
 * own name rule. Defence in depth: validation refuses hostile data, quoting makes the rest inert.
 */
import { createHash } from 'node:crypto';
import type { Cidr } from '../core/net.js';
import type { GatewayOffer } from './validate.js';

/** One `NAME='value'` line of a settings file. */
export type SettingsEntry = readonly [name: string, value: string | number | boolean];

/** Single-quotes a string for a POSIX shell; the result is always one literal word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Renders a settings file: a comment saying who wrote it, then one quoted assignment per entry.
 * Throws `TypeError` for a name that is not a shell variable name (a programming error: names
 * never come from relation data) or a value holding a NUL or newline, which no setting needs.
 */
export function renderSettings(entries: readonly SettingsEntry[]): string {
  const lines = [
    '# Written by charmkit (lib/vpn). Every value is single-quoted: nothing in it is expanded.',
  ];
  for (const [name, raw] of entries) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new TypeError(`not a shell variable name: ${name}`);
    const value = String(raw);
    if (value.includes('\u0000') || /[\n\r]/.test(value))
      throw new TypeError(`${name}: a setting cannot hold a newline or NUL`);
    lines.push(`${name}=${shellQuote(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A short, stable digest of a ConfigMap's data, for a pod-template annotation. */
export function settingsHash(data: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(data).sort()) hash.update(`${key}\u0000${data[key]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

/** What the client half of the tunnel needs beyond the gateway's offer. */
export interface ClientSettingsInput {
  readonly offer: GatewayOffer;
  /**
   * Every IPv4 range reached directly (the offer's cluster ranges, node ranges, link-local
   * addresses), deduplicated. IPv6 ranges are left out: pod-gateway routes IPv4 only, and an IPv6
   * route via an IPv4 next hop would abort its init script.
   */
  readonly notRouted: readonly Cidr[];
}

/** The client's settings.sh (pod-gateway's client_init.sh and client_sidecar.sh read it). */
export function clientSettings(input: ClientSettingsInput): string {
  const { offer } = input;
  return renderSettings([
    ['K8S_DNS_IPS', offer.clusterDnsIp.text],
    [
      'NOT_ROUTED_TO_GATEWAY_CIDRS',
      input.notRouted
        .filter((c) => c.family === 4)
        .map((c) => c.text)
        .join(' '),
    ],
    ['VXLAN_ID', offer.vxlanId],
    ['VXLAN_IP_NETWORK', offer.vxlanIpNetwork],
    ['VXLAN_PORT', offer.vxlanPort],
  ]);
}

/** What the gateway half of the tunnel is configured with (all checked by the provider). */
export interface GatewaySettingsInput {
  readonly vxlanId: number;
  readonly vxlanIpNetwork: string;
  /** Explicit: pod-gateway's 0 means 8472, which flannel and Cilium use for their own overlay. */
  readonly vxlanPort: number;
  /** First address handed out by DHCP; static addresses (nat.conf) lie below it. */
  readonly firstDynamicIp: number;
  /** gluetun's tunnel interface (`tun0` in gluetun's image, for WireGuard too). */
  readonly vpnInterface: string;
  /** The port the VPN itself uses outward, allowed when other traffic is blocked. */
  readonly vpnTrafficPort: number;
  /** Cluster ranges the gateway reaches directly (IPv4 only, like pod-gateway). */
  readonly localCidrs: readonly Cidr[];
  /** The cluster DNS Service IP, for names under the cluster domain. */
  readonly clusterDnsIp: string;
  /** The cluster domain, e.g. `cluster.local` (pod-gateway's default `local` is rarely right). */
  readonly clusterDomain: string;
}

/** The gateway's settings.sh (pod-gateway's gateway_init.sh and gateway_sidecar.sh read it). */
export function gatewaySettings(input: GatewaySettingsInput): string {
  return renderSettings([
    ['VXLAN_ID', input.vxlanId],
    ['VXLAN_IP_NETWORK', input.vxlanIpNetwork],
    ['VXLAN_PORT', input.vxlanPort],
    ['VXLAN_GATEWAY_FIRST_DYNAMIC_IP', input.firstDynamicIp],
    ['VPN_INTERFACE', input.vpnInterface],
    // Required with gluetun: its FORWARD policy is DROP, and only pod-gateway's blocking mode adds
    // the rule that forwards the clients' traffic into the tunnel.
    ['VPN_BLOCK_OTHER_TRAFFIC', true],
    ['VPN_TRAFFIC_PORT', input.vpnTrafficPort],
    [
      'VPN_LOCAL_CIDRS',
      input.localCidrs
        .filter((c) => c.family === 4)
        .map((c) => c.text)
        .join(' '),
    ],
    // Explicit: derived at start from a resolv.conf gluetun rewrites, it races.
    ['DNS_LOCAL_SERVER', input.clusterDnsIp],
    ['DNS_LOCAL_CIDRS', input.clusterDomain],
  ]);
}
