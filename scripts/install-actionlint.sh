#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from the Go module proxy into
# $TOOLS_DIR/bin/actionlint, for `npm run lint:workflows` and .ci/run.
#
#   scripts/install-actionlint.sh
#
# Same conventions as scripts/install-components.sh: idempotent, the binary gets a stamp file
# actionlint.version holding the module@version it was built from, and is rebuilt only when the
# stamp differs. Only the Go module proxy is used (no GitHub release downloads).
#
# Environment:
#   TOOLS_DIR             where everything goes (default <repo>/.tools)
#   ACTIONLINT_VERSION    module version to build (default below)
#   GOMODCACHE, GOCACHE   honoured if set, else $TOOLS_DIR/go/{mod,cache}
set -euo pipefail

ACTIONLINT_MODULE="github.com/rhysd/actionlint"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
BIN_DIR="$TOOLS_DIR/bin"
GOBIN_DIR="$TOOLS_DIR/gobin"
LOG_DIR="$TOOLS_DIR/logs"
mkdir -p "$BIN_DIR" "$GOBIN_DIR" "$LOG_DIR" "$TOOLS_DIR/go/tmp"

go_env
export CGO_ENABLED=0
export GOBIN="$GOBIN_DIR"

stamp="$ACTIONLINT_MODULE/cmd/actionlint@$ACTIONLINT_VERSION"
log="$LOG_DIR/actionlint.log"
if [[ -x "$BIN_DIR/actionlint" && "$(cat "$BIN_DIR/actionlint.version" 2>/dev/null || true)" == "$stamp" ]]; then
  echo "actionlint:       cached ($stamp)"
  exit 0
fi
if ! command -v go >/dev/null; then echo "go not found in PATH" >&2; exit 1; fi

t0=$SECONDS
: >"$log"
# `actionlint -version` reports the module version from the build info (no -X needed).
if ! go install -trimpath -ldflags="-s -w" "$stamp" >>"$log" 2>&1; then
  echo "actionlint:       FAILED: $(grep -m1 -iE 'error|403|cannot|not found' "$log" || tail -n1 "$log") (log: $log)" >&2
  exit 1
fi
install -m 0755 "$GOBIN_DIR/actionlint" "$BIN_DIR/actionlint.tmp" && mv -f "$BIN_DIR/actionlint.tmp" "$BIN_DIR/actionlint"
printf '%s\n' "$stamp" >"$BIN_DIR/actionlint.version"
echo "actionlint:       built in $((SECONDS - t0))s ($stamp)"
