/**
 * Compiled interface schemas: validate and convert relation bags in both directions.
 *
 * Design decision: a schema describes the *decoded* bag, in natural JSON types (`integer`,
 * `boolean`, `object`), not the raw strings. Each field's string encoding is derived from its
 * declared `type` (see `codecForFieldSchema`), so one schema gives both a typed value and its wire
 * form, and authors write `"type": "integer", "minimum": 0` instead of a regex for digits.
 * Reading runs decode → validate; writing runs validate → encode. Either way every failing field
 * is reported in one `RelationDataValidationError`.
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { codecs, type CodecKind, type FieldCodec } from './codec.js';
import {
  InterfaceSchemaError,
  RelationDataDecodeError,
  RelationDataTypeError,
  RelationDataValidationError,
  type FieldIssue,
} from './errors.js';
import { issuesFromAjv } from './validation-issues.js';

/** Which side of an interface: the provider offers, the requirer consumes. */
export type InterfaceSide = 'provider' | 'requirer';

/** The data one side publishes: its app bag and its unit bag, as decoded types. */
export interface SideData {
  app: object;
  unit: object;
}

/** The shape used when a caller does not name its types: any fields, unknown values. */
export interface UntypedSideData extends SideData {
  app: Record<string, unknown>;
  unit: Record<string, unknown>;
}

/**
 * Keys the Juju agent itself writes into every unit bag. They are not part of any interface, so
 * they are removed before validation (unless a schema declares them) and never deleted by
 * `encode`'s callers.
 */
export const JUJU_UNIT_BAG_KEYS: ReadonlySet<string> = new Set([
  'egress-subnets',
  'ingress-address',
  'private-address',
]);

type JsonSchema = Record<string, unknown>;

/** The validator and field codecs of one bag (the app or unit bag of one side). */
export class BagSchema<T extends object> {
  /** The declared fields and their encodings; keys not listed are passed through as strings. */
  readonly fields: ReadonlyMap<string, FieldCodec<unknown>>;

  constructor(
    /** `app` or `unit`. */
    readonly scope: 'app' | 'unit',
    /** Names the schema in messages: `example v1 provider`. */
    readonly label: string,
    private readonly validate: ValidateFunction,
    fields: ReadonlyMap<string, FieldCodec<unknown>>,
  ) {
    this.fields = fields;
  }

  /** The keys this bag schema owns: the ones a publisher may set and delete. */
  get ownedKeys(): string[] {
    return [...this.fields.keys()];
  }

  /**
   * Decodes and validates a raw bag. Throws `RelationDataValidationError` naming every field that
   * is malformed (cannot be decoded) or invalid (fails the schema), with `source` in the message.
   */
  decode(raw: Readonly<Record<string, string>>, source: string): T {
    const decoded: Record<string, unknown> = {};
    const issues: FieldIssue[] = [];
    const failed = new Set<string>();
    for (const [key, value] of Object.entries(raw)) {
      if (this.scope === 'unit' && JUJU_UNIT_BAG_KEYS.has(key) && !this.fields.has(key)) continue;
      const codec = this.fields.get(key);
      if (codec === undefined) {
        decoded[key] = value;
        continue;
      }
      try {
        decoded[key] = codec.decode(value, key);
      } catch (error) {
        if (!(error instanceof RelationDataDecodeError)) throw error;
        issues.push({ field: key, reason: error.reason });
        failed.add(key);
        // Keep the raw string so "required" does not also fire for a field that is present.
        decoded[key] = value;
      }
    }
    if (!this.validate(decoded)) issues.push(...issuesFromAjv(this.validate.errors, failed));
    if (issues.length > 0) {
      throw new RelationDataValidationError(`${source} (${this.label})`, sortIssues(issues));
    }
    return decoded as T;
  }

  /**
   * Validates typed data, then encodes it to bag strings. `undefined` fields are dropped (the
   * caller deletes owned keys it no longer sets). Undeclared fields must already be strings.
   */
  encode(data: T, source: string): Record<string, string> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new RelationDataTypeError(`Data for the ${source} must be an object`);
    }
    const defined = Object.fromEntries(
      Object.entries(data).filter(([, value]) => value !== undefined),
    );
    if (!this.validate(defined)) {
      throw new RelationDataValidationError(
        `${source} (${this.label}; nothing was written)`,
        sortIssues(issuesFromAjv(this.validate.errors)),
      );
    }
    const encoded: Record<string, string> = {};
    for (const [key, value] of Object.entries(defined)) {
      const codec = this.fields.get(key);
      if (codec !== undefined) {
        encoded[key] = codec.encode(value, key);
      } else if (typeof value === 'string') {
        encoded[key] = value;
      } else {
        throw new RelationDataTypeError(
          `${key}: not declared by ${this.label}, so it must already be a string`,
        );
      }
    }
    return encoded;
  }
}

/** Both bags of one side of an interface. */
export class SideSchema<T extends SideData = UntypedSideData> {
  constructor(
    readonly interfaceName: string,
    readonly version: number,
    readonly side: InterfaceSide,
    readonly app: BagSchema<T['app']>,
    readonly unit: BagSchema<T['unit']>,
  ) {}
}

/**
 * One version of an interface: what the provider publishes and what the requirer publishes.
 * The type parameters are the decoded data types; keeping them in line with the JSON files is
 * the author's job (the schema is the runtime truth, the types are the compile-time promise).
 */
