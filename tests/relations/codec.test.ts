import { describe, expect, it } from '@jest/globals';
import { codecs, decodeFields, encodeFields, type FieldCodecs } from '../../lib/relations/codec.js';
import {
  RelationDataDecodeError,
  RelationDataTypeError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';

describe('codecs', () => {
  it('round-trips each type through its string form', () => {
    expect(codecs.string.encode('a b', 'f')).toBe('a b');
    expect(codecs.integer.encode(-42, 'f')).toBe('-42');
    expect(codecs.integer.decode('-42', 'f')).toBe(-42);
    expect(codecs.number.encode(1.5, 'f')).toBe('1.5');
    expect(codecs.number.decode('2e3', 'f')).toBe(2000);
    expect(codecs.boolean.encode(true, 'f')).toBe('true');
    expect(codecs.boolean.decode('false', 'f')).toBe(false);
    const json = codecs.json<{ a: number[] }>();
    expect(json.encode({ a: [1, 2] }, 'f')).toBe('{"a":[1,2]}');
    expect(json.decode('{"a":[1,2]}', 'f')).toEqual({ a: [1, 2] });
  });

  it.each(['', '042', '4.0', '4e1', '+4', ' 4', '0x10', 'abc', '9007199254740993'])(
    'rejects %j as an integer, naming the field',
    (raw) => {
      expect(() => codecs.integer.decode(raw, 'puid')).toThrow(RelationDataDecodeError);
      expect(() => codecs.integer.decode(raw, 'puid')).toThrow(
        'puid: must be an integer-as-string',
      );
    },
  );

  it.each(['', '1.', '.5', 'NaN', 'Infinity', '1,5', '01'])('rejects %j as a number', (raw) => {
    expect(() => codecs.number.decode(raw, 'size')).toThrow('size: must be a number-as-string');
  });

  it.each(['True', 'TRUE', 'yes', '1', ''])('rejects %j as a boolean', (raw) => {
    expect(() => codecs.boolean.decode(raw, 'ro')).toThrow('ro: must be "true" or "false"');
  });

  it('rejects malformed JSON without quoting the value (it may be a secret)', () => {
    const error = catchError(() => codecs.json().decode('{"password":"hunter2"', 'creds'));
    expect(error).toBeInstanceOf(RelationDataDecodeError);
    expect((error as RelationDataDecodeError).field).toBe('creds');
    expect((error as Error).message).toBe('creds: must be JSON-encoded');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses to encode values of the wrong type', () => {
    expect(() => codecs.integer.encode(1.5, 'puid')).toThrow(RelationDataTypeError);
    expect(() => codecs.integer.encode(2 ** 60, 'puid')).toThrow('puid: expected a safe integer');
    expect(() => codecs.number.encode(Number.NaN, 'n')).toThrow(
      'expected a finite number, got the number NaN',
    );
    expect(() => codecs.boolean.encode('true' as unknown as boolean, 'b')).toThrow('got string');
    expect(() => codecs.string.encode(5 as unknown as string, 's')).toThrow('got the number 5');
    expect(() => codecs.json().encode(undefined, 'j')).toThrow(RelationDataTypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => codecs.json().encode(cyclic, 'j')).toThrow('j: cannot be JSON-encoded');
  });
});

interface Mount {
  path: string;
  puid: number;
  readOnly: boolean;
  labels: Record<string, string>;
}

const MOUNT: FieldCodecs<Mount> = {
  path: codecs.string,
  puid: codecs.integer,
  readOnly: codecs.boolean,
  labels: codecs.json<Record<string, string>>(),
};

describe('decodeFields / encodeFields', () => {
  it('encodes typed data and decodes it back, ignoring keys without a codec', () => {
    const encoded = encodeFields<Mount>(
      { path: '/data', puid: 1000, readOnly: false, labels: { a: 'b' } },
      MOUNT,
    );
    expect(encoded).toEqual({
      path: '/data',
      puid: '1000',
      readOnly: 'false',
      labels: '{"a":"b"}',
    });
    expect(decodeFields<Mount>({ ...encoded, 'ingress-address': '10.0.0.1' }, MOUNT)).toEqual({
      path: '/data',
      puid: 1000,
      readOnly: false,
      labels: { a: 'b' },
    });
  });

  it('leaves out undefined fields when encoding and absent ones when decoding', () => {
    expect(encodeFields<Mount>({ path: '/x', puid: undefined }, MOUNT)).toEqual({ path: '/x' });
    expect(decodeFields<Mount>({ puid: '7' }, MOUNT)).toEqual({ puid: 7 });
  });

  it('reports every malformed field at once, in one validation error', () => {
    const error = catchError(() =>
      decodeFields<Mount>(
        { path: '/ok', puid: 'x', readOnly: 'yes', labels: '{' },
        MOUNT,
        'remote app bag',
      ),
    );
    expect(error).toBeInstanceOf(RelationDataValidationError);
    const validation = error as RelationDataValidationError;
    expect(validation.fields).toEqual(['puid', 'readOnly', 'labels']);
    expect(validation.message).toBe(
      'Invalid relation data in remote app bag: puid: must be an integer-as-string ; ' +
        'readOnly: must be "true" or "false" ; labels: must be JSON-encoded',
    );
  });

  it('refuses to encode a field it has no codec for', () => {
    expect(() => encodeFields<Mount>({ bogus: 1 } as unknown as Mount, MOUNT)).toThrow(
      'bogus: no codec declared for this field',
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
