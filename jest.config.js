// Jest runs our TypeScript as native ESM: @kubernetes/client-node ships ESM only, so the
// CommonJS path (the jest default) cannot load it. See docs/testing.md for why each line is here.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // Our sources import './x.js' (NodeNext style); map that back to the .ts file for jest.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Examples import charmkit by its package name, as our users do (tsconfig "paths" agrees).
    '^charmkit$': '<rootDir>/lib/index.ts',
    '^charmkit/(core|relations|kube|workload|storage|vpn|testing)$': '<rootDir>/lib/$1/index.ts',
  },
  transform,
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/tests', '<rootDir>/examples'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/tests', '<rootDir>/examples'],
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.mjs',
      globalTeardown: '<rootDir>/tests/support/global-teardown.mjs',
      // testTimeout is global-only in Jest; this sets 180 s for this project alone.
      setupFilesAfterEnv: ['<rootDir>/tests/support/long-timeout.ts'],
    },
    {
      // Benchmarks print ratios and never run under `npm test`; `npm run bench` selects them.
      ...common,
      displayName: 'bench',
      roots: ['<rootDir>/bench'],
      testMatch: ['<rootDir>/bench/**/*.bench.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/support/long-timeout.ts'],
    },
  ],
};
