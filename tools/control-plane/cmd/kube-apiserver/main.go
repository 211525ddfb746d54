// Command kube-apiserver wraps the upstream command constructor so that the binary can be built
// from the Go module proxy alone.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
