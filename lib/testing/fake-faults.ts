/**
 * Fault injection for `FakeCluster`: fail chosen requests with a Status, or slow them down.
 *
 * A controller's error paths (a 409 on the second patch, a 403 on one list, a 500 during a
 * rollout) are where the bugs are, and a real cluster will not produce them on demand. The API is
 * deliberately tiny — one matcher shape for both faults and latency — in the spirit of
 * controller-runtime's interceptors.
 */
import { STATUS_REASONS } from '../kube/errors.js';
import type { RequestRecord } from '../kube/port.js';
import type { KubeStatus } from '../kube/types.js';

/** Which requests a fault or a latency applies to; every given field must match. */
export interface RequestMatcher {
  /** One verb or several. */
  verb?: RequestRecord['verb'] | readonly RequestRecord['verb'][];
  kind?: string;
  name?: string;
  namespace?: string;
  subresource?: string;
  /** For patches: the patch strategy. */
  patchType?: RequestRecord['patchType'];
}

/** The Status a failed request answers with: `code` is required, the rest defaults by code. */
export interface InjectedStatus {
  code: number;
  reason?: string;
  message?: string;
  details?: KubeStatus['details'];
}

/** `failNext` arguments: which call to fail, how many times, and with what. */
export interface FaultSpec extends RequestMatcher {
  /** Fail the nth matching call from now on (1 = the next one). Default 1. */
  nth?: number;
  /** How many consecutive matching calls fail, starting at the nth. Default 1. */
  times?: number;
  status: InjectedStatus;
}

/** A registered fault; lets a test check it fired, or withdraw it. */
export interface FaultHandle {
  /** How many calls this fault has failed so far. */
  readonly fired: number;
  /** Whether every planned failure has happened. */
  readonly exhausted: boolean;
  /** Withdraws the fault; later calls are not failed by it. */
  cancel(): void;
}

/** Whether `record` matches every field `matcher` sets. */
export function matchesRequest(matcher: RequestMatcher, record: RequestRecord): boolean {
  if (matcher.verb !== undefined) {
    const verbs: readonly string[] =
      typeof matcher.verb === 'string' ? [matcher.verb] : matcher.verb;
    if (!verbs.includes(record.verb)) return false;
  }
  if (matcher.kind !== undefined && matcher.kind !== record.kind) return false;
  if (matcher.name !== undefined && matcher.name !== record.name) return false;
  if (matcher.namespace !== undefined && matcher.namespace !== record.namespace) return false;
  if (matcher.subresource !== undefined && matcher.subresource !== record.subresource) return false;
  if (matcher.patchType !== undefined && matcher.patchType !== record.patchType) return false;
  return true;
}

class Fault implements FaultHandle {
  fired = 0;
  private seen = 0;
  cancelled = false;
  private readonly first: number;
  private readonly times: number;

  constructor(readonly spec: FaultSpec) {
    this.first = Math.max(1, spec.nth ?? 1);
    this.times = Math.max(1, spec.times ?? 1);
  }

  get exhausted(): boolean {
    return this.fired >= this.times;
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Counts a matching call and says whether this one fails. */
  take(record: RequestRecord): boolean {
    if (this.cancelled || this.exhausted || !matchesRequest(this.spec, record)) return false;
    this.seen++;
    if (this.seen < this.first) return false;
    this.fired++;
    return true;
  }

  status(): KubeStatus {
    const { code, reason, message, details } = this.spec.status;
    const status: KubeStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      message: message ?? `injected failure (HTTP ${code})`,
    };
    const effectiveReason = reason ?? STATUS_REASONS[code];
    if (effectiveReason) status.reason = effectiveReason;
    if (details) status.details = details;
    return status;
  }
}

/** The faults and latencies registered on one `FakeCluster`. */
export class FaultInjector {
  private faults: Fault[] = [];
  private latencies: { ms: number; matcher: RequestMatcher }[] = [];

  /** Registers a fault (see `FaultSpec`). */
  failNext(spec: FaultSpec): FaultHandle {
    const fault = new Fault(spec);
    this.faults.push(fault);
    return fault;
  }

  /** Adds `ms` of delay to every request `matcher` matches (all requests without one). */
  latency(ms: number, matcher: RequestMatcher = {}): void {
    this.latencies.push({ ms: Math.max(0, ms), matcher });
  }

  /** The Status `record` must fail with, if a fault claims it. Every fault sees every call. */
  failureFor(record: RequestRecord): KubeStatus | undefined {
    let status: KubeStatus | undefined;
    for (const fault of this.faults) {
      if (fault.take(record) && status === undefined) status = fault.status();
    }
    this.faults = this.faults.filter((f) => !f.cancelled && !f.exhausted);
    return status;
  }

  /** Total delay for `record` (latencies add up). */
  delayFor(record: RequestRecord): number {
    return this.latencies
      .filter(({ matcher }) => matchesRequest(matcher, record))
      .reduce((sum, { ms }) => sum + ms, 0);
  }

  /** Forgets every fault and latency. */
  clear(): void {
    for (const fault of this.faults) fault.cancel();
    this.faults = [];
    this.latencies = [];
  }
}
