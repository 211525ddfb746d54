/**
 * IP addresses and CIDRs parsed into numbers (never matched by a loose pattern), containment, and
 * RFC 1123 host names: one exact parser for every layer (the VPN's validation, FakeCluster's
 * Service and NetworkPolicy checks).
 *
 * Every value the kill switch and pod-gateway's settings file are built from passes through here,
 * so a parse must be exact: `10.0.0.1/8` (host bits set) is not the range `10.0.0.0/8`, `010.1.2.3`
 * is not an address, and `0.0.0.0/0` parses but is refused by the callers that build a policy.
 * Functions return a problem in words instead of throwing, so a validator can name every bad field.
 */

/** An IP address: its family and its value as an unsigned integer (128 bits for IPv6). */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
  /** The canonical text (IPv6 lower-case and compressed as written, IPv4 dotted decimal). */
  readonly text: string;
}

/** An IP range: a network address with no host bits set and a prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
  /** The text as given, once validated; it is what goes into policies and settings. */
  readonly text: string;
}

const BITS = { 4: 32, 6: 128 } as const;

/** Parses a dotted-quad IPv4 address (no leading zeros, no shorthand); undefined if it is not one. */
export function parseIPv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    const octet = parseOctet(part);
    if (octet === undefined) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { family: 4, value, text };
}

/** Parses an IPv6 address (with `::` and an optional embedded IPv4 tail, no zone); or undefined. */
export function parseIPv6(text: string): IpAddress | undefined {
  if (text.length === 0 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        if (i !== pieces.length - 1) return undefined;
        const v4 = parseIPv4(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 2 && halves[1]?.includes('.') === true && head.length + tail.length > 6) {
    return undefined;
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const value = all.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
  return { family: 6, value, text: text.toLowerCase() };
}

/** Parses an IPv4 or IPv6 address; undefined when it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

/** The outcome of parsing a CIDR: the range, or the problem in words a user can act on. */
export type CidrParse = { readonly cidr: Cidr } | { readonly problem: string };

/**
 * Parses `address/prefix`. Problems: not an address, a prefix outside 0..32 (IPv4) or 0..128
 * (IPv6), host bits set (the message gives the network address the user probably meant).
 */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  if (slash < 0) return { problem: `"${text}" has no prefix length (write it as address/prefix)` };
  const address = parseIp(text.slice(0, slash));
  if (address === undefined) {
    return { problem: `"${text}" does not start with an IPv4 or IPv6 address` };
  }
  const prefixText = text.slice(slash + 1);
  const bits = BITS[address.family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return { problem: `"${text}" has a prefix length outside 0..${bits}` };
  }
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((address.value & hostMask) !== 0n) {
    const network = formatIp(address.family, address.value & ~hostMask);
    return { problem: `"${text}" has host bits set (the range is ${network}/${prefix})` };
  }
  return { cidr: { family: address.family, network: address.value, prefix, text } };
}

/** True when `address` lies in `cidr` (families must match). */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const shift = BigInt(BITS[cidr.family] - cidr.prefix);
  return address.value >> shift === cidr.network >> shift;
}

/** True when `inner` lies entirely in `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    outer.prefix <= inner.prefix &&
    cidrContains(outer, { family: inner.family, value: inner.network, text: inner.text })
  );
}

/** The single-address CIDR of an address (`/32` or `/128`), as a policy `ipBlock` wants it. */
export function hostCidr(address: IpAddress): string {
  return `${address.text}/${BITS[address.family]}`;
}

/** The single-address range of an address, as a `Cidr`. */
export function addressRange(address: IpAddress): Cidr {
  const prefix = BITS[address.family];
  return {
    family: address.family,
    network: address.value,
    prefix,
    text: `${address.text}/${prefix}`,
  };
}

/** Text of an address value, for messages (IPv6 uncompressed but lower-case). */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

/**
 * Why `name` is not an RFC 1123 fully qualified host name, or undefined when it is one: at least
 * two dot-separated labels of 1..63 letters, digits and inner hyphens, 253 characters at most, no
 * trailing dot (pod-gateway resolves it with `dig` and no search list, so it must be complete).
 */
export function fqdnProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return 'is longer than 253 characters';
  const labels = name.split('.');
  if (labels.length < 2)
    return 'must be a fully qualified name such as gluetun.media.svc.cluster.local';
  for (const label of labels) {
    if (label.length === 0)
      return 'has an empty label (two dots in a row, or a leading or trailing dot)';
    if (label.length > 63) return 'has a label longer than 63 characters';
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) {
      return 'may only contain letters, digits, hyphens inside labels and dots between labels';
    }
  }
  return undefined;
}

/**
 * Why `value` is not a Kubernetes label value (what a pod selector matches), or undefined: 63
 * characters at most, letters, digits, `-`, `_`, `.`, beginning and ending with a letter or digit.
 */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 63) return 'is longer than 63 characters';
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(value)) {
    return 'may only contain letters, digits, "-", "_" and ".", and must begin and end with a letter or digit';
  }
  return undefined;
}

function parseOctet(part: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
  const n = Number(part);
  return n <= 255 ? n : undefined;
}

/** Parses the three-octet VXLAN network prefix (`172.16.0`); undefined when it is not one. */
export function parseThreeOctets(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 3) return undefined;
  const octets = parts.map(parseOctet);
  return octets.every((o) => o !== undefined) ? (octets as number[]) : undefined;
}
