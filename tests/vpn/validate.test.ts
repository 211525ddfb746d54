import { describe, expect, it } from '@jest/globals';
import { RelationDataValidationError } from '../../lib/relations/errors.js';
import { vpnGatewayInterfaceSchema } from '../../lib/vpn/interface.js';
import { validateGatewayConfig } from '../../lib/vpn/validate.js';
import { gatewayConfig } from './support.js';

const schema = vpnGatewayInterfaceSchema();

function issuesOf(run: () => unknown): { field: string; reason: string }[] {
  try {
    run();
  } catch (failure) {
    if (failure instanceof RelationDataValidationError) return [...failure.issues];
    throw failure;
  }
  throw new Error('expected a validation error');
}

describe('the vpn-gateway v1 schema', () => {
  it('decodes the app bag key config from JSON', () => {
    const decoded = schema.provider.app.decode({ config: JSON.stringify(gatewayConfig()) }, 'bag');
    expect(decoded.config.vxlan_id).toBe(42);
  });

  it('names every out-of-range or mistyped field, in words', () => {
    const issues = issuesOf(() =>
      schema.provider.app.decode(
        {
          config: JSON.stringify({
            ...gatewayConfig(),
            vxlan_id: 0,
            vxlan_port: 70000,
            vpn_connected: 'yes',
            routing_method: 'ipsec',
          }),
        },
        'bag',
      ),
    );
    expect(issues.map((i) => i.field).sort()).toEqual([
      'config.routing_method',
      'config.vpn_connected',
      'config.vxlan_id',
      'config.vxlan_port',
    ]);
    expect(issues.map((i) => i.reason).join(' ')).not.toMatch(/pattern|\^|\$\//);
  });

  it('names missing required fields and refuses a second app-bag key', () => {
    const issues = issuesOf(() => schema.provider.app.decode({ config: '{}', other: 'x' }, 'bag'));
    expect(issues.map((i) => `${i.field}: ${i.reason}`)).toEqual(
      expect.arrayContaining([
        'config.cluster_cidrs: is required',
        'config.cluster_dns_ip: is required',
        'config.gateway_dns_name: is required',
        'config.instance_name: is required',
        'other: is not a field of this interface',
      ]),
    );
  });

  it('ignores unknown fields inside config, as charmarr does (a newer gateway still relates)', () => {
    const decoded = schema.provider.app.decode(
      { config: JSON.stringify({ ...gatewayConfig(), future_field: 1 }) },
      'bag',
    );
    expect(() => validateGatewayConfig(decoded.config, 'bag')).not.toThrow();
  });
});

describe('validateGatewayConfig', () => {
  it('returns a typed offer with charmarr defaults for absent optional fields', () => {
    const {
      routing_method,
      vxlan_id,
      vxlan_port,
      vxlan_ip_network,
      vpn_connected,
      external_ip,
      ...required
    } = gatewayConfig();
    void [routing_method, vxlan_id, vxlan_port, vxlan_ip_network, vpn_connected, external_ip];
    const offer = validateGatewayConfig(required, 'bag');
    expect(offer).toMatchObject({
      routingMethod: 'pod-gateway',
      vxlanId: 42,
      vxlanPort: 4790,
      vxlanIpNetwork: '172.16.0',
      vpnConnected: false,
    });
    expect(offer.clusterCidrs.map((c) => c.text)).toEqual(['10.1.0.0/16', '10.152.183.0/24']);
    expect(offer.externalIp).toBeUndefined();
  });

  it.each([
    ['0.0.0.0/0', 'every address'],
    ['::/0', 'every address'],
    ['8.8.8.0/24', 'not a private range'],
    ['0.0.0.0/1', 'not a private range'],
    ['10.1.2.3/16', 'host bits set (the range is 10.1.0.0/16)'],
    ['10.0.0.0/40', 'prefix length outside 0..32'],
    ['2001:db8::/32', 'broader than /48'],
    ['10.1.0.0', 'no prefix length'],
  ])('refuses cluster_cidrs %s: %s', (bad, reason) => {
    const issues = issuesOf(() =>
      validateGatewayConfig(gatewayConfig({ cluster_cidrs: `10.1.0.0/16,${bad}` }), 'bag'),
    );
    expect(issues).toEqual([
      { field: 'config.cluster_cidrs', reason: expect.stringContaining(reason) },
    ]);
  });

  it('accepts IPv6 cluster ranges and the link-local /32 charmarr appends', () => {
    const offer = validateGatewayConfig(
      gatewayConfig({ cluster_cidrs: '10.1.0.0/16, fd00:10::/56,169.254.7.127/32' }),
      'bag',
    );
    expect(offer.clusterCidrs.map((c) => c.text)).toEqual([
      '10.1.0.0/16',
      'fd00:10::/56',
      '169.254.7.127/32',
    ]);
  });

  it('names every bad field at once', () => {
    const issues = issuesOf(() =>
      validateGatewayConfig(
        gatewayConfig({
          gateway_dns_name: 'gluetun',
          vxlan_ip_network: '172.16.0.0/24',
          cluster_dns_ip: '10.152.183.10; reboot',
          external_ip: 'somewhere',
          instance_name: 'glu tun',
          routing_method: 'wireguard',
        }),
        'bag',
      ),
    );
    expect(issues.map((i) => i.field).sort()).toEqual([
      'config.cluster_dns_ip',
      'config.external_ip',
      'config.gateway_dns_name',
      'config.instance_name',
      'config.routing_method',
      'config.vxlan_ip_network',
    ]);
    expect(issues.find((i) => i.field === 'config.vxlan_ip_network')?.reason).toContain(
      'not a CIDR such as',
    );
  });

  it('refuses a VXLAN network that is public or overlaps a cluster range', () => {
    expect(
      issuesOf(() => validateGatewayConfig(gatewayConfig({ vxlan_ip_network: '8.8.8' }), 'bag'))[0]
        ?.reason,
    ).toContain('private range');
    expect(
      issuesOf(() => validateGatewayConfig(gatewayConfig({ vxlan_ip_network: '10.1.4' }), 'bag'))[0]
        ?.reason,
    ).toContain('overlaps the cluster range 10.1.0.0/16');
  });

  it('refuses more ranges than any cluster needs', () => {
    const many = Array.from({ length: 33 }, (_, i) => `10.${i}.0.0/16`).join(',');
    expect(
      issuesOf(() => validateGatewayConfig(gatewayConfig({ cluster_cidrs: many }), 'bag'))[0]
        ?.reason,
    ).toContain('at most 32');
  });
});
