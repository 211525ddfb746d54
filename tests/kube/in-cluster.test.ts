/**
 * The adapter with in-cluster credentials, end to end over TLS: a fake service-account mount (token
 * and CA bundle laid out as the kubelet does) and KUBERNETES_SERVICE_HOST/PORT pointing at a local
 * HTTPS server. This is the path every Juju hook takes; client-node is not involved (that it is not
 * even loaded is proven in client-node-free.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import {
  KubeConfigError,
  KubeConnectionError,
  RetryExhaustedError,
} from '../../lib/kube/errors.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import { ServiceAccountMount } from '../support/service-account-mount.js';
import { LocalServer, ok, selfSignedCertificate } from './local-server.js';

const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', name: 'settings' };
const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'media' },
};

let tlsServer: LocalServer;
let mount: ServiceAccountMount;

/** The environment a pod sees. */
function podEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(tlsServer.port),
    ...extra,
  };
}

function bearerTokensSeen(server: LocalServer): unknown[] {
  return server.seen.map((req) => req.headers.authorization);
}

beforeAll(async () => {
  tlsServer = await new LocalServer({ tls: true }).start();
  tlsServer.otherwise(ok(configMap));
});
afterAll(async () => {
  await tlsServer.close();
});
afterEach(() => {
  mount?.remove();
  tlsServer.seen.length = 0;
});

describe('createKubePort with the pod service account', () => {
  it('authenticates with the mounted token over one keep-alive TLS connection', async () => {
    mount = new ServiceAccountMount({
      token: 'token-1',
      'ca.crt': tlsServer.caPem,
      namespace: 'media',
    });
    const log = new RequestLog();
    const port = createKubePort({
      env: podEnv(),
      serviceAccountDir: mount.dir,
      onRequest: log.onRequest,
    });
    const before = tlsServer.handshakes;
    for (let i = 0; i < 5; i++) await port.get(cmRef);
    expect(log.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(bearerTokensSeen(tlsServer)).toEqual(Array(5).fill('Bearer token-1'));
    expect(tlsServer.handshakes - before).toBe(1);
  });

  it('sends the rotated token as soon as the kubelet replaces it, on the same connection', async () => {
    mount = new ServiceAccountMount({
      token: 'token-1',
      'ca.crt': tlsServer.caPem,
      namespace: 'media',
    });
    const port = createKubePort({ env: podEnv(), serviceAccountDir: mount.dir });
    const before = tlsServer.handshakes;
    await port.get(cmRef);
    mount.update({ token: 'token-2' });
    await port.get(cmRef);
    await port.get(cmRef);
    expect(bearerTokensSeen(tlsServer)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-2',
    ]);
    expect(tlsServer.handshakes - before).toBe(1);
  });

  it('trusts an updated CA bundle on a new connection', async () => {
    const unrelated = selfSignedCertificate().cert;
    mount = new ServiceAccountMount({ token: 't', 'ca.crt': tlsServer.caPem, namespace: 'media' });
    const port = createKubePort({ env: podEnv(), serviceAccountDir: mount.dir });
    const before = tlsServer.handshakes;
    await port.get(cmRef);
    // A CA rotation publishes a bundle with the new and the old CA.
    mount.update({ 'ca.crt': `${unrelated}${tlsServer.caPem}` });
    await port.get(cmRef);
    expect(tlsServer.handshakes - before).toBe(2);
  });

  it('verifies the server against the mounted CA (a wrong CA fails, no fallback)', async () => {
    mount = new ServiceAccountMount({
      token: 't',
      'ca.crt': selfSignedCertificate().cert,
      namespace: 'media',
    });
    const port = createKubePort({
      env: podEnv(),
      serviceAccountDir: mount.dir,
      retry: { maxAttempts: 1 },
    });
    const error = (await port.get(cmRef).catch((e: unknown) => e)) as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error.lastError).toBeInstanceOf(KubeConnectionError);
    expect(tlsServer.seen).toHaveLength(0);
  });

  it('reports a token that vanished as a KubeConfigError, without sending or retrying', async () => {
    mount = new ServiceAccountMount({ token: 't', 'ca.crt': tlsServer.caPem, namespace: 'media' });
    const log = new RequestLog();
    const port = createKubePort({
      env: podEnv(),
      serviceAccountDir: mount.dir,
      onRequest: log.onRequest,
    });
    fs.rmSync(path.join(mount.dir, 'token'));
    const error = await port.get(cmRef).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConfigError);
    expect((error as Error).message).toContain('in-cluster service account');
    expect(log.requests).toEqual([]);
  });
});

describe('createKubePort() picks credentials in the order resolveCredentials documents', () => {
  let kubeconfigServer: LocalServer;
  let dir: string;
  let kubeconfigFile: string;

  beforeAll(async () => {
    kubeconfigServer = await new LocalServer().start();
    kubeconfigServer.otherwise(ok(configMap));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-order-'));
    kubeconfigFile = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      kubeconfigFile,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${kubeconfigServer.url}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: u, user: {token: "kubeconfig-token"}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await kubeconfigServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('in a pod, the service account wins over KUBECONFIG', async () => {
    mount = new ServiceAccountMount({ token: 'sa', 'ca.crt': tlsServer.caPem, namespace: 'media' });
    const port = createKubePort({
      env: podEnv({ KUBECONFIG: kubeconfigFile }),
      serviceAccountDir: mount.dir,
    });
    await port.get(cmRef);
    expect(bearerTokensSeen(tlsServer)).toEqual(['Bearer sa']);
    expect(kubeconfigServer.seen).toHaveLength(0);
  });

  it('outside a pod, KUBECONFIG is used', async () => {
    mount = new ServiceAccountMount({ token: 'sa', 'ca.crt': tlsServer.caPem, namespace: 'media' });
    const port = createKubePort({
      env: { KUBECONFIG: kubeconfigFile },
      serviceAccountDir: mount.dir,
    });
    await port.get(cmRef);
    expect(bearerTokensSeen(kubeconfigServer)).toEqual(['Bearer kubeconfig-token']);
    expect(tlsServer.seen).toHaveLength(0);
  });

  it('an explicit kubeconfigPath wins over the service account', async () => {
    mount = new ServiceAccountMount({ token: 'sa', 'ca.crt': tlsServer.caPem, namespace: 'media' });
    kubeconfigServer.seen.length = 0;
    const port = createKubePort({
      kubeconfigPath: kubeconfigFile,
      env: podEnv(),
      serviceAccountDir: mount.dir,
    });
    await port.get(cmRef);
    expect(bearerTokensSeen(kubeconfigServer)).toEqual(['Bearer kubeconfig-token']);
    expect(tlsServer.seen).toHaveLength(0);
  });
});
