// A requirer controller in full; docs/storage.md shows this file, and npm test type-checks it.
import { createKubePort, JujuBackend, runHook, StorageRequirer } from 'charmkit';

const backend = new JujuBackend(); // the hook, the unit and the model, from Juju's environment
const storage = new StorageRequirer({
  kube: createKubePort(), // the pod's service account (grant it with `juju trust`)
  backend,
  container: 'radarr', // the charmcraft.yaml container, NOT the app name
  // statefulSet: the application's, in the model's namespace, unless given here
});
// Every hook: relation events first, then the flow below; the status it reports is set, and the
// hook exits non-zero when a retry may help (Juju then runs it again), 0 when a person must act.
await runHook(backend, { endpoints: [storage.endpoint], reconcile: () => storage.reconcile() });
