import { describe, expect, it } from '@jest/globals';
import { asError, CharmkitError, remedyOf } from '../../lib/core/errors.js';
import {
  KubeConfigError,
  KubeConnectionError,
  KubernetesError,
  RetryExhaustedError,
} from '../../lib/kube/errors.js';
import {
  HookToolError,
  RelationDataAccessError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';
import { VolumeShrinkError } from '../../lib/storage/size.js';
import { ContainerNotFoundError } from '../../lib/workload/plan/index.js';

const request = {
  verb: 'get' as const,
  apiVersion: 'v1',
  kind: 'Pod',
  resource: 'pods',
  group: '',
  namespace: 'ns',
  name: 'p',
};
const kube = (code: number, reason = '') =>
  new KubernetesError({ kind: 'Status', apiVersion: 'v1', code, reason, message: 'm' }, request);

describe('error remedies', () => {
  it('a Kubernetes answer that will not change by itself needs a fix; the rest may pass', () => {
    for (const code of [400, 401, 403, 404, 422]) expect(kube(code).remedy).toBe('fix');
    for (const code of [409, 410, 429, 500, 503, 504]) expect(kube(code).remedy).toBe('retry');
  });

  it('each library error states its remedy', () => {
    expect(new KubeConnectionError(request, 'https://x', new Error('refused'), false).remedy).toBe(
      'retry',
    );
    expect(new RetryExhaustedError(3, kube(429)).remedy).toBe('retry');
    expect(new KubeConfigError('no kubeconfig').remedy).toBe('fix');
    expect(new HookToolError('failed', ['is-leader'], 1, '').remedy).toBe('retry');
    expect(new RelationDataAccessError('not leader').remedy).toBe('retry');
    expect(new RelationDataValidationError('bag', []).remedy).toBe('fix');
    expect(new VolumeShrinkError('data', '10Gi', '5Gi').remedy).toBe('fix');
    expect(new ContainerNotFoundError('app', 'containers', ['charm'], 'radarr').remedy).toBe('fix');
  });

  it('every library error is a CharmkitError and an Error', () => {
    const failure = new KubeConfigError('x');
    expect(failure).toBeInstanceOf(CharmkitError);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.name).toBe('KubeConfigError');
  });

  it('an error that is not ours counts as retry: the hook fails visibly', () => {
    expect(remedyOf(new TypeError('x'))).toBe('retry');
    expect(remedyOf('thrown string')).toBe('retry');
    expect(remedyOf(kube(403))).toBe('fix');
  });

  it('asError wraps what is not an Error', () => {
    const error = new Error('e');
    expect(asError(error)).toBe(error);
    expect(asError(42).message).toBe('42');
  });
});
