/**
 * How kube-apiserver v1.37 rewrites resource quantities it stores, for `FakeCluster`.
 *
 * The server decodes a quantity into a number and a format (binary `Ki`..`Ei`, decimal `n`..`E`,
 * or an `e`-exponent) and prints it back canonically unless the text already was: `1024Mi` is
 * stored as `1Gi`, `0.5` as `500m`, `1000000` as `1M`, `1.5Gi` as `1536Mi`. In resource lists
 * (container requests and limits, claim sizes, volume capacities) it also rounds up to milli
 * precision. A controller that compares the size it sent with the one it reads back as text would
 * patch on every reconcile on a cluster; with this the fake shows the same text. Values it cannot
 * parse are left alone (the server would refuse them; the fake does not validate quantities).
 */
import { isPlainObject, type JsonObject } from '../core/json.js';

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const GRAMMAR = /^([+-]?)(\d*)(?:\.(\d*))?([a-zA-Z]*|[eE][+-]?\d+)$/;

interface Parsed {
  negative: boolean;
  /** The digits before and after the point, as written. */
  whole: string;
  fraction: string;
  format: 'binary' | 'decimal' | 'exponent';
  /** Power of 1024 (binary) or of 10 (decimal, exponent) the suffix stands for. */
  power: number;
  /** The exponent letter as written (`e` or `E`), for exponent quantities. */
}

function parse(text: string): Parsed | undefined {
  const match = GRAMMAR.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const negative = sign === '-';
  const binary = BINARY.indexOf(suffix);
  if (suffix !== '' && binary > 0)
    return { negative, whole, fraction, format: 'binary', power: binary };
  if (suffix in DECIMAL)
    return { negative, whole, fraction, format: 'decimal', power: DECIMAL[suffix] ?? 0 };
  if (/^[eE][+-]?\d+$/.test(suffix)) {
    return { negative, whole, fraction, format: 'exponent', power: Number(suffix.slice(1)) };
  }
  return undefined;
}

/** Whether the server keeps the text as written (its parser's "already canonical" fast path). */
function keptAsWritten(q: Parsed): boolean {
  const digits = q.whole + q.fraction;
  if (q.format === 'binary') {
    if (q.negative || q.fraction !== '') return false;
    const precision = 15 - q.whole.length - Math.floor((q.power * 10 * 3) / 10) - 1;
    return precision >= 0 && (Number(q.whole) & 0x07) !== 0;
  }
  const scale = q.power - q.fraction.length;
  if (18 - digits.length < 0 || scale < -9) return false;
  return scale % 3 === 0 && !digits.endsWith('000') && !digits.startsWith('0');
}

/** `value × 10^exponent` with as few trailing zeros as a multiple-of-3 exponent allows. */
function decimalParts(value: bigint, exponent: number): [bigint, number] {
  let v = value;
  let e = exponent;
  while (v !== 0n && v % 10n === 0n) {
    v /= 10n;
    e += 1;
  }
  const rest = ((e % 3) + 3) % 3;
  if (rest === 1) return [v * 10n, e - 1];
  if (rest === 2) return [v * 100n, e - 2];
  return [v, e];
}

/**
 * The text the server stores for quantity `text`; `roundToMilli` for resource lists. Unparseable
 * text comes back unchanged.
 */
export function canonicalQuantity(text: string, roundToMilli: boolean): string {
  const q = parse(text);
  if (!q) return text;
  // The exact value as numerator × 10^scale (binary suffixes multiply the numerator).
  let numerator = BigInt(q.whole + q.fraction || '0');
  let scale = -q.fraction.length;
  if (q.format === 'binary') numerator *= 1024n ** BigInt(q.power);
  else scale += q.power;
  if (q.negative) numerator = -numerator;
  const floor = roundToMilli ? -3 : -9;
  const rounds = scale < floor && numerator % 10n ** BigInt(floor - scale) !== 0n;
  if (keptAsWritten(q) && !(roundToMilli && scale < -3)) return text;
  if (scale < floor) {
    // Round up (away from zero) to the precision kept.
    const unit = 10n ** BigInt(floor - scale);
    const quotient = numerator / unit;
    numerator = rounds ? quotient + (numerator < 0n ? -1n : 1n) : quotient;
    scale = floor;
  }
  if (numerator === 0n) return '0';
  let format = q.format;
  if (format === 'binary') {
    const integral = scale >= 0 || numerator % 10n ** BigInt(-scale) === 0n;
    const bytes = scale >= 0 ? numerator * 10n ** BigInt(scale) : numerator / 10n ** BigInt(-scale);
    if (!integral || (bytes > -1024n && bytes < 1024n)) {
      format = 'decimal';
    } else {
      let mantissa = bytes;
      let power = 0;
      while (mantissa % 1024n === 0n && power < BINARY.length - 1) {
        mantissa /= 1024n;
        power += 1;
      }
      return `${mantissa}${BINARY[power] ?? ''}`;
    }
  }
  const [mantissa, exponent] = decimalParts(numerator, scale);
  if (format === 'exponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

/** Canonicalises every quantity of a resource list (`{cpu: '0.5', memory: '1024Mi'}`) in place. */
export function canonicalResourceList(list: unknown): void {
  if (!isPlainObject(list)) return;
  for (const [name, value] of Object.entries(list)) {
    if (typeof value === 'string') list[name] = canonicalQuantity(value, true);
  }
}

/** Canonicalises `requests` and `limits` of a resource requirements object in place. */
export function canonicalRequirements(resources: JsonObject | undefined): void {
  if (!resources) return;
  canonicalResourceList(resources.requests);
  canonicalResourceList(resources.limits);
}
