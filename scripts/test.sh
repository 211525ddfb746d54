#!/usr/bin/env bash
# The one test command (`npm test`): types, lint, unit and integration tests (the integration
# project starts the local control plane, building it on first use), then the adapter's
# compatibility run on @kubernetes/client-node 2.x, then the consumer test (the packed package in
# fresh projects on Node 20 and 22, as README.md tells users to install it). Any failure fails the
# run; nothing is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rm -rf .test-results && mkdir -p .test-results

step() { printf '\n==> %s\n' "$*"; }

# The volume-resize script tests run rsync and the attr tools for real (the copy pod's tools).
# Like Go for the control plane: installed when we can (root with apt-get), otherwise the run
# fails and names the command; never skipped.
step "tools for the resize script tests (rsync, getfattr, setfattr)"
resize_tools() { for t in rsync getfattr setfattr; do command -v "$t" >/dev/null 2>&1 || return 1; done; }
if ! resize_tools && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "charmkit: installing rsync and attr with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends rsync attr >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends rsync attr >/dev/null; } || true
fi
if ! resize_tools; then
  echo "charmkit: the resize script tests need rsync, getfattr and setfattr, and they are missing." >&2
  echo "  Install them with:  sudo apt-get install -y rsync attr   then run 'npm test' again." >&2
  exit 3
fi
echo "charmkit: $(rsync --version | head -1)"

step "typecheck (tsc --noEmit)"
npx --no-install tsc -p tsconfig.json --noEmit

step "lint (eslint, prettier)"
npx --no-install eslint .
npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --check .; exit 1; }

step "build, then import the built package by name (the exports map our users resolve)"
rm -rf dist
npx --no-install tsc -p tsconfig.build.json
node --input-type=module -e '
const root = await import("charmkit");
const testing = await import("charmkit/testing");
const missing = ["StorageRequirer", "StorageProvider", "createKubePort", "JujuBackend", "KubernetesError", "runHook"]
  .filter((name) => !(name in root));
if (!("FakeCluster" in testing)) missing.push("charmkit/testing FakeCluster");
if (missing.length) { console.error("built package lacks: " + missing.join(", ")); process.exit(1); }
console.log("charmkit: built package imports cleanly (" + Object.keys(root).length + " exports)");
'

step "public API report (api/*.api.md must match the build; see scripts/api-report.mjs)"
node scripts/api-report.mjs

step "unit + integration tests (jest)"
status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit integration --ci \
  --json --outputFile=.test-results/jest.json "$@" || status=$?

if [ -x scripts/compat/client-node-2.sh ] && [ $# -eq 0 ]; then
  step "compatibility: @kubernetes/client-node 2.x on Node 22"
  bash scripts/compat/client-node-2.sh || status=$?
fi

if [ $# -eq 0 ]; then
  step "consumer test: the packed package in fresh projects on Node 20 and 22 (scripts/consumer/run.mjs)"
  node scripts/consumer/run.mjs --no-build || status=$?
else
  echo "charmkit: jest arguments given, so the client-node 2.x and consumer runs were left out;" \
    "run bash scripts/compat/client-node-2.sh and node scripts/consumer/run.mjs for them"
fi

# One plain closing line over every jest run above (main suite and compatibility runs).
STATUS=$status node -e '
const fs = require("fs");
let passed = 0, failed = 0;
for (const f of fs.readdirSync(".test-results").filter((f) => f.endsWith(".json"))) {
  const r = JSON.parse(fs.readFileSync(".test-results/" + f, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests;
}
console.log(`\ncharmkit: ${passed} passed, ${failed} failed`);
if (process.env.STATUS !== "0" && failed === 0) console.log("charmkit: a run failed without failing a test (see its output above)");
' || true
exit $status
