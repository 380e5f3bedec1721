#!/usr/bin/env bash
# Builds tools/grafana-validate (rendered dashboards and alert rules checked with Grafana's own
# Apache-2.0 schema code, github.com/grafana/grafana-foundation-sdk/go v0.0.22) into
# $TOOLS_DIR/bin/grafana-validate, for test/integration/grafana-schema.test.ts.
#
#   scripts/install-grafana-validate.sh
#
# Idempotent like scripts/install-components.sh: the binary's stamp file grafana-validate.version
# holds a hash of go.mod + go.sum + main.go; it is rebuilt only when that changes ("cached"
# otherwise). Network: only the Go module proxy, for the SDK (no other module: it has no
# dependencies). Dependency rule: nothing under the AGPL is fetched; scripts/check-modules.sh proves
# it after the build.
#
# Environment: TOOLS_DIR (default <repo>/.tools), GOMODCACHE/GOCACHE as scripts/lib/tools-dir.sh.
set -euo pipefail

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
SRC="$REPO_ROOT/tools/grafana-validate"
BIN_DIR="$TOOLS_DIR/bin"
LOG_DIR="$TOOLS_DIR/logs"
NAME=grafana-validate
mkdir -p "$BIN_DIR" "$LOG_DIR"

if ! command -v go >/dev/null; then echo "go not found in PATH" >&2; exit 1; fi
go_env
export CGO_ENABLED=0

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
stamp="src-sha256:$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)"

if [[ -x "$BIN_DIR/$NAME" && "$(cat "$BIN_DIR/$NAME.version" 2>/dev/null || true)" == "$stamp" ]]; then
  printf '%-17s %s\n' "$NAME:" "cached ($stamp)"
  exit 0
fi

t0=$SECONDS
log="$LOG_DIR/$NAME.log"
: >"$log"
# -mod=readonly: go.mod/go.sum are the committed ones, never rewritten by a build.
if ! (cd "$SRC" && GOWORK=off go build -mod=readonly -trimpath -ldflags="-s -w" -o "$BIN_DIR/$NAME.tmp" .) >>"$log" 2>&1; then
  printf '%-17s %s\n' "$NAME:" "FAILED after $(elapsed $t0) (log: $log)" >&2
  tail -n 20 "$log" >&2
  rm -f "$BIN_DIR/$NAME.tmp"
  exit 1
fi
mv -f "$BIN_DIR/$NAME.tmp" "$BIN_DIR/$NAME"
printf '%s\n' "$stamp" >"$BIN_DIR/$NAME.version"
printf '%-17s %s\n' "$NAME:" "built in $(elapsed $t0) ($stamp)"

# Nothing the dependency rule forbids may be in the module cache after a build.
bash "$REPO_ROOT/scripts/check-modules.sh"
