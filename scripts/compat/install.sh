#!/usr/bin/env bash
# Installs the scratch tree both compatibility runs use, `.compat/` (gitignored): the `node@22` npm
# package, which ships a Node 22 binary (the machine runs Node 20 and has no other way to get one),
# and @kubernetes/client-node@2 (which needs Node >= 22.19). The repository's node_modules are not
# touched. Prints the Node 22 binary's path; a second run installs nothing.
#
# Used by scripts/compat/client-node-2.sh (the adapter's tests on client-node 2.x) and
# scripts/consumer/run.mjs (the packed package in a fresh project on Node 22).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
compat="$root/.compat"
mkdir -p "$compat"

if [ ! -f "$compat/package.json" ]; then
  cat >"$compat/package.json" <<'JSON'
{
  "name": "charmkit-compat-client-node-2",
  "private": true,
  "description": "Scratch install for scripts/compat/; not part of charmkit.",
  "dependencies": {
    "@kubernetes/client-node": "^2.0.0",
    "node": "^22.19.0"
  }
}
JSON
fi

cn="$compat/node_modules/@kubernetes/client-node"
node22="$compat/node_modules/node/bin/node"
if [ ! -f "$cn/package.json" ] || [ ! -x "$node22" ]; then
  echo "charmkit compat: installing @kubernetes/client-node@2 and node@22 into .compat/" >&2
  (cd "$compat" && npm install --no-audit --no-fund --loglevel=error --engine-strict=false) >&2
fi
echo "$node22"
