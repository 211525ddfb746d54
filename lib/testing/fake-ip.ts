/**
 * IP addresses and CIDRs the way kube-apiserver v1.37 reads them, for `FakeCluster`'s
 * NetworkPolicy validation and Service IP allocation, on top of the exact parsers of
 * lib/vpn/net.ts.
 *
 * The server parses "sloppily" first (IPv4 octets may carry leading zeros, the prefix length too,
 * and host bits are cleared) and then, with strict validation on (the default since v1.33),
 * refuses what the sloppy parse let through: leading zeros, an IPv4-mapped IPv6 address, and bits
 * set after the prefix (`10.0.0.1/8`). Each refusal has its own message, which a controller would
 * show in a status, so they are reproduced word for word.
 */
import { cidrContains, formatIp, parseIp as parseExactIp, type IpAddress } from '../core/net.js';

export type { IpAddress };

/** A CIDR as the server's sloppy parse sees it: host bits cleared. */
export interface IpPrefix {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
}

const CIDR_HINT = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
const BITS = { 4: 32, 6: 128 } as const;

/** Leading zeros removed from the dotted-decimal part of an address (what a sloppy parse ignores). */
function withoutLeadingZeros(text: string): string {
  const colon = text.lastIndexOf(':');
  const tail = text.slice(colon + 1);
  if (!tail.includes('.')) return text;
  const octets = tail
    .split('.')
    .map((octet) => (/^\d+$/.test(octet) ? octet.replace(/^0+(?=\d)/, '') : octet));
  return text.slice(0, colon + 1) + octets.join('.');
}

/** Parses an address; `sloppy` accepts leading zeros in IPv4 octets, as the server's first pass. */
export function parseIp(text: string, sloppy = false): IpAddress | undefined {
  return parseExactIp(sloppy ? withoutLeadingZeros(text) : text);
}

function hostMask(family: 4 | 6, prefix: number): bigint {
  return (1n << BigInt(BITS[family] - prefix)) - 1n;
}

/** The sloppy parse: the address as written and its prefix; undefined if it is no CIDR at all. */
function parseSloppy(text: string): (IpPrefix & { address: bigint }) | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash), true);
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[address.family]) return undefined;
  const network = address.value & ~hostMask(address.family, prefix);
  return { family: address.family, network, prefix, address: address.value };
}

/**
 * What is wrong with `text` as a CIDR, in the server's words (strict validation), or an empty
 * list when it is a valid one.
 */
export function cidrProblems(text: string): string[] {
  const sloppy = parseSloppy(text);
  if (!sloppy) return [CIDR_HINT];
  const [address = '', prefix = ''] = text.split('/');
  if (parseIp(address) === undefined || (prefix.length > 1 && prefix.startsWith('0'))) {
    return ['must not have leading 0s in IP or prefix length'];
  }
  if (sloppy.family === 6 && sloppy.address >> 32n === 0xffffn) {
    return ['must not have an IPv4-mapped IPv6 address'];
  }
  if (sloppy.address !== sloppy.network) return ['must not have bits set beyond the prefix length'];
  return [];
}

/** The range `text` names after the sloppy parse (undefined if it does not parse at all). */
export function parseCidr(text: string): IpPrefix | undefined {
  const sloppy = parseSloppy(text);
  return sloppy && { family: sloppy.family, network: sloppy.network, prefix: sloppy.prefix };
}

/** `inner` lies inside `outer` and is strictly smaller (as `ipBlock.except` must be). */
export function isStrictSubset(inner: IpPrefix, outer: IpPrefix): boolean {
  return inner.prefix > outer.prefix && contains(outer, inner.family, inner.network);
}

/** Whether the address `value` of `family` lies in `prefix`. */
export function contains(prefix: IpPrefix, family: 4 | 6, value: bigint): boolean {
  return cidrContains({ ...prefix, text: '' }, { family, value, text: '' });
}

/** The address `offset` places after the prefix's network address, as text. */
export function addressAt(prefix: IpPrefix, offset: bigint): string {
  return formatIp(prefix.family, prefix.network + offset);
}

/** How many addresses the prefix holds. */
export function sizeOf(prefix: IpPrefix): bigint {
  return 1n << BigInt(BITS[prefix.family] - prefix.prefix);
}
