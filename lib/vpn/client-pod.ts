/**
 * The download client's side of the tunnel, as StatefulSet plan fragments: pod-gateway's init
 * container and sidecar, the settings volume, the settings hash that rolls the pods when (and only
 * when) the settings change, and DNS through the tunnel.
 *
 * Names are charmarr's (`vpn-route-init`, `vpn-route-sidecar`, `pod-gateway-config`), so a client
 * moved from charmarr-lib-vpn to charmkit converges on the same containers instead of running two
 * sets. Nothing here comes from relation data unchecked: the only relation values in a container
 * spec are the gateway's validated FQDN (an environment value, never a command line) and, in the
 * DNS config, the gateway's VXLAN address built from three parsed octets.
 */
import type { StatefulSetPlan } from '../workload/plan/index.js';
import type { Container, SecurityContext } from '../kube/types.js';

/** pod-gateway's image; an option of both classes, never taken from relation data. */
export const POD_GATEWAY_IMAGE = 'ghcr.io/angelnu/pod-gateway:v1.13.0';
/** The client's init container (routes the pod through the tunnel before anything else runs). */
export const CLIENT_INIT_CONTAINER = 'vpn-route-init';
/** The client's sidecar (re-establishes the tunnel when the gateway moves). */
export const CLIENT_SIDECAR_CONTAINER = 'vpn-route-sidecar';
/** The pod volume holding the client's settings.sh. */
export const CLIENT_CONFIG_VOLUME = 'pod-gateway-config';
/** Where pod-gateway reads its settings. */
export const CONFIG_MOUNT_PATH = '/config';
/** Pod-template annotation with the settings digest: a change rolls the pods. */
export const SETTINGS_HASH_ANNOTATION = 'charmkit.io/vpn-settings-hash';
/** Pod-template annotation marking that charmkit set the pod's DNS to go through the tunnel. */
export const TUNNEL_DNS_ANNOTATION = 'charmkit.io/vpn-dns';

/**
 * The init container's command. pod-gateway's client_init.sh deletes the default route before it
 * creates the tunnel and decides whether it runs for the first time by looking for the tunnel; a
 * failure in between (a DNS timeout, the gateway not ready) leaves no default route and no tunnel,
 * and every restart then fails the same way for ever. This wrapper first puts back a default route
 * through the next hop an earlier attempt left on another route. It is a constant: no value is
 * ever interpolated into it.
 */
export const CLIENT_INIT_SCRIPT = [
  'if [ -z "$(ip route show default)" ]; then',
  "  charmkit_next_hop=$(ip route show | awk '/ via / { print $3; exit }')",
  '  if [ -n "$charmkit_next_hop" ]; then',
  '    echo "charmkit: restoring the default route via $charmkit_next_hop removed by an interrupted attempt"',
  '    ip route add default via "$charmkit_next_hop"',
  '  fi',
  '  unset charmkit_next_hop',
  'fi',
  'exec /bin/client_init.sh',
].join('\n');

/**
 * Capabilities of both client containers: NET_ADMIN for routes and the VXLAN link, NET_RAW for the
 * pings client_init.sh requires. Root, because capabilities of a non-root process are not
 * effective; never privileged.
 */
export const CLIENT_SECURITY_CONTEXT: SecurityContext = {
  capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
  runAsUser: 0,
  runAsNonRoot: false,
};

/** How the client pod resolves names. */
export type ClientDns =
  /** Through the tunnel: the gateway's dnsmasq at the VXLAN `.1` address (no DNS leak). */
  | {
      readonly mode: 'tunnel';
      readonly nameserver: string;
      readonly searches: readonly string[];
      readonly ndots: number;
    }
  /** The cluster's DNS, whose upstream queries leave outside the VPN (a DNS leak). */
  | { readonly mode: 'cluster' };

/** Everything the client fragments are built from (all of it validated). */
export interface ClientPodSpec {
  readonly image: string;
  readonly configMapName: string;
  readonly gatewayDnsName: string;
  readonly settingsHash: string;
  readonly dns: ClientDns;
}

function clientContainer(name: string, command: string[], spec: ClientPodSpec): Container {
  return {
    name,
    image: spec.image,
    command,
    env: [{ name: 'gateway', value: spec.gatewayDnsName }],
    securityContext: structuredClone(CLIENT_SECURITY_CONTEXT),
    volumeMounts: [{ name: CLIENT_CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH, readOnly: true }],
  };
}

