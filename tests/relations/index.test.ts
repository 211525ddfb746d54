import { describe, expect, it } from '@jest/globals';
import * as root from '../../lib/index.js';
import * as relations from '../../lib/relations/index.js';

describe('public API', () => {
  it('exports the relation model, schemas, endpoints, dispatcher, backends and status', () => {
    for (const name of [
      'Relation',
      'DataBag',
      'codecs',
      'decodeFields',
      'encodeFields',
      'SchemaRegistry',
      'defaultSchemaRegistry',
      'InterfaceSchema',
      'ProviderEndpoint',
      'RequirerEndpoint',
      'Dispatcher',
      'parseHookName',
      'hookContextFromEnv',
      'JujuBackend',
      'MemoryBackend',
      'MemoryModel',
      'RelationDataAccessError',
      'RelationDataValidationError',
      'HookToolError',
      'NotLeaderError',
      'RelationNotFoundError',
      'active',
      'blocked',
      'combineStatuses',
    ]) {
      expect(relations).toHaveProperty(name);
      expect(root).toHaveProperty(name);
    }
  });

  it('re-exports the same objects from the package root', () => {
    expect(root.Relation).toBe(relations.Relation);
    expect(root.defaultSchemaRegistry().get('example', 1)).toBe(
      relations.defaultSchemaRegistry().get('example', 1),
    );
  });
});
