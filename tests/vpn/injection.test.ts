/**
 * Nothing from relation data reaches a shell: hostile values are refused by validation, and the
 * settings file and container specs are safe even when a value were to slip through — proven by
 * sourcing the generated file with a real `sh` and checking that no command ran.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelationDataValidationError } from '../../lib/relations/errors.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { clientInitContainer, clientSidecarContainer } from '../../lib/vpn/client-pod.js';
import { vpnGatewayInterfaceSchema } from '../../lib/vpn/interface.js';
import { parseCidr, parseIp, type Cidr } from '../../lib/core/net.js';
import { VPNGatewayRequirer } from '../../lib/vpn/requirer.js';
import {
  clientSettings,
  gatewaySettings,
  renderSettings,
  shellQuote,
} from '../../lib/vpn/settings.js';
import { validateGatewayConfig, type GatewayOffer } from '../../lib/vpn/validate.js';
import { API_SERVER, charmStatefulSet, clientModel, gatewayConfig } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'charmkit-injection-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const marker = join(work, 'pwned');

/** Payloads a hostile gateway could send; each would run `touch <marker>` if a shell expanded it. */
const PAYLOADS = [
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `10.1.0.0/16; touch ${marker}`,
  `10.1.0.0/16\ntouch ${marker}`,
  `10.1.0.0/16' ; touch ${marker} ; '`,
  `10.1.0.0/16" ; touch ${marker} ; "`,
  `10.1.0.0/16 && touch ${marker}`,
  `10.1.0.0/16 | touch ${marker}`,
  `\${IFS}touch\${IFS}${marker}`,
  `10.1.0.0/16 > ${marker}`,
  `*`,
  `-o ProxyCommand=touch ${marker}`,
];

const STRING_FIELDS = [
  'routing_method',
  'gateway_dns_name',
  'vxlan_ip_network',
  'cluster_cidrs',
  'cluster_dns_ip',
  'external_ip',
  'instance_name',
] as const;

/** Sources `settings` with sh and prints the named variables, one per line, NUL-separated. */
function sourceWithSh(settings: string, names: readonly string[]): string[] {
  const file = join(work, 'settings.sh');
  writeFileSync(file, settings);
  const script = `. "$1"; ${names.map((n) => `printf '%s\\0' "$${n}"`).join('; ')}`;
  const out = execFileSync('sh', ['-c', script, 'sh', file], { encoding: 'utf8' });
  return out.split('\0').slice(0, names.length);
}

describe('hostile relation values', () => {
  it.each(STRING_FIELDS)('are refused by validation in %s', (field) => {
    const schema = vpnGatewayInterfaceSchema();
    for (const payload of PAYLOADS) {
      const bag = { config: JSON.stringify(gatewayConfig({ [field]: payload })) };
      expect(() => {
        const decoded = schema.provider.app.decode(bag, 'bag');
        validateGatewayConfig(decoded.config, 'bag');
      }).toThrow(RelationDataValidationError);
    }
  });

  it('never reach the cluster: a reconcile with any of them makes no Kubernetes request', async () => {
    for (const field of STRING_FIELDS) {
      for (const payload of PAYLOADS.slice(0, 4)) {
        const kube = new FakeCluster({ objects: [charmStatefulSet('qbittorrent', 'qbittorrent')] });
        const { backend } = clientModel(gatewayConfig({ [field]: payload }));
        const result = await new VPNGatewayRequirer({
          kube: kube,
          backend,
          apiServer: API_SERVER,
        }).reconcile();
        expect(result.state).toBe('invalid');
        expect(kube.requests).toEqual([]);
      }
    }
  });
});

describe('settings.sh, even if a value slipped through validation', () => {
  // An offer forged past the validators: every string a payload.
  const forged = (payload: string): GatewayOffer => ({
    routingMethod: 'pod-gateway',
    gatewayDnsName: payload,
    vxlanId: 42,
    vxlanIpNetwork: payload,
    vxlanPort: 4790,
    clusterCidrs: [],
    clusterDnsIp: { family: 4, value: 0n, text: payload },
    vpnConnected: true,
    externalIp: undefined,
    instanceName: payload,
  });
  const forgedCidr = (payload: string): Cidr => ({
    family: 4,
    network: 0n,
    prefix: 16,
    text: payload,
  });

  it('is inert when sourced: the values come back literally and no command ran', () => {
    for (const payload of PAYLOADS.filter((p) => !p.includes('\n'))) {
      const settings = clientSettings({ offer: forged(payload), notRouted: [forgedCidr(payload)] });
      const values = sourceWithSh(settings, [
        'K8S_DNS_IPS',
        'NOT_ROUTED_TO_GATEWAY_CIDRS',
        'VXLAN_IP_NETWORK',
      ]);
      expect(values).toEqual([payload, payload, payload]);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('refuses a newline outright (no setting needs one)', () => {
    expect(() => clientSettings({ offer: forged(PAYLOADS[3]!), notRouted: [] })).toThrow(/newline/);
  });

  it('quotes every assignment with single quotes', () => {
    const settings = gatewaySettings({
      vxlanId: 42,
      vxlanIpNetwork: '172.16.0',
      vxlanPort: 4790,
      firstDynamicIp: 20,
      vpnInterface: 'tun0',
      vpnTrafficPort: 443,
      localCidrs: ['10.1.0.0/16', 'fd00::/64'].map((t) => (parseCidr(t) as { cidr: Cidr }).cidr),
      clusterDnsIp: parseIp('10.152.183.10')!.text,
      clusterDomain: 'cluster.local',
    });
    const assignments = settings.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
    for (const line of assignments) expect(line).toMatch(/^[A-Z_][A-Z0-9_]*='[^']*'$/);
    expect(settings).toContain("VPN_LOCAL_CIDRS='10.1.0.0/16'");
    expect(settings).toContain("VXLAN_PORT='4790'");
    expect(renderSettings([['X', "it's"]])).toContain(`X=${shellQuote("it's")}`);
    expect(sourceWithSh(renderSettings([['X', "it's $(x) `y`"]]), ['X'])).toEqual([
      "it's $(x) `y`",
    ]);
  });
});

describe('container specs', () => {
  it('carry relation values only as environment values, never in a command', () => {
    for (const payload of PAYLOADS) {
      const spec = {
        image: 'img',
        configMapName: 'cm',
        gatewayDnsName: payload,
        settingsHash: 'h',
        dns: { mode: 'cluster' } as const,
      };
      for (const container of [clientInitContainer(spec), clientSidecarContainer(spec)]) {
        expect(JSON.stringify([container.command, container.args ?? []])).not.toContain(payload);
        expect(container.env).toEqual([{ name: 'gateway', value: payload }]);
        expect(container.image).toBe('img');
      }
    }
  });
});
