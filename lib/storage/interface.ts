/**
 * The `storage` relation interface, version 1: its schema and typed endpoints.
 *
 * The JSON Schemas in schemas/storage/v1/ are the runtime truth of what travels over the relation
 * (strings on the wire, decoded to the types below by the relations layer). This module binds them
 * to TypeScript types once, so a provider and a requirer cannot disagree about a key's spelling.
 * The endpoints also speak charmarr's `media-storage` format (wire-format.ts): they read either
 * and publish both, so charmkit and charmarr charms relate to each other unchanged.
 */
import { ProviderEndpoint, RequirerEndpoint } from '../relations/endpoint.js';
import type { InterfaceSchema } from '../relations/interface-schema.js';
import type { RelationBackend } from '../relations/backend.js';
import type { Relation } from '../relations/relation.js';
import { defaultSchemaRegistry, type SchemaRegistry } from '../relations/schema-registry.js';
import type {
  StorageOffer,
  StorageProviderAppData,
  StorageRequirerAppData,
  StorageWireFormat,
} from './validate.js';
import {
  fromStorageOffer,
  parseProviderBag,
  parseRequirerBag,
  requirerAppData,
  StorageWireSchemas,
  wireFormatOf,
} from './wire-format.js';

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
  private readonly wire: StorageWireSchemas;

  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_STORAGE_ENDPOINT,
    registry: SchemaRegistry = defaultSchemaRegistry(),
  ) {
    const schema = storageInterfaceSchema(registry);
    super({ backend, endpoint, schema });
    this.wire = new StorageWireSchemas(schema, registry);
  }

  /**
   * Publishes `offer` in both formats in one write (leader only), so charmkit and unmodified
   * charmarr requirers read it; resolves to whether anything changed.
   */
  publishOffer(relation: Relation, offer: Omit<StorageOffer, 'wireFormat'>): Promise<boolean> {
    return this.publishAppData(relation, fromStorageOffer(offer));
  }

  /**
   * The instance name a requirer published, in whichever format; undefined while it has published
   * nothing. Throws `InvalidStorageDataError` naming every bad field.
   */
  async remoteInstance(
    relation: Relation,
  ): Promise<
    { readonly instanceName: string; readonly wireFormat: StorageWireFormat } | undefined
  > {
    const raw = await relation.data.remoteApp.read();
    return parseRequirerBag(raw, `${relation.remoteApp} on ${relation}`, this.wire);
  }
}

/** The requirer's endpoint: reads the claim to mount, publishes its instance name. */
export class StorageRequirerEndpoint extends RequirerEndpoint<
  StorageProviderSide,
  StorageRequirerSide
> {
  private readonly wire: StorageWireSchemas;

  constructor(
    backend: RelationBackend,
    endpoint = DEFAULT_STORAGE_ENDPOINT,
    registry: SchemaRegistry = defaultSchemaRegistry(),
  ) {
    const schema = storageInterfaceSchema(registry);
    super({ backend, endpoint, schema });
    this.wire = new StorageWireSchemas(schema, registry);
  }

  /**
   * The provider's offer, validated, in whichever format it published (`offer.wireFormat` says
   * which); undefined while it has published nothing. The claim must be in `namespace`, the
   * requirer's own. Throws `InvalidStorageDataError` naming every bad field.
   */
  async remoteOffer(relation: Relation, namespace: string): Promise<StorageOffer | undefined> {
    const raw = await relation.data.remoteApp.read();
    if (wireFormatOf(raw) === undefined) return undefined;
    return parseProviderBag(raw, `${relation.remoteApp} on ${relation}`, namespace, this.wire);
  }

  /** Publishes this app's instance name in both formats (leader only). */
  publishInstanceName(relation: Relation, instanceName: string): Promise<boolean> {
    return this.publishAppData(relation, requirerAppData(instanceName));
  }
}
