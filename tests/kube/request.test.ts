import { PATCH_CONTENT_TYPES } from '../../lib/kube/port.js';
import {
  InvalidRequestError,
  createRequest,
  deleteRequest,
  getRequest,
  listRequest,
  patchRequest,
  replaceRequest,
  watchRequest,
} from '../../lib/kube/request.js';
import { UnknownResourceError, registerResource } from '../../lib/kube/resources.js';

const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'media', name: 'radarr' };

describe('request building', () => {
  it('builds core and group paths, escaping names', () => {
    expect(getRequest(sts).path).toBe('/apis/apps/v1/namespaces/media/statefulsets/radarr');
    expect(
      getRequest({ apiVersion: 'v1', kind: 'Secret', namespace: 'a b', name: 'x/y' }).path,
    ).toBe('/api/v1/namespaces/a%20b/secrets/x%2Fy');
    expect(getRequest({ apiVersion: 'v1', kind: 'Node', name: 'n1' }).path).toBe(
      '/api/v1/nodes/n1',
    );
    expect(
      getRequest({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: 'fast' }).path,
    ).toBe('/apis/storage.k8s.io/v1/storageclasses/fast');
  });

  it('ignores a namespace for cluster-scoped kinds', () => {
    expect(
      listRequest({ apiVersion: 'v1', kind: 'PersistentVolume' }, { namespace: 'media' }).path,
    ).toBe('/api/v1/persistentvolumes');
  });

  it('URL-encodes selectors and omits empty query values', () => {
    const spec = listRequest(
      { apiVersion: 'v1', kind: 'Event' },
      {
        namespace: 'm',
        fieldSelector: 'involvedObject.name=radarr-0,involvedObject.kind=Pod',
        labelSelector: '',
      },
    );
    expect(spec.path).toBe(
      '/api/v1/namespaces/m/events?fieldSelector=involvedObject.name%3Dradarr-0%2CinvolvedObject.kind%3DPod',
    );
    expect(spec.method).toBe('GET');
    expect(spec.body).toBeUndefined();
  });

  it('watch adds watch=1 and the resourceVersion', () => {
    expect(
      watchRequest({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'm', resourceVersion: '42' })
        .path,
    ).toBe('/api/v1/namespaces/m/pods?watch=1&resourceVersion=42');
  });

  it('create posts to the collection; with generateName the record has no name', () => {
    const spec = createRequest(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x-', namespace: 'm' } },
      {},
      'charmkit',
    );
    expect(spec.path).toBe('/api/v1/namespaces/m/configmaps?fieldManager=charmkit');
    expect(spec.record).toEqual({
      verb: 'create',
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'm',
    });
    expect(spec.idempotent).toBe(false);
  });

  it('create of a subresource posts to the named object', () => {
    const spec = createRequest(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'm' } },
      { subresource: 'eviction' },
      'charmkit',
    );
    expect(spec.path).toBe('/api/v1/namespaces/m/pods/p/eviction?fieldManager=charmkit');
  });

  it('refuses calls that cannot be valid', () => {
    expect(() =>
      createRequest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, {}, 'c'),
    ).toThrow(InvalidRequestError);
    expect(() =>
      replaceRequest(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'm' } },
        {},
        'c',
      ),
    ).toThrow(/without metadata.name/);
    expect(() =>
      patchRequest(
        sts,
        {
          type: 'apply',
          fieldManager: '',
          body: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {} },
        },
        {},
        'c',
      ),
    ).toThrow(/needs a fieldManager/);
    expect(() =>
      getRequest({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'm', name: 'w' }),
    ).toThrow(UnknownResourceError);
  });

  it('maps every patch strategy to its content type and only JSON patch is non-idempotent', () => {
    const strategic = patchRequest(sts, { type: 'strategic', body: {} }, { dryRun: true }, 'c');
    expect(strategic.contentType).toBe(PATCH_CONTENT_TYPES.strategic);
    expect(strategic.path).toBe(
      '/apis/apps/v1/namespaces/media/statefulsets/radarr?fieldManager=c&dryRun=All',
    );
    expect(strategic.idempotent).toBe(true);
    const json = patchRequest(sts, { type: 'json', ops: [] }, {}, 'c');
    expect([json.contentType, json.idempotent, json.body]).toEqual([
      'application/json-patch+json',
      false,
      '[]',
    ]);
    const apply = patchRequest(
      sts,
      {
        type: 'apply',
        fieldManager: 'mine',
        body: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {} },
      },
      { fieldManager: 'ignored' },
      'c',
    );
    expect(apply.path).toBe('/apis/apps/v1/namespaces/media/statefulsets/radarr?fieldManager=mine');
    expect(apply.contentType).toBe('application/apply-patch+yaml');
    expect(apply.record.patchType).toBe('apply');
  });

  it('delete carries grace period and dry run in its body', () => {
    const spec = deleteRequest(sts, { gracePeriodSeconds: 0, dryRun: true });
    expect(JSON.parse(spec.body ?? '')).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      dryRun: ['All'],
    });
  });

  it('works for kinds registered later (CRDs)', () => {
    registerResource(
      { apiVersion: 'example.com/v1', kind: 'Gadget' },
      { plural: 'gadgets', namespaced: true },
    );
    expect(
      getRequest({ apiVersion: 'example.com/v1', kind: 'Gadget', namespace: 'm', name: 'g' }).path,
    ).toBe('/apis/example.com/v1/namespaces/m/gadgets/g');
  });
});
