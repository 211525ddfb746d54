// Shared helpers of the cluster scripts: where things live, talking to the apiserver, ports.
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const clusterDir = process.env.CHARMKIT_CLUSTER_DIR ?? path.join(root, '.cluster');
export const statePath = path.join(clusterDir, 'state.json');
export const kubeconfigPath = path.join(clusterDir, 'kubeconfig');

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(statePath, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; we close and hand it to the process). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTPS request to the apiserver with the admin token; resolves { status, body }. */
export function apiRequest(state, method, urlPath, body, contentType = 'application/json') {
  const ca = fs.readFileSync(path.join(clusterDir, 'pki', 'ca.crt'));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: state.ports.apiserver,
        method,
        path: urlPath,
        ca,
        headers: {
          authorization: `Bearer ${state.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
        timeout: 5000,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => {
          let parsed = data;
          try {
            parsed = JSON.parse(data);
          } catch {
            // plain-text endpoints such as /readyz
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${urlPath}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

/** True when the apiserver of `state` answers /readyz with 200. */
export async function apiserverReady(state) {
  try {
    const res = await apiRequest(state, 'GET', '/readyz');
    return res.status === 200;
  } catch {
    return false;
  }
}

export function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
