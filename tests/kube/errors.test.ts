import {
  KubeConnectionError,
  KubernetesError,
  RetryExhaustedError,
  asKubernetesError,
  describeRequest,
  formatRbacRule,
  isAlreadyExists,
  isConflict,
  isConnectionError,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isServerError,
  isTooManyRequests,
  parseRbacDenial,
} from '../../lib/kube/errors.js';
import type { KubeStatus } from '../../lib/kube/types.js';

const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'media', name: 'radarr' };

function status(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): string {
  const s: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message,
  };
  if (details) s.details = details;
  return JSON.stringify(s);
}

describe('KubernetesError from an RBAC 403', () => {
  // Exactly what kube-apiserver writes (responsewriters.forbiddenMessage + apierrors.NewForbidden).
  const body = status(
    403,
    'Forbidden',
    'statefulsets.apps "radarr" is forbidden: User "system:serviceaccount:media:radarr" cannot patch resource "statefulsets" in API group "apps" in the namespace "media"',
    { name: 'radarr', group: 'apps', kind: 'statefulsets' },
  );

  it('names the verb, the object and the Role rule that would allow it', () => {
    const err = KubernetesError.fromResponse(403, body, describeRequest('patch', sts));
    expect(err.message).toBe(
      'forbidden: cannot patch statefulsets.apps "radarr" in namespace "media"; grant a Role rule ' +
        '{apiGroups: ["apps"], resources: ["statefulsets"], resourceNames: ["radarr"], verbs: ["patch"]}',
    );
    expect(err.rbac?.user).toBe('system:serviceaccount:media:radarr');
    expect(err.serverMessage).toContain('cannot patch resource "statefulsets"');
    expect(err.isForbidden()).toBe(true);
    expect(isForbidden(err)).toBe(true);
    expect(err.name).toBe('KubernetesError');
    expect(err).toBeInstanceOf(Error);
  });

  it('takes the verb from the server, not from the request', () => {
    // Server-side apply of a missing object is authorized as "create" after "patch".
    const msg =
      'statefulsets.apps "radarr" is forbidden: User "u" cannot create resource "statefulsets" in API group "apps" in the namespace "media"';
    const err = KubernetesError.fromResponse(
      403,
      status(403, 'Forbidden', msg),
      describeRequest('patch', sts),
    );
    expect(err.rbac?.verb).toBe('create');
    // resourceNames cannot restrict create, so the rule must not carry one.
    expect(err.rbac?.rule.resourceNames).toBeUndefined();
  });

  it('handles the core group, lists without a name, subresources and cluster scope', () => {
    const list = parseRbacDenial(
      'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "media"',
    );
    expect(list).toMatchObject({ verb: 'list', group: '', resource: 'pods', namespace: 'media' });
    expect(list?.name).toBeUndefined();
    expect(formatRbacRule(list!.rule)).toBe(
      '{apiGroups: [""], resources: ["pods"], verbs: ["list"]}',
    );

    const scale = KubernetesError.fromResponse(
      403,
      status(
        403,
        'Forbidden',
        'statefulsets.apps "radarr" is forbidden: User "u" cannot update resource "statefulsets/scale" in API group "apps" in the namespace "media"',
      ),
      describeRequest('replace', sts, 'scale'),
    );
    expect(scale.message).toContain(
      'cannot update the scale subresource of statefulsets.apps "radarr"',
    );
    expect(scale.message).toContain('resources: ["statefulsets/scale"]');

    const nodes = KubernetesError.fromResponse(
      403,
      status(
        403,
        'Forbidden',
        'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope',
      ),
      describeRequest('list', { apiVersion: 'v1', kind: 'Node' }),
    );
    expect(nodes.rbac?.rule.roleKind).toBe('ClusterRole');
    expect(nodes.message).toMatch(
      /^forbidden: cannot list nodes at cluster scope; grant a ClusterRole rule/,
    );
  });

  it('keeps the authorizer reason and parses non-resource paths', () => {
    const withReason = parseRbacDenial(
      'secrets "s" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "n": RBAC: role.rbac.authorization.k8s.io "r" not found',
    );
    expect(withReason?.authorizerReason).toBe('RBAC: role.rbac.authorization.k8s.io "r" not found');
    expect(withReason?.rule.resourceNames).toEqual(['s']);

    const path = parseRbacDenial('forbidden: User "u" cannot get path "/apis"');
    expect(path?.rule).toEqual({
      roleKind: 'ClusterRole',
      nonResourceURLs: ['/apis'],
      verbs: ['get'],
    });
  });

  it('leaves admission 403s (no Role rule would help) with the server message', () => {
    const msg =
      'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1';
    const err = KubernetesError.fromResponse(
      403,
      status(403, 'Forbidden', msg),
      describeRequest('create', { apiVersion: 'v1', kind: 'Pod', namespace: 'n', name: 'p' }),
    );
    expect(err.rbac).toBeUndefined();
    expect(err.message).toContain(msg);
    expect(err.message).not.toContain('grant');
    expect(isForbidden(err)).toBe(true);
  });
});

