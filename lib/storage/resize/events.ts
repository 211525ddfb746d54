/**
 * Progress of a resize as events, for a charm's status line and a command-line progress bar.
 *
 * A resize can take hours (a copy of a large volume) and spends most of them waiting: on a
 * driver, a Job, pods. Events say which step runs, on which claim, how far the whole plan is
 * (steps done of steps planned) and, where a Job reported it, how many bytes moved. The caller
 * passes its own emitter, so a CLI can attach a progress bar and a charm can map events to
 * `maintenance` statuses without the helper knowing about either.
 */
import { EventEmitter } from 'eventemitter3';
import type { ResizePlan } from './plan.js';

/** A step of the plan starting, finishing or being skipped (already done by an earlier run). */
export interface ResizeStepEvent {
  /** Stable step id, e.g. `copy:data-web-0`. */
  readonly id: string;
  /** The step's kind, e.g. `copy`. */
  readonly kind: string;
  /** The claim it acts on, if any. */
  readonly claim?: string;
  readonly state: 'started' | 'done' | 'skipped';
  /** 1-based position of the step in the plan, and the number of steps. */
  readonly index: number;
  readonly total: number;
  /** One line for a person: what this step does. */
  readonly message: string;
}

/** How far the plan is, and bytes where a copy reported them. */
export interface ResizeProgressEvent {
  readonly id: string;
  readonly claim?: string;
  /** Steps done / steps planned, 0–100. */
  readonly percent: number;
  /** Bytes copied so far by this run's copy Jobs (reported when a copy finishes). */
  readonly bytesCopied: number;
  readonly message: string;
}

/** The helper is waiting on something outside it (a driver, a Job, pods). */
export interface ResizeWaitEvent {
  readonly id: string;
  readonly claim?: string;
  /** What it waits for, e.g. `copy Job rsz-copy-data-web-0-1a2b3c4d to finish`. */
  readonly what: string;
  readonly elapsedMs: number;
}

/** Everything a resize reports while it runs. */
export interface ResizeEvents {
  /** The plan, once detection and preflight are done (also for a dry run). */
  plan: (plan: ResizePlan) => void;
  step: (event: ResizeStepEvent) => void;
  progress: (event: ResizeProgressEvent) => void;
  wait: (event: ResizeWaitEvent) => void;
  /** Something the user should know that does not stop the resize. */
  warning: (message: string) => void;
}

/** The emitter a caller passes to follow a resize. */
export type ResizeEmitter = EventEmitter<ResizeEvents>;

/** A fresh emitter (for callers that do not bring their own). */
export function resizeEmitter(): ResizeEmitter {
  return new EventEmitter<ResizeEvents>();
}
