/**
 * A scripted HTTP(S) server on 127.0.0.1 for the adapter's unit tests: it records every request
 * exactly as it arrived (method, path, headers, body) and answers from a queue of handlers, so a
 * test can assert what went over the wire and how many times. With `{ tls: true }` it serves HTTPS
 * with a fresh self-signed certificate for 127.0.0.1 (its own CA) and counts TLS handshakes, i.e.
 * new connections.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: SeenRequest, res: http.ServerResponse) => void;

/** A key and a self-signed certificate for 127.0.0.1, made with openssl. */
export interface SelfSigned {
  key: string;
  /** PEM; it is its own CA. */
  cert: string;
}

/** Makes a fresh EC key and self-signed certificate valid for IP 127.0.0.1. */
export function selfSignedCertificate(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-tls-'));
  try {
    // prettier-ignore
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    return {
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class LocalServer {
  readonly seen: SeenRequest[] = [];
  /** TLS handshakes the server completed: one per new connection (TLS servers only). */
  handshakes = 0;
  /** The certificate a TLS server presents, which is also the CA to trust; `''` for plain HTTP. */
  readonly caPem: string;
  private readonly queue: Handler[] = [];
  private fallback: Handler = (_req, res) =>
    json(res, 500, { kind: 'Status', code: 500, message: 'no handler queued' });
  private readonly server: http.Server;

  constructor(options: { tls?: boolean } = {}) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void =>
      this.receive(req, res);
    if (options.tls) {
      const pair = selfSignedCertificate();
      this.caPem = pair.cert;
      this.server = https.createServer(pair, listener);
      this.server.on('secureConnection', () => this.handshakes++);
    } else {
      this.caPem = '';
      this.server = http.createServer(listener);
    }
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.seen.push(seen);
      (this.queue.shift() ?? this.fallback)(seen, res);
    });
  }
  port = 0;

  /** `http(s)://127.0.0.1:<port>`. */
  get url(): string {
    return `${this.caPem ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues answers, used in order, one per request. */
  answer(...handlers: Handler[]): this {
    this.queue.push(...handlers);
    return this;
  }

  /** What to answer once the queue is empty. */
  otherwise(handler: Handler): this {
    this.fallback = handler;
    return this;
  }

  /** A KubeConfig pointing at this server with a bearer token (and its CA, over TLS). */
  kubeConfig(pathPrefix = '', caPem = this.caPem): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        this.caPem
          ? {
              name: 'local',
              server: `${this.url}${pathPrefix}`,
              caData: Buffer.from(caPem).toString('base64'),
              skipTLSVerify: false,
            }
          : { name: 'local', server: `${this.url}${pathPrefix}`, skipTLSVerify: true },
      ],
      users: [{ name: 'tester', token: 'test-token' }],
      contexts: [{ name: 'local', cluster: 'local', user: 'tester' }],
      currentContext: 'local',
    });
    return kc;
  }
}

export function json(
  res: http.ServerResponse,
  code: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function status(code: number, reason: string, message: string): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason,
    message,
  };
}

/** Answers with `code` and a Status body. */
export function fail(
  code: number,
  reason: string,
  message = reason,
  headers: http.OutgoingHttpHeaders = {},
): Handler {
  return (_req, res) => json(res, code, status(code, reason, message), headers);
}

/** Answers 200 (or `code`) with `body`. */
export function ok(body: unknown, code = 200): Handler {
  return (_req, res) => json(res, code, body);
}

/** Answers by echoing the request body back as the object, as a write would. */
export function echo(code = 200): Handler {
  return (req, res) => json(res, code, req.body ? JSON.parse(req.body) : {});
}

/** Kills the connection without an answer. */
export function hangUp(): Handler {
  return (_req, res) => res.socket?.destroy();
}
