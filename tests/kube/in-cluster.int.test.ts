/**
 * In-cluster credentials against the real kube-apiserver: a ServiceAccount's TokenRequest token and
 * the cluster CA written to a temp dir laid out like the kubelet's service-account mount, with
 * KUBERNETES_SERVICE_HOST/PORT pointing at the local API server. This is the path a Juju hook takes
 * (read directly, no client-node): the server must accept the token, check its RBAC, and see a
 * rotated token as soon as the file is replaced.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { KubernetesError } from '../../lib/kube/errors.js';
import type { KubePort } from '../../lib/kube/port.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import { resolveSelf } from '../../lib/kube/self.js';
import type { KubeObject } from '../../lib/kube/types.js';
import {
  adminKubeConfig,
  grantRole,
  request,
  serviceAccountToken,
  useTestNamespace,
} from '../support/cluster.js';
import { ServiceAccountMount } from '../support/service-account-mount.js';

const ns = useTestNamespace('kube-in-cluster');
const log = new RequestLog();
let mount: ServiceAccountMount;
let env: Record<string, string>;
let port: KubePort;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const settings = () => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns.name,
  name: 'settings',
});

/** What the server says we are, from an RBAC denial (the adapter parses the 403 for us). */
async function deniedUser(): Promise<string | undefined> {
  const error = await port
    .create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'not-allowed', namespace: ns.name },
    })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KubernetesError);
  expect((error as KubernetesError).code).toBe(403);
  return (error as KubernetesError).rbac?.user;
}

beforeAll(async () => {
  const admin = adminKubeConfig();
  const cluster = admin.getCurrentCluster();
  if (!cluster?.caData) throw new Error('the test kubeconfig has no inline CA');
  const server = new URL(cluster.server);
  await request(admin, 'POST', `/api/v1/namespaces/${ns.name}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings' },
    data: { a: '1' },
  });
  await grantRole(ns.name, 'radarr', 'read-configmaps', [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
  ]);
  mount = new ServiceAccountMount({
    token: await serviceAccountToken(ns.name, 'radarr'),
    'ca.crt': Buffer.from(cluster.caData, 'base64').toString('utf8'),
    namespace: ns.name,
  });
  env = {
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
    JUJU_UNIT_NAME: 'radarr/0',
    JUJU_MODEL_NAME: ns.name,
  };
  const self = resolveSelf({ env, serviceAccountDir: mount.dir });
  expect(self.credentials.kind).toBe('service-account');
  port = createKubePort({ credentials: self.credentials, onRequest: log.onRequest });
});

afterAll(() => mount?.remove());

describe('createKubePort with a service-account mount, on the real API server', () => {
  it('reads as the service account, one request per call', async () => {
    log.clear();
    const cm = await port.get<ConfigMap>(settings());
    expect(cm.data).toEqual({ a: '1' });
    const list = await port.list<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: ns.name },
    );
    expect(list.items.map((item) => item.metadata.name)).toContain('settings');
    expect(log.requests.map((r) => `${r.verb} ${r.status}`)).toEqual(['get 200', 'list 200']);
  });

  it('is held to the service account RBAC: the server names the service account it saw', async () => {
    expect(await deniedUser()).toBe(`system:serviceaccount:${ns.name}:radarr`);
  });

  it('authenticates with the rotated token as soon as the kubelet replaces the file', async () => {
    mount.update({ token: await serviceAccountToken(ns.name, 'other') });
    expect(await deniedUser()).toBe(`system:serviceaccount:${ns.name}:other`);
    const reader = await port.get<ConfigMap>(settings()).catch((e: unknown) => e);
    expect((reader as KubernetesError).code).toBe(403); // "other" may not read either

    mount.update({ token: await serviceAccountToken(ns.name, 'radarr') });
    const cm = await port.get<ConfigMap>(settings());
    expect(cm.data).toEqual({ a: '1' });
  });

  it('createKubePort() with only the environment finds the same credentials', async () => {
    const byEnv = createKubePort({ env, serviceAccountDir: mount.dir });
    const cm = await byEnv.get<ConfigMap>(settings());
    expect(cm.data).toEqual({ a: '1' });
  });
});
