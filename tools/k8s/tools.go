//go:build tools

// Package tools pins the Kubernetes commands that the test control plane is built from.
// Nothing compiles this file; `go mod tidy` reads its imports.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
