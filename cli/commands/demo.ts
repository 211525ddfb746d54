/** `charmkit demo`: the media stack on the embedded cluster, the local one, or any cluster. */
import type { Command } from '../command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { runDemo } from '../demo/run.js';
import { embeddedTarget, realTarget, type DemoTarget } from '../demo/targets.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a media stack (storage, gluetun, qbittorrent, radarr) and show every hook',
  usage: '[--cluster local | --kubeconfig <file>] [--plain]',
  description: [
    'Deploys four controllers — a storage provider, gluetun (VPN gateway), qBittorrent (VPN +',
    'storage in one patch) and Radarr (storage) — relates them as Juju would, and prints each',
    "hook: the relation event, the unit's status, the requests its reconcile made, and every",
    'StatefulSet patch as a diff of the pod template; then a closing table.',
    '',
    'By default it runs on an embedded FakeCluster with the StatefulSet controller, scheduler and',
    'kubelet simulated: nothing to set up, done in seconds. --cluster local runs the same on the',
    "project's local control plane (started, and built on first use, if not running; stopped",
    'again afterwards unless --keep-cluster); --kubeconfig on any cluster. A real cluster gets its',
    'own namespace, deleted when the demo ends.',
  ].join('\n'),
  options: {
    cluster: { type: 'string', value: 'local', help: "run on the project's local control plane" },
    kubeconfig: {
      type: 'string',
      value: 'file',
      help: 'run on the cluster this kubeconfig reaches',
    },
    'cluster-cidrs': {
      type: 'string',
      value: 'cidrs',
      help: 'pod and Service ranges of that cluster, comma-separated (default the local ones)',
    },
    'dns-ip': {
      type: 'string',
      value: 'ip',
      help: 'its cluster DNS Service address (default 10.96.0.10)',
    },
    'host-path': {
      type: 'string',
      value: 'dir',
      help: 'bind the shared claim to a hostPath volume there (for clusters without a provisioner)',
    },
    'keep-cluster': { type: 'boolean', help: 'leave a local cluster this run started running' },
  },
  exitCodes: '1 when an application did not end Active',
  async run({ values, out, err }) {
    const cluster = values.cluster as string | undefined;
    const kubeconfig = values.kubeconfig as string | undefined;
    if (cluster !== undefined && cluster !== 'local') {
      throw new CliError(`--cluster takes only "local" (got "${cluster}")`, EXIT.usage);
    }
    if (cluster && kubeconfig)
      throw new CliError('give --cluster local or --kubeconfig, not both', EXIT.usage);
    let target: DemoTarget;
    if (cluster || kubeconfig) {
      const cidrs = (values['cluster-cidrs'] as string | undefined)
        ?.split(',')
        .filter((c) => c.length > 0);
      target = await realTarget(
        {
          cluster: cluster ? { local: true } : { kubeconfig: kubeconfig! },
          ...(cidrs ? { clusterCidrs: cidrs } : {}),
          ...(values['dns-ip'] ? { clusterDnsIp: values['dns-ip'] as string } : {}),
          ...(values['host-path'] ? { hostPath: values['host-path'] as string } : {}),
          keepCluster: values['keep-cluster'] === true,
        },
        err,
      );
    } else target = embeddedTarget();
    try {
      const result = await runDemo(target, out);
      return result.exitCode;
    } finally {
      await target.cleanup(err);
    }
  },
};
