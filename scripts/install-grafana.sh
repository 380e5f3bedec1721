#!/usr/bin/env bash
# Builds the Grafana 10.0 backend (10.0.0-preview) from the Go module proxy into
# $TOOLS_DIR/grafana10/ (default <repo>/.tools/grafana10, gitignored):
#
#   grafana10/bin/grafana     `grafana server --homepath grafana10 --config ...` (and `grafana cli`)
#   grafana10/conf/           defaults.ini, sample.ini, provisioning/ (from the module tree)
#   grafana10/public/         static files + core plugin manifests (public/app/plugins), NO
#                             frontend build: the HTTP API works, the browser UI does not
#   grafana10/.version        stamp: a re-run with the same stamp is a no-op
#
# Why this version: every 12.x version of github.com/grafana/grafana is refused (403) by the module
# proxy reachable here; the pseudo-version below (June 2023, package.json "10.0.0-preview") is served.
# Our deploy target stays grafana/grafana:12.3.0 (settings/images.ts).
#
# Steps: `go install github.com/google/wire/cmd/wire@v0.7.0` (v0.6.0 does not build on Go 1.26),
# copy the module tree, `wire gen -tags oss ./pkg/server` (pkg/server/wire_gen.go is not committed
# upstream), then `go build ./pkg/cmd/grafana` with cgo (mattn/go-sqlite3, Grafana's default
# database, needs it) linked statically (netgo, osusergo), so the binary also runs in a
# FROM-scratch image.
#
# Environment:
#   TOOLS_DIR            where everything goes (default <repo>/.tools)
#   GOMODCACHE, GOCACHE  honoured if set, else $TOOLS_DIR/go/{mod,cache}
#   GRAFANA_TIMEOUT      seconds allowed for the build (default 2400)
#   TOOLS_PRUNE=1        after a successful build delete its module-tree copy under $TOOLS_DIR/work
#
# Network: only the Go module proxy.
set -euo pipefail

GRAFANA_MODULE="github.com/grafana/grafana"
GRAFANA_VERSION="v1.9.2-0.20230609164553-81d85ce8028d"   # commit 81d85ce8028d, 10.0.0-preview
GRAFANA_RELEASE="10.0.0-pre"                              # stamped into `grafana --version`
GRAFANA_COMMIT="81d85ce8028d"
WIRE_VERSION="v0.7.0"
GRAFANA_TIMEOUT="${GRAFANA_TIMEOUT:-2400}"

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
OUT_DIR="$TOOLS_DIR/grafana10"
GOBIN_DIR="$TOOLS_DIR/gobin"
LOG_DIR="$TOOLS_DIR/logs"
WORK_DIR="$TOOLS_DIR/work"
LOG="$LOG_DIR/grafana10.log"
STAMP="$GRAFANA_MODULE@$GRAFANA_VERSION wire@$WIRE_VERSION cgo-static netgo,osusergo"
T0=$SECONDS

