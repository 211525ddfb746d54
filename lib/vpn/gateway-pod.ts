/**
 * The gateway's side of the tunnel (the gluetun pod), as StatefulSet plan fragments and the
 * objects beside it: pod-gateway's privileged init container, which turns the pod into a router
 * and then accepts the cluster ranges on INPUT (gluetun's firewall drops them otherwise, and on
 * Calico that includes the tunnel and the kubelet's probes); the sidecar running dnsmasq (DHCP and
 * DNS for the clients, inside the tunnel); the settings ConfigMap with `nat.conf` always present
 * (gateway_init.sh aborts without it); and the headless Service that makes the gateway's name
 * resolve to its one pod.
 *
 * The INPUT rules are not built as a shell string: the script is a constant that loops over its
 * positional arguments, and the validated ranges are passed as separate `args` elements.
 */
import type { StatefulSetPlan } from '../workload/plan/index.js';
import type { Container, KubeObject, ObjectMeta } from '../kube/types.js';
import { CONFIG_MOUNT_PATH } from './client-pod.js';
import type { Cidr } from '../core/net.js';

/** The gateway's init container (routing, forwarding, firewall). */
export const GATEWAY_INIT_CONTAINER = 'gateway-init';
/** The gateway's sidecar (dnsmasq: DHCP and DNS on the VXLAN side). */
export const GATEWAY_SIDECAR_CONTAINER = 'gateway-sidecar';
/** The pod volume holding the gateway's settings.sh and nat.conf. */
export const GATEWAY_CONFIG_VOLUME = 'gateway-config';
/** Pod-template annotation with the gateway settings digest. */
export const GATEWAY_SETTINGS_HASH_ANNOTATION = 'charmkit.io/vpn-gateway-settings-hash';

/**
 * The init container's command: pod-gateway's own init, then one INPUT accept per cluster range
 * given as an argument. Constant: values arrive as `$@`, quoted, never spliced into the text.
 */
export const GATEWAY_INIT_SCRIPT = [
  'set -e',
  '/bin/gateway_init.sh',
  'for charmkit_range in "$@"; do',
  '  iptables -I INPUT -i eth0 -s "$charmkit_range" -j ACCEPT',
  'done',
].join('\n');

/** Everything the gateway fragments are built from (all validated by the provider). */
export interface GatewayPodSpec {
  readonly image: string;
  readonly configMapName: string;
  readonly settingsHash: string;
  /** Ranges accepted on INPUT (IPv4 only; pod-gateway and its iptables are IPv4). */
  readonly inputCidrs: readonly Cidr[];
}

/** The privileged init container (writing `ip_forward` needs a writable /proc/sys). */
export function gatewayInitContainer(spec: GatewayPodSpec): Container {
  return {
    name: GATEWAY_INIT_CONTAINER,
    image: spec.image,
    command: ['/bin/sh', '-c', GATEWAY_INIT_SCRIPT, GATEWAY_INIT_CONTAINER],
    args: spec.inputCidrs.filter((c) => c.family === 4).map((c) => c.text),
    securityContext: { privileged: true },
    volumeMounts: [{ name: GATEWAY_CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH, readOnly: true }],
  };
}

/** The dnsmasq sidecar: NET_ADMIN and NET_RAW, not privileged. */
export function gatewaySidecarContainer(spec: GatewayPodSpec): Container {
  return {
    name: GATEWAY_SIDECAR_CONTAINER,
    image: spec.image,
    command: ['/bin/gateway_sidecar.sh'],
    securityContext: {
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
      runAsUser: 0,
      runAsNonRoot: false,
    },
    volumeMounts: [{ name: GATEWAY_CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH, readOnly: true }],
  };
}

/** Adds the gateway fragments to a plan. */
export function contributeGateway(
  plan: StatefulSetPlan,
  owner: string,
  spec: GatewayPodSpec,
): void {
  plan.ensureVolume(owner, {
    name: GATEWAY_CONFIG_VOLUME,
    configMap: { name: spec.configMapName },
  });
  plan.ensureInitContainer(owner, gatewayInitContainer(spec), { position: 'first' });
  plan.ensureContainer(owner, gatewaySidecarContainer(spec));
  plan.ensureTemplateAnnotation(owner, GATEWAY_SETTINGS_HASH_ANNOTATION, spec.settingsHash);
}

/** Adds the fragments that take the gateway containers out again (each a no-op when absent). */
export function contributeGatewayRemoval(plan: StatefulSetPlan, owner: string): void {
  plan.removeInitContainer(owner, GATEWAY_INIT_CONTAINER);
  plan.removeContainer(owner, GATEWAY_SIDECAR_CONTAINER);
  plan.removeVolume(owner, GATEWAY_CONFIG_VOLUME);
  plan.ensureTemplateAnnotation(owner, GATEWAY_SETTINGS_HASH_ANNOTATION, null);
}

/**
 * The headless Service whose DNS name resolves to the gateway pod's IP (only while it is Ready, so
 * clients wait for a working gateway). The UDP port documents the tunnel; a headless Service does
 * not forward it. `publishNotReadyAddresses` is left at its default (false, which the server does
 * not store), so only a Ready gateway resolves and a no-op reconcile writes nothing.
 */
export function gatewayService(
  metadata: ObjectMeta & { name: string; namespace: string },
  podLabels: Readonly<Record<string, string>>,
  vxlanPort: number,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: structuredClone(metadata),
    spec: {
      clusterIP: 'None',
      selector: { ...podLabels },
      ports: [{ name: 'vxlan', protocol: 'UDP', port: vxlanPort }],
    },
  };
}
