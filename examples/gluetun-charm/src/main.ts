/**
 * The plain entry point: one reconcile of the gluetun controller outside Juju.
 *
 *   GLUETUN_NAMESPACE, GLUETUN_STATEFULSET (default gluetun), GLUETUN_CLUSTER_CIDRS (required,
 *   comma-separated), GLUETUN_CONTROL_API_KEY; credentials as `resolveCredentials` finds them (a
 *   pod's service account, else KUBECONFIG, else ~/.kube/config).
 */
import { pathToFileURL } from 'node:url';
import { createKubePort } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { GluetunCharm } from './charm.js';

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  (async () => {
    const namespace = process.env.GLUETUN_NAMESPACE;
    const cidrs = (process.env.GLUETUN_CLUSTER_CIDRS ?? '').split(',').filter((c) => c.length > 0);
    if (!namespace || cidrs.length === 0)
      throw new Error('set GLUETUN_NAMESPACE and GLUETUN_CLUSTER_CIDRS');
    const name = process.env.GLUETUN_STATEFULSET || 'gluetun';
    const backend = new MemoryModel({ name: namespace }).backend(`${name}/0`, { leader: true });
    const charm = new GluetunCharm({
      backend,
      kube: createKubePort(),
      statefulSet: { name, namespace },
      clusterCidrs: cidrs,
      controlApiKey: process.env.GLUETUN_CONTROL_API_KEY ?? '',
    });
    const result = await charm.reconcile();
    console.log(
      JSON.stringify({ status: result.status, sideWrites: result.gateway.sideWrites }, null, 2),
    );
  })().catch((failure: unknown) => {
    console.error(failure instanceof Error ? failure.message : failure);
    process.exitCode = 1;
  });
}
