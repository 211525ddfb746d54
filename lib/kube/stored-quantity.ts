/**
 * How kube-apiserver v1.37 rewrites resource quantities it stores: what the StatefulSet plan
 * compares a desired size with, and what FakeCluster stores.
 *
 * The server decodes a quantity into a number and a format (binary `Ki`..`Ei`, decimal `n`..`E`,
 * or an `e`-exponent) and prints it back canonically unless the text already was: `1024Mi` is
 * stored as `1Gi`, `0.5` as `500m`, `1000000` as `1M`, `1.5Gi` as `1536Mi`. In resource lists
 * (container requests and limits, claim sizes, volume capacities) it also rounds up to milli
 * precision. A controller that compares the size it sent with the one it reads back as text would
 * patch on every reconcile on a cluster; the plan compares in this form and the fake stores it
 * (the differential tests prove the form equal to the server's). Values it cannot
 * parse are left alone (the server would refuse them; the fake does not validate quantities).
 */
import { isPlainObject, type JsonObject } from '../core/json.js';
import { parseQuantity, type Quantity } from './quantity.js';

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_BY_EXPONENT = new Map(
  ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'].map((suffix, i) => [3 * i - 9, suffix]),
);
const PARTS = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

/** A quantity as written (digits, format) and its exact value from the one quantity parser. */
interface Parsed {
  negative: boolean;
  /** The digits before and after the point, as written. */
  whole: string;
  fraction: string;
  format: 'binary' | 'decimal' | 'exponent';
  /** Power of 1024 (binary) or of 10 (decimal, exponent) the suffix stands for. */
  power: number;
  value: Quantity;
}

/** log10 of a power of ten. */
function log10(power: bigint): number {
  return power.toString().length - 1;
}

function parse(text: string): Parsed | undefined {
  let value: Quantity;
  let unit: Quantity;
  const [, sign = '', whole = '', fraction = '', suffix = ''] = PARTS.exec(text) ?? [];
  try {
    value = parseQuantity(text);
    unit = parseQuantity(`1${suffix}`);
  } catch {
    return undefined;
  }
  const negative = sign === '-';
  if (suffix.endsWith('i')) {
    const power = BINARY.indexOf(suffix);
    return { negative, whole, fraction, format: 'binary', power, value };
  }
  const power = log10(unit.numerator) - log10(unit.denominator);
  const format = /^[eE]/.test(suffix) ? 'exponent' : 'decimal';
  return { negative, whole, fraction, format, power, value };
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
  // The exact value as numerator × 10^scale (the parser's denominator is a power of ten).
  let numerator = q.value.numerator;
  let scale = -log10(q.value.denominator);
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
