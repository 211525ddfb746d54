/** `charmkit pack`: a controller as a deployable `.charm` archive (see pack/pack.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { packCharm } from '../pack/pack.js';
import { ARCHITECTURES, DEFAULT_NODE_VERSION, hostArch } from '../pack/runtime.js';

/** The charmkit package folder this CLI belongs to (a clone's root, or the installed package). */
export function charmkitRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(dir, 'schemas'))) {
      const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'charmkit') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new CliError('cannot find the charmkit package this CLI belongs to', EXIT.environment);
    dir = parent;
  }
}

export const packCommand: Command = {
  name: 'pack',
  summary: 'pack a controller as a .charm: metadata, dispatch, one bundled file, Node.js',
  usage:
    '<charm-dir | radarr | qbittorrent | gluetun> [--out <file>] [--arch amd64|arm64] [options]',
  description: [
    "Builds a .charm archive (a zip) Juju can deploy from a charm's folder (its charmcraft.yaml",
    'and src/dispatch.ts) or an example by name: charmcraft.yaml and metadata.yaml, a dispatch',
    "script, the controller bundled with charmkit into one file by esbuild, charmkit's interface",
    'schemas, the Node.js runtime for the target architecture (the npm package node-linux-<arch>,',
    'fetched once with npm and cached), and charmkit-manifest.json listing every file with its',
    'size and sha256. --unpacked lays the same files out in a folder instead (or as well).',
  ].join('\n'),
  options: {
    out: {
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'the archive to write (default <name>_<arch>.charm)',
    },
    unpacked: {
      type: 'string',
      value: 'dir',
      help: 'write the files into this folder (no archive unless --out)',
    },
    arch: {
      type: 'string',
      value: Object.keys(ARCHITECTURES).join('|'),
      help: `target architecture (default this machine's: ${hostArch()})`,
    },
    'node-version': {
      type: 'string',
      value: 'version',
      help: `Node.js to ship (default ${DEFAULT_NODE_VERSION})`,
    },
    entry: {
      type: 'string',
      value: 'file',
      help: 'the entry point (default <charm-dir>/src/dispatch.ts)',
    },
  },
  async run({ values, positionals, out, err }) {
    const target = positionals[0];
    if (!target) throw new CliError('name a charm folder or an example', EXIT.usage);
    const root = charmkitRoot();
    const example = path.join(root, 'examples', `${target}-charm`);
    const dir = fs.existsSync(path.join(target, 'charmcraft.yaml'))
      ? target
      : fs.existsSync(example)
        ? example
        : target;
    const tsconfig = path.join(root, 'tsconfig.json');
    const insideClone = fs.existsSync(tsconfig) && path.resolve(dir).startsWith(root + path.sep);
    const progress = err.progress(`packing ${path.relative(process.cwd(), dir) || dir}`);
    try {
      const packed = await packCharm({
        dir,
        ...(values.entry ? { entry: values.entry as string } : {}),
        ...(values.out ? { out: values.out as string } : {}),
        ...(values.unpacked ? { unpacked: values.unpacked as string } : {}),
        arch: (values.arch as string | undefined) ?? hostArch(),
        ...(values['node-version'] ? { nodeVersion: values['node-version'] as string } : {}),
        ...(insideClone ? { tsconfig } : {}),
        charmkitRoot: root,
        onStep: (text) => progress.update(text),
      });
      progress.done();
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      if (packed.archive) out.line(`${packed.archive}: ${packed.files} files, ${mb(packed.bytes)}`);
      if (packed.unpacked) out.line(`${packed.unpacked}: ${packed.files} files`);
      out.line(
        `  ${packed.name}: bundle ${(packed.bundleBytes / 1024).toFixed(0)} KB, Node.js ${packed.runtime.version} (${packed.runtime.arch})`,
      );
      return EXIT.ok;
    } catch (failure) {
      progress.fail();
      throw failure;
    }
  },
};
