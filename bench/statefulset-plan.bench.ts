/**
 * What does deciding a reconcile cost? Every reconcile builds a `StatefulSetPlan` from the
 * StatefulSet it just read and computes it; when nothing has to change (the common case: every
 * hook re-runs the reconcile) that computation is the whole of the work, so it should stay within
 * a small factor of the cheapest possible "is it already like this?" test: `JSON.stringify` of
 * the observed template against the desired one.
 *
 * That baseline is a floor, not an alternative: it needs the full desired template up front and
 * reports a difference for every field the server defaulted, which is exactly why the plan
 * compares per fragment. The benchmark checks that both agree on the two StatefulSets measured
 * (satisfied: no patch; needing a change: one patch that FakeCluster turns into the predicted
 * template) before timing anything.
 */
import { describe, expect, it } from '@jest/globals';
import { StatefulSetPlan, type PlanResult } from '../lib/workload/plan/index.js';
import type { PodTemplateSpec, StatefulSet } from '../lib/kube/types.js';
import { FakeCluster } from '../lib/testing/fake-cluster.js';
import { charmStatefulSet } from './fixtures.js';
import { comparisonRows, gcExposed, lastResult, measure, table } from './harness.js';

/** The fragments of a controller that mounts shared storage and routes through a VPN gateway. */
function storageAndVpn(observed: StatefulSet): StatefulSetPlan {
  return StatefulSetPlan.for(observed)
    .ensureVolume('storage:media', {
      name: 'charmkit-storage-media',
      persistentVolumeClaim: { claimName: 'media-pvc' },
    })
    .ensureVolumeMount('storage:media', 'radarr', {
      name: 'charmkit-storage-media',
      mountPath: '/data',
    })
    .ensurePodSecurityContext('storage:media', { fsGroup: 1000 })
    .ensureInitContainer(
      'vpn',
      {
        name: 'gateway-init',
        image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
        command: ['/bin/gateway_init.sh'],
        env: [{ name: 'gateway', value: 'vpn-gateway.vpn.svc.cluster.local' }],
        securityContext: { privileged: true },
      },
      { position: 'first' },
    )
    .ensureContainer('vpn', {
      name: 'gateway-sidecar',
      image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
      command: ['/bin/client_sidecar.sh'],
      env: [{ name: 'gateway', value: 'vpn-gateway.vpn.svc.cluster.local' }],
      securityContext: { capabilities: { add: ['NET_ADMIN'] } },
    })
    .ensureEnv('vpn', 'radarr', { name: 'NO_PROXY', value: '.svc,.cluster.local' })
    .ensureAnnotation('vpn', 'charmkit.io/vpn-gateway', 'vpn-gateway.vpn');
}

const compute = (plan: StatefulSetPlan): PlanResult => plan.compute({ optimisticLock: true });

/** The StatefulSet as the (fake) API server stores it after the plan's one patch. */
async function afterPlan(observed: StatefulSet, result: PlanResult): Promise<StatefulSet> {
  const cluster = new FakeCluster({ objects: [observed] });
  if (!result.patch) throw new Error('the plan for the fresh StatefulSet must produce a patch');
  return cluster.patch<StatefulSet>(result.target, result.patch);
}

/** The naive test: are the two templates byte-for-byte the same JSON? */
function sameTemplate(observed: StatefulSet, desired: PodTemplateSpec): boolean {
  return JSON.stringify(observed.spec.template) === JSON.stringify(desired);
}

describe('StatefulSetPlan vs JSON.stringify equality', () => {
  it('computes the plan for a satisfied and a changed StatefulSet; prints ratios', async () => {
    const fresh = charmStatefulSet();
    const first = compute(storageAndVpn(fresh));
    expect(first.upToDate).toBe(false);
    expect(new Set(first.changes.map((c) => c.owner))).toEqual(new Set(['storage:media', 'vpn']));
    const satisfied = await afterPlan(fresh, first);
    // The plan's prediction is what the server stores...
    expect(satisfied.spec.template).toStrictEqual(first.predicted);
    // ...but not necessarily in the same key order, which JSON.stringify would call a difference.
    // The baseline gets the desired template in the stored order: the best case for it.
    const desired = structuredClone(satisfied.spec.template);

    const scenarios = [
      { name: 'satisfied (no-op reconcile)', observed: satisfied, upToDate: true },
      { name: 'needs change (one patch)', observed: fresh, upToDate: false },
    ];
    const rows: string[][] = [];
    for (const s of scenarios) {
      const reused = storageAndVpn(s.observed);
      const result = compute(reused);
      expect(result.upToDate).toBe(s.upToDate);
      expect(result.patch === undefined).toBe(s.upToDate);
      expect(sameTemplate(s.observed, desired)).toBe(s.upToDate);
      // compute() is pure: a reused plan answers the same as a fresh one.
      expect(compute(reused)).toStrictEqual(compute(storageAndVpn(s.observed)));

      const full = await measure('for + fragments + compute', () =>
        compute(storageAndVpn(s.observed)),
      );
      expect((lastResult() as PlanResult).upToDate).toBe(s.upToDate);
      const only = await measure('compute() on a built plan', () => compute(reused));
      expect(lastResult()).toStrictEqual(result);
      const baseline = await measure('JSON.stringify equal (base)', () =>
        sameTemplate(s.observed, desired),
      );
      rows.push(...comparisonRows(s.name, [full, only, baseline], baseline));
    }

    console.log(
      table(
        `StatefulSetPlan (storage + VPN, ${first.changes.length} changes) vs JSON.stringify ` +
          `equality (ratios: x the baseline; gc ${gcExposed() ? 'on' : 'off'})`,
        ['StatefulSet', 'contender', 'ops/s', 'time vs base', 'heap/op', 'heap vs base'],
        rows,
      ),
    );
  });
});
