// A requirer controller in full; docs/storage.md shows this file, and npm test type-checks it.
import { createKubePort, resolveSelf, JujuBackend, Dispatcher, StorageRequirer } from 'charmkit';

const backend = new JujuBackend();
const self = resolveSelf(); // own StatefulSet + the pod's credentials
const storage = new StorageRequirer({
  kube: createKubePort({ credentials: self.credentials }),
  backend,
  container: 'radarr', // the charmcraft.yaml container, NOT the app name
  statefulSet: { name: self.name, namespace: self.namespace },
});
const dispatcher = new Dispatcher(backend).register(storage.endpoint);
dispatcher.on('hook', async () => {
  const result = await storage.reconcile(); // every hook: the flow below
  await backend.setStatus(result.status);
});
await dispatcher.dispatch();
