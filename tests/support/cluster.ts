/**
 * What integration tests need from the local control plane: its kubeconfig, a raw request helper
 * that sends exactly the content type we choose, a fresh namespace per test file, and credentials
 * of a restricted ServiceAccount. It deliberately uses @kubernetes/client-node directly, not
 * charmkit's own adapter, so the cluster checks do not depend on the code under test.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from '@jest/globals';

/**
 * The test cluster's kubeconfig, where scripts/cluster/up.mjs writes it (same
 * CHARMKIT_CLUSTER_DIR override as scripts/cluster/lib.mjs).
 */
export const kubeconfigPath = path.join(
  process.env.CHARMKIT_CLUSTER_DIR ??
    path.join(path.dirname(fileURLToPath(import.meta.url)), '../../.cluster'),
  'kubeconfig',
);

/** The admin KubeConfig of the running test cluster. */
export function adminKubeConfig(): KubeConfig {
  if (!fs.existsSync(kubeconfigPath)) {
    throw new Error(
      `no test cluster kubeconfig at ${kubeconfigPath}: run integration tests through jest's ` +
        "'integration' project (npm test), or start a cluster with 'npm run cluster:up'",
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

/** A KubeConfig for the same cluster with a bearer token (a ServiceAccount's, say). */
export function tokenKubeConfig(token: string, user = 'token-user'): KubeConfig {
  const admin = adminKubeConfig();
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('test kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: 'ctx', cluster: cluster.name, user }],
    currentContext: 'ctx',
  });
  return kc;
}

/** A response from `rawRequest`. */
export interface RawResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * One HTTP request to the apiserver with the KubeConfig's credentials. Tests use it where the
 * content type matters (strategic merge patches) and to observe what the server really stores.
 */
export async function rawRequest<T = Record<string, unknown>>(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<RawResponse<T>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no server');
  const url = new URL(path, server);
  const options: https.RequestOptions = {
    method,
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: { accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) {
    const headers = options.headers as Record<string, string>;
    headers['content-type'] = contentType;
    // Without a length Node does not frame the body of a DELETE, and the server never sees the
    // DeleteOptions (grace period, preconditions) it carries.
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(options, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => {
        let parsed: unknown = data;
        try {
          parsed = JSON.parse(data);
        } catch {
          // not JSON (e.g. /readyz)
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like rawRequest, but throws with the server's message unless the status is 2xx. */
export async function request<T = Record<string, unknown>>(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const res = await rawRequest<T>(kc, method, path, body, contentType);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${method} ${path} -> ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Polls `check` until it returns a truthy value; the error names what was awaited. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  { timeoutMs = 60000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A namespace that exists for the duration of one test file. */
export interface TestNamespace {
  /** The namespace name; available from `beforeAll` on. */
  readonly name: string;
}

/**
 * Registers beforeAll/afterAll hooks that create a fresh namespace for this test file and delete
 * it afterwards, so files never see each other's objects.
 */
export function useTestNamespace(prefix: string): TestNamespace {
  let name = '';
  const kc = () => adminKubeConfig();
  beforeAll(async () => {
    const candidate = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
    await request(kc(), 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: candidate, labels: { 'charmkit.dev/test': 'true' } },
    });
    // The controller manager creates the namespace's default ServiceAccount; pods need it.
    await waitUntil(`default ServiceAccount in ${candidate}`, async () => {
      const res = await rawRequest(
        kc(),
        'GET',
        `/api/v1/namespaces/${candidate}/serviceaccounts/default`,
      );
      return res.status === 200;
    });
    name = candidate;
  });
  afterAll(async () => {
    if (name && !process.env.CHARMKIT_KEEP_NAMESPACES) {
      await rawRequest(kc(), 'DELETE', `/api/v1/namespaces/${name}`);
    }
  });
  return {
    get name(): string {
      if (!name) throw new Error('the test namespace is created in beforeAll; use it inside tests');
      return name;
    },
  };
}

/**
 * Creates (if missing) a ServiceAccount and returns a KubeConfig authenticated as it, through a
 * token from the TokenRequest API — exactly what a controller running in a pod would have.
 */
export async function serviceAccountKubeConfig(
  namespace: string,
  serviceAccount: string,
): Promise<KubeConfig> {
  return tokenKubeConfig(
    await serviceAccountToken(namespace, serviceAccount),
    `system:serviceaccount:${namespace}:${serviceAccount}`,
  );
}

/**
 * Creates (if missing) a ServiceAccount and returns a fresh token for it from the TokenRequest API
 * (what the kubelet projects into a pod's service-account mount).
 */
export async function serviceAccountToken(
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const admin = adminKubeConfig();
  const created = await rawRequest(
    admin,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts`,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: serviceAccount },
    },
  );
  if (created.status !== 201 && created.status !== 409) {
    throw new Error(
      `creating ServiceAccount ${serviceAccount}: ${created.status} ${JSON.stringify(created.body)}`,
    );
  }
  const tokenRequest = await request<{ status: { token: string } }>(
    admin,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  return tokenRequest.status.token;
}

/** Grants `serviceAccount` a Role with exactly `rules` in `namespace`. */
export async function grantRole(
  namespace: string,
  serviceAccount: string,
  roleName: string,
  rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[],
): Promise<void> {
  const admin = adminKubeConfig();
  await request(admin, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: roleName },
    rules,
  });
  await request(
    admin,
    'POST',
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  );
}
