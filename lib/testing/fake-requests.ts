/**
 * The request plumbing of `FakeCluster`: every call goes through `serve`, which applies injected
 * latency and faults, then authorization, runs the verb, records the request in the adapter's own
 * `RequestRecord` shape with the status it got, and turns failures into the same
 * `KubernetesError` the real adapter throws.
 */
import { rbacVerb, type KubeRequestInfo } from '../kube/errors.js';
import type { RequestRecord, TypeRef } from '../kube/port.js';
import type { HttpRequestSpec } from '../kube/request.js';
import {
  badRequestStatus,
  forbiddenStatus,
  kubeError,
  StatusFailure,
  type StatusSubject,
} from './fake-errors.js';
import { FaultInjector } from './fake-faults.js';
import { SelectorError } from './fake-selectors.js';

/** Who may do what, and how denials name the user. */
export interface AccessOptions {
  /** Decides whether a request is allowed; `false` is a 403 worded like the RBAC authorizer's. */
  authorize?: (request: RequestRecord) => boolean;
  /** The user named in 403 messages. */
  user?: string;
}

/** Serves requests for the fake and keeps their log and faults. */
export class RequestDesk {
  /** Every request served, in order. */
  readonly requests: RequestRecord[] = [];
  readonly faults = new FaultInjector();

  constructor(
    private readonly access: AccessOptions,
    private readonly subject: (ref: TypeRef & { name?: string }) => StatusSubject,
    /** Runs after every successful write (the immediate-mode simulation). */
    private readonly afterWrite: () => void,
  ) {}

  /**
   * Serves one request: latency, injected faults and authorization first, then `run`; records it
   * with its status either way, and converts failures to `KubernetesError`.
   */
  async serve<R>(
    spec: HttpRequestSpec,
    run: () => { value: R; code: number },
    isWrite = false,
  ): Promise<R> {
    const record: RequestRecord = { ...spec.record };
    const delay = this.faults.delayFor(record);
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay));
    try {
      const injected = this.faults.failureFor(record);
      if (injected) throw new StatusFailure(injected);
      this.authorizeRequest(record, spec.info);
      const { value, code } = run();
      record.status = code;
      this.requests.push(record);
      if (isWrite) this.afterWrite();
      return value;
    } catch (error) {
      const status =
        error instanceof StatusFailure
          ? error.status
          : error instanceof SelectorError
            ? badRequestStatus(error.message)
            : undefined;
      if (!status) throw error;
      record.status = status.code;
      this.requests.push(record);
      throw kubeError(status, spec.info);
    }
  }

  private authorizeRequest(record: RequestRecord, info: KubeRequestInfo): void {
    if (!this.access.authorize || this.access.authorize(record)) return;
    const subject = this.subject({ ...record, name: record.name ?? '' });
    subject.name = record.name;
    throw new StatusFailure(
      forbiddenStatus(
        subject,
        this.access.user ?? 'system:serviceaccount:default:charm',
        rbacVerb(record.verb),
        info.namespace,
        record.subresource,
      ),
    );
  }
}
