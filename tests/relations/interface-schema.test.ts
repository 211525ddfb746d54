import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InterfaceSchemaError,
  RelationDataTypeError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';
import { codecKindForFieldSchema } from '../../lib/relations/interface-schema.js';
import { SchemaRegistry } from '../../lib/relations/schema-registry.js';
import type { ExampleProvider, ExampleRequirer } from './support/example-interface.js';

const registry = new SchemaRegistry();
const example = registry.get<ExampleProvider, ExampleRequirer>('example', 1);

function validationError(fn: () => unknown): RelationDataValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RelationDataValidationError) return error;
    throw error;
  }
  throw new Error('expected a RelationDataValidationError');
}

describe('the example interface (decoded-type schemas with derived string codecs)', () => {
  it('derives one codec per declared field from its JSON type', () => {
    expect(
      Object.fromEntries([...example.provider.app.fields].map(([k, c]) => [k, c.kind])),
    ).toEqual({
      'pvc-name': 'string',
      'mount-path': 'string',
      puid: 'integer',
      'read-only': 'boolean',
      labels: 'json',
    });
    expect(example.requirer.app.fields.get('access-mode')?.kind).toBe('string');
    expect(example.name).toBe('example');
    expect(example.version).toBe(1);
    expect(example.provider.side).toBe('provider');
  });

  it('decodes a valid bag to typed values', () => {
    const decoded = example.provider.app.decode(
      {
        'pvc-name': 'shared',
        'mount-path': '/data',
        puid: '1000',
        'read-only': 'true',
        labels: '{"a":"b"}',
      },
      'remote app bag',
    );
    expect(decoded).toEqual({
      'pvc-name': 'shared',
      'mount-path': '/data',
      puid: 1000,
      'read-only': true,
      labels: { a: 'b' },
    });
  });

  it('names every failing field, with a readable reason, in one error', () => {
    const error = validationError(() =>
      example.provider.app.decode(
        {
          'pvc-name': 'Bad_Name',
          'mount-path': 'data',
          puid: 'abc',
          'read-only': 'yes',
          extra: 'x',
        },
        'remote app bag of "storage" on storage:3',
      ),
    );
    expect(error.fields).toEqual(['extra', 'mount-path', 'puid', 'pvc-name', 'read-only']);
    expect(error.message).toBe(
      'Invalid relation data in remote app bag of "storage" on storage:3 (example v1 provider): ' +
        'extra: is not a field of this interface ; ' +
        'mount-path: must be an absolute path ; ' +
        'puid: must be an integer-as-string ; ' +
        'pvc-name: must be a DNS-1123 label: lowercase letters, digits and "-", starting and ' +
        'ending with a letter or digit ; ' +
        'read-only: must be "true" or "false"',
    );
  });

  it('reports missing required fields, and schema rules on decoded values', () => {
    const error = validationError(() => example.provider.app.decode({ puid: '-1' }, 'bag'));
    expect(error.issues).toEqual([
      { field: 'mount-path', reason: 'is required' },
      { field: 'puid', reason: 'must be >= 0' },
      { field: 'pvc-name', reason: 'is required' },
    ]);
  });

  it('reports problems inside JSON-encoded fields by path', () => {
    const error = validationError(() =>
      example.provider.app.decode(
        { 'pvc-name': 'a', 'mount-path': '/', labels: '{"x":1,"y":"ok"}' },
        'bag',
      ),
    );
    expect(error.issues).toEqual([{ field: 'labels.x', reason: 'must be string' }]);
    const notObject = validationError(() =>
      example.provider.app.decode({ 'pvc-name': 'a', 'mount-path': '/', labels: '[1]' }, 'bag'),
    );
    expect(notObject.issues).toEqual([{ field: 'labels', reason: 'must be object' }]);
  });

  it('lists allowed values for enums', () => {
    const error = validationError(() =>
      example.requirer.app.decode(
        { 'client-name': 'radarr', 'access-mode': 'ReadOnlyMany' },
        'bag',
      ),
    );
    expect(error.message).toContain('access-mode: must be one of "ReadWriteOnce", "ReadWriteMany"');
  });

  it('ignores the keys Juju writes into every unit bag', () => {
    const raw = {
      hostname: 'r0',
      'ingress-address': '10.1.1.1',
      'private-address': '10.1.1.1',
      'egress-subnets': '10.1.1.1/32',
    };
    expect(example.requirer.unit.decode(raw, 'bag')).toEqual({ hostname: 'r0' });
    // ... but not in app bags, where they would be real (and here undeclared) fields.
    expect(() =>
      example.requirer.app.decode({ 'client-name': 'r', 'ingress-address': 'x' }, 'bag'),
    ).toThrow('ingress-address: is not a field of this interface');
  });

  it('validates before encoding, so invalid data is never written', () => {
    expect(
      example.provider.app.encode(
        { 'pvc-name': 'shared', 'mount-path': '/data', puid: 0, 'read-only': false, labels: {} },
        'bag',
      ),
    ).toEqual({
      'pvc-name': 'shared',
      'mount-path': '/data',
      puid: '0',
      'read-only': 'false',
      labels: '{}',
    });
    const error = validationError(() =>
      example.provider.app.encode(
        { 'pvc-name': 'shared', 'mount-path': 'relative', puid: 1.5 },
        'local app bag',
      ),
    );
    expect(error.message).toBe(
      'Invalid relation data in local app bag (example v1 provider; nothing was written): ' +
        'mount-path: must be an absolute path ; puid: must be integer',
    );
  });

  it('drops undefined fields when encoding and rejects non-objects', () => {
    expect(example.requirer.unit.encode({ hostname: undefined }, 'bag')).toEqual({});
    expect(() =>
      example.requirer.unit.encode(null as unknown as { hostname?: string }, 'bag'),
    ).toThrow(RelationDataTypeError);
  });
});

