/**
 * The `vpn-gateway` relation interface, version 1, in charmarr's wire format: each side's leader
 * writes ONE app-bag key, `config`, holding a JSON object whose field names and types are those of
 * charmarr-lib-vpn. Speaking it unchanged is what lets our requirer relate to an unmodified
 * charmarr gluetun charm and our provider serve an unmodified charmarr download client.
 *
 * The JSON Schemas in schemas/vpn-gateway/v1/ check the shape; lib/vpn/validate.ts checks what a
 * schema cannot (CIDRs, addresses, names). Defaults for absent optional fields are charmarr's, so a
 * bag means the same thing to both libraries.
 */
import type { RelationBackend } from '../relations/backend.js';
import { ProviderEndpoint, RequirerEndpoint } from '../relations/endpoint.js';
import type { InterfaceSchema } from '../relations/interface-schema.js';
import { defaultSchemaRegistry, type SchemaRegistry } from '../relations/schema-registry.js';

/** The interface name, as in charmcraft.yaml `interface: vpn-gateway`. */
export const VPN_GATEWAY_INTERFACE = 'vpn-gateway';
/** The schema version this library speaks. */
export const VPN_GATEWAY_INTERFACE_VERSION = 1;
/** The endpoint name charmarr uses, and ours unless a charm chooses another. */
export const DEFAULT_VPN_GATEWAY_ENDPOINT = 'vpn-gateway';

/** The provider's `config` object as it travels (charmarr's `VPNGatewayProviderData`). */
export interface VPNGatewayProviderConfig {
  routing_method?: string;
  gateway_dns_name: string;
  vxlan_id?: number;
  vxlan_ip_network?: string;
  vxlan_port?: number;
  /** Comma-separated. */
  cluster_cidrs: string;
  cluster_dns_ip: string;
  vpn_connected?: boolean;
  external_ip?: string | null;
  instance_name: string;
}

/** The requirer's `config` object as it travels (charmarr's `VPNGatewayRequirerData`). */
export interface VPNGatewayRequirerConfig {
  instance_name: string;
}

/** What the provider side publishes: one app-bag key; units publish nothing. */
export interface VPNGatewayProviderSide {
  app: { config: VPNGatewayProviderConfig };
  unit: Record<string, never>;
}

/** What the requirer side publishes. */
export interface VPNGatewayRequirerSide {
  app: { config: VPNGatewayRequirerConfig };
  unit: Record<string, never>;
}

/**
 * charmarr-lib-vpn 0.6.4's defaults for the optional fields, applied when a bag omits one so both
 * libraries read the same bag the same way.
 */
export const CHARMARR_DEFAULTS = {
  routing_method: 'pod-gateway',
  vxlan_id: 42,
  vxlan_ip_network: '172.16.0',
  vxlan_port: 4790,
  vpn_connected: false,
} as const;

/** The compiled vpn-gateway v1 schema, from `registry` (default: the package's own schemas/). */
export function vpnGatewayInterfaceSchema(
  registry: SchemaRegistry = defaultSchemaRegistry(),
): InterfaceSchema<VPNGatewayProviderSide, VPNGatewayRequirerSide> {
  return registry.get<VPNGatewayProviderSide, VPNGatewayRequirerSide>(
    VPN_GATEWAY_INTERFACE,
    VPN_GATEWAY_INTERFACE_VERSION,
  );
}

/** The gateway's endpoint: publishes its settings to every client, reads who the clients are. */
export class VPNGatewayProviderEndpoint extends ProviderEndpoint<
  VPNGatewayProviderSide,
  VPNGatewayRequirerSide
> {
  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_VPN_GATEWAY_ENDPOINT,
    registry?: SchemaRegistry,
  ) {
    super({ backend, endpoint, schema: vpnGatewayInterfaceSchema(registry) });
  }
}

/** A client's endpoint: reads the gateway's settings, publishes its own name. */
export class VPNGatewayRequirerEndpoint extends RequirerEndpoint<
  VPNGatewayProviderSide,
  VPNGatewayRequirerSide
> {
  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_VPN_GATEWAY_ENDPOINT,
    registry?: SchemaRegistry,
  ) {
    super({ backend, endpoint, schema: vpnGatewayInterfaceSchema(registry) });
  }
}
