/**
 * Services as kube-apiserver v1.37 stores them, for `FakeCluster`: the defaults the server fills
 * in and the addresses it allocates.
 *
 * - defaults: `type: ClusterIP`, `sessionAffinity: None` (ClientIP gets a 10800 s timeout), port
 *   `protocol: TCP` and `targetPort` = `port`, `internalTrafficPolicy: Cluster`,
 *   `externalTrafficPolicy: Cluster` and `allocateLoadBalancerNodePorts` where they apply;
 * - allocation on create: a cluster IP from the service range (the lowest free address: the
 *   server's pick is random), `clusterIP: None` kept for headless Services, `clusterIPs`,
 *   `ipFamilies: [IPv4]` and `ipFamilyPolicy: SingleStack` (a headless Service without selector
 *   gets both families and `RequireDualStack`, as the server does), node ports from 30000-32767
 *   for NodePort and LoadBalancer Services; a requested IP must be in the range and free;
 * - on update, a write that leaves out the allocated values keeps them, and changing the cluster
 *   IP is refused; a deleted Service frees its addresses (they are read from the store).
 *
 * The fake's cluster is IPv4 single-stack, like the test cluster. Not modelled: dual-stack
 * allocation, `loadBalancerIP`/status, health-check node ports, ExternalName validation.
 */
import type { JsonObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import { invalid, type FieldError } from './fake-errors.js';
import { child, eachIn, orSet, orSetString } from './fake-defaults-pod.js';
import { dropZeroValues } from '../kube/zero-values.js';
import { addressAt, contains, parseCidr, parseIp, sizeOf, type IpPrefix } from './fake-ip.js';
import type { ObjectStore } from './fake-store.js';

const SERVICE = { apiVersion: 'v1', kind: 'Service' } as const;
const NODE_PORTS = { first: 30000, last: 32767 };

/** The defaults of a Service spec (see the module comment); runs on every write. */
export function defaultService(service: JsonObject): void {
  const spec = child(service, 'spec');
  if (!spec) return;
  dropZeroValues(spec, 'serviceSpec');
  eachIn(spec, 'ports', (port) => dropZeroValues(port, 'servicePort'));
  orSetString(spec, 'type', 'ClusterIP');
  orSetString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const config = child(spec, 'sessionAffinityConfig') ?? {};
    const clientIP = child(config, 'clientIP') ?? {};
    orSet(clientIP, 'timeoutSeconds', 10800);
    config.clientIP = clientIP;
    spec.sessionAffinityConfig = config;
  }
  eachIn(spec, 'ports', (port) => {
    orSetString(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port ?? 0;
    }
  });
  const type = spec.type;
  const external =
    type === 'NodePort' ||
    type === 'LoadBalancer' ||
    (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) orSetString(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') {
    orSet(spec, 'internalTrafficPolicy', 'Cluster');
  }
  if (type === 'LoadBalancer') orSet(spec, 'allocateLoadBalancerNodePorts', true);
}

/** Hands out cluster IPs and node ports for one fake cluster. */
export class ServiceAllocator {
  private readonly range: IpPrefix;

  /** `cidr` must be an IPv4 CIDR (checked by the caller). */
  constructor(
    private readonly store: ObjectStore,
    cidr: string,
  ) {
    this.range = parseCidr(cidr) as IpPrefix;
  }

  /**
   * Allocates what a new Service needs, in place; returns the server's errors for a requested IP
   * it cannot give. Nothing is reserved: used addresses are read from the stored Services.
   */
  allocate(service: KubeObject): FieldError[] {
    const spec = service.spec as JsonObject | undefined;
    if (!spec || spec.type === 'ExternalName') return [];
    const requested = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
    if (requested === 'None') {
      spec.clusterIPs = ['None'];
    } else if (requested !== '') {
      const problem = this.problemWith(requested);
      if (problem) {
        return [
          invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: ${problem}`),
        ];
      }
      spec.clusterIPs = [requested];
    } else {
      spec.clusterIP = this.nextAddress();
      spec.clusterIPs = [spec.clusterIP];
    }
    const headlessWithoutSelector =
      spec.clusterIP === 'None' && Object.keys(child(spec, 'selector') ?? {}).length === 0;
    if (headlessWithoutSelector && spec.ipFamilyPolicy === undefined) {
      spec.ipFamilyPolicy = 'RequireDualStack';
      orSet(spec, 'ipFamilies', ['IPv4', 'IPv6']);
    }
    orSet(spec, 'ipFamilyPolicy', 'SingleStack');
    orSet(spec, 'ipFamilies', ['IPv4']);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const used = this.usedNodePorts();
      eachIn(spec, 'ports', (port) => {
        if (typeof port.nodePort === 'number' && port.nodePort !== 0) return;
        let candidate = NODE_PORTS.first;
        while (used.has(candidate) && candidate < NODE_PORTS.last) candidate++;
        used.add(candidate);
        port.nodePort = candidate;
      });
    }
    return [];
  }

  /**
   * On update: values the new object leaves out are kept from the old one (the server's
   * "patch allocated values"); a changed cluster IP is refused.
   */
  carryOver(next: KubeObject, old: KubeObject): FieldError[] {
    const spec = next.spec as JsonObject | undefined;
    const oldSpec = old.spec as JsonObject | undefined;
    if (!spec || !oldSpec || spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') {
      return [];
    }
    for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
      if ((spec[key] === undefined || spec[key] === '') && oldSpec[key] !== undefined) {
        spec[key] = structuredClone(oldSpec[key]);
      }
    }
    const oldPorts = Array.isArray(oldSpec.ports) ? oldSpec.ports : [];
    eachIn(spec, 'ports', (port) => {
      if (port.nodePort !== undefined && port.nodePort !== 0) return;
      const same = oldPorts.find(
        (p) => typeof p === 'object' && p !== null && !Array.isArray(p) && p.port === port.port,
      ) as JsonObject | undefined;
      if (same?.nodePort !== undefined) port.nodePort = same.nodePort;
    });
    if (spec.clusterIP !== oldSpec.clusterIP) {
      const value = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP ?? ''];
      return [invalid('spec.clusterIPs[0]', value, 'may not change once set')];
    }
    return [];
  }

  private problemWith(address: string): string | undefined {
    const parsed = parseIp(address);
    if (!parsed || !contains(this.range, parsed.family, parsed.value)) {
      return 'the provided network does not match the current range';
    }
    if (this.usedAddresses().has(address)) return 'provided IP is already allocated';
    return undefined;
  }

  private nextAddress(): string {
    const used = this.usedAddresses();
    const size = sizeOf(this.range);
    for (let offset = 1n; offset < size - 1n; offset++) {
      const candidate = addressAt(this.range, offset);
      if (!used.has(candidate)) return candidate;
    }
    return addressAt(this.range, 1n);
  }

  private usedAddresses(): Set<string> {
    const used = new Set<string>();
    for (const service of this.store.list(SERVICE)) {
      const ip = (service.spec as JsonObject | undefined)?.clusterIP;
      if (typeof ip === 'string' && ip !== '' && ip !== 'None') used.add(ip);
    }
    return used;
  }

  private usedNodePorts(): Set<number> {
    const used = new Set<number>();
    for (const service of this.store.list(SERVICE)) {
      eachIn(service.spec as JsonObject | undefined, 'ports', (port) => {
        if (typeof port.nodePort === 'number') used.add(port.nodePort);
      });
    }
    return used;
  }
}
