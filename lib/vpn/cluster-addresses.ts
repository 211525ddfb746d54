/**
 * Where the cluster's own services are, as the kill switch and the gateway need them: the API
 * server (its Service address and its real endpoints, because CNIs differ in whether a policy sees
 * a packet before or after the Service's DNAT) and cluster DNS (kube-dns, else coredns).
 *
 * Values given as options win and cost no request; otherwise they are read, with the fewest reads
 * that stay correct: the API server's Service address comes from the pod's own environment
 * (`KUBERNETES_SERVICE_HOST`) when the controller runs in a pod.
 */
import { asKubernetesError } from '../kube/errors.js';
import type { KubePort } from '../kube/port.js';
import type { KubeObject } from '../kube/types.js';
import { ClusterDnsNotFoundError, VPNConfigurationError } from './errors.js';
import type { ApiServerAddresses, HostPort } from './kill-switch.js';
import { parseIp, type IpAddress } from '../core/net.js';
import { ENDPOINT_SLICE_TYPE, SERVICE_TYPE } from './resources.js';

/** An address and port as options give them. */
export interface HostPortOption {
  readonly ip: string;
  readonly port: number;
}

/** The API server's addresses as options give them; either part may be left to discovery. */
export interface ApiServerOption {
  readonly service?: HostPortOption;
  readonly endpoints?: readonly HostPortOption[];
}

interface ServiceObject extends KubeObject {
  spec?: { clusterIP?: string; ports?: { name?: string; port?: number }[] };
}

interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

/** Parses option addresses, naming the bad one. */
export function hostPortOf(option: HostPortOption, field: string): HostPort {
  const ip = parseIp(option.ip);
  if (
    ip === undefined ||
    !Number.isInteger(option.port) ||
    option.port < 1 ||
    option.port > 65535
  ) {
    throw new VPNConfigurationError('VPN options', [
      { field, reason: 'must be an IPv4 or IPv6 address and a port from 1 to 65535' },
    ]);
  }
  return { ip, port: option.port };
}

/**
 * The API server's addresses: options first, then the pod environment for the Service address,
 * then the `kubernetes` Service and its EndpointSlices in `default`.
 */
export async function apiServerAddresses(
  port: KubePort,
  option: ApiServerOption | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ApiServerAddresses> {
  let service: HostPort | undefined;
  if (option?.service !== undefined) service = hostPortOf(option.service, 'apiServer.service');
  else {
    const host = env.KUBERNETES_SERVICE_HOST;
    const servicePort = Number(env.KUBERNETES_SERVICE_PORT ?? '443');
    const ip = host === undefined ? undefined : parseIp(host);
    if (ip !== undefined && Number.isInteger(servicePort)) service = { ip, port: servicePort };
    else service = await kubernetesService(port);
  }
  const endpoints =
    option?.endpoints !== undefined
      ? option.endpoints.map((e, i) => hostPortOf(e, `apiServer.endpoints[${i}]`))
      : await kubernetesEndpoints(port);
  return { service, endpoints };
}

async function kubernetesService(port: KubePort): Promise<HostPort | undefined> {
  const svc = await port.get<ServiceObject>({
    ...SERVICE_TYPE,
    name: 'kubernetes',
    namespace: 'default',
  });
  const ip = parseIp(svc.spec?.clusterIP ?? '');
  const https = svc.spec?.ports?.find((p) => p.name === 'https') ?? svc.spec?.ports?.[0];
  return ip !== undefined && https?.port !== undefined ? { ip, port: https.port } : undefined;
}

async function kubernetesEndpoints(port: KubePort): Promise<HostPort[]> {
  const slices = await port.list<EndpointSliceObject>(ENDPOINT_SLICE_TYPE, {
    namespace: 'default',
    labelSelector: 'kubernetes.io/service-name=kubernetes',
  });
  const found: HostPort[] = [];
  for (const slice of slices.items) {
    const https = slice.ports?.find((p) => p.name === 'https') ?? slice.ports?.[0];
    if (https?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      for (const address of endpoint.addresses ?? []) {
        const ip = parseIp(address);
        if (ip !== undefined) found.push({ ip, port: https.port });
      }
    }
  }
  return found.sort((a, b) =>
    a.ip.text < b.ip.text ? -1 : a.ip.text > b.ip.text ? 1 : a.port - b.port,
  );
}

/** The Service names tried for cluster DNS, in order (kubeadm/MicroK8s, then Canonical K8s). */
export const CLUSTER_DNS_SERVICES: readonly string[] = ['kube-dns', 'coredns'];

/**
 * The cluster DNS Service IP: the first of `CLUSTER_DNS_SERVICES` in `namespace` that exists. A
 * headless one (no ClusterIP) or none at all is a `ClusterDnsNotFoundError`, never a placeholder.
 */
export async function discoverClusterDns(
  port: KubePort,
  namespace = 'kube-system',
): Promise<IpAddress> {
  for (const name of CLUSTER_DNS_SERVICES) {
    let svc: ServiceObject;
    try {
      svc = await port.get<ServiceObject>({ ...SERVICE_TYPE, name, namespace });
    } catch (failure) {
      if (asKubernetesError(failure)?.isNotFound()) continue;
      throw failure;
    }
    const ip = parseIp(svc.spec?.clusterIP ?? '');
    if (ip === undefined) {
      throw new ClusterDnsNotFoundError(
        namespace,
        CLUSTER_DNS_SERVICES,
        `Service ${name} has no ClusterIP (headless)`,
      );
    }
    return ip;
  }
  throw new ClusterDnsNotFoundError(namespace, CLUSTER_DNS_SERVICES, 'none of them exists');
}
