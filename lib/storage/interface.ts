/**
 * The `storage` relation interface, version 1: its schema and typed endpoints.
 *
 * The JSON Schemas in schemas/storage/v1/ are the runtime truth of what travels over the relation
 * (strings on the wire, decoded to the types below by the relations layer). This module binds them
 * to TypeScript types once, so a provider and a requirer cannot disagree about a key's spelling.
 */
import { ProviderEndpoint, RequirerEndpoint } from '../relations/endpoint.js';
import type { InterfaceSchema } from '../relations/interface-schema.js';
import type { RelationBackend } from '../relations/backend.js';
import { defaultSchemaRegistry, type SchemaRegistry } from '../relations/schema-registry.js';
import type { StorageProviderAppData, StorageRequirerAppData } from './validate.js';

/** The interface name, as in charmcraft.yaml `interface: storage`. */
export const STORAGE_INTERFACE = 'storage';
/** The schema version this library speaks. */
export const STORAGE_INTERFACE_VERSION = 1;
/** The endpoint name used when a charm does not choose another. */
export const DEFAULT_STORAGE_ENDPOINT = 'storage';

/** What the provider side publishes: app data only (units publish nothing). */
export interface StorageProviderSide {
  app: StorageProviderAppData;
  unit: Record<string, never>;
}

/** What the requirer side publishes. */
export interface StorageRequirerSide {
  app: StorageRequirerAppData;
  unit: Record<string, never>;
}

/** The compiled storage v1 schema, from `registry` (default: the package's own schemas/). */
export function storageInterfaceSchema(
  registry: SchemaRegistry = defaultSchemaRegistry(),
): InterfaceSchema<StorageProviderSide, StorageRequirerSide> {
  return registry.get<StorageProviderSide, StorageRequirerSide>(
    STORAGE_INTERFACE,
    STORAGE_INTERFACE_VERSION,
  );
}

/** The provider's endpoint: publishes the claim, reads who mounts it. */
export class StorageProviderEndpoint extends ProviderEndpoint<
  StorageProviderSide,
  StorageRequirerSide
> {
  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_STORAGE_ENDPOINT,
    registry?: SchemaRegistry,
  ) {
    super({ backend, endpoint, schema: storageInterfaceSchema(registry) });
  }
}

/** The requirer's endpoint: reads the claim to mount, publishes its instance name. */
export class StorageRequirerEndpoint extends RequirerEndpoint<
  StorageProviderSide,
  StorageRequirerSide
> {
  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_STORAGE_ENDPOINT,
    registry?: SchemaRegistry,
  ) {
    super({ backend, endpoint, schema: storageInterfaceSchema(registry) });
  }
}
