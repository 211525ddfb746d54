import { describe, expect, it } from '@jest/globals';
import { canonicalQuantity } from '../../lib/kube/stored-quantity.js';

// Pairs read back from kube-apiserver v1.37.2 for container memory limits (a resource list);
// tests/testing/fake-defaults.diff.int.test.ts checks the same against the live server.
const STORED: [string, string][] = [
  ['1024Mi', '1Gi'],
  ['0.5', '500m'],
  ['1000m', '1'],
  ['1e3', '1e3'],
  ['2048Ki', '2Mi'],
  ['1.5Gi', '1536Mi'],
  ['100M', '100M'],
  ['1000000', '1M'],
  ['0.1', '100m'],
  ['1500m', '1500m'],
  ['1k', '1k'],
  ['1024', '1024'],
  ['5Gi', '5Gi'],
  ['512Mi', '512Mi'],
  ['1536Mi', '1536Mi'],
  ['0', '0'],
  ['2.5', '2500m'],
  ['10e2', '1e3'],
  ['1E6', '1E6'],
  ['123456789', '123456789'],
  ['1.0', '1'],
  ['100Mi', '100Mi'],
  ['1000Ki', '1000Ki'],
  ['0.001', '1m'],
  ['0.0001', '1m'],
];

describe('canonicalQuantity', () => {
  it.each(STORED)('%s is stored as %s in a resource list', (sent, stored) => {
    expect(canonicalQuantity(sent, true)).toBe(stored);
  });

  it('keeps nano precision outside resource lists and leaves what it cannot parse', () => {
    expect(canonicalQuantity('0.0001', false)).toBe('100u');
    expect(canonicalQuantity('lots', true)).toBe('lots');
    expect(canonicalQuantity('0.5Ki', true)).toBe('512');
  });
});
