import { describe, expect, it } from '@jest/globals';
import { KubeConnectionError, KubernetesError } from '../../lib/kube/errors.js';
import {
  HookToolError,
  InterfaceSchemaError,
  RelationDataAccessError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';
import { blocked, errorStatus } from '../../lib/relations/status.js';
import { InvalidQuantityError } from '../../lib/kube/quantity.js';
import { statusForFailure } from '../../lib/workload/failure-status.js';

const patchRequest = {
  verb: 'patch' as const,
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  resource: 'statefulsets',
  group: 'apps',
  namespace: 'media',
  name: 'radarr',
};

function kubeFailure(code: number, message: string, reason = ''): KubernetesError {
  return new KubernetesError(
    { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message },
    patchRequest,
  );
}

describe('statusForFailure', () => {
  it('blocks on invalid relation data, naming the relation once and every field', () => {
    const failure = new RelationDataValidationError('remote app bag of "store" on storage:3', [
      { field: 'mount-path', reason: 'must be an absolute path' },
      { field: 'puid', reason: 'must be an integer-as-string' },
    ]);
    const status = statusForFailure(failure, { label: 'storage:3' });
    expect(status).toEqual(
      blocked(
        'invalid relation data in remote app bag of "store" on storage:3: ' +
          'mount-path: must be an absolute path ; puid: must be an integer-as-string',
      ),
    );
    expect(status.message.split('storage:3')).toHaveLength(2);
  });

  it('names the relation once when the error already names it, and prefixes it otherwise', () => {
    const named = new InvalidQuantityError('100 gigs', 'size of media-storage on storage:3');
    expect(statusForFailure(named, { label: 'storage:3' }).message).not.toMatch(/^storage:3: /);
    expect(statusForFailure(named, { label: 'storage:3' }).message).toContain('on storage:3');
    // storage:30 is another relation: storage:3 is still named.
    const other = new InvalidQuantityError('100 gigs', 'size on storage:30');
    expect(statusForFailure(other, { label: 'storage:3' }).message).toMatch(/^storage:3: /);
    const unnamed = new InvalidQuantityError('100 gigs', 'size');
    expect(statusForFailure(unnamed, { label: 'storage:3' }).message).toMatch(/^storage:3: /);
  });

  it('follows the remedy: a retry-able failure is an error, a fix-able one Blocked', () => {
    expect(
      statusForFailure(
        new HookToolError('is-leader failed with exit code 1', ['is-leader'], 1, ''),
      ),
    ).toEqual(errorStatus('is-leader failed with exit code 1'));
    expect(statusForFailure(new RelationDataAccessError('not leader'), { label: 'db:1' })).toEqual(
      errorStatus('db:1: not leader'),
    );
    expect(statusForFailure(new InterfaceSchemaError('no schema'))).toEqual(
      blocked('charm bug: no schema'),
    );
    const quantity = new InvalidQuantityError('ten', 'no digits');
    expect(statusForFailure(quantity)).toEqual(blocked(quantity.message));
    const unreachable = new KubeConnectionError(
      patchRequest,
      'https://10.0.0.1',
      new Error('x'),
      false,
    );
    expect(statusForFailure(unreachable).name).toBe('error');
    expect(statusForFailure(kubeFailure(500, 'etcd timeout')).name).toBe('error');
    expect(statusForFailure(kubeFailure(404, 'not found', 'NotFound')).name).toBe('blocked');
  });

  it('adds the juju trust command, with the app name, to an RBAC denial only', () => {
    const denied = kubeFailure(
      403,
      'statefulsets.apps "radarr" is forbidden: User "system:serviceaccount:media:radarr" cannot patch resource "statefulsets" in API group "apps" in the namespace "media"',
      'Forbidden',
    );
    expect(denied.message).not.toContain('juju');
    const status = statusForFailure(denied, { app: 'radarr' });
    expect(status.name).toBe('blocked');
    expect(status.message).toContain('grant a Role rule');
    expect(status.message).toContain('juju trust radarr --scope=cluster');
    const quota = kubeFailure(
      403,
      'persistentvolumeclaims "x" is forbidden: exceeded quota: q, requested: requests.storage=10Gi',
      'Forbidden',
    );
    expect(statusForFailure(quota, { app: 'radarr' }).message).not.toContain('juju trust');
  });

  it('reports a conflict that outlived our re-reads as waiting', () => {
    expect(
      statusForFailure(kubeFailure(409, 'the object has been modified', 'Conflict')).name,
    ).toBe('waiting');
  });

  it('never turns an unknown failure into silence', () => {
    expect(statusForFailure(new TypeError('x is undefined'))).toEqual(
      errorStatus('x is undefined'),
    );
    expect(statusForFailure('a string was thrown')).toEqual(errorStatus('a string was thrown'));
  });
});
