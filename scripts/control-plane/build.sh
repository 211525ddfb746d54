#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok from Go modules
# into a cache outside the repository, keyed by version and by a hash of our build inputs, so a
# warm cache costs nothing and any change to go.mod/go.sum/the wrapper mains rebuilds.
# Prints the directory that holds the binaries on its last line of stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/control-plane/versions.sh"
src="$root/tools/control-plane"

if ! command -v go >/dev/null 2>&1; then
  echo "charmkit: Go is not installed, and the integration tests need it to build the control plane." >&2
  echo "  Install Go >= 1.26 (your distribution's golang package if it is new enough, otherwise the" >&2
  echo "  official toolchain), make sure 'go' is on PATH, then run 'npm test' again." >&2
  exit 3
fi

inputs_hash=$(cd "$src" && cat go.mod go.sum cmd/*/main.go kwok/go.mod kwok/go.sum "$root/scripts/control-plane/build.sh" "$root/scripts/control-plane/versions.sh" | sha256sum | cut -c1-12)
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/charmkit/control-plane"
out="$cache_root/$KUBE_VERSION-$inputs_hash"
bins="kube-apiserver kube-controller-manager kube-scheduler etcd kwok"

complete=1
for b in $bins; do [ -x "$out/$b" ] || complete=0; done
[ -f "$out/kwok-stages.yaml" ] || complete=0
if [ "$complete" = 1 ] && [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

echo "charmkit: building the control plane $KUBE_VERSION (etcd $ETCD_VERSION, kwok $KWOK_VERSION) into $out" >&2
echo "charmkit: a cold build downloads ~0.85 GiB of modules and compiles for 7-8 minutes on 2 cores; later runs reuse it." >&2
start=$(date +%s)
tmp="$out.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
export GOFLAGS="-buildvcs=false -mod=mod"
export CGO_ENABLED=0
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
(cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler ./cmd/etcd) >&2
(cd "$src/kwok" && go build -trimpath -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok) >&2
# kwok's own binary starts with no lifecycle stages; kwokctl feeds it the defaults embedded in its
# module. We take the same YAML from the module we just built, so nothing upstream is committed:
# nodes initialise and heartbeat with leases, pods become Ready, Job pods Succeed, deletes finish.
kwok_dir=$(cd "$src/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
stages="$kwok_dir/kustomize/stage"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  echo "---"; cat "$stages/$f"
done > "$tmp/kwok-stages.yaml"
touch "$tmp/.complete"
rm -rf "$out"; mv "$tmp" "$out"
# Older builds of the same version (other build inputs) are superseded: free their disk.
find "$cache_root" -mindepth 1 -maxdepth 1 -name "$KUBE_VERSION-*" ! -name "$(basename "$out")" -exec rm -rf {} + 2>/dev/null || true
echo "charmkit: control plane built in $(( $(date +%s) - start ))s ($(du -sh "$out" | cut -f1) of binaries)" >&2
echo "$out"
