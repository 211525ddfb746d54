/**
 * The `KubePort` adapter for real clusters, over @kubernetes/client-node's `KubeConfig`.
 *
 * We borrow only credentials from client-node (`KubeConfig.applyToHTTPSOptions`, which both 1.x
 * and 2.x offer: TLS material, bearer tokens, exec and token-file auth) and send each request
 * ourselves with `node:http(s)`. That buys three things the generated API classes do not give:
 * every call is exactly one HTTP request (no discovery, so counts in tests are exact), the patch
 * content type always comes from the `Patch` value (never a client default), and objects stay
 * plain JSON (no `Date`s, no dropped unknown fields) so patches are computed against what the
 * server really returned.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError, KubeConnectionError, KubernetesError } from './errors.js';
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
import { writes } from './port.js';
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
import type { KubeList, KubeObject } from './types.js';

/** How `createKubePort` finds and talks to the API server. */
export interface KubePortOptions {
  /** A loaded KubeConfig (wins over `kubeconfigPath`). */
  kubeConfig?: KubeConfig;
  /** A kubeconfig file; without either option, client-node's default lookup (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfigPath?: string;
  /** Names this writer in managedFields; default `'charmkit'`. */
  fieldManager?: string;
  /** Overrides of `DEFAULT_RETRY_POLICY`; `{ maxAttempts: 1 }` turns retries off. */
  retry?: Partial<RetryPolicy>;
  /** Told about every HTTP request once it is answered or fails, retries included. */
  onRequest?: (record: RequestRecord) => void;
  /** How long one non-watch request may take before it counts as a connection failure; default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * The parts of `KubeConfig` the adapter uses, identical in client-node 1.4 and 2.x. Typing
 * against this instead of the class keeps one compiled adapter working with either major.
 */
interface CredentialSource {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const DEFAULT_FIELD_MANAGER = 'charmkit';
const DEFAULT_TIMEOUT_MS = 30_000;

/** Loads the KubeConfig the options describe. */
export function loadKubeConfigFromOptions(
  options: Pick<KubePortOptions, 'kubeConfig' | 'kubeconfigPath'>,
): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  const kc = new KubeConfig();
  if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/**
 * A `KubePort` for the cluster a kubeconfig (or the pod's service account) points at. Every
 * method sends one HTTP request per attempt and retries transient failures per `retry.ts`;
 * failures surface as `KubernetesError` / `KubeConnectionError` / `RetryExhaustedError`.
 */
export function createKubePort(options: KubePortOptions = {}): KubePort {
  return new HttpKubePort(loadKubeConfigFromOptions(options), options);
}

class HttpKubePort implements KubePort {
  /** One keep-alive TLS agent instead of a new agent per request (see KeepAliveAgents). */
  private readonly keepAlive = new KeepAliveAgents();
  private readonly fieldManager: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly serverUrl: string;

  constructor(
    private readonly credentials: CredentialSource,
    private readonly options: KubePortOptions,
  ) {
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.retry = retryPolicy(options.retry);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const server = credentials.getCurrentCluster()?.server;
    if (!server)
      throw new KubeConfigError('the kubeconfig has no current cluster with a server URL');
    this.serverUrl = server;
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
        const { request, response } = await this.open(spec, { stream: true });
        if (
          response.statusCode === undefined ||
          response.statusCode < 200 ||
          response.statusCode >= 300
        ) {
          const body = await readBody(response).catch(() => '');
          throw this.failure(spec, response.statusCode ?? 0, response.headers, body);
        }
        return new WatchStream<T>(request, response, type, onEvent);
      },
      this.retry,
      { idempotent: true },
    );
  }

  /** Sends `spec` (retrying per policy) and parses the JSON answer. */
  private async call<R>(spec: HttpRequestSpec): Promise<R> {
    const response = await withRetry(
      async () => {
        const raw = await this.send(spec);
        if (raw.status < 200 || raw.status >= 300)
          throw this.failure(spec, raw.status, raw.headers, raw.body);
        return raw;
      },
      this.retry,
      { idempotent: spec.idempotent },
    );
    return (response.body ? JSON.parse(response.body) : {}) as R;
  }

