// Jest global setup of the `integration` project: make sure a real control plane is running.
//
// If one from this checkout is already up (`npm run cluster:up`), the tests use it and leave it
// running. Otherwise we start one (building the binaries first if the cache is cold) and
// global-teardown stops it again. A failure here fails the run with the reason: integration tests
// are never skipped. Plain JS: jest loads global setup outside its module mapper.
import { spawnSync } from 'node:child_process';
import { apiserverReady, readState, root } from '../../scripts/cluster/lib.mjs';

export default async function globalSetup() {
  let state = readState();
  if (state && (await apiserverReady(state))) {
    announce(state, 'an already running cluster');
    return;
  }
  const result = spawnSync('bash', ['scripts/cluster/up.sh'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(
      result.status === 3
        ? 'charmkit integration tests need Go (>= 1.26) to build the local control plane; install it and run `npm test` again.'
        : `charmkit could not start the local control plane (exit ${result.status}); see the output above and .cluster/logs/.`,
    );
  }
  state = readState();
  if (!state) throw new Error('cluster:up reported success but wrote no .cluster/state.json');
  globalThis.__charmkitStartedCluster = true;
  announce(state, 'started for this run');
}

function announce(state, how) {
  console.log(
    `\ncharmkit: integration tests run against kube-apiserver ${state.serverVersion ?? '(unknown version)'} ` +
      `at https://127.0.0.1:${state.ports.apiserver}, built locally from Go modules (${state.binDir}); ${how}.`,
  );
}
