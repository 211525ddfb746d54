import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  SelfResolutionError,
  resolveCredentials,
  resolveSelf,
  resolveSelfIdentity,
} from '../../lib/kube/self.js';

let dir: string;
let saDir: string;
let emptyHome: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-self-'));
  saDir = path.join(dir, 'sa');
  emptyHome = path.join(dir, 'home');
  fs.mkdirSync(emptyHome);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function mountServiceAccount(namespace = 'media\n', token = 'sa-token'): void {
  fs.mkdirSync(saDir, { recursive: true });
  fs.writeFileSync(path.join(saDir, 'namespace'), namespace);
  fs.writeFileSync(path.join(saDir, 'token'), token);
  fs.writeFileSync(path.join(saDir, 'ca.crt'), 'not-really-a-ca');
}

function writeKubeconfig(file: string, server: string, token: string): void {
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${server}"}}]`,
      `users: [{name: u, user: {token: "${token}"}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
}

/** The SelfResolutionError `resolve` throws; any other outcome fails the test. */
function thrown(resolve: () => unknown): SelfResolutionError {
  try {
    resolve();
  } catch (error) {
    if (error instanceof SelfResolutionError) return error;
    throw error;
  }
  throw new Error('expected a SelfResolutionError');
}

async function authHeader(kc: KubeConfig): Promise<string | undefined> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return (opts.headers as Record<string, string> | undefined)?.Authorization;
}

describe('resolveSelfIdentity', () => {
  it('prefers explicit options over everything', () => {
    mountServiceAccount();
    const id = resolveSelfIdentity({
      name: 'mine',
      namespace: 'ns',
      env: { JUJU_UNIT_NAME: 'radarr/0', JUJU_MODEL_NAME: 'media' },
      serviceAccountDir: saDir,
    });
    expect(id).toEqual({
      name: 'mine',
      namespace: 'ns',
      nameSource: 'options.name',
      namespaceSource: 'options.namespace',
    });
  });

  it('reads the Juju context: model = namespace, unit name without /N = StatefulSet', () => {
    const id = resolveSelfIdentity({
      env: { JUJU_UNIT_NAME: 'radarr-4k/12', JUJU_MODEL_NAME: 'media' },
      serviceAccountDir: saDir,
    });
    expect(id).toEqual({
      name: 'radarr-4k',
      namespace: 'media',
      nameSource: 'JUJU_UNIT_NAME',
      namespaceSource: 'JUJU_MODEL_NAME',
    });
  });

  it('in a pod, takes the namespace from the service account and the name from the pod hostname', () => {
    mountServiceAccount('media\n');
    const id = resolveSelfIdentity({
      env: { HOSTNAME: 'sonarr-0', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      serviceAccountDir: saDir,
    });
    expect(id).toEqual({
      name: 'sonarr',
      namespace: 'media',
      nameSource: 'HOSTNAME',
      namespaceSource: path.join(saDir, 'namespace'),
    });
  });

  it('does not guess a name from a laptop hostname', () => {
    const error = thrown(() =>
      resolveSelfIdentity({ env: { HOSTNAME: 'laptop-2' }, serviceAccountDir: saDir }),
    );
    expect(error).toBeInstanceOf(SelfResolutionError);
    expect(error.missing).toBe('name');
    expect(error.tried).toEqual([
      'options.name (not given)',
      'JUJU_UNIT_NAME (unset)',
      'HOSTNAME (not used outside a pod)',
    ]);
    expect(error.message).toContain('Pass { name } or run as a Juju unit (JUJU_UNIT_NAME)');
  });

  it('says which sources it tried when the namespace is unknown', () => {
    expect(() => resolveSelfIdentity({ name: 'x', env: {}, serviceAccountDir: saDir })).toThrow(
      `cannot determine this controller's own StatefulSet namespace: tried options.namespace (not given); ` +
        `JUJU_MODEL_NAME (unset); ${path.join(saDir, 'namespace')} (absent).`,
    );
  });

  it('rejects a malformed unit name instead of misreading it', () => {
    expect(() =>
      resolveSelfIdentity({ env: { JUJU_UNIT_NAME: 'radarr' }, serviceAccountDir: saDir }),
    ).toThrow(/JUJU_UNIT_NAME \("radarr" is not <app>\/<number>\)/);
  });
});

