/**
 * The HTTP transport under the adapter: one `node:http(s)` request per call, over one keep-alive
 * connection, with the rules that decide whether a failed request may be sent again.
 *
 * Whether a failure may be resent depends on whether the request could have reached the server:
 * a connection that was never established (refused, DNS, a TLS handshake that failed) sent
 * nothing, and neither did a write to a keep-alive socket the server had already closed while it
 * sat idle. `KubeConnectionError.requestSent` carries that answer to the retry policy.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { tlsKey, type CredentialProvider } from './credentials.js';
import { KubeConnectionError } from './errors.js';
import type { RequestRecord } from './port.js';
import type { HttpRequestSpec } from './request.js';

/** A whole answer: status, headers and body. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A started request whose response head has arrived; the body is still to be read. */
export interface OpenRequest {
  request: http.ClientRequest;
  response: http.IncomingMessage;
  /** The server URL the request went to. */
  server: string;
  /** Whether the request reached an established connection (so the server may have acted). */
  sent: () => boolean;
}

export interface TransportOptions {
  /** How long a request may wait for its response head before it fails as `ETIMEDOUT`. */
  timeoutMs: number;
  /** Told about every request once it is answered or fails. */
  onRequest?: ((record: RequestRecord) => void) | undefined;
}

export class HttpTransport {
  private readonly keepAlive = new KeepAliveAgent();

  constructor(
    private readonly credentials: CredentialProvider,
    private readonly options: TransportOptions,
  ) {}

  /** One HTTP exchange: the whole body is read before it resolves. */
  async send(spec: HttpRequestSpec): Promise<RawResponse> {
    const { request, response, server, sent } = await this.open(spec, { stream: false });
    try {
      const body = await readBody(response);
      return { status: response.statusCode ?? 0, headers: response.headers, body };
    } catch (error) {
      request.destroy();
      throw connectionError(spec, server, error, sent());
    }
  }

  /**
   * Starts one request and resolves with the response head. Records the request in `onRequest`
   * exactly once, whether it is answered or fails. A stream (a watch) has no time limit once its
   * head has arrived.
   */
  async open(spec: HttpRequestSpec, mode: { stream: boolean }): Promise<OpenRequest> {
    // Credentials that cannot be loaded throw a KubeConfigError here, before anything is sent.
    const material = await this.credentials.forRequest();
    const server = material.server;
    const url = new URL(server);
    const basePath = url.pathname.replace(/\/+$/, '');
    const headers: http.OutgoingHttpHeaders = {
      ...material.headers,
      Accept: 'application/json',
      'User-Agent': 'charmkit',
    };
    if (spec.body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(spec.body);
    }
    const secure = url.protocol !== 'http:';
    const agent =
      material.agent ?? (secure && material.tls ? this.keepAlive.for(material.tls) : undefined);
    const transport = secure ? https : http;
    const timeoutMs = this.options.timeoutMs;
    return new Promise((resolve, reject) => {
      let connected = false;
      let settled = false;
      const request = transport.request({
        ...(agent ? { agent } : {}),
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || (secure ? 443 : 80),
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
        const tls = 'encrypted' in socket && socket.encrypted === true;
        socket.once(tls ? 'secureConnect' : 'connect', () => {
          connected = true;
        });
      });
      request.setTimeout(timeoutMs, () => {
        const error = Object.assign(new Error(`no answer within ${timeoutMs} ms`), {
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
        reject(connectionError(spec, server, error, connected && !staleSocket));
      });
      request.once('response', (response) => {
        settled = true;
        if (mode.stream) request.setTimeout(0);
        this.emit(spec, response.statusCode);
        resolve({ request, response, server, sent: () => connected });
      });
      request.end(spec.body);
    });
  }

  private emit(spec: HttpRequestSpec, status: number | undefined): void {
    if (!this.options.onRequest) return;
    const record: RequestRecord = { ...spec.record };
    if (status !== undefined) record.status = status;
    this.options.onRequest(record);
  }
}

/** Reads a response body to the end; an aborted response fails like a reset connection. */
export function readBody(response: http.IncomingMessage): Promise<string> {
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

function connectionError(
  spec: HttpRequestSpec,
  server: string,
  error: unknown,
  sent: boolean,
): KubeConnectionError {
  if (error instanceof KubeConnectionError) return error;
  return new KubeConnectionError(spec.info, server, error, sent);
}

/**
 * One keep-alive TLS agent, handed out while the TLS material stays the same, so a reconcile's
 * requests share one TCP connection and one handshake. Different material (a rotated CA or client
 * certificate) gets a new agent and the old one is closed. Idle keep-alive sockets do not keep a
 * hook process alive.
 */
class KeepAliveAgent {
  private key = '';
  private agent: https.Agent | undefined;

  for(tls: https.AgentOptions): https.Agent {
    const key = tlsKey(tls);
    if (this.agent && key === this.key) return this.agent;
    this.agent?.destroy();
    this.key = key;
    this.agent = new https.Agent({ ...tls, keepAlive: true });
    return this.agent;
  }
}
