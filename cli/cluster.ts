/**
 * The project's local control plane (scripts/cluster) as the CLI uses it: find the checkout, start
 * the cluster with progress (building it first if the cache is cold), and stop it again when the
 * CLI was the one that started it. Only a clone of the repository has these scripts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from './exit-codes.js';
import type { Output } from './output.js';

/** The running local cluster: where its kubeconfig is, and whether this process started it. */
export interface LocalCluster {
  readonly root: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly startedHere: boolean;
}

/** The repository checkout holding scripts/cluster, from the working directory or this file. */
export function findCheckout(
  from: readonly string[] = [process.cwd(), here()],
): string | undefined {
  for (const start of from) {
    let dir = path.resolve(start);
    for (;;) {
      if (
        fs.existsSync(path.join(dir, 'scripts/cluster/up.sh')) &&
        fs.existsSync(path.join(dir, 'package.json'))
      ) {
        return dir;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function here(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

interface ClusterState {
  ports: { apiserver: number };
  token: string;
}

function clusterDir(root: string): string {
  return process.env.CHARMKIT_CLUSTER_DIR ?? path.join(root, '.cluster');
}

function readState(root: string): ClusterState | undefined {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(clusterDir(root), 'state.json'), 'utf8'),
    ) as ClusterState;
  } catch {
    return undefined;
  }
}

function ready(root: string, state: ClusterState): Promise<boolean> {
  const ca = fs.readFileSync(path.join(clusterDir(root), 'pki', 'ca.crt'));
  return new Promise((resolve) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: state.ports.apiserver,
        path: '/readyz',
        ca,
        headers: { authorization: `Bearer ${state.token}` },
        timeout: 3000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * Makes sure the local control plane runs: reuses a healthy one, else runs scripts/cluster/up.sh
 * (which builds the binaries on first use) with its output shown as progress.
 */
export async function ensureLocalCluster(out: Output): Promise<LocalCluster> {
  const root = findCheckout();
  if (!root) {
    throw new CliError(
      '--cluster local needs a clone of the charmkit repository (its scripts/cluster); ' +
        'use --kubeconfig <file> for another cluster, or no option for the embedded one',
      EXIT.environment,
    );
  }
  const existing = readState(root);
  const startedHere = !(existing && (await ready(root, existing)));
  if (startedHere) {
    const progress = out.progress('starting the local control plane (scripts/cluster/up.sh)');
    const code = await runScript(root, 'scripts/cluster/up.sh', (line) =>
      progress.update(stepOf(line)),
    );
    if (code !== 0) {
      progress.fail();
      throw new CliError(
        code === 3
          ? 'the local control plane needs Go (>= 1.26) to build; install it and try again'
          : `scripts/cluster/up.sh exited ${code}; see its output above and .cluster/logs/`,
        EXIT.environment,
      );
    }
    progress.done();
  }
  const state = readState(root);
  if (!state)
    throw new CliError('the local cluster wrote no .cluster/state.json', EXIT.environment);
  return {
    root,
    kubeconfig: path.join(clusterDir(root), 'kubeconfig'),
    server: `https://127.0.0.1:${state.ports.apiserver}`,
    startedHere,
  };
}

/** Stops the local cluster (scripts/cluster/down.sh). */
export async function stopLocalCluster(cluster: LocalCluster, out: Output): Promise<void> {
  const progress = out.progress('stopping the local control plane');
  const code = await runScript(cluster.root, 'scripts/cluster/down.sh', (line) =>
    progress.update(stepOf(line)),
  );
  if (code === 0) progress.done();
  else progress.fail(`scripts/cluster/down.sh exited ${code}`);
}

/** A script's output line without our `charmkit:` prefix, as a progress step. */
function stepOf(line: string): string {
  return line.replace(/^charmkit( [\w-]+)?: /, '').trim();
}

function runScript(root: string, script: string, onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(root, script)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    const feed = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', () => resolve(127));
    child.on('close', (code) => {
      if (pending.trim()) onLine(pending);
      resolve(code ?? 1);
    });
  });
}
