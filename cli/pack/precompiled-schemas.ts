/**
 * Interface schemas compiled at pack time, so a hook neither loads ajv nor compiles a schema.
 *
 * charmkit validates relation data with ajv, which compiles every schema into a function the first
 * time it is used: on a hook that is most of the work charmkit does before its first request
 * (bench/README.md). A packed charm knows its schemas in advance, so this esbuild plugin compiles
 * them once, with ajv's standalone code generation and the library's own options, and swaps the
 * `ajv/dist/2020.js` the library imports for a small stand-in that hands out those functions.
 * Anything it was not given at pack time (a charm's own interface schemas in a registry of its own)
 * goes to the real ajv, bundled too and loaded only when first needed, so nothing stops working.
 *
 * The library is unchanged: the stand-in answers exactly the calls the schema registry makes
 * (`getSchema`, `addSchema`, `removeSchema`, `compile` of `{ $ref: <id>#/properties/<bag> }` and
 * of `{ type: 'object' }`), and the compiled functions report the same errors ajv would.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';

const SHIM = 'charmkit-ajv-precompiled';
const VALIDATORS = 'charmkit-ajv-validators';

/** The schema documents under `roots` (`<interface>/v<N>/{provider,requirer}.json`). */
export function schemaDocuments(roots: readonly string[]): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const version of fs
        .readdirSync(dir)
        .filter((v) => /^v\d+$/.test(v))
        .sort()) {
        for (const side of ['provider', 'requirer']) {
          const file = path.join(dir, version, `${side}.json`);
          if (fs.existsSync(file))
            documents.push(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
        }
      }
    }
  }
  return documents;
}

/** The plugin; `resolveDir` is where `ajv` resolves from (the package that has it). */
export function precompiledSchemasPlugin(roots: readonly string[], resolveDir: string): Plugin {
  return {
    name: 'charmkit-precompiled-schemas',
    setup(build) {
      const require = createRequire(path.join(resolveDir, 'package.json'));
      const realAjv = require.resolve('ajv/dist/2020.js');
      let generated: { validators: string; table: [string, string][]; known: string[] } | undefined;
      const generate = () => {
        if (generated) return generated;
        const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
        const standalone = require('ajv/dist/standalone/index.js') as {
          default: (ajv: unknown, refs: Record<string, string>) => string;
        };
        // The registry's own options, plus source code for the standalone output.
        const ajv = new Ajv2020({
          allErrors: true,
          strict: true,
          code: { source: true, esm: true },
        });
        const refs: Record<string, string> = {};
        const table: [string, string][] = [];
        const known: string[] = [];
        let n = 0;
        for (const document of schemaDocuments(roots)) {
          const id = document.$id;
          if (typeof id !== 'string') continue;
          ajv.addSchema(document);
          known.push(id);
          const properties = (document.properties ?? {}) as Record<string, unknown>;
          for (const scope of ['app', 'unit']) {
            if (!(scope in properties)) continue;
            const name = `v${n++}`;
            ajv.addSchema({
              $id: `charmkit:precompiled:${name}`,
              $ref: `${id}#/properties/${scope}`,
            });
            refs[name] = `charmkit:precompiled:${name}`;
            table.push([`${id}#/properties/${scope}`, name]);
          }
        }
        ajv.addSchema({ $id: 'charmkit:precompiled:object', type: 'object' });
        refs.anyObject = 'charmkit:precompiled:object';
        generated = { validators: standalone.default(ajv, refs), table, known };
        return generated;
      };
      build.onResolve({ filter: /^ajv\/dist\/2020(\.js)?$/ }, (args) =>
        args.namespace === SHIM ? undefined : { path: SHIM, namespace: SHIM },
      );
      build.onResolve({ filter: new RegExp(`^${VALIDATORS}$`) }, () => ({
        path: VALIDATORS,
        namespace: SHIM,
      }));
      build.onLoad({ filter: /.*/, namespace: SHIM }, (args) => {
        const { validators, table, known } = generate();
        if (args.path === VALIDATORS) return { contents: validators, loader: 'js', resolveDir };
        return { contents: shimSource(table, known, realAjv), loader: 'js', resolveDir };
      });
    },
  };
}

function shimSource(table: [string, string][], known: string[], realAjv: string): string {
  return `// Generated by charmkit pack (cli/pack/precompiled-schemas.ts): ajv's Ajv2020 for the schemas
// compiled at pack time, the real ajv (loaded on first need) for anything else.
import * as validators from '${VALIDATORS}';
const BY_REF = new Map(${JSON.stringify(table)}.map(([ref, name]) => [ref, validators[name]]));
const KNOWN = new Set(${JSON.stringify(known)});
let real;
// Set when something needed the real ajv (a schema not compiled at pack time); tests read it.
const realAjv = () => {
  globalThis.__charmkitAjvFallback = true;
  return (real ??= require(${JSON.stringify(realAjv)}));
};
export class Ajv2020 {
  constructor(options) {
    this.options = options;
    this.fallback = undefined;
  }
  real() {
    return (this.fallback ??= new (realAjv().Ajv2020)(this.options));
  }
  getSchema(id) {
    return KNOWN.has(id) ? validators.anyObject : this.real().getSchema(id);
  }
  addSchema(schema) {
    if (!KNOWN.has(schema && schema.$id)) this.real().addSchema(schema);
    return this;
  }
  removeSchema(id) {
    if (!KNOWN.has(id)) this.real().removeSchema(id);
    return this;
  }
  compile(schema) {
    const keys = schema && typeof schema === 'object' ? Object.keys(schema) : [];
    if (keys.length === 1 && typeof schema.$ref === 'string' && BY_REF.has(schema.$ref)) return BY_REF.get(schema.$ref);
    if (keys.length === 1 && schema.type === 'object') return validators.anyObject;
    return this.real().compile(schema);
  }
}
export default Ajv2020;
`;
}
