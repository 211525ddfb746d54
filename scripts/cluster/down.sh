#!/usr/bin/env bash
# Stops every process cluster:up started and removes its tmpfs etcd data. Safe to run twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec node "$root/scripts/cluster/down.mjs"
