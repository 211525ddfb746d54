/**
 * The REST mappings of the kinds only the VPN capability uses, registered once when lib/vpn loads,
 * so no discovery request is ever needed (lib/kube maps the built-in kinds it knows).
 */
import { registerResource } from '../kube/resources.js';
import type { TypeRef } from '../kube/port.js';

/** `CustomResourceDefinition`, read once to learn whether Cilium runs. */
export const CRD_TYPE: TypeRef = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
};
/** `CiliumNetworkPolicy`, the API-server allowance on Cilium. */
export const CILIUM_POLICY_TYPE: TypeRef = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
};
/** `EndpointSlice`, where the API server's real addresses are published. */
export const ENDPOINT_SLICE_TYPE: TypeRef = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
};
/** `NetworkPolicy`, the kill switch. */
export const NETWORK_POLICY_TYPE: TypeRef = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
};
/** `ConfigMap`, pod-gateway's settings. */
export const CONFIG_MAP_TYPE: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };
/** `Service`, the gateway's headless Service and the cluster DNS and API server Services. */
export const SERVICE_TYPE: TypeRef = { apiVersion: 'v1', kind: 'Service' };

registerResource(CRD_TYPE, { plural: 'customresourcedefinitions', namespaced: false });
registerResource(CILIUM_POLICY_TYPE, { plural: 'ciliumnetworkpolicies', namespaced: true });
registerResource(ENDPOINT_SLICE_TYPE, { plural: 'endpointslices', namespaced: true });
