# Versions of the control plane our integration tests run against. Sourced by the other scripts.
# KUBE_VERSION must match k8s.io/kubernetes in tools/control-plane/go.mod (the staging modules are
# replaced by v0.<minor>.<patch>); ETCD_VERSION is the etcd server that release depends on; KWOK
# is pinned in tools/control-plane/kwok/go.mod.
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.0
KWOK_VERSION=v0.8.0
