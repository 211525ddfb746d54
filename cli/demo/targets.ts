/**
 * Where the demo runs: the embedded default (a FakeCluster with the rollout simulation: nothing to
 * install, done in a second or two), the project's local control plane (`--cluster local`), or any
 * cluster a kubeconfig reaches (`--kubeconfig`). A real target gets its own namespace, created for
 * the run and deleted after it, with the StatefulSets Juju would have created for each application.
 */
import { randomBytes } from 'node:crypto';
import {
  createKubePort,
  RequestLog,
  rolloutProgress,
  type KubeObject,
  type KubePort,
  type PersistentVolumeClaim,
  type RequestRecord,
  type StatefulSet,
} from 'charmkit/kube';
import type { StaticVolumeSource } from 'charmkit/storage';
import { FakeCluster, jujuStatefulSetFixture, storageClassFixture } from 'charmkit/testing';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { ensureLocalCluster, stopLocalCluster, type LocalCluster } from '../cluster.js';
import { WORKLOADS } from './stack.js';

/** A place to run the stack. */
export interface DemoTarget {
  /** What it is, for the header. */
  readonly label: string;
  /** The port the controllers use; every request through it is counted. */
  readonly kube: KubePort;
  readonly namespace: string;
  readonly clusterCidrs: readonly string[];
  readonly clusterDnsIp: string;
  readonly staticVolume?: StaticVolumeSource;
  /** True when rollouts take real time (the demo then waits for them). */
  readonly real: boolean;
  /** Every request the controllers made so far, in order. */
  requests(): readonly RequestRecord[];
  /** Reads a StatefulSet without counting the read (for the before/after diff). */
  statefulSet(name: string): Promise<StatefulSet | undefined>;
  /** Waits until every named StatefulSet has rolled out (real targets). */
  waitForRollouts(names: readonly string[], out: Output): Promise<void>;
  /** Deletes what the run created (namespace, static volume; the cluster if started here). */
  cleanup(out: Output): Promise<void>;
}

const NAMESPACE = 'media';
/** The local control plane's ranges (scripts/cluster/up.mjs): pods 10.244/16, Services 10.96/16. */
const LOCAL_CIDRS = ['10.244.0.0/16', '10.96.0.0/16'];
const LOCAL_DNS = '10.96.0.10';

/** The embedded default: FakeCluster with the rollout simulation, seeded as a cluster would be. */
export function embeddedTarget(): DemoTarget {
  const ns = NAMESPACE;
  const seeds: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    storageClassFixture({ name: 'shared', isDefault: true, provisioner: 'nfs.csi.k8s.io' }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default' },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
    } as KubeObject,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.168.0.10'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    } as KubeObject,
    ...Object.entries(WORKLOADS).map(([app, w]) =>
      jujuStatefulSetFixture(app, ns, { name: w.container, image: w.image }),
    ),
  ];
  const kube = new FakeCluster({ simulate: { statefulSets: true }, objects: seeds });
  return {
    label: 'embedded FakeCluster (StatefulSet, scheduler and kubelet simulated; no cluster needed)',
    kube,
    namespace: ns,
    clusterCidrs: LOCAL_CIDRS,
    clusterDnsIp: LOCAL_DNS,
    real: false,
    requests: () => kube.requests,
    statefulSet: (name) =>
      Promise.resolve(
        kube.peek<StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name }),
      ),
    waitForRollouts: () => Promise.resolve(),
    cleanup: () => Promise.resolve(),
  };
}

/** Options of a real target. */
export interface RealTargetOptions {
  /** `local`: the project's control plane; otherwise the kubeconfig file to use. */
  readonly cluster: { readonly local: true } | { readonly kubeconfig: string };
  readonly clusterCidrs?: readonly string[];
  readonly clusterDnsIp?: string;
  /** Bind the shared claim to a static hostPath volume at this path (clusters without a provisioner). */
  readonly hostPath?: string;
  /** Leave a cluster this run started running (local only). */
  readonly keepCluster?: boolean;
  /** How long to wait for each rollout (default 120 s). */
  readonly rolloutTimeoutMs?: number;
}

