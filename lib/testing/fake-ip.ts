/**
 * IP addresses and CIDRs the way kube-apiserver v1.37 reads them, for `FakeCluster`'s
 * NetworkPolicy validation and Service IP allocation.
 *
 * The server parses "sloppily" first (IPv4 octets may carry leading zeros, an IPv6 address may
 * embed an IPv4 one) and then, with strict validation on (the default since v1.33), refuses what
 * the sloppy parse let through: leading zeros in an octet or in the prefix length, an IPv4-mapped
 * IPv6 address, and bits set after the prefix (`10.0.0.1/8`). Each refusal has its own message,
 * which a controller would show in a status, so they are reproduced word for word.
 */

/** A parsed address: its family and value (32 or 128 bits). */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A parsed CIDR: its address with the host bits cleared, and the prefix length. */
export interface IpPrefix {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  network: bigint;
  bits: number;
}

const CIDR_HINT = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** Parses an IPv4 address; `sloppy` accepts leading zeros in octets (as Go's old parser did). */
function parseIPv4(text: string, sloppy: boolean): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    if (!sloppy && part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Parses an IPv6 address (with `::` and an optional embedded IPv4 tail). */
function parseIPv6(text: string, sloppy: boolean): bigint | undefined {
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece, sloppy);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an address; undefined when it is none. */
export function parseIp(text: string, sloppy = false): IpAddress | undefined {
  const v4 = parseIPv4(text, sloppy);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text, sloppy);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function isIPv4Mapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

function widthOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function hostMask(family: 4 | 6, bits: number): bigint {
  return (1n << BigInt(widthOf(family) - bits)) - 1n;
}

/** Parses a CIDR sloppily (leading zeros allowed, host bits cleared); undefined if it is none. */
function parseCidrSloppy(text: string): (IpPrefix & { address: bigint }) | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash), true);
  const bitsText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > widthOf(address.family)) return undefined;
  const network = address.value & ~hostMask(address.family, bits);
  return { family: address.family, network, bits, address: address.value };
}

/**
 * What is wrong with `text` as a CIDR, in the server's words (strict validation), or an empty
 * list when it is a valid one.
 */
export function cidrProblems(text: string): string[] {
  const sloppy = parseCidrSloppy(text);
  if (!sloppy) return [CIDR_HINT];
  const [ip, bits] = text.split('/') as [string, string];
  if (parseIp(ip) === undefined || (bits.length > 1 && bits.startsWith('0'))) {
    return ['must not have leading 0s in IP or prefix length'];
  }
  if (sloppy.family === 6 && isIPv4Mapped(sloppy.address)) {
    return ['must not have an IPv4-mapped IPv6 address'];
  }
  if (sloppy.address !== sloppy.network) return ['must not have bits set beyond the prefix length'];
  return [];
}

/** The CIDR `text` names, for checks after validation (undefined if it does not parse). */
export function parseCidr(text: string): IpPrefix | undefined {
  const sloppy = parseCidrSloppy(text);
  return sloppy ? { family: sloppy.family, network: sloppy.network, bits: sloppy.bits } : undefined;
}

/** `inner` lies inside `outer` and is strictly smaller (as `ipBlock.except` must be). */
export function isStrictSubset(inner: IpPrefix, outer: IpPrefix): boolean {
  if (inner.family !== outer.family || inner.bits <= outer.bits) return false;
  return (inner.network & ~hostMask(outer.family, outer.bits)) === outer.network;
}

/** Whether `address` lies in `prefix`. */
export function contains(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.family !== address.family) return false;
  return (address.value & ~hostMask(prefix.family, prefix.bits)) === prefix.network;
}

/** The IPv4 address `offset` places after the prefix's network address, as text. */
export function ipv4At(prefix: IpPrefix, offset: bigint): string {
  const value = prefix.network + offset;
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** How many addresses the prefix holds. */
export function sizeOf(prefix: IpPrefix): bigint {
  return 1n << BigInt(widthOf(prefix.family) - prefix.bits);
}