elapsed() { local s=$(( SECONDS - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
fail() { echo "install-grafana: FAILED after $(elapsed "$T0"): $1 (log: $LOG)" >&2; exit 1; }
# first line of a go error worth showing (same idea as install-components.sh)
go_error() {
  if grep -q '403 Forbidden' "$LOG"; then
    echo "module proxy answers 403 (not available) for: $(grep -oE '[^/ ]+(/[^/ ]+)*/@v/[^ ]+\.zip: 403' "$LOG" |
      sed -E 's|/@v/|@|; s|\.zip: 403||' | sort -u | head -n 5 | tr '\n' ' ')"; return
  fi
  { grep -v -E '^go: (downloading|finding|extracting) ' "$LOG" | grep -m1 -iE 'error|cannot|undefined|not found|killed|: ' ||
    tail -n1 "$LOG"; } | sed 's/^[[:space:]]*//' | cut -c1-240
}

# --- cached? ------------------------------------------------------------------
if [[ -x "$OUT_DIR/bin/grafana" && -f "$OUT_DIR/conf/defaults.ini" && -d "$OUT_DIR/public/app/plugins" &&
      "$(cat "$OUT_DIR/.version" 2>/dev/null || true)" == "$STAMP" ]]; then
  echo "install-grafana: cached ($STAMP) in $OUT_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "install-grafana: FAILED: go not found in PATH" >&2; exit 1; }
command -v gcc >/dev/null || { echo "install-grafana: FAILED: gcc not found (cgo is needed for sqlite; apt-get install gcc libc6-dev)" >&2; exit 1; }
mkdir -p "$GOBIN_DIR" "$LOG_DIR" "$WORK_DIR" "$TOOLS_DIR/go/tmp"
go_env
export GOBIN="$GOBIN_DIR"
export GOWORK=off
: >"$LOG"
echo "install-grafana: building Grafana $GRAFANA_RELEASE backend into $OUT_DIR ($(go version | cut -d' ' -f3)); log: $LOG"

# --- 1. wire ------------------------------------------------------------------
WIRE="$GOBIN_DIR/wire"
if [[ ! -x "$WIRE" || "$(cat "$WIRE.version" 2>/dev/null || true)" != "$WIRE_VERSION" ]]; then
  CGO_ENABLED=0 go install "github.com/google/wire/cmd/wire@$WIRE_VERSION" >>"$LOG" 2>&1 ||
    fail "go install wire@$WIRE_VERSION: $(go_error)"
  echo "$WIRE_VERSION" >"$WIRE.version"
fi

# --- 2. module tree -------------------------------------------------------------
SRC="$(cd "$WORK_DIR" && go mod download -json "$GRAFANA_MODULE@$GRAFANA_VERSION" 2>>"$LOG" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$SRC" && -d "$SRC" ]] || fail "go mod download $GRAFANA_MODULE@$GRAFANA_VERSION: $(go_error)"
TREE="$WORK_DIR/grafana-$GRAFANA_VERSION"
rm -rf "$TREE"; cp -r "$SRC" "$TREE"; chmod -R u+w "$TREE"

# --- 3. wire codegen, then the build ---------------------------------------------
t=$SECONDS
(cd "$TREE" && timeout "$GRAFANA_TIMEOUT" "$WIRE" gen -tags oss ./pkg/server) >>"$LOG" 2>&1 ||
  fail "wire gen -tags oss ./pkg/server: $(go_error)"
[[ -f "$TREE/pkg/server/wire_gen.go" ]] || fail "wire gen wrote no pkg/server/wire_gen.go"
echo "install-grafana: wire codegen done in $(elapsed "$t")" | tee -a "$LOG"

left=$(( GRAFANA_TIMEOUT - (SECONDS - T0) )); (( left > 60 )) || left=60
t=$SECONDS
LDFLAGS="-s -w -X main.version=$GRAFANA_RELEASE -X main.commit=$GRAFANA_COMMIT -X main.buildBranch=main"
LDFLAGS+=" -linkmode=external -extldflags=-static"
rc=0
(cd "$TREE" && CGO_ENABLED=1 timeout "$left" go build -trimpath -tags "netgo,osusergo,sqlite_omit_load_extension" \
  -ldflags "$LDFLAGS" -o "$TREE/bin/grafana" ./pkg/cmd/grafana) >>"$LOG" 2>&1 || rc=$?
if [[ $rc -eq 124 ]]; then fail "go build exceeded GRAFANA_TIMEOUT=${GRAFANA_TIMEOUT}s"; fi
[[ $rc -eq 0 ]] || fail "go build ./pkg/cmd/grafana: $(go_error)"
echo "install-grafana: go build done in $(elapsed "$t")" | tee -a "$LOG"

# --- 4. install: binary + conf/ + public/ (atomic swap) -----------------------------
"$TREE/bin/grafana" --version >>"$LOG" 2>&1 || fail "built binary does not run: $(tail -n1 "$LOG")"
STAGE="$OUT_DIR.tmp"
rm -rf "$STAGE"; mkdir -p "$STAGE/bin"
install -m 0755 "$TREE/bin/grafana" "$STAGE/bin/grafana"
cp -r "$TREE/conf" "$TREE/public" "$STAGE/"
printf '%s\n' "$STAMP" >"$STAGE/.version"
rm -rf "$OUT_DIR"; mv "$STAGE" "$OUT_DIR"
[[ "${TOOLS_PRUNE:-0}" == 1 ]] && rm -rf "$TREE"
echo "install-grafana: done in $(elapsed "$T0"): $("$OUT_DIR/bin/grafana" --version 2>/dev/null) ($STAMP)"
