/**
 * StatefulSetPlan against the real API server: the patch it computes must produce exactly the
 * template it predicts (so a second reconcile is a no-op), and the resourceVersion it carries must
 * turn a concurrent write into a 409 that reconcileStatefulSet resolves by recomputing.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../../lib/kube/client.js';
import { RequestLog } from '../../../lib/kube/request-log.js';
import type { KubePort } from '../../../lib/kube/port.js';
import { reconcileStatefulSet } from '../../../lib/workload/plan/apply.js';
import { StatefulSetPlan } from '../../../lib/workload/plan/index.js';
import type { StatefulSet } from '../../../lib/kube/types.js';
import { kubeconfigPath, useTestNamespace } from '../../support/cluster.js';
import { statefulSetRef } from '../../support/objects.js';

const ns = useTestNamespace('sts-plan');
const log = new RequestLog();
let port: KubePort;

beforeAll(() => {
  port = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
});

const ref = (name: string) => statefulSetRef(ns.name, name);

/**
 * Not a shared fixture on purpose: the plan must leave every field it does not own as it found it,
 * so this template carries many (init container, env, capabilities, pod securityContext, a volume).
 */
async function create(name: string): Promise<StatefulSet> {
  return port.create<StatefulSet>({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns.name },
    spec: {
      replicas: 0,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          initContainers: [{ name: 'charm-init', image: 'registry.invalid/init:1' }],
          containers: [
            { name: 'charm', image: 'registry.invalid/charm:1' },
            {
              name: 'app',
              image: 'registry.invalid/app:1',
              env: [{ name: 'TZ', value: 'UTC' }],
              securityContext: { capabilities: { add: ['SYS_TIME'] } },
              volumeMounts: [{ name: 'config', mountPath: '/config' }],
            },
          ],
          volumes: [{ name: 'config', emptyDir: {} }],
        },
      },
    },
  });
}

/**
 * Applies one plan built by `contribute` and checks the server stored what the plan predicted. It
 * goes through reconcileStatefulSet because the StatefulSet controller writes status right after
 * a create, which moves the resourceVersion our patch is conditional on (a real 409, retried).
 */
async function roundTrip(
  name: string,
  contribute: (plan: StatefulSetPlan) => void,
): Promise<StatefulSet> {
  const done = await reconcileStatefulSet(port, { name, namespace: ns.name }, contribute);
  expect(done.patched).toBe(true);
  // The server adds defaults to new containers (imagePullPolicy, ...); everything else is as predicted.
  expect(done.statefulSet.spec.template).toMatchObject(done.result.predicted);
  const again = StatefulSetPlan.for(await port.get<StatefulSet>(ref(name)));
  contribute(again);
  expect(again.compute().upToDate).toBe(true);
  return done.statefulSet;
}

