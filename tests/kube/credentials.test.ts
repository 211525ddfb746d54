/**
 * Which credentials a controller uses (one order), and what each source puts on a request: the
 * service account read directly (token re-read when the kubelet rotates it), kubeconfig files read
 * by client-node, loaded on first use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import {
  credentialProvider,
  loadKubeconfigFiles,
  resolveCredentials,
  type CredentialOptions,
  type KubeCredentials,
} from '../../lib/kube/credentials.js';
import { KubeConfigError, SelfResolutionError } from '../../lib/kube/errors.js';
import { ServiceAccountMount } from '../support/service-account-mount.js';

let dir: string;
/** Where no service account is mounted. */
let noMount: string;
/** A home without ~/.kube/config. */
let emptyHome: string;
const mounts: ServiceAccountMount[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-credentials-'));
  noMount = path.join(dir, 'no-service-account');
  emptyHome = path.join(dir, 'home');
  fs.mkdirSync(emptyHome);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const mount of mounts.splice(0)) mount.remove();
});

/** A service-account mount removed after the test; returns its directory. */
function mountServiceAccount(token = 'sa-token', ca = 'not-really-a-ca'): string {
  const mount = new ServiceAccountMount({ token, 'ca.crt': ca, namespace: 'media' });
  mounts.push(mount);
  return mount.dir;
}

const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

