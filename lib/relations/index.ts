/**
 * charmkit/relations: Juju-style relation data, typed and validated, over Juju or in memory.
 *
 * This list is the public API; anything not exported here is private. It knows nothing of
 * Kubernetes (see lib/kube for that).
 */

// Workload status.
export { active, blocked, combineStatuses, errorStatus, maintenance, waiting } from './status.js';
export type { Status, StatusName } from './status.js';

// Errors.
export {
  formatFieldIssues,
  HookContextError,
  HookToolError,
  InterfaceSchemaError,
  NotLeaderError,
  RelationDataAccessError,
  RelationDataDecodeError,
  RelationDataError,
  RelationDataTypeError,
  RelationDataValidationError,
  RelationError,
  RelationNotFoundError,
} from './errors.js';
export type { FieldIssue } from './errors.js';

// The relation model: relations, bags, codecs.
export { Relation } from './relation.js';
export type { RelationData } from './relation.js';
export { DataBag } from './databag.js';
export type { BagContents, BagRole, ReadableDataBag, WritableDataBag } from './databag.js';
export { codecs, decodeFields, encodeFields } from './codec.js';
export type { CodecKind, FieldCodec, FieldCodecs } from './codec.js';

// Interface schemas.
export {
  BagSchema,
  codecKindForFieldSchema,
  InterfaceSchema,
  JUJU_UNIT_BAG_KEYS,
  SideSchema,
} from './interface-schema.js';
export type { InterfaceSide, SideData, UntypedSideData } from './interface-schema.js';
export {
  defaultSchemaRegistry,
  JSON_SCHEMA_DIALECT,
  packageSchemasDir,
  SchemaRegistry,
} from './schema-registry.js';
export type { SchemaRegistryOptions } from './schema-registry.js';

// Endpoints and events.
export { ProviderEndpoint, RelationEndpoint, RequirerEndpoint } from './endpoint.js';
export type { EndpointEventMap, EndpointOptions, NoEvents } from './endpoint.js';
export { RELATION_EVENT_KINDS } from './events.js';
export type {
  RelationBrokenEvent,
  RelationChangedEvent,
  RelationCreatedEvent,
  RelationDepartedEvent,
  RelationEvent,
  RelationEventBase,
  RelationEventKind,
  RelationEventMap,
  RelationJoinedEvent,
} from './events.js';

// Dispatching hooks.
export { Dispatcher } from './dispatcher.js';
export type {
  ActionEvent,
  DispatcherEventMap,
  DispatcherOptions,
  DispatchResult,
  HookEvent,
  HookHandler,
} from './dispatcher.js';
export { parseHookName } from './hook-names.js';
export type { ActionHook, GenericHook, ParsedHook, RelationHook } from './hook-names.js';
export { hookContextFromEnv, hookNameFromEnv, parseRelationId } from './hook-context.js';
export type { HookEnv } from './hook-context.js';

// Backends.
export { appNameOf } from './backend.js';
export type {
  BagRef,
  BagScope,
  HookContext,
  HookContextSource,
  Leadership,
  LogLevel,
  RelationBackend,
  RelationHookInfo,
  RelationReader,
  RelationWriter,
  StatusReporter,
  UnitLogger,
} from './backend.js';
export { JujuBackend } from './juju-backend.js';
export type { JujuBackendOptions } from './juju-backend.js';
export { runHookTool } from './hook-tool.js';
export type { HookToolOptions } from './hook-tool.js';
export { MemoryBackend, MemoryModel } from './memory-backend.js';
export type {
  MemoryBackendOptions,
  MemoryCall,
  MemoryInterceptor,
  MemoryLogEntry,
  MemoryRelationEvent,
  MemoryRelationSide,
  MemoryWrite,
  SeedRelation,
} from './memory-backend.js';
