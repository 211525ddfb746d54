import { describe, expect, it } from '@jest/globals';
import type { StatefulSet } from '../../lib/kube/types.js';
import { active, blocked, type Status } from '../../lib/relations/status.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import type { Capability, CapabilityResult, Participation } from '../../lib/workload/capability.js';
import { statusForFailure } from '../../lib/workload/failure-status.js';
import type { StatefulSetPlan } from '../../lib/workload/plan/index.js';
import { reconcileCapabilities } from '../../lib/workload/reconcile.js';

const NS = 'media';
const self = (kube: FakeCluster) => ({
  kube,
  statefulSet: { name: 'app', namespace: NS },
});

function statefulSet(): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'app', namespace: NS },
    spec: {
      replicas: 1,
      serviceName: 'app',
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: { containers: [{ name: 'workload', image: 'busybox:1' }] },
      },
    },
  };
}

interface Log {
  readonly steps: string[];
}

interface TestResult extends CapabilityResult {
  readonly verified: boolean;
}

/** A capability that records every stage it goes through in `log`. */
function recording(
  owner: string,
  log: Log,
  options: {
    done?: Status;
    contribute?: (plan: StatefulSetPlan) => void;
    beforePatch?: () => Promise<void>;
    afterPatch?: () => Promise<void>;
  } = {},
): Capability<TestResult> {
  return {
    owner,
    prepare: () => {
      log.steps.push(`${owner}:prepare`);
      if (options.done) {
        return Promise.resolve({
          done: { status: options.done, changes: [], verified: false },
        });
      }
      const participation: Participation<TestResult> = {
        contribute: (plan) => {
          log.steps.push(`${owner}:contribute`);
          options.contribute?.(plan);
        },
        beforePatch: async () => {
          log.steps.push(`${owner}:beforePatch`);
          await options.beforePatch?.();
        },
        afterPatch: async () => {
          log.steps.push(`${owner}:afterPatch`);
          await options.afterPatch?.();
        },
        verify: (outcome) => {
          log.steps.push(`${owner}:verify`);
          return Promise.resolve({ status: active(), changes: outcome.changes, verified: true });
        },
      };
      return Promise.resolve(participation);
    },
    failed: (failure) => ({
      status: statusForFailure(failure, { label: owner }),
      changes: [],
      verified: false,
      error: failure instanceof Error ? failure : undefined,
    }),
  };
}

const sidecar =
  (name: string, image = 'busybox:1') =>
  (plan: StatefulSetPlan) => {
    plan.ensureContainer(name, { name, image });
  };

