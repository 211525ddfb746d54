/**
 * The adapter reuses one TLS connection across requests. client-node hands us a fresh,
 * non-keep-alive agent with every `applyToHTTPSOptions`, which would cost a TCP connection and a
 * TLS handshake per request; a reconcile makes several. Proven here against a local HTTPS server
 * (self-signed, 127.0.0.1) that counts the TLS handshakes it completes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubePort, RequestLog } from '../../lib/kube/index.js';

let server: https.Server;
let handshakes = 0;
let dropReused = false;
const perSocket = new WeakMap<object, number>();
let kubeConfig: KubeConfig;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-tls-'));

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  server = https.createServer(
    { key: fs.readFileSync(path.join(dir, 'key.pem')), cert },
    (req, res) => {
      req.resume();
      const served = perSocket.get(req.socket) ?? 0;
      perSocket.set(req.socket, served + 1);
      if (dropReused && served > 0) {
        // What a client sees when the server closed an idle keep-alive connection under it.
        dropReused = false;
        req.socket.destroy();
        return;
      }
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
      });
    },
  );
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, caData: cert.toString('base64') }],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('createKubePort over TLS', () => {
  it('sends five requests over one TLS connection', async () => {
    const log = new RequestLog();
    const port = createKubePort({ kubeConfig, onRequest: log.onRequest });
    handshakes = 0;
    for (let i = 0; i < 5; i++) {
      const cm = await port.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'ns',
        name: 'x',
      });
      expect(cm.metadata.name).toBe('x');
    }
    expect(log.requests).toHaveLength(5);
    expect(handshakes).toBe(1);
  });

  it('verifies the server against the kubeconfig CA (a wrong CA fails, no silent fallback)', async () => {
    const other = new KubeConfig();
    const cluster = kubeConfig.getCurrentCluster()!;
    const wrongCa = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8').replace(/A/g, 'B');
    other.loadFromOptions({
      clusters: [{ ...cluster, caData: Buffer.from(wrongCa).toString('base64') }],
      users: [{ name: 'u', token: 'secret' }],
      contexts: [{ name: 'ctx', cluster: cluster.name, user: 'u' }],
      currentContext: 'ctx',
    });
    const port = createKubePort({ kubeConfig: other, retry: { maxAttempts: 1 } });
    await expect(
      port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' }),
    ).rejects.toThrow();
  });

  it('resends even a create when a reused keep-alive connection turns out to be closed', async () => {
    const log = new RequestLog();
    const port = createKubePort({
      kubeConfig,
      onRequest: log.onRequest,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' });
    dropReused = true;
    const created = await port.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'ns' },
    });
    expect(created.metadata.name).toBe('x');
    expect(dropReused).toBe(false); // the server did drop the reused connection
    expect(log.requests.map((r) => `${r.verb} ${r.status ?? 'no answer'}`)).toEqual([
      'get 200',
      'create no answer',
      'create 200',
    ]);
  });
});
