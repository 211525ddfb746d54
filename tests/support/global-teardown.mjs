// Stops the control plane if (and only if) global-setup started it for this run.
import { spawnSync } from 'node:child_process';
import { root } from '../../scripts/cluster/lib.mjs';

export default async function globalTeardown() {
  if (!globalThis.__charmkitStartedCluster) return;
  spawnSync('bash', ['scripts/cluster/down.sh'], { cwd: root, stdio: 'inherit' });
}
