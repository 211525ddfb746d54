/**
 * Field codecs: how structured values travel through string-only relation data.
 *
 * Juju stores every relation value as a string, so a number, a flag or a nested object has to be
 * written as text and parsed back on the other side. Doing that ad hoc in each charm is how two
 * charms end up disagreeing about whether `"True"` is a boolean. These codecs fix one encoding per
 * type and are strict on decode, because the remote side is untrusted: `"007"`, `"1.0"` and
 * `"yes"` are rejected rather than guessed at.
 */
import {
  RelationDataDecodeError,
  RelationDataTypeError,
  RelationDataValidationError,
  type FieldIssue,
} from './errors.js';

/** The encodings charmkit knows; the schema layer derives one per field from its JSON type. */
export type CodecKind = 'string' | 'integer' | 'number' | 'boolean' | 'json';

/** Converts one field between its typed value and the string Juju stores. */
export interface FieldCodec<T> {
  /** Which encoding this is, so tooling and docs can show it. */
  readonly kind: CodecKind;
  /** Turns a value into its wire string; throws `RelationDataTypeError` if it cannot. */
  encode(value: T, field: string): string;
  /** Parses a wire string; throws `RelationDataDecodeError` naming `field` if it is malformed. */
  decode(raw: string, field: string): T;
}

// JSON's number grammar: no leading zeros, no leading '+', no bare '.', no hex.
const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const stringCodec: FieldCodec<string> = {
  kind: 'string',
  encode(value, field) {
    if (typeof value !== 'string') throw typeError(field, 'a string', value);
    return value;
  },
  decode: (raw) => raw,
};

const integerCodec: FieldCodec<number> = {
  kind: 'integer',
  encode(value, field) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw typeError(field, 'a safe integer', value);
    }
    return String(value);
  },
  decode(raw, field) {
    const value = Number(raw);
    if (!INTEGER.test(raw) || !Number.isSafeInteger(value)) {
      throw new RelationDataDecodeError(field, 'must be an integer-as-string');
    }
    return value;
  },
};

const numberCodec: FieldCodec<number> = {
  kind: 'number',
  encode(value, field) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw typeError(field, 'a finite number', value);
    }
    return String(value);
  },
  decode(raw, field) {
    if (!NUMBER.test(raw)) throw new RelationDataDecodeError(field, 'must be a number-as-string');
    return Number(raw);
  },
};

const booleanCodec: FieldCodec<boolean> = {
  kind: 'boolean',
  encode(value, field) {
    if (typeof value !== 'boolean') throw typeError(field, 'a boolean', value);
    return value ? 'true' : 'false';
  },
  decode(raw, field) {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new RelationDataDecodeError(field, 'must be "true" or "false"');
  },
};

function jsonCodec<T>(): FieldCodec<T> {
  return {
    kind: 'json',
    encode(value, field) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        throw new RelationDataTypeError(`${field}: cannot be JSON-encoded (${String(cause)})`);
      }
      if (text === undefined) throw typeError(field, 'a JSON value', value);
      return text;
    },
    decode(raw, field) {
      try {
        return JSON.parse(raw) as T;
      } catch {
        // The parser's message quotes the raw value; relation data may hold secrets, so omit it.
        throw new RelationDataDecodeError(field, 'must be JSON-encoded');
      }
    },
  };
}

/**
 * The standard codecs. `json<T>()` is a function so callers can name the decoded type; the
 * decoded value is only as trustworthy as the schema that validates it afterwards.
 */
export const codecs = {
  /** The value is the string itself. */
  string: stringCodec,
  /** A safe integer in JSON syntax: `"42"`, `"-1"`; not `"042"`, `"4.0"` or `"4e1"`. */
  integer: integerCodec,
  /** A finite number in JSON syntax: `"1.5"`, `"2e3"`. */
  number: numberCodec,
  /** Exactly `"true"` or `"false"`. */
  boolean: booleanCodec,
  /** Any JSON value, for objects and arrays (JSON-in-string). */
  json: jsonCodec,
} as const;

/** The codec of each field of a bag; absent (optional) fields are simply not written. */
export type FieldCodecs<T extends object> = {
  readonly [K in keyof T]-?: FieldCodec<NonNullable<T[K]>>;
};

/**
 * Decodes the declared fields of a raw bag. Keys without a codec are ignored (they belong to
 * someone else, such as Juju's own `ingress-address`). Every malformed field is reported in one
 * `RelationDataValidationError` whose `source` says which bag it was.
 */
export function decodeFields<T extends object>(
  raw: Readonly<Record<string, string>>,
  fieldCodecs: FieldCodecs<T>,
  source = 'relation data',
): Partial<T> {
  const decoded: Record<string, unknown> = {};
  const issues: FieldIssue[] = [];
  for (const [field, codec] of Object.entries(fieldCodecs) as [string, FieldCodec<unknown>][]) {
    const value = raw[field];
    if (value === undefined) continue;
    try {
      decoded[field] = codec.decode(value, field);
    } catch (error) {
      if (!(error instanceof RelationDataDecodeError)) throw error;
      issues.push({ field: error.field, reason: error.reason });
    }
  }
  if (issues.length > 0) throw new RelationDataValidationError(source, issues);
  return decoded as Partial<T>;
}

/**
 * Encodes typed fields into bag strings. `undefined` fields are left out (not deleted): the
 * caller decides what to remove, because only it knows which keys it owns.
 */
export function encodeFields<T extends object>(
  data: Partial<T>,
  fieldCodecs: FieldCodecs<T>,
): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [field, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const codec = (fieldCodecs as Record<string, FieldCodec<unknown> | undefined>)[field];
    if (codec === undefined) {
      throw new RelationDataTypeError(`${field}: no codec declared for this field`);
    }
    encoded[field] = codec.encode(value, field);
  }
  return encoded;
}

function typeError(field: string, expected: string, value: unknown): RelationDataTypeError {
  return new RelationDataTypeError(`${field}: expected ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value;
}
