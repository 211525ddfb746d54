import { describe, expect, it } from '@jest/globals';
import {
  cidrContains,
  cidrCovers,
  fqdnProblem,
  labelValueProblem,
  parseCidr,
  parseIp,
  parseThreeOctets,
  type Cidr,
} from '../../lib/core/net.js';

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.cidr;
};

describe('addresses', () => {
  it.each(['10.1.2.3', '0.0.0.0', '255.255.255.255'])('parses IPv4 %s', (text) => {
    expect(parseIp(text)?.family).toBe(4);
  });
  it.each([
    '010.1.2.3',
    '1.2.3',
    '1.2.3.256',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.4;id',
    '1.2.3.4/32',
    '',
  ])('refuses %j as an address', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
  it.each(['::1', 'fd00::', '2001:db8::1', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8'])(
    'parses IPv6 %s',
    (text) => {
      expect(parseIp(text)?.family).toBe(6);
    },
  );
  it.each(['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', ':::', '1:2:3:4:5:6:7::8:9'])(
    'refuses %j as IPv6',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
  it('values IPv6 by its groups, whatever the compression', () => {
    expect(parseIp('2001:db8::1')?.value).toBe(parseIp('2001:0db8:0:0:0:0:0:1')?.value);
  });
});

describe('CIDRs', () => {
  it('parses ranges and checks containment', () => {
    expect(cidrContains(cidr('10.1.0.0/16'), parseIp('10.1.255.3')!)).toBe(true);
    expect(cidrContains(cidr('10.1.0.0/16'), parseIp('10.2.0.1')!)).toBe(false);
    expect(cidrCovers(cidr('10.0.0.0/8'), cidr('10.152.183.0/24'))).toBe(true);
    expect(cidrCovers(cidr('10.152.183.0/24'), cidr('10.0.0.0/8'))).toBe(false);
    expect(cidrCovers(cidr('fd00::/8'), cidr('fd00:1::/64'))).toBe(true);
  });
  it('names host bits and the range that was probably meant', () => {
    expect(parseCidr('10.1.2.3/16')).toEqual({
      problem: '"10.1.2.3/16" has host bits set (the range is 10.1.0.0/16)',
    });
  });
  it.each([
    ['10.0.0.0/33', 'prefix length outside 0..32'],
    ['fd00::/129', 'prefix length outside 0..128'],
    ['10.0.0.0/08', 'prefix length outside'],
    ['10.0.0.0', 'no prefix length'],
    ['ten/8', 'does not start with an IPv4 or IPv6 address'],
  ])('refuses %s', (text, problem) => {
    const parsed = parseCidr(text);
    expect('problem' in parsed && parsed.problem).toContain(problem);
  });
});

describe('names', () => {
  it('accepts an RFC 1123 FQDN and explains what is wrong with others', () => {
    expect(fqdnProblem('gluetun-vpn-gateway.media.svc.cluster.local')).toBeUndefined();
    expect(fqdnProblem('gluetun')).toContain('fully qualified');
    expect(fqdnProblem('a..b')).toContain('empty label');
    expect(fqdnProblem('-a.b')).toContain('letters, digits');
    expect(fqdnProblem('a.b;reboot')).toContain('letters, digits');
    expect(fqdnProblem(`${'a'.repeat(64)}.b`)).toContain('longer than 63');
    expect(fqdnProblem(`${'a.'.repeat(127)}ab`)).toContain('longer than 253');
  });
  it('checks label values', () => {
    expect(labelValueProblem('gluetun')).toBeUndefined();
    expect(labelValueProblem('glu tun')).toContain('letters, digits');
  });
  it('parses three octets', () => {
    expect(parseThreeOctets('172.16.0')).toEqual([172, 16, 0]);
    expect(parseThreeOctets('172.16.0.0/24')).toBeUndefined();
    expect(parseThreeOctets('172.16.256')).toBeUndefined();
  });
});
