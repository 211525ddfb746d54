/**
 * A scripted HTTP server on 127.0.0.1 for the adapter's unit tests: it records every request
 * exactly as it arrived (method, path, headers, body) and answers from a queue of handlers, so a
 * test can assert what went over the wire and how many times.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
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

export class LocalServer {
  readonly seen: SeenRequest[] = [];
  private readonly queue: Handler[] = [];
  private fallback: Handler = (_req, res) =>
    json(res, 500, { kind: 'Status', code: 500, message: 'no handler queued' });
  private readonly server = http.createServer((req, res) => {
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
  });
  port = 0;

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

  /** A KubeConfig pointing at this server with a bearer token. */
  kubeConfig(pathPrefix = ''): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'local',
          server: `http://127.0.0.1:${this.port}${pathPrefix}`,
          skipTLSVerify: true,
        },
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