describe('StatefulSetPlan on a real API server', () => {
  it('adds volumes, mounts, a first init container, a sidecar, capabilities and fsGroup as predicted', async () => {
    await create('compose');
    const stored = await roundTrip('compose', (plan) => {
      plan
        .ensureVolume('storage', { name: 'media', persistentVolumeClaim: { claimName: 'media' } })
        .ensureVolumeMount('storage', 'app', { name: 'media', mountPath: '/data' })
        .ensurePodSecurityContext('storage', { fsGroup: 1000 })
        .ensureInitContainer(
          'vpn',
          { name: 'gateway-init', image: 'registry.invalid/gw:1' },
          { position: 'first' },
        )
        .ensureContainer('vpn', { name: 'gateway-sidecar', image: 'registry.invalid/gw:1' })
        .ensureContainerSecurityContext('vpn', 'app', { capabilities: { add: ['NET_ADMIN'] } });
    });
    const spec = stored.spec.template.spec;
    expect(spec.initContainers?.map((c) => c.name)).toEqual(['gateway-init', 'charm-init']);
    expect(spec.containers.map((c) => c.name)).toEqual(['charm', 'app', 'gateway-sidecar']);
    expect(spec.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, fsGroup: 1000 });
    expect(spec.containers[1]?.securityContext?.capabilities?.add).toEqual([
      'SYS_TIME',
      'NET_ADMIN',
    ]);
  });

  it('moves a mount, swaps a volume source with $retainKeys and deletes by merge key', async () => {
    await create('edit');
    await roundTrip('edit', (plan) => {
      plan.ensureVolume('s', { name: 'media', persistentVolumeClaim: { claimName: 'media' } });
      plan.ensureVolumeMount('s', 'app', { name: 'media', mountPath: '/media' });
    });
    const stored = await roundTrip('edit', (plan) => {
      plan.ensureVolume('s', { name: 'media', persistentVolumeClaim: { claimName: 'media' } });
      plan.ensureVolumeMount('s', 'app', { name: 'media', mountPath: '/data' });
      plan.ensureVolume('s', { name: 'config', persistentVolumeClaim: { claimName: 'config' } });
      plan.removeEnv('s', 'app', 'TZ');
      plan.removeContainer('s', 'charm');
      plan.ensurePodSecurityContext('s', { runAsGroup: null });
    });
    const spec = stored.spec.template.spec;
    expect(spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(spec.containers[0]?.volumeMounts).toEqual([
      { name: 'config', mountPath: '/config' },
      { name: 'media', mountPath: '/data' },
    ]);
    expect(spec.containers[0]?.env).toBeUndefined();
    expect(spec.volumes?.find((v) => v.name === 'config')).toEqual({
      name: 'config',
      persistentVolumeClaim: { claimName: 'config' },
    });
    expect(spec.securityContext).toEqual({ runAsUser: 0 });
  });

  it('turns a concurrent write into a 409 and recomputes from fresh state', async () => {
    await create('race');
    let round = 0;
    log.clear();
    const done = await reconcileStatefulSet(
      port,
      { name: 'race', namespace: ns.name },
      async (plan) => {
        round++;
        if (round === 1) {
          // Another writer changes the StatefulSet between our read and our patch.
          await port.patch(ref('race'), {
            type: 'merge',
            body: { metadata: { annotations: { 'example.com/other-writer': 'was-here' } } },
          });
        }
        plan.ensurePodSecurityContext('storage', { fsGroup: 1000 });
      },
    );
    expect(done.attempts).toBe(2);
    expect(done.patched).toBe(true);
    expect(log.requests.map((r) => `${r.verb} ${r.patchType ?? ''} ${r.status}`)).toEqual([
      'get  200',
      'patch merge 200',
      'patch strategic 409',
      'get  200',
      'patch strategic 200',
    ]);
    expect(done.statefulSet.metadata.annotations?.['example.com/other-writer']).toBe('was-here');
    expect(done.statefulSet.spec.template.spec.securityContext?.fsGroup).toBe(1000);
  });
});

describe('StatefulSetPlan: fragments in the form the server stores them', () => {
  /** Fragments the server stores differently from how they are sent. */
  function contribute(plan: StatefulSetPlan): void {
    plan
      .ensureEnv('t', 'app', {
        name: 'POD_NAME',
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
      })
      .ensureEnv('t', 'app', { name: 'EMPTY', value: '' })
      .ensureVolume('t', { name: 'scratch', emptyDir: { sizeLimit: '1024Mi' } })
      .ensureVolumeMount('t', 'app', { name: 'scratch', mountPath: '/scratch', readOnly: false })
      .ensureContainer('t', {
        name: 'sidecar',
        image: 'registry.invalid/sidecar:1',
        resources: { requests: { memory: '1024Mi', cpu: '0.5' } },
        ports: [{ containerPort: 8080, hostPort: 0 }],
      });
  }

  it('a fieldRef without apiVersion, an empty value, readOnly: false and 1024Mi: one patch, then none', async () => {
    await create('stored-form');
    const first = await reconcileStatefulSet(
      port,
      { name: 'stored-form', namespace: ns.name },
      contribute,
    );
    expect(first.patched).toBe(true);
    log.clear();
    const second = await reconcileStatefulSet(
      port,
      { name: 'stored-form', namespace: ns.name },
      contribute,
    );
    expect(second.result.changes).toEqual([]);
    expect(second.patched).toBe(false);
    expect(log.writes()).toEqual([]);
    const stored = await port.get<StatefulSet>(ref('stored-form'));
    const sidecar = stored.spec.template.spec.containers.find((c) => c.name === 'sidecar');
    expect(sidecar?.resources).toEqual({ requests: { memory: '1Gi', cpu: '500m' } });
  });
});