describe('KubernetesError predicates', () => {
  const req = describeRequest('get', sts);
  const cases: [number, string, (e: unknown) => boolean][] = [
    [404, 'NotFound', isNotFound],
    [409, 'Conflict', isConflict],
    [409, 'AlreadyExists', isAlreadyExists],
    [422, 'Invalid', isInvalid],
    [429, 'TooManyRequests', isTooManyRequests],
    [500, 'InternalError', isServerError],
    [503, 'ServiceUnavailable', isServerError],
    [410, 'Expired', isGone],
    [403, 'Forbidden', isForbidden],
  ];
  const predicates = [
    isNotFound,
    isConflict,
    isAlreadyExists,
    isInvalid,
    isTooManyRequests,
    isServerError,
    isGone,
    isForbidden,
  ];

  it.each(cases)('%i %s answers only its own predicate', (code, reason, own) => {
    const err = KubernetesError.fromResponse(code, status(code, reason, 'x'), req);
    for (const predicate of predicates) {
      const expected = predicate === own;
      expect([predicate.name, predicate(err)]).toEqual([predicate.name, expected]);
    }
  });

  it('separates Conflict from AlreadyExists although both are 409', () => {
    const conflict = KubernetesError.fromResponse(409, status(409, 'Conflict', 'stale'), req);
    const exists = KubernetesError.fromResponse(409, status(409, 'AlreadyExists', 'taken'), req);
    expect([conflict.isConflict(), conflict.isAlreadyExists()]).toEqual([true, false]);
    expect([exists.isConflict(), exists.isAlreadyExists()]).toEqual([false, true]);
  });

  it('accepts anything, and looks through RetryExhaustedError', () => {
    for (const value of [undefined, null, 'NotFound', 404, { code: 404 }, new Error('404')]) {
      expect(isNotFound(value)).toBe(false);
    }
    const tooMany = KubernetesError.fromResponse(
      429,
      status(429, 'TooManyRequests', 'slow down'),
      req,
    );
    const gaveUp = new RetryExhaustedError(5, tooMany);
    expect(isTooManyRequests(gaveUp)).toBe(true);
    expect(asKubernetesError(gaveUp)).toBe(tooMany);
    expect(gaveUp.cause).toBe(tooMany);
    expect(gaveUp.message).toBe(`gave up after 5 attempts: ${tooMany.message}`);
  });

  it('carries causes, details and the request', () => {
    const body = status(
      422,
      'Invalid',
      'StatefulSet.apps "radarr" is invalid: spec.replicas: Invalid value: -1',
      {
        name: 'radarr',
        kind: 'StatefulSet',
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: -1', field: 'spec.replicas' },
        ],
      },
    );
    const err = KubernetesError.fromResponse(422, body, describeRequest('patch', sts));
    expect(err.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1', field: 'spec.replicas' },
    ]);
    expect(err.request).toMatchObject({
      verb: 'patch',
      resource: 'statefulsets',
      group: 'apps',
      namespace: 'media',
      name: 'radarr',
    });
    expect(err.message).toBe(
      'patch statefulsets.apps "radarr" in namespace "media": StatefulSet.apps "radarr" is invalid: spec.replicas: Invalid value: -1 (HTTP 422)',
    );
  });
});

describe('KubernetesError.fromResponse with unusual bodies', () => {
  const req = describeRequest('get', sts);

  it('synthesizes a Status for a non-JSON body (a proxy in front of the server)', () => {
    const err = KubernetesError.fromResponse(502, '<html>Bad Gateway</html>', req);
    expect(err.code).toBe(502);
    expect(err.reason).toBe('InternalError');
    expect(err.isServerError()).toBe(true);
    expect(err.serverMessage).toBe('<html>Bad Gateway</html>');
  });

  it('synthesizes a message for an empty body, and a reason from the code', () => {
    const err = KubernetesError.fromResponse(404, '', req);
    expect(err.reason).toBe('NotFound');
    expect(err.serverMessage).toBe('the server responded with HTTP 404');
  });

  it('takes retryAfterSeconds from details, and a Retry-After header over it', () => {
    const body = status(429, 'TooManyRequests', 'slow', { retryAfterSeconds: 3 });
    expect(KubernetesError.fromResponse(429, body, req).retryAfterSeconds).toBe(3);
    expect(KubernetesError.fromResponse(429, body, req, '7').retryAfterSeconds).toBe(7);
    expect(
      KubernetesError.fromResponse(429, status(429, 'TooManyRequests', 'slow'), req)
        .retryAfterSeconds,
    ).toBeUndefined();
  });
});

describe('KubeConnectionError', () => {
  it('says where, what and whether the request may have arrived', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const err = new KubeConnectionError(
      describeRequest('get', sts),
      'https://127.0.0.1:1',
      cause,
      false,
    );
    expect(err.message).toBe(
      'cannot reach the Kubernetes API server at https://127.0.0.1:1 (ECONNREFUSED) while trying to get statefulsets.apps "radarr" in namespace "media"',
    );
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.cause).toBe(cause);
    expect(isConnectionError(err)).toBe(true);
    expect(isConnectionError(new RetryExhaustedError(3, err))).toBe(true);
    expect(isNotFound(err)).toBe(false);
    const sent = new KubeConnectionError(describeRequest('patch', sts), 'https://x', cause, true);
    expect(sent.message).toMatch(/the request may have reached the server$/);
  });
});
