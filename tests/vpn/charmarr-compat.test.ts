/**
 * Drop-in compatibility with charmarr-lib-vpn 0.6.4, on recorded bags (tests/vpn/fixtures, made by
 * charmarr's own publish code; see the README there): we decode what charmarr writes, and what we
 * write satisfies charmarr's own data models (their recorded pydantic JSON Schemas). Our bags are
 * kept in fixtures/charmkit-bags.json too, so charmarr's real models can check them
 * (`charmarr-vpn-bags.py --check`); UPDATE_FIXTURES=1 rewrites that file.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { vpnGatewayInterfaceSchema } from '../../lib/vpn/interface.js';
import { VPNGatewayProvider } from '../../lib/vpn/provider.js';
import { VPNGatewayRequirer } from '../../lib/vpn/requirer.js';
import { validateGatewayConfig } from '../../lib/vpn/validate.js';
import { API_SERVER, charmStatefulSet, NS } from './support.js';

const fixtures = join(process.cwd(), 'tests', 'vpn', 'fixtures');
const recorded = JSON.parse(readFileSync(join(fixtures, 'charmarr-bags.json'), 'utf8')) as {
  'charmarr-lib-vpn': string;
  provider: Record<string, { config: string }>;
  requirer: Record<string, { config: string }>;
  schemas: Record<'VPNGatewayProviderData' | 'VPNGatewayRequirerData', Record<string, unknown>>;
};
const schema = vpnGatewayInterfaceSchema();

/** Our two bags, written by our own classes through a model, exactly as they go on the wire. */
async function ourBags(): Promise<{
  provider: Record<string, string>;
  requirer: Record<string, string>;
}> {
  const model = new MemoryModel({ name: NS });
  const gluetun = model.backend('gluetun/0', { leader: true });
  const qbittorrent = model.backend('qbittorrent/0', { leader: true });
  const id = model.relate(
    { app: 'gluetun', endpoint: 'vpn-gateway' },
    { app: 'qbittorrent', endpoint: 'vpn-gateway' },
  );
  const kube = new FakeCluster({
    simulate: { statefulSets: true },
    objects: [
      charmStatefulSet('gluetun', 'gluetun'),
      charmStatefulSet('qbittorrent', 'qbittorrent'),
    ],
  });
  const provider = new VPNGatewayProvider({
    kube: kube,
    backend: gluetun,
    clusterCidrs: ['10.1.0.0/16', '10.152.183.0/24'],
    clusterDnsIp: '10.152.183.10',
    health: () => Promise.resolve({ connected: true, externalIp: '203.0.113.7' }),
  });
  await provider.reconcile();
  await kube.settle();
  await provider.reconcile();
  await new VPNGatewayRequirer({
    kube: kube,
    backend: qbittorrent,
    apiServer: API_SERVER,
  }).reconcile();
  return {
    provider: model.bag(id, { scope: 'app', name: 'gluetun' }),
    requirer: model.bag(id, { scope: 'app', name: 'qbittorrent' }),
  };
}

describe('charmarr-lib-vpn compatibility', () => {
  it('the fixtures are charmarr-lib-vpn 0.6.4', () => {
    expect(recorded['charmarr-lib-vpn']).toBe('0.6.4');
  });

  it.each(Object.keys(recorded.provider))(
    'decodes charmarr provider bag "%s" into a valid offer',
    (name) => {
      const bag = recorded.provider[name]!;
      const decoded = schema.provider.app.decode(bag, name);
      const offer = validateGatewayConfig(decoded.config, name);
      const raw = JSON.parse(bag.config) as Record<string, unknown>;
      expect(offer.gatewayDnsName).toBe(raw.gateway_dns_name);
      expect(offer.vxlanPort).toBe(raw.vxlan_port);
      expect(offer.vpnConnected).toBe(raw.vpn_connected);
      expect(offer.clusterCidrs.map((c) => c.text).join(',')).toBe(raw.cluster_cidrs);
    },
  );

  it('decodes the charmarr requirer bag', () => {
    expect(schema.requirer.app.decode(recorded.requirer.qbittorrent!, 'requirer').config).toEqual({
      instance_name: 'qbittorrent',
    });
  });

  it("writes bags that satisfy charmarr's own data models (recorded JSON Schemas)", async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const bags = await ourBags();
    for (const [bag, model] of [
      [bags.provider, 'VPNGatewayProviderData'],
      [bags.requirer, 'VPNGatewayRequirerData'],
    ] as const) {
      expect(Object.keys(bag)).toEqual(['config']);
      const validate = ajv.compile(recorded.schemas[model]);
      const value = JSON.parse(bag.config!) as unknown;
      expect(validate(value) ? [] : validate.errors).toEqual([]);
      // Every field charmarr declares is written, so charmarr never falls back to its own default.
      expect(Object.keys(value as object).sort()).toEqual(
        Object.keys(recorded.schemas[model].properties as object).sort(),
      );
    }
    const file = join(fixtures, 'charmkit-bags.json');
    const ours = { provider: { charmkit: bags.provider }, requirer: { charmkit: bags.requirer } };
    if (process.env.UPDATE_FIXTURES === '1')
      writeFileSync(file, `${JSON.stringify(ours, null, 2)}\n`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(ours);
  });

  it('refuses what charmarr would accept but must never reach a kill switch', () => {
    const charmarrWouldTake = {
      ...JSON.parse(recorded.provider.connecting!.config),
      cluster_cidrs: '0.0.0.0/0',
    };
    const decoded = schema.provider.app.decode(
      { config: JSON.stringify(charmarrWouldTake) },
      'bag',
    );
    expect(() => validateGatewayConfig(decoded.config, 'bag')).toThrow(/every address/);
  });
});