/** A real cluster: a fresh namespace with the three StatefulSets Juju would have created. */
export async function realTarget(options: RealTargetOptions, out: Output): Promise<DemoTarget> {
  let local: LocalCluster | undefined;
  let kubeconfig: string;
  if ('local' in options.cluster) {
    local = await ensureLocalCluster(out);
    kubeconfig = local.kubeconfig;
  } else kubeconfig = options.cluster.kubeconfig;

  const log = new RequestLog();
  let admin: KubePort;
  let kube: KubePort;
  try {
    admin = createKubePort({ kubeconfigPath: kubeconfig });
    kube = createKubePort({ kubeconfigPath: kubeconfig, onRequest: log.onRequest });
  } catch (failure) {
    throw new CliError(`cannot use ${kubeconfig}: ${(failure as Error).message}`, EXIT.environment);
  }
  const namespace = `charmkit-demo-${randomBytes(3).toString('hex')}`;
  const progress = out.progress(
    `creating namespace ${namespace} and the StatefulSets Juju would create`,
  );
  try {
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const [app, w] of Object.entries(WORKLOADS)) {
      progress.update(`StatefulSet ${app}`);
      await admin.create(
        jujuStatefulSetFixture(app, namespace, { name: w.container, image: w.image }),
      );
    }
    progress.done();
  } catch (failure) {
    progress.fail();
    await admin
      .delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace })
      .catch(() => undefined);
    if (local?.startedHere && !options.keepCluster) await stopLocalCluster(local, out);
    throw new CliError(
      `cannot prepare the demo namespace: ${(failure as Error).message}`,
      EXIT.environment,
    );
  }
  // The local control plane has no volume provisioner: the provider binds a static hostPath volume.
  const hostPath = options.hostPath ?? (local ? `/tmp/${namespace}` : undefined);
  const staticVolume: StaticVolumeSource | undefined = hostPath
    ? { hostPath: { path: hostPath } }
    : undefined;
  const timeoutMs = options.rolloutTimeoutMs ?? 120_000;
  return {
    label: local ? `the local control plane at ${local.server}` : `the cluster of ${kubeconfig}`,
    kube,
    namespace,
    clusterCidrs: options.clusterCidrs ?? LOCAL_CIDRS,
    clusterDnsIp: options.clusterDnsIp ?? LOCAL_DNS,
    ...(staticVolume ? { staticVolume } : {}),
    real: true,
    requests: () => log.requests,
    statefulSet: (name) =>
      admin
        .get<StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name })
        .catch(() => undefined),
    async waitForRollouts(names, output) {
      for (const name of names) {
        const wait = output.progress(`waiting for ${name} to roll out`);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const sts = await admin
            .get<StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name })
            .catch(() => undefined);
          const progress = sts ? rolloutProgress(sts) : undefined;
          if (progress?.complete) {
            wait.done(progress.message);
            break;
          }
          wait.update(
            progress?.message ?? 'not found yet',
            progress ? progress.ready / Math.max(1, progress.desired) : undefined,
          );
          if (Date.now() > deadline) {
            wait.fail();
            throw new CliError(`${name} did not roll out within ${timeoutMs / 1000}s`, EXIT.failed);
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    async cleanup(output) {
      const done = output.progress(`deleting namespace ${namespace}`);
      // The static volume the provider created is cluster-scoped: find it through the claim first.
      const claim = staticVolume
        ? await admin
            .get<PersistentVolumeClaim>({
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              namespace,
              name: 'media-shared',
            })
            .catch(() => undefined)
        : undefined;
      await admin
        .delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace })
        .catch(() => undefined);
      const volume = claim?.spec?.volumeName;
      if (volume) {
        await admin
          .delete({ apiVersion: 'v1', kind: 'PersistentVolume', name: volume })
          .catch(() => undefined);
      }
      done.done();
      if (local?.startedHere && !options.keepCluster) await stopLocalCluster(local, output);
    },
  };
}
