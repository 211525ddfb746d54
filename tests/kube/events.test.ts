import { describe, expect, it } from '@jest/globals';
import { eventsAbout, eventTime, newestFirst } from '../../lib/kube/events.js';
import type { KubeEvent } from '../../lib/kube/types.js';

function event(name: string, fields: Partial<KubeEvent>, uid?: string): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.1` },
    involvedObject: { kind: 'Pod', name, ...(uid ? { uid } : {}) },
    ...fields,
  } as KubeEvent;
}

describe('Kubernetes events', () => {
  it('a repeated event counts from its last observation (series.lastObservedTime)', () => {
    const repeating = event('web-0', {
      lastTimestamp: '2026-01-01T00:00:00Z',
      series: { count: 40, lastObservedTime: '2026-01-01T01:00:00Z' },
    });
    const once = event('web-0', { lastTimestamp: '2026-01-01T00:30:00Z' });
    expect(eventTime(repeating)).toBe(Date.parse('2026-01-01T01:00:00Z'));
    expect(newestFirst([once, repeating])).toEqual([repeating, once]);
  });

  it('falls back to eventTime, then creation time, then 0', () => {
    expect(eventTime(event('a', { eventTime: '2026-01-02T00:00:00Z' }))).toBe(
      Date.parse('2026-01-02T00:00:00Z'),
    );
    const created = event('a', {});
    created.metadata.creationTimestamp = '2026-01-03T00:00:00Z';
    expect(eventTime(created)).toBe(Date.parse('2026-01-03T00:00:00Z'));
    expect(eventTime(event('a', {}))).toBe(0);
  });

  it('events about an object: same kind and name, never an earlier object of that name', () => {
    const pod = { metadata: { name: 'web-0', uid: 'new' } };
    const current = event('web-0', {}, 'new');
    const earlier = event('web-0', {}, 'old');
    const other = event('web-1', {}, 'new');
    const claim = {
      ...event('web-0', {}),
      involvedObject: { kind: 'PersistentVolumeClaim', name: 'web-0' },
    };
    expect(eventsAbout([current, earlier, other, claim], 'Pod', pod)).toEqual([current]);
  });
});