function writeKubeconfig(file: string, server: string, token: string, name = 'x'): void {
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c-${name}, cluster: {server: "${server}"}}]`,
      `users: [{name: u-${name}, user: {token: "${token}"}}]`,
      `contexts: [{name: ${name}, context: {cluster: c-${name}, user: u-${name}}}]`,
      `current-context: ${name}`,
    ].join('\n'),
  );
}

/** The error resolveCredentials throws for `options`, which must be a SelfResolutionError. */
function resolutionFailure(options: CredentialOptions): SelfResolutionError {
  let failure: unknown;
  try {
    resolveCredentials(options);
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(SelfResolutionError);
  return failure as SelfResolutionError;
}

async function authorization(credentials: KubeCredentials): Promise<unknown> {
  return (await credentialProvider(credentials).forRequest()).headers.Authorization;
}

describe('resolveCredentials: one order of sources', () => {
  it('uses a given kubeconfig object as it is', () => {
    const kc = new KubeConfig();
    expect(resolveCredentials({ kubeConfig: kc })).toEqual({
      kind: 'kubeconfig-object',
      source: 'options.kubeConfig',
      kubeConfig: kc,
    });
  });

  it('uses options.kubeconfigPath even in a pod', async () => {
    const file = path.join(dir, 'kc.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:1', 'file-token');
    const creds = resolveCredentials({
      kubeconfigPath: file,
      env: inPod,
      serviceAccountDir: mountServiceAccount(),
    });
    expect(creds).toEqual({
      kind: 'kubeconfig-files',
      source: `kubeconfig ${file}`,
      files: [file],
    });
    expect(await authorization(creds)).toBe('Bearer file-token');
  });

  it('in a pod, uses the service account before KUBECONFIG', () => {
    const file = path.join(dir, 'kc.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:1', 'file-token');
    const saDir = mountServiceAccount();
    expect(
      resolveCredentials({ env: { ...inPod, KUBECONFIG: file }, serviceAccountDir: saDir }),
    ).toEqual({
      kind: 'service-account',
      source: 'in-cluster service account',
      server: 'https://10.96.0.1:443',
      tokenFile: path.join(saDir, 'token'),
      caFile: path.join(saDir, 'ca.crt'),
    });
  });

  it('brackets an IPv6 service host', () => {
    const creds = resolveCredentials({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: mountServiceAccount(),
    });
    expect(creds.kind === 'service-account' && creds.server).toBe('https://[fd00::1]:443');
  });

  it('falls back to KUBECONFIG (merged, first file wins), then ~/.kube/config', async () => {
    const first = path.join(dir, 'first.yaml');
    const second = path.join(dir, 'second.yaml');
    writeKubeconfig(first, 'https://127.0.0.1:2', 'env-token');
    writeKubeconfig(second, 'https://127.0.0.1:9', 'other-token', 'y');
    const fromEnv = resolveCredentials({
      env: { KUBECONFIG: [first, path.join(dir, 'missing.yaml'), second].join(path.delimiter) },
      serviceAccountDir: noMount,
      homeDir: emptyHome,
    });
    expect(fromEnv).toEqual({
      kind: 'kubeconfig-files',
      source: `KUBECONFIG=${first}${path.delimiter}${second}`,
      files: [first, second],
    });
    const material = await credentialProvider(fromEnv).forRequest();
    expect(material.server).toBe('https://127.0.0.1:2');
    expect(material.headers.Authorization).toBe('Bearer env-token');

    fs.mkdirSync(path.join(emptyHome, '.kube'));
    writeKubeconfig(path.join(emptyHome, '.kube', 'config'), 'https://127.0.0.1:3', 'home-token');
    const fromHome = resolveCredentials({
      env: {},
      serviceAccountDir: noMount,
      homeDir: emptyHome,
    });
    expect((await credentialProvider(fromHome).forRequest()).server).toBe('https://127.0.0.1:3');
  });

  it('skips a service account without a mounted token', () => {
    const error = resolutionFailure({ env: inPod, serviceAccountDir: noMount, homeDir: emptyHome });
    expect(error.tried).toContain(
      `in-cluster service account (${path.join(noMount, 'token')} absent)`,
    );
  });

  it('lists every source it tried when none works', () => {
    const error = resolutionFailure({
      env: { KUBECONFIG: '/nope' },
      serviceAccountDir: noMount,
      homeDir: emptyHome,
    });
    expect(error.missing).toBe('credentials');
    expect(error.remedy).toBe('fix');
    expect(error.tried).toEqual([
      'options.kubeConfig (not given)',
      'options.kubeconfigPath (not given)',
      'in-cluster service account (KUBERNETES_SERVICE_HOST/PORT unset)',
      'KUBECONFIG (/nope: no such file)',
      `${path.join(emptyHome, '.kube', 'config')} (absent)`,
    ]);
    expect(error.message).toMatch(/^cannot find credentials for the Kubernetes API: tried /);
  });

  it('reports a kubeconfigPath that does not exist', () => {
    expect(() => resolveCredentials({ kubeconfigPath: path.join(dir, 'missing') })).toThrow(
      /does not exist/,
    );
  });
});

describe('service-account credentials on a request', () => {
  function provider(saDir: string) {
    return credentialProvider(resolveCredentials({ env: inPod, serviceAccountDir: saDir }));
  }

  it('sends the mounted token as a bearer token and trusts the mounted CA', async () => {
    expect(await provider(mountServiceAccount('projected-token\n', 'the-ca')).forRequest()).toEqual(
      {
        server: 'https://10.96.0.1:443',
        headers: { Authorization: 'Bearer projected-token' },
        tls: { ca: 'the-ca' },
      },
    );
  });

  it('re-reads the token when the kubelet rotates it, and only then', async () => {
    const mount = new ServiceAccountMount({ token: 'first', 'ca.crt': 'the-ca', namespace: 'm' });
    mounts.push(mount);
    const p = provider(mount.dir);
    expect((await p.forRequest()).headers.Authorization).toBe('Bearer first');
    const reads = jest.spyOn(fs.promises, 'readFile');
    try {
      expect((await p.forRequest()).headers.Authorization).toBe('Bearer first');
      expect(reads).not.toHaveBeenCalled(); // unchanged files are not read again
      mount.update({ token: 'second' });
      expect((await p.forRequest()).headers.Authorization).toBe('Bearer second');
      // The kubelet republishes every file of the volume: token and CA are both new files.
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
  });

  it('re-reads a token rewritten in place', async () => {
    const saDir = mountServiceAccount('first');
    const p = provider(saDir);
    expect((await p.forRequest()).headers.Authorization).toBe('Bearer first');
    fs.writeFileSync(path.join(saDir, 'token'), 'second-token');
    expect((await p.forRequest()).headers.Authorization).toBe('Bearer second-token');
  });

  it('fails with a KubeConfigError naming the file when the token disappears or is empty', async () => {
    const saDir = mountServiceAccount();
    const token = path.join(saDir, 'token');
    const p = provider(saDir);
    fs.rmSync(token);
    const missing = await p.forRequest().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KubeConfigError);
    expect((missing as Error).message).toContain(`cannot read the token ${token} (ENOENT)`);
    fs.writeFileSync(token, '\n');
    await expect(p.forRequest()).rejects.toThrow(`${token} is empty`);
  });
});

describe('kubeconfig credentials', () => {
  it('are read by the installed client-node, loaded on first use', async () => {
    const file = path.join(dir, 'kc.yaml');
    writeKubeconfig(file, 'https://127.0.0.1:4', 'file-token');
    const loaded = await loadKubeconfigFiles([file], 'test');
    // The same module the tests import: in the compatibility run, client-node 2.x.
    expect(loaded).toBeInstanceOf(KubeConfig);
    expect(loaded.getCurrentCluster()?.server).toBe('https://127.0.0.1:4');
  });

  it('report an unreadable kubeconfig as a KubeConfigError on the first request', async () => {
    const file = path.join(dir, 'kc.yaml');
    fs.writeFileSync(file, 'clusters: [this is not: valid');
    const p = credentialProvider(resolveCredentials({ kubeconfigPath: file }));
    const error = await p.forRequest().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConfigError);
    expect((error as Error).message).toContain(`cannot read the kubeconfig (kubeconfig ${file})`);
  });

  it('reject a kubeconfig object without a current cluster at once', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
    expect(() => credentialProvider(resolveCredentials({ kubeConfig: kc }))).toThrow(
      KubeConfigError,
    );
  });

  it('turn basic auth into an Authorization header', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:5', skipTLSVerify: false }],
      users: [{ name: 'u', username: 'admin', password: 'pw' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const material = await credentialProvider(resolveCredentials({ kubeConfig: kc })).forRequest();
    expect(material.headers.Authorization).toBe(
      `Basic ${Buffer.from('admin:pw').toString('base64')}`,
    );
  });
});
