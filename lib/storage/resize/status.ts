/**
 * What a charm shows while and after it resizes: one status per ending.
 *
 * - finished, or nothing to do → active (with what changed);
 * - interrupted and resumable → maintenance; a run that stopped with the StatefulSet at 0 replicas
 *   is never shown as calm: the message says WORKLOAD DOWN until it resumed and finished;
 * - refused, failed (rolled back), needs a human → blocked with the reason (a human's recovery
 *   commands are in the error, for the log);
 * - locked by another run → waiting;
 * - anything else → the one failure-to-status mapping every capability uses.
 */
import type { Status } from '../../relations/status.js';
import { active, blocked, maintenance, waiting } from '../../relations/status.js';
import { statusForFailure } from '../../workload/failure-status.js';
import {
  ResizeFailedError,
  ResizeInterruptedError,
  ResizeLockedError,
  ResizeNeedsHumanError,
  ResizeRefusedError,
} from './errors.js';
import type { ResizeStepEvent } from './events.js';
import type { ResizeResult } from './resize.js';

/** The status for a resize's result, or for what it threw. */
export function resizeStatus(outcome: ResizeResult | unknown): Status {
  if (isResult(outcome)) {
    switch (outcome.outcome) {
      case 'unchanged':
        return active('');
      case 'planned':
        return outcome.plan.blockers.length > 0
          ? blocked(`volume resize cannot start: ${outcome.plan.blockers[0] ?? ''}`)
          : active(`volume resize planned: ${outcome.plan.claims.length} claim(s)`);
      case 'resized':
        return active(
          `volumes resized: ${outcome.claims.map((c) => `${c.claim} → ${c.target}`).join(', ')}`,
        );
    }
  }
  if (outcome instanceof ResizeNeedsHumanError) {
    return blocked(
      `volume resize stopped at ${outcome.step} and needs a human: ${outcome.reason}; ` +
        `recovery commands are in the log`,
    );
  }
  if (outcome instanceof ResizeFailedError) {
    return blocked(
      `volume resize failed (${outcome.reason}); the workload runs on its original volumes`,
    );
  }
  if (outcome instanceof ResizeRefusedError) {
    return blocked(`volume resize refused: ${outcome.reasons[0] ?? ''}`);
  }
  if (outcome instanceof ResizeLockedError) {
    return waiting(`another volume resize run (${outcome.holder}) is in progress`);
  }
  if (outcome instanceof ResizeInterruptedError) {
    const down = outcome.atZeroReplicas ? 'WORKLOAD DOWN (0 replicas) until it resumes; ' : '';
    const message = `volume resize interrupted at ${outcome.step}: ${down}${outcome.reason}`;
    return outcome.remedy === 'fix' ? blocked(message) : maintenance(message);
  }
  return statusForFailure(outcome, { label: 'volume resize' });
}

/** A maintenance status for a step in progress (for a charm following the events). */
export function resizeStepStatus(event: ResizeStepEvent): Status {
  return maintenance(`resizing volumes (${event.index}/${event.total}): ${event.message}`);
}

function isResult(value: unknown): value is ResizeResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'outcome' in value &&
    'plan' in value &&
    !(value instanceof Error)
  );
}
