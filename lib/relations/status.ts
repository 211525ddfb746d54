/**
 * Workload status, as Juju shows it in `juju status`.
 *
 * A controller usually has several components (storage, VPN, its own workload) that each know a
 * piece of the truth; `combineStatuses` shows the user the one that needs them most.
 */
export type StatusName = 'active' | 'blocked' | 'maintenance' | 'waiting' | 'error';

/** A status and the message that tells the user what is happening or what to do. */
export interface Status {
  readonly name: StatusName;
  readonly message: string;
}

/** Everything is working; the message may still say something useful. */
export const active = (message = ''): Status => ({ name: 'active', message });
/** Needs a human: a missing relation, invalid relation data, missing permission. */
export const blocked = (message: string): Status => ({ name: 'blocked', message });
/** charmkit is changing something (patching, rolling out) and will settle by itself. */
export const maintenance = (message: string): Status => ({ name: 'maintenance', message });
/** Waiting on another party (the remote app, the scheduler, a provisioner). */
export const waiting = (message: string): Status => ({ name: 'waiting', message });
/**
 * Something failed that retrying may fix. Juju only lets the agent set error itself, so the Juju
 * backend reports it as blocked with an "error:" prefix; see `JujuBackend.setStatus`. Named
 * `errorStatus`, not `error`, so it never shadows the `error` a `catch` clause or a logger names.
 */
export const errorStatus = (message: string): Status => ({ name: 'error', message });

/** Most severe first: what a user must act on outranks what will settle by itself. */
const SEVERITY: Readonly<Record<StatusName, number>> = {
  error: 4,
  blocked: 3,
  maintenance: 2,
  waiting: 1,
  active: 0,
};

/**
 * The status to show when several components report at once: the most severe one, the earliest
 * among equals (so callers can order components by importance). Active messages are kept only
 * when every component is active.
 */
export function combineStatuses(statuses: readonly Status[]): Status {
  let worst: Status = active();
  for (const status of statuses) {
    if (SEVERITY[status.name] > SEVERITY[worst.name]) worst = status;
  }
  if (worst.name === 'active') {
    const messages = statuses.map((s) => s.message).filter((m) => m.length > 0);
    return active(messages.join('; '));
  }
  return worst;
}
