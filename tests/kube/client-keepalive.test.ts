/**
 * The adapter reuses one TLS connection across requests with kubeconfig credentials. client-node
 * hands us a fresh, non-keep-alive agent with every `applyToHTTPSOptions`, which would cost a TCP
 * connection and a TLS handshake per request; a reconcile makes several. Proven here against a
 * local HTTPS server (self-signed, 127.0.0.1) that counts the TLS handshakes it completes. The
 * service-account path is proven the same way in in-cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort, RequestLog } from '../../lib/kube/index.js';
import { LocalServer, echo, hangUp, ok } from './local-server.js';

const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' };
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' } };
let server: LocalServer;

beforeAll(async () => {
  server = await new LocalServer({ tls: true }).start();
  server.otherwise(ok(configMap));
});

afterAll(async () => {
  await server.close();
});

describe('createKubePort over TLS with a kubeconfig', () => {
  it('sends five requests over one TLS connection', async () => {
    const log = new RequestLog();
    const port = createKubePort({ kubeConfig: server.kubeConfig(), onRequest: log.onRequest });
    const before = server.handshakes;
    for (let i = 0; i < 5; i++) {
      const cm = await port.get(cmRef);
      expect(cm.metadata.name).toBe('x');
    }
    expect(log.requests).toHaveLength(5);
    expect(server.handshakes - before).toBe(1);
  });

  it('verifies the server against the kubeconfig CA (a wrong CA fails, no silent fallback)', async () => {
    const wrongCa = server.caPem.replace(/A/g, 'B');
    const port = createKubePort({
      kubeConfig: server.kubeConfig('', wrongCa),
      retry: { maxAttempts: 1 },
    });
    await expect(port.get(cmRef)).rejects.toThrow();
  });

  it('resends even a create when a reused keep-alive connection turns out to be closed', async () => {
    const log = new RequestLog();
    const port = createKubePort({
      kubeConfig: server.kubeConfig(),
      onRequest: log.onRequest,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    const seen = server.seen.length;
    // What a client sees when the server closed an idle keep-alive connection under it.
    server.answer(ok(configMap), hangUp(), echo(201));
    await port.get(cmRef);
    const created = await port.create(configMap);
    expect(created.metadata.name).toBe('x');
    expect(server.seen.length - seen).toBe(3); // get, the create on the dropped socket, the resend
    expect(log.requests.map((r) => `${r.verb} ${r.status ?? 'no answer'}`)).toEqual([
      'get 200',
      'create no answer',
      'create 201',
    ]);
  });
});