  private failure(
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

  /** One HTTP exchange: the whole body is read before it resolves. */
  private async send(spec: HttpRequestSpec): Promise<RawResponse> {
    const { request, response, sent } = await this.open(spec, { stream: false });
    try {
      const body = await readBody(response);
      return { status: response.statusCode ?? 0, headers: response.headers, body };
    } catch (error) {
      request.destroy();
      throw this.connectionError(spec, error, sent());
    }
  }

  /**
   * Starts one request and resolves with the response head. Records the request in `onRequest`
   * exactly once, whether it is answered or fails.
   */
  private async open(
    spec: HttpRequestSpec,
    mode: { stream: boolean },
  ): Promise<{ request: http.ClientRequest; response: http.IncomingMessage; sent: () => boolean }> {
    const server = this.server();
    const url = new URL(server);
    const basePath = url.pathname.replace(/\/+$/, '');
    const opts: https.RequestOptions = {};
    try {
      await this.credentials.applyToHTTPSOptions(opts);
    } catch (error) {
      // A token file that cannot be read or an exec plugin that fails will not heal on retry.
      const detail = error instanceof Error ? error.message : String(error);
      throw new KubeConfigError(
        `cannot load credentials for ${server} from the kubeconfig: ${detail}`,
        { cause: error },
      );
    }
    opts.agent = this.keepAlive.reuse(opts.agent);
    const headers: http.OutgoingHttpHeaders = {
      ...(opts.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
      'User-Agent': 'charmkit',
    };
    if (spec.body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(spec.body);
    }
    const transport = url.protocol === 'http:' ? http : https;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return new Promise((resolve, reject) => {
      let connected = false;
      let settled = false;
      const request = transport.request({
        ...opts,
        protocol: url.protocol,
        hostname,
        port: url.port || (url.protocol === 'http:' ? 80 : 443),
        path: basePath + spec.path,
        method: spec.method,
        headers,
      });
      request.on('socket', (socket) => {
        // A reused keep-alive socket is already connected; a new one counts as "sent" only once
        // its TCP (or, for TLS, its handshake) completes: before that nothing reached the server.
        if (!socket.connecting) {
          connected = true;
          return;
        }
        const secure = 'encrypted' in socket && socket.encrypted === true;
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          connected = true;
        });
      });
      request.setTimeout(this.timeoutMs, () => {
        const error = Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        });
        request.destroy(error);
      });
      request.on('error', (error) => {
        if (settled) return;
        settled = true;
        this.emit(spec, undefined);
        // A keep-alive socket the server closed while idle fails as soon as we write to it: the
        // server never read the request, so even a create or patch may be sent again.
        const code = (error as NodeJS.ErrnoException).code;
        const staleSocket = request.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
        reject(this.connectionError(spec, error, connected && !staleSocket));
      });
      request.once('response', (response) => {
        settled = true;
        // A watch may stay open for as long as the caller wants; only its head is time-limited.
        if (mode.stream) request.setTimeout(0);
        this.emit(spec, response.statusCode);
        resolve({ request, response, sent: () => connected });
      });
      request.end(spec.body);
    });
  }

  private connectionError(
    spec: HttpRequestSpec,
    error: unknown,
    sent: boolean,
  ): KubeConnectionError {
    if (error instanceof KubeConnectionError) return error;
    return new KubeConnectionError(spec.info, this.server(), error, sent);
  }

  private server(): string {
    return this.serverUrl;
  }

  private emit(spec: HttpRequestSpec, status: number | undefined): void {
    if (!this.options.onRequest) return;
    const record: RequestRecord = { ...spec.record };
    if (status !== undefined) record.status = status;
    this.options.onRequest(record);
  }
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', reject);
    response.once('aborted', () =>
      reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })),
    );
  });
}

