/**
 * Integration tests wait for a real control plane (rollouts, PV binding, RBAC caches) on a 2-core
 * machine; Jest's 5 s default would fail them under load. `testTimeout` is a global Jest option
 * (a project-level value is ignored), so the integration and bench projects set it here, per
 * project, and unit tests keep the short default.
 */
import { jest } from '@jest/globals';

jest.setTimeout(180_000);
