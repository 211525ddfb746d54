import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import {
  KubeConfigError,
  KubeConnectionError,
  KubernetesError,
  RetryExhaustedError,
  isNotFound,
  isTooManyRequests,
} from '../../lib/kube/errors.js';
import {
  PATCH_CONTENT_TYPES,
  type KubePort,
  type Patch,
  type WatchEvent,
} from '../../lib/kube/port.js';
import type { RetryPolicy } from '../../lib/kube/retry.js';
import type { KubeObject } from '../../lib/kube/types.js';
import { LocalServer, echo, fail, hangUp, ok } from './local-server.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', name: 'settings' };
const stsRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'media', name: 'radarr' };
const configMap: ConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'media' },
  data: { a: '1' },
};

let server: LocalServer;
let log: RequestLog;
let sleeps: number[];

function noWait(overrides: Partial<RetryPolicy> = {}): Partial<RetryPolicy> {
  return {
    clock: {
      now: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    random: () => 0.5,
    ...overrides,
  };
}

function port(
  options: { retry?: Partial<RetryPolicy>; fieldManager?: string; pathPrefix?: string } = {},
): KubePort {
  return createKubePort({
    kubeConfig: server.kubeConfig(options.pathPrefix),
    onRequest: log.onRequest,
    retry: options.retry ?? noWait(),
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
  });
}

beforeEach(async () => {
  server = await new LocalServer().start();
  log = new RequestLog();
  sleeps = [];
});

afterEach(async () => {
  await server.close();
});

describe('createKubePort: one HTTP request per call', () => {
  it('get: GETs the object path with the kubeconfig credentials and returns plain JSON', async () => {
    const served = {
      ...configMap,
      metadata: { ...configMap.metadata, creationTimestamp: '2024-01-01T00:00:00Z' },
    };
    server.answer(ok(served));
    const got = await port().get<ConfigMap>(cmRef);
    expect(got).toEqual(served);
    // Timestamps stay strings: no client-node model classes in between.
    expect(typeof got.metadata.creationTimestamp).toBe('string');
    expect(server.seen).toHaveLength(1);
    const [req] = server.seen;
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe('/api/v1/namespaces/media/configmaps/settings');
    expect(req?.headers.authorization).toBe('Bearer test-token');
    expect(req?.headers.accept).toBe('application/json');
    expect(log.requests).toEqual([{ verb: 'get', ...cmRef, status: 200 }]);
  });

  it('list: sends selectors and limit, and restores apiVersion/kind on items', async () => {
    server.answer(
      ok({
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: '9' },
        items: [{ metadata: { name: 'p-0' }, spec: {} }],
      }),
    );
    const list = await port().list(
      { apiVersion: 'v1', kind: 'Pod' },
      {
        namespace: 'media',
        labelSelector: 'app=radarr,tier in (a,b)',
        fieldSelector: 'status.phase=Running',
        limit: 5,
      },
    );
    const [req] = server.seen;
    expect(req?.path).toBe('/api/v1/namespaces/media/pods');
    expect(req?.query.get('labelSelector')).toBe('app=radarr,tier in (a,b)');
    expect(req?.query.get('fieldSelector')).toBe('status.phase=Running');
    expect(req?.query.get('limit')).toBe('5');
    expect(list.items[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p-0' },
    });
    expect(log.requests).toEqual([
      { verb: 'list', apiVersion: 'v1', kind: 'Pod', namespace: 'media', status: 200 },
    ]);
  });

  it('list across namespaces uses the cluster-wide collection', async () => {
    server.answer(ok({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [] }));
    await port().list({ apiVersion: 'v1', kind: 'Pod' });
    expect(server.seen[0]?.url).toBe('/api/v1/pods');
  });

  it('create: POSTs JSON to the collection with the field manager', async () => {
    server.answer(echo(201));
    const created = await port().create(configMap);
    expect(created).toEqual(configMap);
    const [req] = server.seen;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/v1/namespaces/media/configmaps');
    expect(req?.query.get('fieldManager')).toBe('charmkit');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(configMap);
    expect(log.requests).toEqual([{ verb: 'create', ...cmRef, status: 201 }]);
  });

  it('create with dryRun and a custom field manager', async () => {
    server.answer(echo(201));
    await port({ fieldManager: 'radarr-charm' }).create(configMap, { dryRun: true });
    expect(server.seen[0]?.query.get('fieldManager')).toBe('radarr-charm');
    expect(server.seen[0]?.query.get('dryRun')).toBe('All');
  });

  it('replace: PUTs the object (and a subresource when asked)', async () => {
    server.answer(echo(), echo());
    const p = port();
    await p.replace({ ...configMap, metadata: { ...configMap.metadata, resourceVersion: '7' } });
    await p.replace(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'radarr', namespace: 'media' },
      },
      { subresource: 'status', fieldManager: 'other' },
    );
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /api/v1/namespaces/media/configmaps/settings?fieldManager=charmkit',
      'PUT /apis/apps/v1/namespaces/media/statefulsets/radarr/status?fieldManager=other',
    ]);
    expect(JSON.parse(server.seen[0]?.body ?? '').metadata.resourceVersion).toBe('7');
    expect(log.requests[1]).toEqual({
      verb: 'replace',
      ...stsRef,
      subresource: 'status',
      status: 200,
    });
  });

  const patches: [Patch, unknown][] = [
    [{ type: 'strategic', body: { spec: { replicas: 2 } } }, { spec: { replicas: 2 } }],
    [
      { type: 'merge', body: { metadata: { labels: { a: null } } } },
      { metadata: { labels: { a: null } } },
    ],
    [
      { type: 'json', ops: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    ],
    [
      {
        type: 'apply',
        fieldManager: 'radarr-storage',
        force: true,
        body: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'radarr' } },
      },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'radarr' } },
    ],
  ];

  it.each(patches)('patch %j: sends the content type of its own strategy', async (patch, body) => {
    server.answer(ok({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'radarr' } }));
    await port().patch(stsRef, patch);
    const [req] = server.seen;
    expect(server.seen).toHaveLength(1);
    expect(req?.method).toBe('PATCH');
    expect(req?.path).toBe('/apis/apps/v1/namespaces/media/statefulsets/radarr');
    expect(req?.headers['content-type']).toBe(PATCH_CONTENT_TYPES[patch.type]);
    expect(JSON.parse(req?.body ?? '')).toEqual(body);
    if (patch.type === 'apply') {
      expect(req?.query.get('fieldManager')).toBe('radarr-storage');
      expect(req?.query.get('force')).toBe('true');
    } else {
      expect(req?.query.get('fieldManager')).toBe('charmkit');
      expect(req?.query.has('force')).toBe(false);
    }
    expect(log.requests).toEqual([
      { verb: 'patch', ...stsRef, patchType: patch.type, status: 200 },
    ]);
  });

  it('delete: sends preconditions and propagation in a DeleteOptions body', async () => {
    server.answer(ok({ kind: 'Status', apiVersion: 'v1', status: 'Success' }));
    await port().delete(cmRef, {
      preconditions: { uid: 'u-1', resourceVersion: '5' },
      propagationPolicy: 'Foreground',
    });
    const [req] = server.seen;
    expect(req?.method).toBe('DELETE');
    expect(req?.url).toBe('/api/v1/namespaces/media/configmaps/settings');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: 'u-1', resourceVersion: '5' },
      propagationPolicy: 'Foreground',
    });
  });

  it('keeps a path prefix in the server URL (API servers behind a proxy)', async () => {
    server.answer(ok(configMap));
    await port({ pathPrefix: '/k8s/clusters/c-1/' }).get(cmRef);
    expect(server.seen[0]?.url).toBe(
      '/k8s/clusters/c-1/api/v1/namespaces/media/configmaps/settings',
    );
  });

  it('refuses a namespaced call without a namespace before sending anything', async () => {
    await expect(port().get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' })).rejects.toThrow(
      /no namespace/,
    );
    expect(server.seen).toHaveLength(0);
  });
});