function withTypeMeta<T>(object: T, type: TypeRef): T {
  if (typeof object !== 'object' || object === null) return object;
  const record = object as Record<string, unknown>;
  if (record.apiVersion === undefined) record.apiVersion = type.apiVersion;
  if (record.kind === undefined) record.kind = type.kind;
  return object;
}

/**
 * One open watch: splits the newline-delimited JSON stream into events. An exception thrown by
 * `onEvent`, or a line that is not JSON, ends the watch (and is kept in `error`) rather than
 * being delivered out of order or crashing the process.
 */
class WatchStream<T extends KubeObject> implements WatchHandle {
  readonly done: Promise<void>;
  /** Why the watch ended, when it ended because of a failure; undefined otherwise. */
  error: unknown;
  private buffer = '';
  private stopped = false;

  constructor(
    private readonly request: http.ClientRequest,
    response: http.IncomingMessage,
    private readonly type: TypeRef,
    private readonly onEvent: (event: WatchEvent<T>) => void,
  ) {
    this.done = new Promise<void>((resolve) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.consume(chunk));
      response.once('end', () => {
        this.flush();
        resolve();
      });
      response.once('close', () => resolve());
      const fail = (error: unknown): void => {
        if (!this.stopped) this.error ??= error;
        resolve();
      };
      response.on('error', fail);
      request.on('error', fail);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.request.destroy();
    await this.done;
  }

  private consume(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.deliver(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private flush(): void {
    const rest = this.buffer;
    this.buffer = '';
    this.deliver(rest);
  }

  private deliver(line: string): void {
    if (!line.trim() || this.stopped || this.request.destroyed) return;
    try {
      const event = JSON.parse(line) as WatchEvent<T>;
      if (event.type !== 'ERROR') withTypeMeta(event.object, this.type);
      this.onEvent(event);
    } catch (error) {
      this.error ??= error;
      this.request.destroy();
    }
  }
}

/**
 * A request log to pass as `onRequest`, shaped like `FakeCluster`'s `requests`, so a test can
 * count what a reconcile sent to a real API server the same way it does against the fake.
 */
export class RequestLog {
  /** Every request, in the order answered. */
  readonly requests: RequestRecord[] = [];
  /** Pass this as `createKubePort({ onRequest })`. */
  readonly onRequest = (record: RequestRecord): void => {
    this.requests.push(record);
  };
  /** The writes among the requests (rule 5: a no-op reconcile makes none). */
  writes(): RequestRecord[] {
    return writes(this.requests);
  }
  /** Forgets what was logged, e.g. between the setup and the step under test. */
  clear(): void {
    this.requests.length = 0;
  }
}

/**
 * client-node's `applyToHTTPSOptions` builds a new, non-keep-alive `https.Agent` on every call, so
 * each request would pay a TCP connection and a TLS handshake. We keep one keep-alive agent with
 * the same TLS options and hand it out while those options stay the same (a rotated certificate
 * gets a new one). Proxy agents and anything else that is not a plain `https.Agent` pass through
 * untouched. Idle keep-alive sockets do not keep a hook process alive.
 */
class KeepAliveAgents {
  private key = '';
  private agent: https.Agent | undefined;

  reuse(given: https.RequestOptions['agent']): https.RequestOptions['agent'] {
    if (!(given instanceof https.Agent) || Object.getPrototypeOf(given) !== https.Agent.prototype) {
      return given;
    }
    const options = (given as https.Agent & { options: https.AgentOptions }).options;
    const key = JSON.stringify(
      ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((name) => {
        const value = (options as Record<string, unknown>)[name];
        return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
      }),
    );
    if (this.agent && key === this.key) return this.agent;
    this.agent?.destroy();
    this.key = key;
    this.agent = new https.Agent({ ...options, keepAlive: true });
    return this.agent;
  }
}
