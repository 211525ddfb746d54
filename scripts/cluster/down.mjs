// Stops what up.mjs started (TERM, then KILL after a grace period), removes etcd's tmpfs data and
// the state file. Leaves the certificates so the next start is fast. Safe to run twice.
import fs from 'node:fs';
import { clusterDir, kubeconfigPath, processAlive, readState, sleep, statePath } from './lib.mjs';

const state = readState();
if (!state) {
  console.log('charmkit: no cluster state; nothing to stop');
  process.exit(0);
}
// Reverse start order: kwok and the controllers first, etcd last.
const order = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
for (const name of order) {
  const pid = state.pids?.[name];
  if (!pid || !processAlive(pid)) continue;
  try {
    process.kill(-pid, 'SIGTERM'); // its own process group (spawned detached)
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10000;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
}
if (state.etcdDir?.startsWith('/dev/shm/charmkit-etcd-'))
  fs.rmSync(state.etcdDir, { recursive: true, force: true });
fs.rmSync(statePath, { force: true });
fs.rmSync(kubeconfigPath, { force: true });
console.log(`charmkit: cluster stopped (logs kept in ${clusterDir}/logs)`);