describe('createKubePort: failures and retries', () => {
  it('turns a Status into a KubernetesError without retrying a 404', async () => {
    server.answer(fail(404, 'NotFound', 'configmaps "settings" not found'));
    const error = await port()
      .get(cmRef)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesError);
    expect(isNotFound(error)).toBe(true);
    expect((error as KubernetesError).request).toMatchObject({
      verb: 'get',
      resource: 'configmaps',
      name: 'settings',
    });
    expect(server.seen).toHaveLength(1);
    expect(log.requests).toEqual([{ verb: 'get', ...cmRef, status: 404 }]);
  });

  it('retries a 503 and logs both requests', async () => {
    server.answer(fail(503, 'ServiceUnavailable'), ok(configMap));
    await expect(port().get(cmRef)).resolves.toEqual(configMap);
    expect(server.seen).toHaveLength(2);
    expect(log.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it('honours a 429 Retry-After header', async () => {
    server.answer(fail(429, 'TooManyRequests', 'slow down', { 'Retry-After': '2' }), ok(configMap));
    await port().get(cmRef);
    expect(sleeps).toEqual([2000]);
    expect(server.seen).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last 429 as cause', async () => {
    server.otherwise(fail(429, 'TooManyRequests'));
    const error = await port({ retry: noWait({ maxAttempts: 3 }) })
      .get(cmRef)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(isTooManyRequests(error)).toBe(true);
    expect(server.seen).toHaveLength(3);
  });

  it('does not retry other 4xx (409, 422, 403)', async () => {
    server.answer(fail(409, 'Conflict'), fail(422, 'Invalid'), fail(403, 'Forbidden'));
    const p = port();
    await expect(p.replace(configMap)).rejects.toBeInstanceOf(KubernetesError);
    await expect(p.patch(cmRef, { type: 'merge', body: {} })).rejects.toBeInstanceOf(
      KubernetesError,
    );
    await expect(p.get(cmRef)).rejects.toBeInstanceOf(KubernetesError);
    expect(server.seen).toHaveLength(3);
  });

  it('does not resend a create after a 503 (it may have been stored)', async () => {
    server.answer(fail(503, 'ServiceUnavailable'), echo(201));
    await expect(port().create(configMap)).rejects.toBeInstanceOf(KubernetesError);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a GET whose connection was cut after it was sent', async () => {
    server.answer(hangUp(), ok(configMap));
    await expect(port().get(cmRef)).resolves.toEqual(configMap);
    expect(server.seen).toHaveLength(2);
    expect(log.requests.map((r) => r.status)).toEqual([undefined, 200]);
  });

  it('does not resend a JSON patch whose connection was cut after it was sent', async () => {
    server.answer(hangUp(), ok(configMap));
    const error = await port()
      .patch(cmRef, { type: 'json', ops: [{ op: 'add', path: '/data/b', value: '2' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect((error as KubeConnectionError).requestSent).toBe(true);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a refused connection, even for a create, and reports it typed', async () => {
    const closed = await freePort();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${closed}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const p = createKubePort({
      kubeConfig: kc,
      onRequest: log.onRequest,
      retry: noWait({ maxAttempts: 3 }),
    });
    const error = (await p.create(configMap).catch((e: unknown) => e)) as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error.lastError).toBeInstanceOf(KubeConnectionError);
    const last = error.lastError as KubeConnectionError;
    expect(last.code).toBe('ECONNREFUSED');
    expect(last.requestSent).toBe(false);
    expect(log.requests).toHaveLength(3);
    expect(log.requests.every((r) => r.status === undefined)).toBe(true);
  });

  it('turns a request that gets no answer into a typed timeout', async () => {
    server.otherwise(() => undefined); // never answers
    const p = createKubePort({
      kubeConfig: server.kubeConfig(),
      requestTimeoutMs: 50,
      retry: noWait({ maxAttempts: 1 }),
    });
    const error = (await p.get(cmRef).catch((e: unknown) => e)) as RetryExhaustedError;
    expect((error.lastError as KubeConnectionError).code).toBe('ETIMEDOUT');
  });
});

describe('createKubePort: watch', () => {
  it('streams newline-delimited events split across chunks until stopped', async () => {
    let closed!: Promise<void>;
    server.answer((_req, res) => {
      closed = new Promise((resolve) => res.on('close', () => resolve()));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const e1 = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } });
      const e2 = JSON.stringify({
        type: 'MODIFIED',
        object: { metadata: { name: 'a', resourceVersion: '2' } },
      });
      res.write(e1.slice(0, 10));
      res.write(`${e1.slice(10)}\n${e2.slice(0, 5)}`);
      res.write(`${e2.slice(5)}\n`);
    });
    const events: WatchEvent<ConfigMap>[] = [];
    let resolveTwo!: () => void;
    const two = new Promise<void>((resolve) => (resolveTwo = resolve));
    const handle = await port().watch<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: 'media', resourceVersion: '1', labelSelector: 'app=x' },
      (event) => {
        events.push(event);
        if (events.length === 2) resolveTwo();
      },
    );
    await two;
    await handle.stop();
    await closed; // the server saw the connection go away
    await handle.done;
    expect(events.map((e) => [e.type, e.object.metadata.name, e.object.kind])).toEqual([
      ['ADDED', 'a', 'ConfigMap'],
      ['MODIFIED', 'a', 'ConfigMap'],
    ]);
    const [req] = server.seen;
    expect(req?.path).toBe('/api/v1/namespaces/media/configmaps');
    expect(req?.query.get('watch')).toBe('1');
    expect(req?.query.get('resourceVersion')).toBe('1');
    expect(req?.query.get('labelSelector')).toBe('app=x');
    expect(log.requests).toEqual([
      { verb: 'watch', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'media', status: 200 },
    ]);
  });

  it('resolves done when the server ends the watch, delivering the last line', async () => {
    server.answer((_req, res) => {
      res.writeHead(200);
      res.end(JSON.stringify({ type: 'DELETED', object: { metadata: { name: 'b' } } }));
    });
    const events: WatchEvent[] = [];
    const handle = await port().watch(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: 'm' },
      (e) => events.push(e),
    );
    await handle.done;
    expect(events.map((e) => e.type)).toEqual(['DELETED']);
  });

  it('rejects with a KubernetesError when the watch is refused', async () => {
    server.answer(
      fail(
        403,
        'Forbidden',
        'configmaps is forbidden: User "u" cannot watch resource "configmaps" in API group "" in the namespace "m"',
      ),
    );
    const error = (await port()
      .watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'm' }, () => undefined)
      .catch((e: unknown) => e)) as KubernetesError;
    expect(error.isForbidden()).toBe(true);
    expect(error.message).toContain('cannot watch configmaps in namespace "m"');
    expect(server.seen).toHaveLength(1);
  });

  it('ends the watch when a handler throws, instead of crashing', async () => {
    server.answer((_req, res) => {
      res.writeHead(200);
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'b' } } })}\n`);
    });
    const names: string[] = [];
    const handle = await port().watch<ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: 'm' },
      (e) => {
        names.push(e.object.metadata.name ?? '');
        throw new Error('handler bug');
      },
    );
    await handle.done;
    expect(names).toEqual(['a']);
    expect((handle as unknown as { error: Error }).error.message).toBe('handler bug');
  });
});

describe('RequestLog', () => {
  it('counts writes the way FakeCluster does', async () => {
    server.answer(ok(configMap), echo(), ok(configMap));
    const p = port();
    await p.get(cmRef);
    await p.patch(cmRef, { type: 'merge', body: { data: { a: '2' } } });
    await p.get(cmRef);
    expect(log.requests.map((r) => r.verb)).toEqual(['get', 'patch', 'get']);
    expect(log.writes()).toEqual([{ verb: 'patch', ...cmRef, patchType: 'merge', status: 200 }]);
    log.clear();
    expect(log.requests).toEqual([]);
  });
});

describe('client-node compatibility', () => {
  /** 2.x dropped applyToFetchOptions and added createDispatcherOptions; 1.x is the reverse. */
  function loadedMajor(): number {
    const proto = KubeConfig.prototype as unknown as Record<string, unknown>;
    const v2 =
      typeof proto.createDispatcherOptions === 'function' &&
      proto.applyToFetchOptions === undefined;
    const v1 =
      typeof proto.applyToFetchOptions === 'function' &&
      proto.createDispatcherOptions === undefined;
    if (v1 === v2) throw new Error('cannot tell which @kubernetes/client-node major is loaded');
    return v2 ? 2 : 1;
  }

  it('runs on the client-node major this run expects (scripts/compat/client-node-2.sh sets 2)', async () => {
    const installed = JSON.parse(
      await readFile(
        new URL('../../node_modules/@kubernetes/client-node/package.json', import.meta.url),
        'utf8',
      ),
    ) as { version: string };
    const expected = Number(
      process.env.CHARMKIT_EXPECT_CLIENT_NODE_MAJOR ?? installed.version.split('.')[0],
    );
    const major = loadedMajor();
    process.stderr.write(
      `charmkit: adapter tests loaded @kubernetes/client-node ${major}.x on Node ${process.version}\n`,
    );
    expect(major).toBe(expected);
  });
});

describe('createKubePort: configuration', () => {
  it('fails fast on a kubeconfig without a cluster', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
    expect(() => createKubePort({ kubeConfig: kc })).toThrow(/no current cluster/);
  });

  it('sends the answer body of a failure unparsed when it is not a Status', async () => {
    server.answer((_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const error = (await port({ retry: noWait({ maxAttempts: 1 }) })
      .get(cmRef)
      .catch((e: unknown) => e)) as RetryExhaustedError;
    const last = error.lastError as KubernetesError;
    expect(last.code).toBe(502);
    expect(last.serverMessage).toBe('<html>bad gateway</html>');
  });
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port: p } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return p;
}

describe('createKubePort: credentials', () => {
  it('reports credentials that cannot be loaded as a KubeConfigError, without sending or retrying', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${server.port}`, skipTLSVerify: true }],
      users: [
        {
          name: 'u',
          authProvider: { name: 'tokenFile', config: { tokenFile: '/nonexistent/token' } },
        },
      ],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const p = createKubePort({ kubeConfig: kc, onRequest: log.onRequest, retry: noWait() });
    const error = await p.get(cmRef).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConfigError);
    expect((error as Error).message).toContain('cannot load credentials');
    expect(server.seen).toHaveLength(0);
    expect(sleeps).toEqual([]);
  });
});