describe('resolveCredentials', () => {
  it('uses a given KubeConfig as is', () => {
    const kc = new KubeConfig();
    expect(resolveCredentials({ kubeConfig: kc })).toEqual({
      kubeConfig: kc,
      source: 'options.kubeConfig',
    });
  });

  it('loads options.kubeconfigPath', async () => {
    const file = path.join(dir, 'kc.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:1', 'file-token');
    const creds = resolveCredentials({ kubeconfigPath: file, env: {} });
    expect(creds.source).toBe(`kubeconfig ${file}`);
    expect(await authHeader(creds.kubeConfig)).toBe('Bearer file-token');
  });

  it('in a pod, authenticates as the service account with its mounted token and CA', async () => {
    mountServiceAccount('media', 'projected-token');
    const file = path.join(dir, 'kc.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:1', 'file-token');
    const creds = resolveCredentials({
      env: {
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        KUBERNETES_SERVICE_PORT: '443',
        KUBECONFIG: file,
      },
      serviceAccountDir: saDir,
    });
    expect(creds.source).toBe('in-cluster service account');
    expect(creds.kubeConfig.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
    const opts: https.RequestOptions = {};
    await creds.kubeConfig.applyToHTTPSOptions(opts);
    expect((opts.headers as Record<string, string>).Authorization).toBe('Bearer projected-token');
    expect(String(opts.ca)).toBe('not-really-a-ca');
  });

  it('brackets an IPv6 service host', () => {
    mountServiceAccount();
    const creds = resolveCredentials({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: saDir,
    });
    expect(creds.kubeConfig.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
  });

  it('falls back to KUBECONFIG, then ~/.kube/config', async () => {
    const file = path.join(dir, 'env.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:2', 'env-token');
    const fromEnv = resolveCredentials({
      env: { KUBECONFIG: file },
      serviceAccountDir: saDir,
      homeDir: emptyHome,
    });
    expect(fromEnv.source).toBe(`KUBECONFIG=${file}`);
    expect(await authHeader(fromEnv.kubeConfig)).toBe('Bearer env-token');

    fs.mkdirSync(path.join(emptyHome, '.kube'));
    writeKubeconfig(path.join(emptyHome, '.kube', 'config'), 'https://127.0.0.1:3', 'home-token');
    const fromHome = resolveCredentials({ env: {}, serviceAccountDir: saDir, homeDir: emptyHome });
    expect(fromHome.kubeConfig.getCurrentCluster()?.server).toBe('https://127.0.0.1:3');
  });

  it('lists every source it tried when none works', () => {
    const error = thrown(() =>
      resolveCredentials({
        env: { KUBECONFIG: '/nope' },
        serviceAccountDir: saDir,
        homeDir: emptyHome,
      }),
    );
    expect(error).toBeInstanceOf(SelfResolutionError);
    expect(error.missing).toBe('credentials');
    expect(error.tried).toEqual([
      'options.kubeConfig (not given)',
      'options.kubeconfigPath (not given)',
      'in-cluster service account (KUBERNETES_SERVICE_HOST/PORT unset)',
      'KUBECONFIG (/nope: no such file)',
      `${path.join(emptyHome, '.kube', 'config')} (absent)`,
    ]);
  });

  it('reports a kubeconfigPath that does not exist', () => {
    expect(() => resolveCredentials({ kubeconfigPath: path.join(dir, 'missing') })).toThrow(
      /does not exist/,
    );
  });
});

describe('resolveSelf', () => {
  it('combines identity and credentials into a StatefulSet ref', () => {
    const kc = new KubeConfig();
    const self = resolveSelf({
      kubeConfig: kc,
      env: { JUJU_UNIT_NAME: 'radarr/0', JUJU_MODEL_NAME: 'media' },
      serviceAccountDir: saDir,
    });
    expect(self.ref).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: 'media',
      name: 'radarr',
    });
    expect(self.credentials.kubeConfig).toBe(kc);
  });
});
