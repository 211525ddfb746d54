/**
 * Kubernetes resource quantities (`10Gi`, `500M`, `1e3`, `0.5Ti`), parsed exactly.
 *
 * A volume size arrives as a string from a user or from relation data and is compared with what
 * the API server reports back, which may be spelled differently (`1Gi` vs `1073741824`). Doubles
 * cannot tell `8Ei` from `8Ei` plus one byte, and a grow-only check must never call a shrink "equal",
 * so values are exact rationals of BigInts. Parsing follows the grammar the API server accepts.
 */
import { CharmkitError } from '../core/errors.js';

/** An exact non-negative or negative rational: `numerator / denominator`, denominator > 0. */
export interface Quantity {
  /** The text as given, for messages. */
  readonly text: string;
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Thrown for text the API server would reject as a quantity; the message shows valid forms. */
export class InvalidQuantityError extends CharmkitError {
  override readonly name = 'InvalidQuantityError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super(
      `"${text}" is not a valid Kubernetes quantity (${reason}); ` +
        'use forms like 10Gi, 500Mi, 1.5Ti, 20G or 1e9',
    );
  }
}

const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
};
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
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

const GRAMMAR = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
/** Beyond this the API server's own parser gives up too; it also bounds BigInt work. */
const MAX_EXPONENT = 1000;

/** Parses a quantity or throws `InvalidQuantityError`. */
export function parseQuantity(text: string): Quantity {
  const match = GRAMMAR.exec(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match ?? [];
  if (!match || (whole === '' && fraction === '')) {
    throw new InvalidQuantityError(text, 'expected a number followed by an optional suffix');
  }
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);
  const binary = BINARY_SUFFIXES[suffix];
  const decimal = DECIMAL_SUFFIXES[suffix];
  let power10 = 0;
  if (binary !== undefined) {
    numerator *= 1024n ** BigInt(binary);
  } else if (decimal !== undefined) {
    power10 = decimal;
  } else {
    const exponent = EXPONENT.exec(suffix);
    if (!exponent) throw new InvalidQuantityError(text, `unknown suffix "${suffix}"`);
    power10 = Number(exponent[1]);
    if (Math.abs(power10) > MAX_EXPONENT)
      throw new InvalidQuantityError(text, 'exponent too large');
  }
  if (power10 >= 0) numerator *= 10n ** BigInt(power10);
  else denominator *= 10n ** BigInt(-power10);
  if (sign === '-') numerator = -numerator;
  return { text, numerator, denominator };
}

/** -1, 0 or 1 as `a` is smaller than, equal to or larger than `b`. */
export function compareQuantities(a: Quantity | string, b: Quantity | string): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseQuantity(a) : a;
  const y = typeof b === 'string' ? parseQuantity(b) : b;
  const left = x.numerator * y.denominator;
  const right = y.numerator * x.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The quantity in whole bytes, rounded up as the API server rounds fractional storage requests. */
export function quantityBytes(q: Quantity | string): bigint {
  const x = typeof q === 'string' ? parseQuantity(q) : q;
  const whole = x.numerator / x.denominator;
  return x.numerator % x.denominator === 0n || x.numerator < 0n ? whole : whole + 1n;
}

/** Adds quantities exactly (for quota arithmetic); the result's text is a plain byte count. */
export function addQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const x = typeof a === 'string' ? parseQuantity(a) : a;
  const y = typeof b === 'string' ? parseQuantity(b) : b;
  const numerator = x.numerator * y.denominator + y.numerator * x.denominator;
  const denominator = x.denominator * y.denominator;
  return { text: formatRational(numerator, denominator), numerator, denominator };
}

/** Subtracts `b` from `a` exactly. */
export function subtractQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const y = typeof b === 'string' ? parseQuantity(b) : b;
  return addQuantities(a, {
    text: `-${y.text}`,
    numerator: -y.numerator,
    denominator: y.denominator,
  });
}

function formatRational(numerator: bigint, denominator: bigint): string {
  if (numerator % denominator === 0n) return String(numerator / denominator);
  return (Number(numerator) / Number(denominator)).toString();
}
