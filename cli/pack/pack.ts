/**
 * `charmkit pack`: a controller as a `.charm` archive Juju can deploy — the charm's metadata, a
 * `dispatch` script, the controller bundled into one file, charmkit's interface schemas, and the
 * Node.js runtime to run it — with a manifest listing every file and where it came from.
 *
 * Layout inside the archive:
 *   dispatch                     runs ./bin/node ./charmkit/dist/dispatch.mjs for every hook
 *   bin/node, bin/node.LICENSE   the runtime (npm package node-linux-<arch>)
 *   charmkit/dist/dispatch.mjs   the bundle
 *   charmkit/package.json        marks charmkit/ as the home of the bundle's schemas/
 *   charmkit/schemas/...         the interface schemas relation data is validated against
 *   charmcraft.yaml, metadata.yaml, manifest.yaml   what Juju and charmcraft read
 *   charmkit-manifest.json       what charmkit packed: versions, sizes and sha256 of each file
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from '../exit-codes.js';
import { bundleController } from './bundle.js';
import { nodeRuntime, type NodeRuntime } from './runtime.js';
import { zip, type ZipEntry } from './zip.js';

/** The `dispatch` script every packed charm gets (the examples' own `dispatch` files are this). */
export const DISPATCH_SCRIPT = `#!/bin/sh
# Juju runs this for every hook with JUJU_DISPATCH_PATH=hooks/<hook-name>; older agents run
# hooks/<name> (a link to this file), so $0 stands in for the path. The charm ships Node.js in bin/
# and the controller bundled into one file by \`charmkit pack\` (see docs/cli.md). Node keeps the
# compiled bundle in .node-compile-cache/ so later hooks skip compiling it (ignored if unwritable).
export NODE_COMPILE_CACHE="\${NODE_COMPILE_CACHE:-$PWD/.node-compile-cache}"
JUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-$0}" exec ./bin/node ./charmkit/dist/dispatch.mjs
`;

/** The top-level keys of charmcraft.yaml that are charm metadata (Juju reads them as metadata.yaml). */
const METADATA_KEYS = new Set([
  'name',
  'display-name',
  'summary',
  'description',
  'docs',
  'issues',
  'maintainers',
  'source',
  'website',
  'terms',
  'subordinate',
  'assumes',
  'containers',
  'resources',
  'storage',
  'devices',
  'requires',
  'provides',
  'peers',
  'extra-bindings',
]);

/** Options of `packCharm`. */
export interface PackOptions {
  /** The charm's folder: charmcraft.yaml and the entry point. */
  readonly dir: string;
  /** The entry point (default: <dir>/src/dispatch.ts, else .js). */
  readonly entry?: string;
  /** Write the archive here (default <dir>/<name>_<arch>.charm in the working directory). */
  readonly out?: string;
  /** Also (or only) lay the files out in this folder, unzipped. */
  readonly unpacked?: string;
  /** Juju architecture: amd64 or arm64 (default this machine's). */
  readonly arch: string;
  readonly nodeVersion?: string;
  /** The repository's tsconfig, when packing inside a clone (maps charmkit/* to the sources). */
  readonly tsconfig?: string;
  /** charmkit's package folder (for schemas/ and its version). */
  readonly charmkitRoot: string;
  readonly onStep?: (text: string) => void;
}

/** What was packed. */
export interface Packed {
  readonly name: string;
  readonly archive?: string;
  readonly unpacked?: string;
  readonly files: number;
  readonly bytes: number;
  readonly bundleBytes: number;
  readonly runtime: NodeRuntime;
}

interface FileRecord {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly mode: string;
}

