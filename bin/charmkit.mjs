#!/usr/bin/env node
// The `charmkit` command. In an installed package it runs the compiled CLI (dist/cli). In a clone
// of the repository, where the TypeScript sources are here and nothing has been built, it bundles
// cli/charmkit.ts with esbuild first (well under a second; reused until a source changes), so
// `npm ci && npm run demo` needs no build step.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'cli', 'charmkit.ts');

async function bundled() {
  const out = path.join(root, 'node_modules', '.cache', 'charmkit', 'cli.mjs');
  const meta = `${out}.meta.json`;
  if (fresh(out, meta)) return out;
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    console.error("charmkit: running from a clone needs the dev dependencies: run 'npm ci' first");
    process.exit(3);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const external = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    'esbuild',
  ].flatMap((name) => [name, `${name}/*`]);
  const result = await esbuild.build({
    entryPoints: [source],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: path.join(root, 'tsconfig.json'),
    external,
    metafile: true,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  fs.writeFileSync(meta, JSON.stringify(Object.keys(result.metafile.inputs)));
  return out;
}

/** The bundle is fresh when every file it was built from is older than it. */
function fresh(out, meta) {
  try {
    const built = fs.statSync(out).mtimeMs;
    const inputs = JSON.parse(fs.readFileSync(meta, 'utf8'));
    return inputs.every((input) => fs.statSync(path.resolve(root, input)).mtimeMs < built);
  } catch {
    return false;
  }
}

const entry = fs.existsSync(source)
  ? await bundled()
  : path.join(root, 'dist', 'cli', 'charmkit.js');
await import(pathToFileURL(entry).href);
