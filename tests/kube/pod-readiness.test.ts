import { describe, expect, it } from '@jest/globals';
import { isPodReady, isPodRunningAndReady } from '../../lib/kube/pod-readiness.js';
import type { Pod } from '../../lib/kube/types.js';

function pod(phase: string | undefined, ready: string | undefined): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: {
      ...(phase ? { phase } : {}),
      ...(ready ? { conditions: [{ type: 'Ready', status: ready }] } : {}),
    },
  };
}

describe('pod readiness', () => {
  it('ready means the Ready condition is True, whatever the phase', () => {
    expect(isPodReady(pod('Running', 'True'))).toBe(true);
    expect(isPodReady(pod('Succeeded', 'True'))).toBe(true);
    expect(isPodReady(pod('Running', 'False'))).toBe(false);
    expect(isPodReady(pod('Running', undefined))).toBe(false);
  });

  it("the StatefulSet controller's test also needs phase Running", () => {
    expect(isPodRunningAndReady(pod('Running', 'True'))).toBe(true);
    expect(isPodRunningAndReady(pod('Succeeded', 'True'))).toBe(false);
    expect(isPodRunningAndReady(pod('Pending', 'True'))).toBe(false);
    expect(isPodRunningAndReady(pod('Running', 'False'))).toBe(false);
  });
});
