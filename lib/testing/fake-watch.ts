/**
 * Watches for `FakeCluster`: the fan-out of store changes to open watches, each filtered by its
 * selectors, starting from now, from the current state, or from a resourceVersion.
 *
 * As on the server: a watch without `resourceVersion` (or with `'0'`) first reports an ADDED
 * event per existing object; with one, it replays every change after it. An object that starts or
 * stops matching a watch's selectors is ADDED or DELETED for that watch, not MODIFIED. Events are
 * delivered asynchronously (in microtasks), in order, never inside the write that caused them.
 *
 * The fake keeps its whole history, so a watch never ends with `410 Gone` for a compacted
 * resourceVersion; see docs/testing.md for that and the other gaps.
 */
import type { TypeRef, WatchEvent, WatchHandle, WatchOptions } from '../kube/port.js';
import type { KubeObject } from '../kube/types.js';
import { badRequestStatus, StatusFailure } from './fake-errors.js';
import { matchesFilter, type ObjectFilter } from './fake-selectors.js';
import type { ObjectStore, StoreChange } from './fake-store.js';

/** One open watch: a queue drained in microtasks so events arrive asynchronously and in order. */
class FakeWatch implements WatchHandle {
  readonly done: Promise<void>;
  /** The error a handler threw, which ended the watch. */
  error: unknown;
  unsubscribe: () => void = () => undefined;
  private queue: WatchEvent[] = [];
  private scheduled = false;
  private stopped = false;
  private resolveDone: () => void = () => undefined;

  constructor(
    private readonly onEvent: (event: WatchEvent) => void,
    private readonly onStop: (watch: FakeWatch) => void,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** No events waiting. */
  get idle(): boolean {
    return this.stopped || (this.queue.length === 0 && !this.scheduled);
  }

  push(event: WatchEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.queue = [];
      this.unsubscribe();
      this.onStop(this);
      this.resolveDone();
    }
    await this.done;
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.stopped) {
      const event = this.queue.shift() as WatchEvent;
      try {
        this.onEvent(event);
      } catch (error) {
        this.error = error;
        void this.stop();
      }
    }
  }
}

/** The open watches of one store. */
export class WatchHub {
  private readonly watches = new Set<FakeWatch>();

  constructor(private readonly store: ObjectStore) {}

  /** Whether every event produced so far has been delivered. */
  get idle(): boolean {
    return [...this.watches].every((w) => w.idle);
  }

  /**
   * Opens a watch of `type` (see the module comment); a resourceVersion that is not a number is a
   * 400, as on the server.
   */
  open(
    type: TypeRef,
    options: WatchOptions,
    filter: ObjectFilter,
    onEvent: (event: WatchEvent) => void,
  ): WatchHandle {
    const watch = new FakeWatch(onEvent, (w) => this.watches.delete(w));
    const typeKey = `${type.apiVersion}/${type.kind}`;
    const relevant = (change: StoreChange): boolean =>
      `${change.object.apiVersion}/${change.object.kind}` === typeKey;
    const rv = options.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const object of this.store.list(type, options.namespace)) {
        if (matchesFilter(filter, object)) watch.push({ type: 'ADDED', object });
      }
    } else {
      const since = Number(rv);
      if (!Number.isInteger(since) || since < 0) {
        throw new StatusFailure(badRequestStatus(`invalid resource version: ${rv}`));
      }
      for (const change of this.store.changesSince(since)) {
        if (relevant(change)) deliver(watch, filter, change);
      }
    }
    watch.unsubscribe = this.store.subscribe((change) => {
      if (relevant(change)) deliver(watch, filter, change);
    });
    this.watches.add(watch);
    return watch;
  }

  /** Ends every open watch. */
  closeAll(): void {
    for (const watch of [...this.watches]) void watch.stop();
  }
}

/** Turns a store change into what a selector-filtered watch sees. */
function deliver(watch: FakeWatch, filter: ObjectFilter, change: StoreChange): void {
  const now = matchesFilter(filter, change.object);
  const before = change.previous !== undefined && matchesFilter(filter, change.previous);
  const event = (type: WatchEvent['type'], object: KubeObject): void =>
    watch.push({ type, object });
  if (change.type === 'ADDED') {
    if (now) event('ADDED', change.object);
  } else if (change.type === 'DELETED') {
    if (before) event('DELETED', change.object);
  } else if (now && before) {
    event('MODIFIED', change.object);
  } else if (now) {
    event('ADDED', change.object);
  } else if (before) {
    event('DELETED', change.object);
  }
}
