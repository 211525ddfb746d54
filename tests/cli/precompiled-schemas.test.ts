/**
 * Schemas compiled at pack time validate exactly as the library's run-time ajv does: the same
 * script, bundled with and without the pack-time plugin, decodes the same bags — valid ones and
 * every kind of invalid one, for every interface charmkit ships — with identical results, and the
 * precompiled bundle never needs the real ajv.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { bundleController } from '../../cli/pack/bundle.js';

const root = process.cwd();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-precompiled-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const SCRIPT = `
import { SchemaRegistry } from ${JSON.stringify(path.join(root, 'lib/relations/schema-registry.ts'))};
const registry = new SchemaRegistry({ root: ${JSON.stringify(path.join(root, 'schemas'))} });
const out = [];
for (const name of registry.interfaces()) {
  for (const version of registry.versions(name)) {
    const schema = registry.get(name, version);
    for (const side of ['provider', 'requirer']) {
      for (const scope of ['app', 'unit']) {
        const bag = schema[side][scope];
        const fields = [...bag.fields.keys()];
        const samples = [{}, { 'not-a-field': 'x' }];
        for (const field of fields) {
          samples.push({ [field]: 'x' }, { [field]: '1' }, { [field]: '{"a":1}' }, { [field]: '' });
          samples.push(Object.fromEntries(fields.map((f) => [f, f === field ? '/data' : 'x'])));
        }
        for (const raw of samples) {
          let result;
          try {
            result = { ok: bag.decode(raw, 'test') };
          } catch (error) {
            result = { error: String(error.message) };
          }
          out.push([name, version, side, scope, raw, result]);
        }
      }
    }
  }
}
console.log(JSON.stringify({ results: out, fallback: globalThis.__charmkitAjvFallback === true }));
`;

async function runBundled(precompile: boolean): Promise<{ results: unknown[]; fallback: boolean }> {
  const entry = path.join(work, `entry-${precompile}.ts`);
  const outfile = path.join(work, `bundle-${precompile}.mjs`);
  fs.writeFileSync(entry, SCRIPT);
  await bundleController({
    entry,
    outfile,
    tsconfig: path.join(root, 'tsconfig.json'),
    ...(precompile
      ? { precompile: { schemaRoots: [path.join(root, 'schemas')], resolveDir: root } }
      : {}),
  });
  return JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' })) as {
    results: unknown[];
    fallback: boolean;
  };
}

describe('schemas compiled at pack time', () => {
  it('decode every sample bag exactly as run-time ajv does, without loading ajv', async () => {
    const runtime = await runBundled(false);
    const precompiled = await runBundled(true);
    expect(runtime.results.length).toBeGreaterThan(100);
    // Both outcomes occur, so the comparison covers valid and invalid data.
    const kinds = new Set(
      runtime.results.map((r) => Object.keys((r as unknown[])[5] as object)[0]),
    );
    expect([...kinds].sort()).toEqual(['error', 'ok']);
    expect(precompiled.results).toEqual(runtime.results);
    expect(precompiled.fallback).toBe(false);
  });
});
