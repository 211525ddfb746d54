/**
 * One open watch: the API server's newline-delimited JSON stream, split into events.
 */
import type * as http from 'node:http';
import type { WatchEvent, WatchHandle } from './port.js';
import type { KubeObject } from './types.js';

/**
 * Delivers each complete line of the stream as one event, in order. An exception thrown by
 * `onEvent`, or a line that is not JSON, ends the watch (and is kept in `error`) rather than
 * being delivered out of order or crashing the process.
 */
export class WatchStream<T extends KubeObject> implements WatchHandle {
  readonly done: Promise<void>;
  /** Why the watch ended, when it ended because of a failure; undefined otherwise. */
  error: unknown;
  private buffer = '';
  private stopped = false;

  constructor(
    private readonly request: http.ClientRequest,
    response: http.IncomingMessage,
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
      this.onEvent(JSON.parse(line) as WatchEvent<T>);
    } catch (error) {
      this.error ??= error;
      this.request.destroy();
    }
  }
}
