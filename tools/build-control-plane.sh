#!/usr/bin/env bash
# Builds the local Kubernetes control plane (kube-apiserver, kubectl, etcd) used by the tests and the playground,
# and helm (chart lint/render tests, `npm run manifests`), from the wrapper Go modules in tools/k8s, tools/etcd and
# tools/helm, into a cache folder outside the repository.
# Idempotent: a binary whose --version already matches is kept. Binaries are never committed.
set -euo pipefail

K8S_VERSION=1.33.4
ETCD_VERSION=3.5.21
HELM_VERSION=3.18.6 # tools/helm pins the same; 3.18 is built against k8s.io 0.33, like the control plane
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${CLEVER_TESTBIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clever-addon-operator/testbin/k8s-v$K8S_VERSION-etcd-v$ETCD_VERSION}

if [[ "${1:-}" == "--print-dir" ]]; then echo "$OUT"; exit 0; fi
# Optional arguments name the binaries wanted (e.g. the playground needs no helm); default: all of them.
wanted=("$@")

# Go is needed only when something must be compiled; cached binaries work without it.
require_go() {
  command -v go >/dev/null 2>&1 && return
  for d in ${CLEVER_GO_DIRS-/usr/local/go/bin /usr/lib/go/bin}; do [[ -x $d/go ]] && PATH=$d:$PATH && return; done
  echo "error: Go is not installed; it is needed once, to build kube-apiserver, kubectl and etcd for the local" >&2
  echo "       control plane. Install Go >= 1.24 (https://go.dev/doc/install), or set CLEVER_TESTBIN_DIR to a" >&2
  echo "       folder that already holds those binaries." >&2
  exit 1
}
# Never download a toolchain; build static binaries like the official release does.
export GOTOOLCHAIN=local CGO_ENABLED=0
# go.sum is committed, so the checksum database is not needed; the module proxy here lacks sumdb entries for
# some k8s.io staging modules, which would otherwise fail `go mod download` on a fresh module cache.
export GONOSUMDB=${GONOSUMDB:-k8s.io}
mkdir -p "$OUT"

step() { printf '\033[1m[control-plane]\033[0m %s\n' "$*" >&2; }

K8S_MINOR=$(cut -d. -f2 <<<"$K8S_VERSION")
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF="$LDF -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR -X $p.gitTreeState=clean"
done

build() { # name, module dir, package, version command, expected text, ldflags
  local name=$1 dir=$2 pkg=$3 vcmd=$4 want=$5 ldf=$6
  if ((${#wanted[@]} > 0)) && [[ " ${wanted[*]} " != *" $name "* ]]; then return; fi
  # Capture first: with pipefail, `grep -q` closing the pipe early would fail the version command with SIGPIPE.
  if [[ -x "$OUT/$name" ]] && [[ "$("$OUT/$name" $vcmd 2>/dev/null || true)" == *"$want"* ]]; then
    step "$name: up to date ($want) in $OUT"
    return
  fi
  require_go
  step "$name: downloading modules (first time only)..."
  (cd "$here/$dir" && go mod download -x 2>&1 | grep -c '^# get' | sed 's/^/[control-plane]   modules fetched: /' >&2 || true)
  step "$name: compiling $pkg (a cold build takes several minutes on 2 cores)..."
  local start=$SECONDS
  local log; log=$(mktemp)
  (cd "$here/$dir" && go build -v -trimpath -tags=notest,grpcnotrace -ldflags "$ldf" -o "$OUT/$name.tmp" "$pkg") 2>"$log" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && step "  $name: $(wc -l <"$log") packages compiled, $((SECONDS - start)) s"
  done
  if ! wait "$pid"; then echo "error: building $name failed:" >&2; tail -40 "$log" >&2; rm -f "$log"; exit 1; fi
  rm -f "$log"
  mv "$OUT/$name.tmp" "$OUT/$name"
  [[ "$("$OUT/$name" $vcmd 2>&1 || true)" == *"$want"* ]] || { echo "error: built $name does not report $want" >&2; exit 1; }
  step "$name: built in $((SECONDS - start)) s"
}

build etcd etcd go.etcd.io/etcd/server/v3 --version "etcd Version: $ETCD_VERSION" "-s -w"
build kube-apiserver k8s k8s.io/kubernetes/cmd/kube-apiserver --version "Kubernetes v$K8S_VERSION" "$LDF"
build kubectl k8s k8s.io/kubernetes/cmd/kubectl "version --client" "v$K8S_VERSION" "$LDF"
# Like helm's Makefile: its version, and the Kubernetes version that `helm template`/`lint` assume (else 1.20).
HLDF="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  HLDF="$HLDF -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$K8S_MINOR"
done
build helm helm helm.sh/helm/v3/cmd/helm "version --short" "v$HELM_VERSION" "$HLDF"
step "ready: $OUT"
