#!/usr/bin/env bash
# Starts charmkit's local test control plane: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, all on 127.0.0.1, and writes .cluster/kubeconfig.
# Builds the binaries first if the cache does not have them (see scripts/control-plane/build.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(bash "$root/scripts/control-plane/build.sh" | tail -n 1)
exec node "$root/scripts/cluster/up.mjs" "$bin"
