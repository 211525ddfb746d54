// Command etcd wraps etcd's own entry point. Debian ships etcd 3.4, which lacks watch features the
// apiserver relies on, so we build the release that k8s.io/kubernetes itself depends on.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
