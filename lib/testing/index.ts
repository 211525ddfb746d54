/**
 * charmkit/testing: test doubles for code written against `KubePort`.
 *
 * Import from `charmkit/testing` in tests only; production code never imports this folder.
 */

// FakeCluster: an in-memory KubePort with the API server's semantics (see fake-cluster.ts for
// what it models and what it does not).
export { FakeCluster, type FakeClusterOptions } from './fake-cluster.js';
export type {
  FieldPatchMeta,
  PatchMetadataTable,
  PatchStrategy,
} from './strategic-merge-metadata.js';
export type { FaultHandle, FaultSpec, InjectedStatus, RequestMatcher } from './fake-faults.js';
export type { GenerationPolicy, KindBehavior, StatusWriteKeeps } from './fake-kinds.js';
export type { SimulationOptions } from './fake-simulation.js';

// Object builders: the StatefulSet Juju creates for a sidecar charm, claims, storage classes.
export {
  claimFixture,
  JUJU_CHARM_CONTAINER,
  jujuStatefulSetFixture,
  statefulSetFixture,
  storageClassFixture,
  WORKLOAD_CONTAINER,
} from './fixtures.js';
export type {
  ClaimFixtureOptions,
  JujuStatefulSetFixtureOptions,
  StatefulSetFixtureOptions,
  StorageClassFixtureOptions,
} from './fixtures.js';

// Scenario: describe a state, run one hook through a controller, inspect the output state.
export { on, Scenario, ScenarioError } from './scenario.js';
export type {
  RecordingKubePort,
  ScenarioBaseState,
  ScenarioController,
  ScenarioControllerContext,
  ScenarioEvent,
  ScenarioOptions,
  ScenarioOutput,
  ScenarioRelation,
  ScenarioRelationOutput,
  ScenarioState,
  ScenarioStateArg,
  Bag,
  UnitOptions,
} from './scenario.js';
