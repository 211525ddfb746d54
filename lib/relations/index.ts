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
export type { CodecKind } from './codec.js';
export type { FieldCodec, FieldCodecs } from './codec.js';

// Interface schemas.
export { BagSchema, InterfaceSchema, SideSchema } from './interface-schema.js';
export type { InterfaceSide, SideData, UntypedSideData } from './interface-schema.js';
export { defaultSchemaRegistry, SchemaRegistry } from './schema-registry.js';
export type { SchemaRegistryOptions } from './schema-registry.js';

// Endpoints and events.
export { ProviderEndpoint, RelationEndpoint, RequirerEndpoint } from './endpoint.js';
export type { EndpointEventMap, EndpointOptions, NoEvents } from './endpoint.js';
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
export { hookContextFromEnv } from './hook-context.js';
export type { HookEnv } from './hook-context.js';

// Backends.
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
