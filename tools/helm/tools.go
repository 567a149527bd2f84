//go:build tools

// Package tools pins the Helm command used to lint and render the chart in helm/ (tests and `npm run manifests`).
// Nothing compiles this file; `go mod tidy` reads its imports.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
