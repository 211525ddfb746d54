/**
 * An API server that does not answer: a loopback port nothing listens on, and a kubeconfig that
 * points at it. For tests of what a hook does when the cluster is unreachable (the Juju entry must
 * exit non-zero so Juju retries): examples/radarr-charm/tests/dispatch.test.ts and the consumer
 * test, scripts/consumer/run.mjs.
 */
import fs from 'node:fs';
import net from 'node:net';

/** A port on 127.0.0.1 that nothing listens on (the kernel just handed it out and we closed it). */
export async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes a kubeconfig for `server` with a bearer token (nothing is ever sent to a live server). */
export function writeKubeconfig(file, server) {
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
}
