/**
 * Validation of NetworkPolicies and Services, for `FakeCluster`, worded as kube-apiserver v1.37
 * words it. A fail-closed kill switch is a NetworkPolicy: a rule the server refuses means the
 * policy does not exist, so the fake must refuse the same rules.
 *
 * NetworkPolicy: the pod selector and every peer selector; ports (protocol, number or IANA name,
 * `endPort` only after a numeric `port` and not below it); peers (exactly one kind, `ipBlock` alone);
 * `ipBlock.cidr` and `except` with the server's strict CIDR checks (leading zeros, host bits,
 * IPv4-mapped IPv6) and each `except` a strict subset of `cidr` (CIDRs already in the stored policy
 * are accepted again on update, as the server allows); `policyTypes`.
 *
 * Service: ports (required unless headless or ExternalName; names required with several ports,
 * DNS labels, unique; number, protocol, target port; the same port and protocol twice), `type`,
 * `sessionAffinity`, `internalTrafficPolicy`, `clusterIP` (an IP, or `None` only for ClusterIP
 * Services), `externalName` for ExternalName Services, the selector.
 */
import { isPlainObject, type JsonObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from './fake-errors.js';
import { cidrProblems, isStrictSubset, parseCidr, parseIp } from './fake-ip.js';
import {
  dnsLabelErrors,
  labelMapErrors,
  labelSelectorErrors,
  portNameErrors,
  portNumberErrors,
} from './fake-validation-meta.js';

const POLICY_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const SERVICE_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

/** Errors of a NetworkPolicy's spec; `old` is the stored policy on update. */
export function validateNetworkPolicy(policy: KubeObject, old?: KubeObject): FieldError[] {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const known = new Set(old ? policyCidrs(old) : []);
  const errors = labelSelectorErrors(spec.podSelector, 'spec.podSelector');
  for (const [direction, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    objects(spec[direction]).forEach((rule, i) => {
      const at = `spec.${direction}[${i}]`;
      objects(rule.ports).forEach((port, j) =>
        errors.push(...policyPortErrors(port, `${at}.ports[${j}]`)),
      );
      objects(rule[peers]).forEach((peer, j) =>
        errors.push(...peerErrors(peer, `${at}.${peers}[${j}]`, known)),
      );
    });
  }
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  if (types.length > 2) {
    errors.push(invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errors;
  }
  types.forEach((type, i) => {
    if (type !== 'Ingress' && type !== 'Egress') {
      errors.push(notSupported(`spec.policyTypes[${i}]`, type, ['Ingress', 'Egress']));
    }
  });
  return errors;
}

function policyPortErrors(port: JsonObject, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (port.protocol !== undefined && !POLICY_PROTOCOLS.includes(String(port.protocol))) {
    errors.push(notSupported(`${at}.protocol`, port.protocol, POLICY_PROTOCOLS));
  }
  const endPort = port.endPort;
  if (typeof port.port === 'number') {
    for (const detail of portNumberErrors(port.port))
      errors.push(invalid(`${at}.port`, port.port, detail));
    if (typeof endPort === 'number') {
      if (endPort < port.port) {
        errors.push(invalid(`${at}.endPort`, endPort, 'must be greater than or equal to `port`'));
      }
      for (const detail of portNumberErrors(endPort))
        errors.push(invalid(`${at}.endPort`, endPort, detail));
    }
  } else if (typeof port.port === 'string') {
    if (endPort !== undefined) {
      errors.push(
        invalid(`${at}.endPort`, endPort, 'may not be specified when `port` is non-numeric'),
      );
    }
    for (const detail of portNameErrors(port.port))
      errors.push(invalid(`${at}.port`, port.port, detail));
  } else if (endPort !== undefined) {
    errors.push(
      invalid(`${at}.endPort`, endPort, 'may not be specified when `port` is not specified'),
    );
  }
  return errors;
}

function peerErrors(peer: JsonObject, at: string, known: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  let kinds = 0;
  for (const selector of ['podSelector', 'namespaceSelector']) {
    if (!isPlainObject(peer[selector])) continue;
    kinds++;
    errors.push(...labelSelectorErrors(peer[selector], `${at}.${selector}`));
  }
  const block = peer.ipBlock;
  if (isPlainObject(block)) {
    kinds++;
    errors.push(...ipBlockErrors(block, `${at}.ipBlock`, known));
  }
  if (kinds === 0) errors.push(required(at, 'must specify a peer'));
  else if (kinds > 1 && isPlainObject(block)) {
    errors.push(forbidden(at, 'may not specify both ipBlock and another peer'));
  }
  return errors;
}

function ipBlockErrors(block: JsonObject, at: string, known: ReadonlySet<string>): FieldError[] {
  const cidr = typeof block.cidr === 'string' ? block.cidr : '';
  if (cidr === '') return [required(`${at}.cidr`)];
  const problems = (value: string): string[] => (known.has(value) ? [] : cidrProblems(value));
  const errors = problems(cidr).map((detail) => invalid(`${at}.cidr`, cidr, detail));
  const outer = parseCidr(cidr);
  if (!outer) return errors;
  (Array.isArray(block.except) ? block.except : []).forEach((value, i) => {
    const text = String(value);
    const exceptAt = `${at}.except[${i}]`;
    errors.push(...problems(text).map((detail) => invalid(exceptAt, text, detail)));
    const inner = parseCidr(text);
    if (inner && !isStrictSubset(inner, outer)) {
      errors.push(invalid(exceptAt, text, 'must be a strict subset of `cidr`'));
    }
  });
  return errors;
}

/** Every CIDR a stored policy names (valid again on update even if no longer accepted). */
function policyCidrs(policy: KubeObject): string[] {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const found: string[] = [];
  for (const [direction, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    for (const rule of objects(spec[direction])) {
      for (const peer of objects(rule[peers])) {
        const block = peer.ipBlock;
        if (!isPlainObject(block)) continue;
        if (typeof block.cidr === 'string') found.push(block.cidr);
        if (Array.isArray(block.except)) found.push(...block.except.map(String));
      }
    }
  }
  return found;
}

/** Errors of a Service's spec (after defaulting; allocation errors come later). */
export function validateService(service: KubeObject): FieldError[] {
  const spec = isPlainObject(service.spec) ? service.spec : {};
  const errors: FieldError[] = [];
  const type = spec.type;
  const headless = spec.clusterIP === 'None';
  const ports = objects(spec.ports);
  if (type === 'ExternalName') {
    if (!spec.externalName) errors.push(required('spec.externalName'));
  } else if (ports.length === 0 && !headless) {
    errors.push(required('spec.ports'));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    if (ports.length > 1 && name === '') errors.push(required(`${at}.name`));
    else if (name !== '') {
      errors.push(...dnsLabelErrors(name).map((detail) => invalid(`${at}.name`, name, detail)));
      if (names.has(name)) errors.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    const number = typeof port.port === 'number' ? port.port : 0;
    for (const detail of portNumberErrors(number))
      errors.push(invalid(`${at}.port`, number, detail));
    if (typeof port.protocol === 'string' && !SERVICE_PROTOCOLS.includes(port.protocol)) {
      errors.push(notSupported(`${at}.protocol`, port.protocol, SERVICE_PROTOCOLS));
    }
    const target = port.targetPort;
    if (typeof target === 'number') {
      for (const detail of portNumberErrors(target))
        errors.push(invalid(`${at}.targetPort`, target, detail));
    } else if (typeof target === 'string') {
      for (const detail of portNameErrors(target))
        errors.push(invalid(`${at}.targetPort`, target, detail));
    }
  });
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    const key = `${String(port.port)}/${String(port.protocol)}`;
    if (seen.has(key)) {
      // The server prints the Go struct it compares: only protocol and port are set in it.
      const printed =
        `{"Name":"","Protocol":${JSON.stringify(port.protocol)},"AppProtocol":null,` +
        `"Port":${String(port.port)},"TargetPort":0,"NodePort":0}`;
      errors.push({ ...duplicate(`spec.ports[${i}]`, ''), message: `Duplicate value: ${printed}` });
    }
    seen.add(key);
  });
  if (typeof type === 'string' && !SERVICE_TYPES.includes(type)) {
    errors.push(notSupported('spec.type', type, SERVICE_TYPES));
  }
  const affinity = spec.sessionAffinity;
  if (typeof affinity === 'string' && affinity !== 'None' && affinity !== 'ClientIP') {
    errors.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  }
  const internal = spec.internalTrafficPolicy;
  if (typeof internal === 'string' && internal !== 'Cluster' && internal !== 'Local') {
    errors.push(notSupported('spec.internalTrafficPolicy', internal, ['Cluster', 'Local']));
  }
  errors.push(...clusterIPErrors(spec));
  errors.push(...labelMapErrors(spec.selector, 'spec.selector'));
  return errors;
}

function clusterIPErrors(spec: JsonObject): FieldError[] {
  const ip = spec.clusterIP;
  if (typeof ip !== 'string' || ip === '') return [];
  if (ip === 'None') {
    const type = String(spec.type);
    return type === 'NodePort' || type === 'LoadBalancer'
      ? [invalid('spec.clusterIPs[0]', ip, `may not be set to 'None' for ${type} services`)]
      : [];
  }
  if (parseIp(ip) !== undefined) return [];
  if (parseIp(ip, true) !== undefined)
    return [invalid('spec.clusterIPs[0]', ip, 'must not have leading 0s')];
  return [
    invalid(
      'spec.clusterIPs[0]',
      ip,
      'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ),
  ];
}
