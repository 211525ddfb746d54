/**
 * Counting what a controller sent to a real API server, the same way tests count it on the fake.
 */
import { writes, type RequestRecord } from './port.js';

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
  /** The writes among the requests (a no-op reconcile makes none). */
  writes(): RequestRecord[] {
    return writes(this.requests);
  }
  /** Forgets what was logged, e.g. between the setup and the step under test. */
  clear(): void {
    this.requests.length = 0;
  }
}
