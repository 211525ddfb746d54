import {
  addQuantities,
  compareQuantities,
  InvalidQuantityError,
  parseQuantity,
  quantityBytes,
  subtractQuantities,
} from '../../lib/kube/quantity.js';
import { checkSizeChange, validateStorageSize, VolumeShrinkError } from '../../lib/storage/size.js';

describe('parseQuantity', () => {
  it.each([
    ['1', 1n],
    ['0', 0n],
    ['1Ki', 1024n],
    ['1Mi', 1024n ** 2n],
    ['10Gi', 10n * 1024n ** 3n],
    ['1Ti', 1024n ** 4n],
    ['1Pi', 1024n ** 5n],
    ['1Ei', 1024n ** 6n],
    ['1k', 1000n],
    ['5M', 5_000_000n],
    ['2G', 2_000_000_000n],
    ['1T', 10n ** 12n],
    ['1P', 10n ** 15n],
    ['1E', 10n ** 18n],
    ['1e3', 1000n],
    ['1E3', 1000n],
    ['1e+3', 1000n],
    ['1.5Gi', 1610612736n],
    ['.5Ki', 512n],
    ['1.Ki', 1024n],
    ['+3', 3n],
    ['1073741824', 1024n ** 3n],
  ])('%s is %s bytes', (text, bytes) => {
    expect(quantityBytes(parseQuantity(text))).toBe(bytes);
  });

  it('keeps fractions exact: milli, micro, nano and negative exponents', () => {
    expect(compareQuantities('1500m', '1.5')).toBe(0);
    expect(compareQuantities('1e-3', '1m')).toBe(0);
    expect(compareQuantities('1000000u', '1')).toBe(0);
    expect(compareQuantities('1n', '0')).toBe(1);
    expect(quantityBytes('1500m')).toBe(2n); // fractional bytes round up, as the server does
  });

  it('orders equal sizes spelled differently as equal', () => {
    expect(compareQuantities('1Gi', '1073741824')).toBe(0);
    expect(compareQuantities('1024Mi', '1Gi')).toBe(0);
    expect(compareQuantities('1G', '1e9')).toBe(0);
    expect(compareQuantities('1000k', '1M')).toBe(0);
  });

  it('distinguishes sizes a double could not', () => {
    expect(compareQuantities('8Ei', '9223372036854775809')).toBe(-1);
    expect(compareQuantities('9223372036854775808', '8Ei')).toBe(0);
  });

  it('orders decimal and binary units correctly', () => {
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('1Ti', '1T')).toBe(1);
    expect(compareQuantities('999Mi', '1Gi')).toBe(-1);
    expect(compareQuantities('-1', '0')).toBe(-1);
  });

  it.each(['', 'abc', 'Gi', '1GB', '1gi', '1 Gi', '1.2.3', '1e', '1KiB', '1e99999', '--1', '.'])(
    'rejects %j with a typed error showing valid forms',
    (text) => {
      expect(() => parseQuantity(text)).toThrow(InvalidQuantityError);
      expect(() => parseQuantity(text)).toThrow(/use forms like 10Gi/);
    },
  );

  it('adds and subtracts exactly', () => {
    expect(compareQuantities(addQuantities('1Gi', '1Gi'), '2Gi')).toBe(0);
    expect(compareQuantities(subtractQuantities('3Gi', '1Gi'), '2Gi')).toBe(0);
    expect(compareQuantities(addQuantities('500m', '500m'), '1')).toBe(0);
  });
});

describe('grow-only size checks', () => {
  it('equal sizes spelled differently are unchanged', () => {
    expect(checkSizeChange('media', '1Gi', '1024Mi')).toEqual({
      kind: 'unchanged',
      current: '1Gi',
      desired: '1024Mi',
    });
  });

  it('a larger size is a grow that needs a resize', () => {
    expect(checkSizeChange('media', '10Gi', '20Gi').kind).toBe('grow');
  });

  it('a smaller size is a typed error that says how to recover', () => {
    expect(() => checkSizeChange('media', '10Gi', '5Gi')).toThrow(VolumeShrinkError);
    expect(() => checkSizeChange('media', '10Gi', '5Gi')).toThrow(
      'cannot shrink PVC media from 10Gi to 5Gi: Kubernetes volumes only grow; set the size back to at least 10Gi, or migrate the data to a new, smaller volume',
    );
    // one byte less is still a shrink
    expect(() => checkSizeChange('media', '1Gi', '1073741823')).toThrow(VolumeShrinkError);
  });

  it('sizes must be positive quantities', () => {
    expect(validateStorageSize('1Mi')).toBe('1Mi');
    expect(() => validateStorageSize('0')).toThrow(/must be positive/);
    expect(() => validateStorageSize('-1Gi')).toThrow(InvalidQuantityError);
    expect(() => checkSizeChange('media', '1Gi', 'lots')).toThrow(InvalidQuantityError);
  });
});