describe('SchemaRegistry', () => {
  it('finds the package schemas folder and lists interfaces and versions', () => {
    expect(registry.root).toBe(join(process.cwd(), 'schemas'));
    expect(registry.interfaces()).toContain('example');
    expect(registry.versions('example')).toEqual([1]);
    expect(registry.versions('no-such-interface')).toEqual([]);
  });

  it('compiles each interface version once', () => {
    expect(registry.get('example', 1)).toBe(registry.get('example', 1));
  });

  it('rejects bad interface names and versions before touching the disk', () => {
    expect(() => registry.get('../etc', 1)).toThrow(InterfaceSchemaError);
    expect(() => registry.get('Example', 1)).toThrow('is not an interface name');
    expect(() => registry.get('example', 0)).toThrow('version must be a positive integer');
  });

  it('says which versions exist when asked for a missing one', () => {
    expect(() => registry.get('example', 2)).toThrow(
      /example v2 provider: no schema at .* \(available versions: v1\)/,
    );
  });
});

describe('schema conventions are enforced at load time', () => {
  const side = (name: string, overrides: Record<string, unknown>, sideName = 'provider') => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://example.test/${name}/v1/${sideName}.json`,
    type: 'object',
    properties: { app: { type: 'object', properties: { a: { type: 'string' } } } },
    ...overrides,
  });

  function registryWith(
    name: string,
    provider: unknown,
    requirer: unknown = side(name, {}, 'requirer'),
  ): SchemaRegistry {
    const root = mkdtempSync(join(tmpdir(), 'charmkit-schemas-'));
    mkdirSync(join(root, name, 'v1'), { recursive: true });
    const write = (file: string, value: unknown) =>
      writeFileSync(
        join(root, name, 'v1', file),
        typeof value === 'string' ? value : JSON.stringify(value),
      );
    write('provider.json', provider);
    write('requirer.json', requirer);
    return new SchemaRegistry({ root });
  }

  it('loads a schema from a charm-owned folder; an absent bag accepts any string keys', () => {
    const schema = registryWith('mine', side('mine', {})).get('mine', 1);
    expect(schema.provider.app.decode({ a: 'x' }, 'bag')).toEqual({ a: 'x' });
    expect(schema.provider.unit.decode({ anything: 'goes' }, 'bag')).toEqual({ anything: 'goes' });
    expect(schema.provider.unit.ownedKeys).toEqual([]);
  });

  it('follows local $refs for bags and fields', () => {
    const schema = registryWith(
      'refs',
      side('refs', {
        $defs: {
          port: { type: 'integer', maximum: 65535 },
          bag: { type: 'object', properties: { port: { $ref: '#/$defs/port' } } },
        },
        properties: { app: { $ref: '#/$defs/bag' } },
      }),
    ).get('refs', 1);
    expect(schema.provider.app.fields.get('port')?.kind).toBe('integer');
    expect(schema.provider.app.decode({ port: '80' }, 'bag')).toEqual({ port: 80 });
    expect(() => schema.provider.app.decode({ port: '70000' }, 'bag')).toThrow(
      'port: must be <= 65535',
    );
  });

  it.each([
    ['not JSON', '{ nope', /is not valid JSON/],
    ['an array', '[]', /must hold a JSON object/],
    [
      'another dialect',
      { $schema: 'http://json-schema.org/draft-07/schema#' },
      /"\$schema" must be/,
    ],
    [
      'a wrong $id',
      { $id: 'https://example.test/other/v1/provider.json' },
      /"\$id" must end with "\/bad\/v1\/provider.json"/,
    ],
    ['a non-object top level', { type: 'array' }, /top level must be "type": "object"/],
    [
      'a non-object bag',
      { properties: { app: { type: 'string' } } },
      /properties.app must be "type": "object"/,
    ],
    [
      'an ambiguous field type',
      {
        properties: { app: { type: 'object', properties: { a: { type: ['string', 'integer'] } } } },
      },
      /bad v1 provider app.a: "type": \["string","integer"\] has no single string encoding/,
    ],
    [
      'an untyped field',
      { properties: { app: { type: 'object', properties: { a: { minLength: 1 } } } } },
      /bad v1 provider app.a: declare a "type"/,
    ],
    [
      'a format (ajv-formats is not installed)',
      {
        properties: {
          app: { type: 'object', properties: { a: { type: 'string', format: 'uri' } } },
        },
      },
      /does not compile: unknown format "uri"/,
    ],
    [
      'an unknown keyword',
      {
        properties: {
          app: { type: 'object', properties: { a: { type: 'string', maxlength: 3 } } },
        },
      },
      /does not compile: strict mode: unknown keyword: "maxlength"/,
    ],
    [
      'a remote $ref',
      { properties: { app: { $ref: 'https://elsewhere.test/x.json' } } },
      /only local "#\/..." \$refs are supported/,
    ],
  ])('rejects %s', (_what, provider, expected) => {
    const document =
      typeof provider === 'string' ? provider : side('bad', provider as Record<string, unknown>);
    expect(() => registryWith('bad', document).get('bad', 1)).toThrow(expected);
    expect(() => registryWith('bad', document).get('bad', 1)).toThrow(InterfaceSchemaError);
  });
});

describe('codecKindForFieldSchema', () => {
  it.each([
    [{ type: 'string' }, 'string'],
    [{ type: ['integer'] }, 'integer'],
    [{ type: 'number' }, 'number'],
    [{ type: 'boolean' }, 'boolean'],
    [{ type: 'object' }, 'json'],
    [{ type: 'array' }, 'json'],
    [{ enum: ['a', 'b'] }, 'string'],
    [{ const: 3 }, 'integer'],
    [{ enum: [1.5, 2] }, 'number'],
    [{ const: true }, 'boolean'],
  ])('maps %j to %s', (schema, kind) => {
    expect(codecKindForFieldSchema(schema, 'f')).toBe(kind);
  });

  it.each([[{ type: 'null' }], [{ type: ['string', 'null'] }], [{ enum: ['a', 1] }], [{}]])(
    'rejects %j',
    (schema) => {
      expect(() => codecKindForFieldSchema(schema, 'f')).toThrow(InterfaceSchemaError);
    },
  );
});
