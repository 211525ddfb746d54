/**
 * Importing charmkit, and a hook's whole in-cluster path, never load @kubernetes/client-node.
 *
 * Each case runs in a fresh `node` whose module loader refuses client-node
 * (tests/support/ts-loader: any static or dynamic import of it throws, exactly as if it were not
 * installed), so a static import anywhere in the graph, or a dynamic one on the way to a request,
 * fails the child. The last case is the control: a kubeconfig does need client-node, and the
 * refusal reaches it — so the loader really bites, and a user without client-node gets a message
 * that says what to install.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ServiceAccountMount } from '../support/service-account-mount.js';
import { LocalServer, ok } from './local-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const loader = pathToFileURL(path.join(root, 'tests/support/ts-loader/register.mjs')).href;
const lib = (file: string): string => pathToFileURL(path.join(root, 'lib', file)).href;

/**
 * Each child loads TypeScript and transpiles the library on the fly: about a second alone, much
 * more on a loaded 2-core machine while the integration suite runs. A limit for hangs, not a
 * timing assertion.
 */
const CHILD_LIMIT_MS = 120_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an ES module snippet in a new node that cannot import client-node. */
function runWithoutClientNode(script: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', loader, '--input-type=module', '-e', script],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          CHARMKIT_FORBID_IMPORTS: '@kubernetes/client-node',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: LocalServer;
let mount: ServiceAccountMount;
let dir: string;

beforeAll(async () => {
  server = await new LocalServer({ tls: true }).start();
  server.otherwise(
    ok({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'media' } }),
  );
  mount = new ServiceAccountMount({
    token: 'hook-token',
    'ca.crt': server.caPem,
    namespace: 'media',
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-no-client-node-'));
});
afterAll(async () => {
  await server.close();
  mount.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('without @kubernetes/client-node', () => {
  it(
    'charmkit and charmkit/testing import, and a FakeCluster test runs',
    async () => {
      const run = await runWithoutClientNode(`
      const root = await import(${JSON.stringify(lib('index.ts'))});
      const testing = await import(${JSON.stringify(lib('testing/index.ts'))});
      const cluster = new testing.FakeCluster();
      await cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'm' } });
      const got = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'm', name: 'a' });
      console.log(JSON.stringify({ got: got.metadata.name, createKubePort: typeof root.createKubePort }));
    `);
      expect(run.stderr).not.toContain('[forbidden import]');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ got: 'a', createKubePort: 'function' });
    },
    CHILD_LIMIT_MS,
  );

  it(
    'a hook with in-cluster credentials resolves itself and reads from the API server',
    async () => {
      const run = await runWithoutClientNode(
        `
      const kube = await import(${JSON.stringify(lib('kube/index.ts'))});
      const self = kube.resolveSelf({ serviceAccountDir: process.env.SA_DIR });
      const port = kube.createKubePort({ credentials: self.credentials });
      const cm = await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: self.namespace, name: 'settings' });
      console.log(JSON.stringify({ source: self.credentials.source, name: self.name, got: cm.metadata.name }));
    `,
        {
          SA_DIR: mount.dir,
          KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: String(server.port),
          JUJU_UNIT_NAME: 'radarr/0',
          JUJU_MODEL_NAME: 'media',
        },
      );
      expect(run.stderr).not.toContain('[forbidden import]');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        source: 'in-cluster service account',
        name: 'radarr',
        got: 'settings',
      });
      expect(server.seen.at(-1)?.headers.authorization).toBe('Bearer hook-token');
    },
    CHILD_LIMIT_MS,
  );

  it(
    'control: a kubeconfig needs client-node, and says so when it cannot be loaded',
    async () => {
      const kubeconfig = path.join(dir, 'kubeconfig');
      fs.writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}"}}]\n` +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n' +
          'current-context: x\n',
      );
      const run = await runWithoutClientNode(`
      const kube = await import(${JSON.stringify(lib('kube/index.ts'))});
      const port = kube.createKubePort({ kubeconfigPath: ${JSON.stringify(kubeconfig)} });
      try {
        await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', name: 'settings' });
        console.log('no error');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, remedy: error.remedy, message: error.message }));
      }
    `);
      expect(run.code).toBe(0);
      const outcome = JSON.parse(run.stdout) as { name: string; remedy: string; message: string };
      expect(outcome.name).toBe('KubeConfigError');
      expect(outcome.remedy).toBe('fix');
      expect(outcome.message).toContain('[forbidden import] "@kubernetes/client-node"');
      expect(outcome.message).toContain('npm i @kubernetes/client-node');
    },
    CHILD_LIMIT_MS,
  );
});
