/**
 * Kubernetes Events about one object, newest first: the one place that decides which events are
 * about an object and how old an event is, for every diagnosis that quotes the cluster.
 *
 * An event's time is the last time it was observed: a repeated event is folded into one object
 * whose `series.lastObservedTime` moves on while `lastTimestamp` may stay empty (events.k8s.io
 * style) — reading only `lastTimestamp` would rank a warning that is still firing as stale.
 */
import type { KubeEvent } from './types.js';

/**
 * The events whose `involvedObject` is `object` of `kind`. Events naming another UID describe an
 * earlier object of the same name (a pod recreated by its StatefulSet) and are left out.
 */
export function eventsAbout(
  events: readonly KubeEvent[],
  kind: string,
  object: { readonly metadata: { readonly name?: string; readonly uid?: string } },
): KubeEvent[] {
  return events.filter((event) => {
    const about = event.involvedObject;
    if (about.kind !== undefined && about.kind !== kind) return false;
    if (about.name !== object.metadata.name) return false;
    return !(about.uid && object.metadata.uid && about.uid !== object.metadata.uid);
  });
}

/** When the event was last observed, in ms since the epoch (0 when it carries no time). */
export function eventTime(event: KubeEvent): number {
  const series = (event.series as { lastObservedTime?: string } | undefined)?.lastObservedTime;
  const text =
    series ??
    event.lastTimestamp ??
    event.eventTime ??
    (event.metadata.creationTimestamp as string | undefined) ??
    '';
  const time = Date.parse(text);
  return Number.isNaN(time) ? 0 : time;
}

/** A copy of `events`, the most recently observed first. */
export function newestFirst(events: readonly KubeEvent[]): KubeEvent[] {
  return [...events].sort((a, b) => eventTime(b) - eventTime(a));
}
