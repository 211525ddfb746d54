/**
 * charmkit/vpn: route a download client through a VPN gateway pod over pod-gateway's VXLAN,
 * behind a NetworkPolicy kill switch, failing closed — `VPNGatewayRequirer` on the client,
 * `VPNGatewayProvider` on the gateway (gluetun), speaking charmarr's `vpn-gateway` wire format.
 * See docs/vpn.md.
 *
 * This list is the public API; anything not exported here is private.
 */
import './resources.js';

// The two capabilities.
export { VPNGatewayRequirer } from './requirer.js';
export type {
  RelationBrokenPolicy,
  VPNGatewayRequirerOptions,
  VPNGatewayRequirerResult,
  VPNGatewayRequirerState,
} from './requirer.js';
export { VPNGatewayProvider } from './provider.js';
export type {
  GatewayHealth,
  VPNGatewayProviderOptions,
  VPNGatewayProviderResult,
  VPNGatewayProviderState,
} from './provider.js';
export type { ApiServerOption, HostPortOption } from './cluster-addresses.js';

// The interface, in charmarr's wire format.
export {
  DEFAULT_VPN_GATEWAY_ENDPOINT,
  VPN_GATEWAY_INTERFACE,
  VPN_GATEWAY_INTERFACE_VERSION,
  VPNGatewayProviderEndpoint,
  VPNGatewayRequirerEndpoint,
} from './interface.js';
export type {
  VPNGatewayProviderConfig,
  VPNGatewayProviderSide,
  VPNGatewayRequirerConfig,
  VPNGatewayRequirerSide,
} from './interface.js';
export { validateGatewayConfig } from './validate.js';
export type { GatewayOffer, RoutingMethod } from './validate.js';

// Names and images a charm may need to refer to.
export {
  CLIENT_INIT_CONTAINER,
  CLIENT_SIDECAR_CONTAINER,
  POD_GATEWAY_IMAGE,
} from './client-pod.js';
export { GATEWAY_INIT_CONTAINER, GATEWAY_SIDECAR_CONTAINER } from './gateway-pod.js';
export { DEFAULT_LINK_LOCAL_ADDRESSES } from './kill-switch.js';
export type { CiliumPresence } from './cilium.js';

// Errors.
export {
  ClusterDnsNotFoundError,
  GatewayReplicasError,
  KillSwitchError,
  VPNConfigurationError,
} from './errors.js';
