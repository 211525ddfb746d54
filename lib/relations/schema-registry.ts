/**
 * Finds, loads and compiles versioned interface schemas.
 *
 * Layout: `<root>/<interface>/v<N>/{provider,requirer}.json`, JSON Schema 2020-12, each with an
 * `$id` ending in `/<interface>/v<N>/<side>.json`. The default root is the `schemas/` folder
 * shipped in the charmkit package, found from this module's own URL so it works from `lib/`
 * (ts-jest) and from `dist/lib/` (compiled) alike. A charm with its own interfaces points a
 * second registry at its own folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { InterfaceSchemaError } from './errors.js';
import {
  compileSideSchema,
  InterfaceSchema,
  type InterfaceSide,
  type SideData,
  type UntypedSideData,
} from './interface-schema.js';

/** The only dialect accepted, so every schema means the same thing to every reader. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

const INTERFACE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const SIDES: readonly InterfaceSide[] = ['provider', 'requirer'];

/** Options for `SchemaRegistry`. */
export interface SchemaRegistryOptions {
  /** The folder holding `<interface>/v<N>/...`; defaults to the package's `schemas/`. */
  readonly root?: string;
}

/**
 * Loads interface schemas on first use and keeps them compiled. One registry owns one ajv
 * instance, so `$id`s must be unique within it.
 */
export class SchemaRegistry {
  /** The folder schemas are read from. */
  readonly root: string;
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, InterfaceSchema<SideData, SideData>>();

  constructor(options: SchemaRegistryOptions = {}) {
    this.root = options.root ?? packageSchemasDir();
    // strict: unknown keywords and formats are authoring mistakes; fail at load, not in a hook.
    this.ajv = new Ajv2020({ allErrors: true, strict: true });
  }

  /**
   * The compiled schema of `interfaceName` at `version`. Throws `InterfaceSchemaError` if a file
   * is missing, is not JSON, breaks a convention or does not compile.
   */
  get<TProvider extends SideData = UntypedSideData, TRequirer extends SideData = UntypedSideData>(
    interfaceName: string,
    version: number,
  ): InterfaceSchema<TProvider, TRequirer> {
    checkName(interfaceName, version);
    const key = `${interfaceName}@${version}`;
    let schema = this.cache.get(key);
    if (schema === undefined) {
      const [provider, requirer] = SIDES.map((side) =>
        compileSideSchema(
          this.ajv,
          interfaceName,
          version,
          side,
          this.readSide(interfaceName, version, side),
        ),
      ) as [InterfaceSchema['provider'], InterfaceSchema['requirer']];
      schema = new InterfaceSchema(interfaceName, version, provider, requirer);
      this.cache.set(key, schema);
    }
    return schema as unknown as InterfaceSchema<TProvider, TRequirer>;
  }

  /** The versions available for an interface, ascending (empty if the interface is unknown). */
  versions(interfaceName: string): number[] {
    checkName(interfaceName, 1);
    const dir = join(this.root, interfaceName);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((entry) => /^v([1-9]\d*)$/.exec(entry))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
  }

  /** The interface names under the root, sorted. */
  interfaces(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && INTERFACE_NAME.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  }

  private readSide(
    interfaceName: string,
    version: number,
    side: InterfaceSide,
  ): Record<string, unknown> {
    const path = join(this.root, interfaceName, `v${version}`, `${side}.json`);
    const label = `${interfaceName} v${version} ${side}`;
    if (!existsSync(path)) {
      const known = this.versions(interfaceName);
      throw new InterfaceSchemaError(
        `${label}: no schema at ${path}` +
          (known.length > 0
            ? ` (available versions: ${known.map((v) => `v${v}`).join(', ')})`
            : ''),
      );
    }
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new InterfaceSchemaError(`${label}: ${path} is not valid JSON: ${String(error)}`);
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new InterfaceSchemaError(`${label}: ${path} must hold a JSON object`);
    }
    const schema = document as Record<string, unknown>;
    if (schema.$schema !== JSON_SCHEMA_DIALECT) {
      throw new InterfaceSchemaError(`${label}: "$schema" must be "${JSON_SCHEMA_DIALECT}"`);
    }
    const suffix = `/${interfaceName}/v${version}/${side}.json`;
    if (typeof schema.$id !== 'string' || !schema.$id.endsWith(suffix)) {
      throw new InterfaceSchemaError(
        `${label}: "$id" must end with "${suffix}" so the file and its identity agree ` +
          `(got ${JSON.stringify(schema.$id)})`,
      );
    }
    if (schema.type !== 'object') {
      throw new InterfaceSchemaError(
        `${label}: the top level must be "type": "object" with app/unit`,
      );
    }
    return schema;
  }
}

function checkName(interfaceName: string, version: number): void {
  if (!INTERFACE_NAME.test(interfaceName)) {
    throw new InterfaceSchemaError(
      `"${interfaceName}" is not an interface name (lowercase letters, digits, "-" and "_")`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InterfaceSchemaError(
      `${interfaceName}: version must be a positive integer, got ${version}`,
    );
  }
}

/**
 * The `schemas/` folder of the installed charmkit package: the nearest ancestor of this module
 * whose `package.json` is named `charmkit` and which has a `schemas` folder.
 */
export function packageSchemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && existsSync(join(dir, 'schemas'))) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (name === 'charmkit') return join(dir, 'schemas');
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new InterfaceSchemaError(
        `Cannot find the charmkit package's schemas/ folder above ${fileURLToPath(import.meta.url)}`,
      );
    }
    dir = parent;
  }
}

let defaultRegistry: SchemaRegistry | undefined;

/** The shared registry over the package's own schemas, created on first use. */
export function defaultSchemaRegistry(): SchemaRegistry {
  defaultRegistry ??= new SchemaRegistry();
  return defaultRegistry;
}