export class InterfaceSchema<
  TProvider extends SideData = UntypedSideData,
  TRequirer extends SideData = UntypedSideData,
> {
  constructor(
    readonly name: string,
    readonly version: number,
    readonly provider: SideSchema<TProvider>,
    readonly requirer: SideSchema<TRequirer>,
  ) {}
}

/**
 * Compiles one side's schema document into a `SideSchema`. The document must be an object
 * schema whose `properties.app` and `properties.unit` describe the bags (either may be omitted:
 * that bag then has no declared fields and any string keys pass). Local `$ref`s into the same
 * document (`#/$defs/...`) are followed.
 */
export function compileSideSchema<T extends SideData>(
  ajv: Ajv2020,
  interfaceName: string,
  version: number,
  side: InterfaceSide,
  document: JsonSchema,
): SideSchema<T> {
  const label = `${interfaceName} v${version} ${side}`;
  const id = document.$id;
  if (typeof id !== 'string') throw new InterfaceSchemaError(`${label}: the schema has no $id`);
  // Codecs first: "this field has no single encoding" is a clearer message than ajv's strict mode.
  const appFields = fieldCodecsOf(document, 'app', label);
  const unitFields = fieldCodecsOf(document, 'unit', label);
  if (ajv.getSchema(id) === undefined) {
    try {
      ajv.addSchema(document);
      ajv.getSchema(id); // compiles now, so a bad schema fails here and not on first use
    } catch (error) {
      ajv.removeSchema(id);
      throw new InterfaceSchemaError(`${label}: the schema does not compile: ${messageOf(error)}`);
    }
  }
  const bag = <B extends object>(
    scope: 'app' | 'unit',
    fields: Map<string, FieldCodec<unknown>> | undefined,
  ): BagSchema<B> =>
    fields === undefined
      ? new BagSchema<B>(scope, label, ajv.compile({ type: 'object' }), new Map())
      : new BagSchema<B>(scope, label, ajv.compile({ $ref: `${id}#/properties/${scope}` }), fields);
  return new SideSchema<T>(
    interfaceName,
    version,
    side,
    bag<T['app']>('app', appFields),
    bag<T['unit']>('unit', unitFields),
  );
}

/** The codec of every declared field of one bag; undefined when the side omits the bag. */
function fieldCodecsOf(
  document: JsonSchema,
  scope: 'app' | 'unit',
  label: string,
): Map<string, FieldCodec<unknown>> | undefined {
  const bagSchema = (asObject(document.properties) ?? {})[scope];
  if (bagSchema === undefined) return undefined;
  const resolved = resolveRef(document, bagSchema, `${label} ${scope}`);
  if (resolved.type !== 'object') {
    throw new InterfaceSchemaError(`${label}: properties.${scope} must be "type": "object"`);
  }
  const fields = new Map<string, FieldCodec<unknown>>();
  for (const [field, fieldSchema] of Object.entries(asObject(resolved.properties) ?? {})) {
    const where = `${label} ${scope}.${field}`;
    fields.set(
      field,
      codecFor(codecKindForFieldSchema(resolveRef(document, fieldSchema, where), where)),
    );
  }
  return fields;
}

/**
 * Chooses a field's string encoding from its schema: `string` as is; `integer`, `number` and
 * `boolean` as their JSON text; `object` and `array` as JSON. Without `type`, a `const` or `enum`
 * decides by its values (all strings → string). Anything else is ambiguous (which encoding would
 * `["string", "integer"]` use?) and rejected, so authors find out at load time.
 */
export function codecKindForFieldSchema(schema: JsonSchema, where: string): CodecKind {
  const type =
    Array.isArray(schema.type) && schema.type.length === 1 ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
      return type;
    case 'object':
    case 'array':
      return 'json';
    case undefined:
      break;
    default:
      throw new InterfaceSchemaError(
        `${where}: "type": ${JSON.stringify(schema.type)} has no single string encoding; ` +
          'declare one of string, integer, number, boolean, object or array',
      );
  }
  const values = 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : [];
  if (values.length > 0) {
    if (values.every((v) => typeof v === 'string')) return 'string';
    if (values.every((v) => Number.isSafeInteger(v))) return 'integer';
    if (values.every((v) => typeof v === 'number')) return 'number';
    if (values.every((v) => typeof v === 'boolean')) return 'boolean';
  }
  throw new InterfaceSchemaError(
    `${where}: declare a "type" so charmkit knows how the value is encoded as a string`,
  );
}

function codecFor(kind: CodecKind): FieldCodec<unknown> {
  return kind === 'json' ? codecs.json<unknown>() : (codecs[kind] as FieldCodec<unknown>);
}

/** Follows `#/...` references within one document (cycles are cut after a few hops). */
function resolveRef(document: JsonSchema, schema: unknown, where: string): JsonSchema {
  let current = asObject(schema);
  for (let hops = 0; current !== undefined && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (hops > 8 || !ref.startsWith('#/')) {
      throw new InterfaceSchemaError(
        `${where}: only local "#/..." $refs are supported (got ${ref})`,
      );
    }
    current = asObject(
      ref
        .slice(2)
        .split('/')
        .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, key) => asObject(node)?.[key], document),
    );
  }
  if (current === undefined) throw new InterfaceSchemaError(`${where}: not a schema object`);
  return current;
}

function asObject(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonSchema)
    : undefined;
}

function sortIssues(issues: FieldIssue[]): FieldIssue[] {
  return [...issues].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
