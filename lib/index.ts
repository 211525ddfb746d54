/**
 * charmkit: typed, tested building blocks for charm-like Kubernetes controllers.
 *
 * Each capability folder has its own barrel (also importable as `charmkit/<folder>`); this file
 * re-exports them so `import { ... } from 'charmkit'` works too.
 */
export * from './core/index.js';
export * from './kube/index.js';
export * from './relations/index.js';
export * from './storage/index.js';
export * from './workload/index.js';
