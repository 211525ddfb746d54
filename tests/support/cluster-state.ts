/** Where the local control plane's state lives and whether it is answering. */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const clusterDir = process.env.CHARMKIT_CLUSTER_DIR ?? path.join(repoRoot, '.cluster');
export const kubeconfigPath = path.join(clusterDir, 'kubeconfig');

/** What scripts/cluster/up.mjs records about the running control plane. */
export interface ClusterState {
  ports: { apiserver: number; etcd: number };
  token: string;
  binDir: string;
  kubeVersion: string;
  serverVersion?: string;
}

export function clusterState(): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(clusterDir, 'state.json'), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function isClusterReady(state: ClusterState): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: state.ports.apiserver,
        path: '/readyz',
        ca: fs.readFileSync(path.join(clusterDir, 'pki', 'ca.crt')),
        headers: { authorization: `Bearer ${state.token}` },
        timeout: 3000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