/** The init container (first of all init containers, so nothing runs before the route is set). */
export function clientInitContainer(spec: ClientPodSpec): Container {
  return clientContainer(CLIENT_INIT_CONTAINER, ['/bin/sh', '-c', CLIENT_INIT_SCRIPT], spec);
}

/** The sidecar that watches the gateway and rebuilds the tunnel when it moves. */
export function clientSidecarContainer(spec: ClientPodSpec): Container {
  return clientContainer(CLIENT_SIDECAR_CONTAINER, ['/bin/client_sidecar.sh'], spec);
}

/** Adds the routing fragments to a plan. */
export function contributeClientRouting(
  plan: StatefulSetPlan,
  owner: string,
  spec: ClientPodSpec,
): void {
  plan.ensureVolume(owner, { name: CLIENT_CONFIG_VOLUME, configMap: { name: spec.configMapName } });
  plan.ensureInitContainer(owner, clientInitContainer(spec), { position: 'first' });
  plan.ensureContainer(owner, clientSidecarContainer(spec));
  plan.ensureTemplateAnnotation(owner, SETTINGS_HASH_ANNOTATION, spec.settingsHash);
  if (spec.dns.mode === 'tunnel') {
    plan.ensurePodSpecField(owner, 'dnsPolicy', 'None');
    plan.ensurePodSpecField(owner, 'dnsConfig', {
      nameservers: [spec.dns.nameserver],
      searches: [...spec.dns.searches],
      options: [{ name: 'ndots', value: String(spec.dns.ndots) }],
    });
    plan.ensureTemplateAnnotation(owner, TUNNEL_DNS_ANNOTATION, 'tunnel');
  } else {
    restoreClusterDns(plan, owner);
  }
}

/**
 * Adds the fragments that take routing out again: both containers, the volume, the annotations,
 * and the pod's DNS back to the cluster's when charmkit had changed it. Each is a no-op when
 * already absent, so removal is idempotent.
 */
export function contributeClientRemoval(plan: StatefulSetPlan, owner: string): void {
  plan.removeInitContainer(owner, CLIENT_INIT_CONTAINER);
  plan.removeContainer(owner, CLIENT_SIDECAR_CONTAINER);
  plan.removeVolume(owner, CLIENT_CONFIG_VOLUME);
  plan.ensureTemplateAnnotation(owner, SETTINGS_HASH_ANNOTATION, null);
  restoreClusterDns(plan, owner);
}

/** The pod's own DNS again, but only where charmkit's marker says it changed it. */
function restoreClusterDns(plan: StatefulSetPlan, owner: string): void {
  const marked = plan.observed.spec.template.metadata?.annotations?.[TUNNEL_DNS_ANNOTATION];
  if (marked === undefined) return;
  // Explicit ClusterFirst (the server's default): a removed field would read back as ClusterFirst
  // and look like a change on every reconcile.
  plan.ensurePodSpecField(owner, 'dnsPolicy', 'ClusterFirst');
  plan.ensurePodSpecField(owner, 'dnsConfig', null);
  plan.ensureTemplateAnnotation(owner, TUNNEL_DNS_ANNOTATION, null);
}

/**
 * The DNS search list and VXLAN nameserver for `tunnel` mode: what the cluster's own resolv.conf
 * would hold (`<namespace>.svc.<domain>`, `svc.<domain>`, `<domain>`, ndots 5), with the gateway's
 * dnsmasq as the only server.
 */
export function tunnelDns(
  vxlanIpNetwork: string,
  namespace: string,
  clusterDomain: string,
): ClientDns {
  return {
    mode: 'tunnel',
    nameserver: `${vxlanIpNetwork}.1`,
    searches: [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain],
    ndots: 5,
  };
}

/** The cluster domain a gateway name reveals (`x.ns.svc.cluster.local` → `cluster.local`). */
export function clusterDomainOf(gatewayDnsName: string): string | undefined {
  const at = gatewayDnsName.indexOf('.svc.');
  return at < 0 ? undefined : gatewayDnsName.slice(at + 5) || undefined;
}

/** The namespace a gateway Service name reveals (`x.ns.svc.cluster.local` → `ns`). */
export function namespaceOf(gatewayDnsName: string): string | undefined {
  const labels = gatewayDnsName.split('.');
  return labels.length >= 4 && labels[2] === 'svc' ? labels[1] : undefined;
}