/** Packs the charm in `options.dir`; see the module comment. */
export async function packCharm(options: PackOptions): Promise<Packed> {
  const step = options.onStep ?? (() => undefined);
  const charmcraftPath = path.join(options.dir, 'charmcraft.yaml');
  if (!fs.existsSync(charmcraftPath)) {
    throw new CliError(
      `${options.dir} has no charmcraft.yaml: point pack at a charm's folder`,
      EXIT.usage,
    );
  }
  const charmcraft = fs.readFileSync(charmcraftPath, 'utf8');
  const name = /^name:\s*["']?([a-z0-9-]+)["']?\s*$/m.exec(charmcraft)?.[1];
  if (!name) throw new CliError(`${charmcraftPath} has no top-level name`, EXIT.usage);
  const entry =
    options.entry ??
    ['src/dispatch.ts', 'src/dispatch.js', 'src/dispatch.mjs']
      .map((candidate) => path.join(options.dir, candidate))
      .find((candidate) => fs.existsSync(candidate));
  if (!entry || !fs.existsSync(entry)) {
    throw new CliError(
      `no entry point: ${options.dir}/src/dispatch.ts does not exist (pass --entry)`,
      EXIT.usage,
    );
  }

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-pack-'));
  try {
    step(`bundling ${path.relative(process.cwd(), entry)} with esbuild`);
    const bundlePath = path.join(work, 'dispatch.mjs');
    const bundle = await bundleController({
      entry,
      outfile: bundlePath,
      ...(options.tsconfig ? { tsconfig: options.tsconfig } : {}),
      // charmkit's schemas and the charm's own (a schemas/ folder beside charmcraft.yaml).
      precompile: {
        schemaRoots: [
          path.join(options.charmkitRoot, 'schemas'),
          path.join(options.dir, 'schemas'),
        ],
        resolveDir: options.charmkitRoot,
      },
    });
    const runtime = await nodeRuntime(options.arch, options.nodeVersion, step);
    const charmkit = JSON.parse(
      fs.readFileSync(path.join(options.charmkitRoot, 'package.json'), 'utf8'),
    ) as {
      version: string;
    };

    const entries: ZipEntry[] = [
      { path: 'dispatch', data: Buffer.from(DISPATCH_SCRIPT), mode: 0o755 },
      { path: 'charmcraft.yaml', data: Buffer.from(charmcraft) },
      { path: 'metadata.yaml', data: Buffer.from(metadataOf(charmcraft)) },
      { path: 'manifest.yaml', data: Buffer.from(manifestYaml(charmkit.version, options.arch)) },
      { path: 'charmkit/dist/dispatch.mjs', data: fs.readFileSync(bundlePath) },
      {
        path: 'charmkit/package.json',
        data: Buffer.from(
          `${JSON.stringify({ name: 'charmkit', version: charmkit.version, private: true, type: 'module', description: `charmkit's runtime files for the ${name} charm` }, null, 2)}\n`,
        ),
      },
      ...schemaEntries(path.join(options.charmkitRoot, 'schemas')),
    ];
    step(`adding Node.js ${runtime.version} (${runtime.source})`);
    entries.push(
      { path: 'bin/node', data: fs.readFileSync(runtime.binary), mode: 0o755 },
      { path: 'bin/node.LICENSE', data: fs.readFileSync(runtime.license) },
    );
    const records: FileRecord[] = entries.map((e) => ({
      path: e.path,
      bytes: e.data.length,
      sha256: createHash('sha256').update(e.data).digest('hex'),
      mode: (e.mode ?? 0o644).toString(8),
    }));
    const manifest = {
      charm: name,
      packedBy: `charmkit ${charmkit.version}`,
      architecture: options.arch,
      runtime: { node: runtime.version, from: runtime.source },
      entry: path.relative(options.dir, entry),
      bundle: { path: 'charmkit/dist/dispatch.mjs', bytes: bundle.bytes, sources: bundle.inputs },
      files: records,
    };
    entries.push({
      path: 'charmkit-manifest.json',
      data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
    });

    let archive: string | undefined;
    if (options.out !== undefined || options.unpacked === undefined) {
      archive = path.resolve(options.out ?? `${name}_${options.arch}.charm`);
      step(`writing ${path.relative(process.cwd(), archive)}`);
      fs.mkdirSync(path.dirname(archive), { recursive: true });
      fs.writeFileSync(archive, zip(entries));
    }
    if (options.unpacked !== undefined) {
      for (const e of entries) {
        const target = path.join(options.unpacked, e.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, e.data, { mode: e.mode ?? 0o644 });
        fs.chmodSync(target, e.mode ?? 0o644);
      }
    }
    return {
      name,
      ...(archive ? { archive } : {}),
      ...(options.unpacked ? { unpacked: path.resolve(options.unpacked) } : {}),
      files: entries.length,
      bytes: archive ? fs.statSync(archive).size : 0,
      bundleBytes: bundle.bytes,
      runtime,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The metadata keys of charmcraft.yaml, as metadata.yaml (top-level blocks copied verbatim). */
export function metadataOf(charmcraft: string): string {
  const blocks: string[][] = [];
  for (const line of charmcraft.split('\n')) {
    if (/^[A-Za-z]/.test(line)) blocks.push([line]);
    else if (blocks.length > 0 && !/^#/.test(line)) blocks.at(-1)!.push(line);
  }
  const kept = blocks.filter((block) => METADATA_KEYS.has(block[0]!.split(':')[0]!.trim()));
  return `# Generated by charmkit pack from charmcraft.yaml.\n${kept.map((b) => b.join('\n').trimEnd()).join('\n')}\n`;
}

function manifestYaml(version: string, arch: string): string {
  return [
    `charmcraft-version: "charmkit ${version}"`,
    'bases:',
    '  - name: ubuntu',
    '    channel: "22.04"',
    `    architectures: [${arch}]`,
    '',
  ].join('\n');
}

function schemaEntries(dir: string): ZipEntry[] {
  const out: ZipEntry[] = [];
  const walk = (at: string) => {
    for (const entry of fs
      .readdirSync(at, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json')) {
        out.push({
          path: `charmkit/schemas/${path.relative(dir, full).split(path.sep).join('/')}`,
          data: fs.readFileSync(full),
        });
      }
    }
  };
  walk(dir);
  return out;
}
