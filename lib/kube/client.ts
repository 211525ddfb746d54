/**
 * The `KubePort` adapter for real clusters.
 *
 * Each port call is exactly one HTTP request per attempt, sent by our own transport
 * (`transport.ts`), not by @kubernetes/client-node's generated API classes. That buys what those
 * classes do not give: no discovery, so request counts in tests are exact; the patch content type
 * always comes from the `Patch` value, never a client default; objects stay plain JSON (no `Date`s,
 * no dropped unknown fields), so patches are computed against what the server really returned; and
 * a hook authenticating as its pod's service account never loads client-node at all
 * (`credentials.ts`).
 */
import type * as http from 'node:http';
import {
  credentialProvider,
  resolveCredentials,
  type CredentialOptions,
  type KubeCredentials,
} from './credentials.js';
import { KubernetesError } from './errors.js';
import type {
  DeleteOptions,
  KubePort,
  ListOptions,
  ObjectRef,
  Patch,
  RequestRecord,
  TypeRef,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './port.js';
import {
  createRequest,
  deleteRequest,
  getRequest,
  listRequest,
  patchRequest,
  replaceRequest,
  watchRequest,
  type HttpRequestSpec,
} from './request.js';
import { retryPolicy, withRetry, type RetryPolicy } from './retry.js';
import { HttpTransport, readBody } from './transport.js';
import type { KubeList, KubeObject } from './types.js';
import { WatchStream } from './watch-stream.js';

/**
 * How `createKubePort` finds and talks to the API server. Credentials: `credentials` when given,
 * otherwise `resolveCredentials(options)` — the same sources in the same order (see there).
 */
export interface KubePortOptions extends CredentialOptions {
  /** Credentials already resolved, e.g. `resolveSelf().credentials`; win over the other options. */
  credentials?: KubeCredentials;
  /** Names this writer in managedFields; default `'charmkit'`. */
  fieldManager?: string;
  /** Overrides of `DEFAULT_RETRY_POLICY`; `{ maxAttempts: 1 }` turns retries off. */
  retry?: Partial<RetryPolicy>;
  /** Told about every HTTP request once it is answered or fails, retries included. */
  onRequest?: (record: RequestRecord) => void;
  /** How long one non-watch request may take before it counts as a connection failure; default 30 s. */
  requestTimeoutMs?: number;
}

const DEFAULT_FIELD_MANAGER = 'charmkit';
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A `KubePort` for the cluster the credentials point at. Every method sends one HTTP request per
 * attempt and retries transient failures per `retry.ts`; failures surface as `KubernetesError` /
 * `KubeConnectionError` / `RetryExhaustedError`, and credentials that cannot be loaded as
 * `KubeConfigError` (never retried). Throws `SelfResolutionError` at once when no credentials are
 * found, and `KubeConfigError` for a kubeconfig object without a current cluster.
 */
export function createKubePort(options: KubePortOptions = {}): KubePort {
  const credentials = options.credentials ?? resolveCredentials(options);
  const transport = new HttpTransport(credentialProvider(credentials), {
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    onRequest: options.onRequest,
  });
  return new HttpKubePort(transport, options);
}

class HttpKubePort implements KubePort {
  private readonly fieldManager: string;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly transport: HttpTransport,
    options: KubePortOptions,
  ) {
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.retry = retryPolicy(options.retry);
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    return withTypeMeta(await this.call<T>(getRequest(ref)), ref);
  }

  async list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options?: ListOptions,
  ): Promise<KubeList<T>> {
    const list = await this.call<KubeList<T>>(listRequest(type, options));
    // The server leaves apiVersion/kind off list items; restore them so items are whole objects.
    list.items = (list.items ?? []).map((item) => withTypeMeta(item, type));
    return list;
  }

  async create<T extends KubeObject = KubeObject>(
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return withTypeMeta(
      await this.call<T>(createRequest(object, options, this.fieldManager)),
      object,
    );
  }

  async replace<T extends KubeObject = KubeObject>(
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return withTypeMeta(
      await this.call<T>(replaceRequest(object, options, this.fieldManager)),
      object,
    );
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options: WriteOptions = {},
  ): Promise<T> {
    return withTypeMeta(
      await this.call<T>(patchRequest(ref, patch, options, this.fieldManager)),
      ref,
    );
  }

  async delete(ref: ObjectRef, options?: DeleteOptions): Promise<void> {
    await this.call<unknown>(deleteRequest(ref, options));
  }

  async watch<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    const spec = watchRequest(type, options);
    return withRetry(
      async () => {
        const { request, response } = await this.transport.open(spec, { stream: true });
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const body = await readBody(response).catch(() => '');
          throw failure(spec, status, response.headers, body);
        }
        return new WatchStream<T>(request, response, (event) => {
          if (event.type !== 'ERROR') withTypeMeta(event.object, type);
          onEvent(event);
        });
      },
      this.retry,
      { idempotent: true },
    );
  }

  /** Sends `spec` (retrying per policy) and parses the JSON answer. */
  private async call<R>(spec: HttpRequestSpec): Promise<R> {
    const response = await withRetry(
      async () => {
        const raw = await this.transport.send(spec);
        if (raw.status < 200 || raw.status >= 300)
          throw failure(spec, raw.status, raw.headers, raw.body);
        return raw;
      },
      this.retry,
      { idempotent: spec.idempotent },
    );
    return (response.body ? JSON.parse(response.body) : {}) as R;
  }
}

function failure(
  spec: HttpRequestSpec,
  status: number,
  headers: http.IncomingHttpHeaders,
  body: string,
): KubernetesError {
  const retryAfter = headers['retry-after'];
  return KubernetesError.fromResponse(
    status,
    body,
    spec.info,
    Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  );
}

function withTypeMeta<T>(object: T, type: TypeRef): T {
  if (typeof object !== 'object' || object === null) return object;
  const record = object as Record<string, unknown>;
  if (record.apiVersion === undefined) record.apiVersion = type.apiVersion;
  if (record.kind === undefined) record.kind = type.kind;
  return object;
}
