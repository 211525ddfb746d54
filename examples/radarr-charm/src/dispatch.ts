/**
 * The Juju entry point: the charm's `dispatch` runs `node dist/.../dispatch.js` once per hook.
 *
 * Everything a hook needs is in its environment: `JujuBackend` reads the hook, the unit and the
 * model from it, `createKubePort()` finds the pod's service account (grant it with `juju trust`),
 * and the StatefulSet to patch is the application's, in the model's namespace. `runHook` does the
 * rest, including the exit code: non-zero when a retry may help (Juju then runs the hook again),
 * zero with a Blocked status when a person must fix something first.
 */
import { createKubePort } from 'charmkit/kube';
import { JujuBackend } from 'charmkit/relations';
import { runHook } from 'charmkit/workload';
import { RadarrCharm } from './charm.js';

const backend = new JujuBackend();
const charm = new RadarrCharm({ backend, kube: createKubePort() });

/** What this hook did; exported so a test can import this file and look. */
export const run = await runHook(backend, charm);
