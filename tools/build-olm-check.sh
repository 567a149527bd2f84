#!/usr/bin/env bash
# Builds olm-check (tools/olm: the operator-framework bundle validators and the scorecard's static tests, see
# tools/olm/main.go) from Go modules, into a cache folder outside the repository, named after a hash of its sources:
# built when missing or when tools/olm changed, kept otherwise. The binary is never committed.
#   --print-path   prints the binary's path (built or not) and exits
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/olm
hash=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)
OUT=${XDG_CACHE_HOME:-$HOME/.cache}/clever-addon-operator/olm
BIN=$OUT/olm-check-$hash

if [[ "${1:-}" == "--print-path" ]]; then echo "$BIN"; exit 0; fi
step() { printf '\033[1m[olm-check]\033[0m %s\n' "$*" >&2; }
if [[ -x "$BIN" ]]; then step "up to date: $BIN"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  for d in ${CLEVER_GO_DIRS-/usr/local/go/bin /usr/lib/go/bin}; do [[ -x $d/go ]] && PATH=$d:$PATH && break; done
fi
command -v go >/dev/null 2>&1 || { echo "error: Go >= 1.24 is needed once, to build olm-check" >&2; exit 1; }
# Never download a toolchain; go.sum is committed.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$OUT"
step "downloading modules (first time only)..."
(cd "$src" && go mod download -x 2>&1 | grep -c '^# get' | sed 's/^/[olm-check]   modules fetched: /' >&2 || true)
step "compiling (a cold build takes a few minutes on 2 cores)..."
start=$SECONDS
log=$(mktemp)
(cd "$src" && nice go build -v -trimpath -ldflags "-s -w" -o "$BIN.tmp" .) 2>"$log" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 15
  kill -0 "$pid" 2>/dev/null && step "  $(wc -l <"$log") packages compiled, $((SECONDS - start)) s"
done
if ! wait "$pid"; then echo "error: building olm-check failed:" >&2; tail -40 "$log" >&2; rm -f "$log"; exit 1; fi
rm -f "$log"
mv "$BIN.tmp" "$BIN"
# Older builds of other source hashes are of no use any more.
find "$OUT" -maxdepth 1 -name 'olm-check-*' ! -name "olm-check-$hash" -delete
step "built in $((SECONDS - start)) s: $BIN"
