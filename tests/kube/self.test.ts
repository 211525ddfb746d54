import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SelfResolutionError } from '../../lib/kube/errors.js';
import { resolveSelf, resolveSelfIdentity } from '../../lib/kube/self.js';

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
    expect(self.credentials).toEqual({
      kind: 'kubeconfig-object',
      source: 'options.kubeConfig',
      kubeConfig: kc,
    });
  });
});