describe('reconcileCapabilities', () => {
  it('runs the stages in the contract order, reading the StatefulSet once and patching once', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('a') }),
      recording('b', log, { contribute: sidecar('b') }),
    ] as const);
    expect(log.steps).toEqual([
      'a:prepare',
      'b:prepare',
      'a:contribute',
      'b:contribute',
      'a:beforePatch',
      'b:beforePatch',
      'a:afterPatch',
      'a:verify',
      'b:afterPatch',
      'b:verify',
    ]);
    expect(kube.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'get StatefulSet',
      'patch StatefulSet',
    ]);
    expect(result.patched).toBe(true);
    expect(result.results.map((r) => r.changes.map((c) => c.owner))).toEqual([['a'], ['b']]);
    expect(result.results.every((r) => r.verified)).toBe(true);
  });

  it('reads nothing when every capability stops in prepare', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { done: blocked('no relation') }),
    ] as const);
    expect(kube.requests).toEqual([]);
    expect(result.patched).toBe(false);
    expect(result.statefulSet).toBeUndefined();
    expect(result.results[0].status).toEqual(blocked('no relation'));
  });

  it('a missing own StatefulSet fails the participants (saying where its name came from), not the ones that stopped early', async () => {
    const kube = new FakeCluster({ objects: [] });
    const log: Log = { steps: [] };
    const context = {
      kube,
      statefulSet: {
        name: 'app',
        namespace: NS,
        nameSource: 'HOSTNAME',
        namespaceSource: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
      },
    };
    const result = await reconcileCapabilities(context, [
      recording('a', log, { contribute: sidecar('a') }),
      recording('b', log, { done: blocked('no relation') }),
    ] as const);
    const [a, b] = result.results;
    expect(a.error?.name).toBe('OwnStatefulSetNotFoundError');
    expect(a.status).toEqual(
      blocked(
        'a: this controller\'s own StatefulSet "app" does not exist in namespace "media" (name from ' +
          'HOSTNAME, namespace from /var/run/secrets/kubernetes.io/serviceaccount/namespace); ' +
          'pass `statefulSet: { name, namespace }` to name it explicitly',
      ),
    );
    expect(b.status).toEqual(blocked('no relation'));
    expect(kube.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'get StatefulSet 404',
    ]);
    // Given without sources, the message says so rather than guessing.
    const bare = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('a') }),
    ] as const);
    expect(bare.results[0].status.message).toContain('(both as given in `statefulSet`)');
  });

  it('sends nothing when every fragment is in place, and still verifies', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('workload') }),
    ] as const);
    expect(result.patched).toBe(false);
    expect(kube.writes()).toEqual([]);
    expect(result.results[0].verified).toBe(true);
  });

  it('withdraws a later capability whose fragments conflict; the earlier one wins', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('proxy', 'proxy:1') }),
      recording('b', log, { contribute: sidecar('proxy', 'proxy:2') }),
    ] as const);
    const [a, b] = result.results;
    expect(a.verified).toBe(true);
    expect(b.status.name).toBe('blocked');
    expect(b.error?.name).toBe('PlanConflictError');
    expect(log.steps).not.toContain('b:beforePatch');
    const stored = kube.peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: NS,
      name: 'app',
    });
    expect(stored?.spec.template.spec.containers.map((c) => c.image)).toEqual([
      'busybox:1',
      'proxy:1',
    ]);
  });

  it('withdraws a capability whose side objects fail, before the patch; the others still go', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('routing', log, {
        contribute: sidecar('gateway'),
        beforePatch: () => Promise.reject(new Error('kill switch refused')),
      }),
      recording('other', log, { contribute: sidecar('other') }),
    ] as const);
    expect(result.results[0].status.name).toBe('error');
    expect(result.results[0].status.message).toContain('kill switch refused');
    expect(log.steps).not.toContain('routing:afterPatch');
    expect(result.changes.map((c) => c.owner)).toEqual(['other']);
    expect(kube.writes()).toHaveLength(1);
  });

  it('a 409 re-reads and recomputes; side objects are not prepared twice', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    kube.failNext({
      verb: 'patch',
      kind: 'StatefulSet',
      status: { code: 409, reason: 'Conflict', message: 'the object has been modified' },
    });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('a') }),
    ] as const);
    expect(result.patched).toBe(true);
    expect(log.steps.filter((s) => s === 'a:beforePatch')).toHaveLength(1);
    expect(kube.requests.map((r) => `${r.verb} ${r.status}`)).toEqual([
      'get 200',
      'patch 409',
      'get 200',
      'patch 200',
    ]);
  });

  it('a failed patch fails every capability that took part, with the cause', async () => {
    const kube = new FakeCluster({ objects: [statefulSet()] });
    kube.failNext({ verb: 'patch', kind: 'StatefulSet', status: { code: 500, message: 'etcd' } });
    const log: Log = { steps: [] };
    const result = await reconcileCapabilities(self(kube), [
      recording('a', log, { contribute: sidecar('a') }),
      recording('b', log, { done: active('idle') }),
    ] as const);
    expect(result.patched).toBe(false);
    expect(result.results[0].status.name).toBe('error');
    expect(result.results[1].status).toEqual(active('idle'));
    expect(log.steps).not.toContain('a:afterPatch');
  });
});
