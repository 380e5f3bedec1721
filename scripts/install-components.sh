#!/usr/bin/env bash
# Installs / builds real binaries of the stack's components into $TOOLS_DIR/bin
# (default: <repo>/.tools/bin, gitignored) for the integration tests.
#
#   scripts/install-components.sh              # all components
#   scripts/install-components.sh otelcol jaeger   # only some (otelcol jaeger debs prometheus3 loki traefik)
#   scripts/install-components.sh telemetrygen     # the bench's load generator: built ONLY when named
#                                                  # (npm run bench does; CI and `npm run components` never need it)
#
# Idempotent: every binary gets a stamp file <bin>.version holding the version
# string it was built from; a component is rebuilt only when the stamp differs.
# Optional components that cannot be built (prometheus3, loki) are skipped with a
# reason and never fail the script; their failure is remembered in <bin>.failed so
# later runs skip them in seconds (RETRY_FAILED=1 forces a new attempt).
#
# Environment:
#   TOOLS_DIR        where everything goes (default <repo>/.tools)
#   GOMODCACHE, GOCACHE  honoured if set, else $TOOLS_DIR/go/{mod,cache}
#   PROM3_TIMEOUT    seconds allowed for the Prometheus 3 build (default 900)
#   RETRY_FAILED=1   retry optional components that failed before
#   BUILD_LOKI=0     skip Loki (default 1: built from its module tree, ~4 min)
#   TOOLS_PRUNE=1    after a successful run delete the Go caches and build trees under
#                    $TOOLS_DIR (~10 GiB after a full build), keeping bin/ and its stamps
#
# Network: only the Go module proxy and Debian's apt mirrors are used.
# VictoriaMetrics, VictoriaLogs and Tempo are NOT built from Go: their modules answer
# 403 from the module proxy on our machines. VictoriaMetrics comes from Debian instead.
set -euo pipefail

# --- versions ---------------------------------------------------------------
# The Go module proxy reachable from our machines (and CI's) is a PARTIAL mirror:
# for some module versions it serves .info/.mod but answers "403 This module version
# is not available" for the .zip (sources). Versions below are the newest whose whole
# build graph is available there; see the comments per component.
#
# OpenTelemetry Collector Builder (ocb), same version as the core collector modules.
# The manifest tools/otelcol-builder.yaml pins the component modules: core v0.160.0,
# stable confmap providers v1.66.0 (= v1.(N-94)), contrib v0.160.0 (basicauth v0.158.0).
# v0.164.0 (newest) cannot be built here: collector/internal/statusutil v0.164.0,
# contrib pkg/stanza, pkg/ottl v1.2.0, ... zips are 403 (details in the manifest).
OTELCOL_BUILDER_VERSION="v0.160.0"
OTELCOL_MANIFEST="tools/otelcol-builder.yaml"   # relative to the repo root
# Jaeger v2: the Go module has no /v2 suffix, so v2.13.0 is tagged v1.76.0.
JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_VERSION="v1.76.0"                         # = Jaeger v2.13.0
JAEGER_RELEASE="v2.13.0"                         # stamped into `jaeger version`
# Prometheus 3 from Go (optional): module tag v0.3MM.P = Prometheus v3.MM.P.
# v0.316.0 (= v3.16.0, newest) cannot be built here: zips of client_golang/exp,
# hashicorp/nomad/api, google/pprof pseudo-versions and pb33f/go-yaml v0.1.1 are 403.
# v0.315.0 has version-only replace directives (go install refuses), so it is built
# as the main module from its module tree (same go.mod/go.sum as upstream).
PROM3_MODULE="github.com/prometheus/prometheus"
PROM3_VERSION="v0.315.0"                         # = Prometheus v3.15.0
PROM3_RELEASE="3.15.0"                           # stamped into `prometheus3 --version`
PROM3_TIMEOUT="${PROM3_TIMEOUT:-900}"            # seconds; slower builds are skipped
# Loki 3 from Go (optional; BUILD_LOKI=0 skips it): its go.mod has replace directives,
# so `go install` fails. It is built from its module tree instead, with the
# local replace `github.com/grafana/loki/pkg/push => ./pkg/push` (a nested module that
# is not in the module zip) dropped so the required pseudo-version comes from the proxy.
LOKI_MODULE="github.com/grafana/loki/v3"
LOKI_VERSION="v3.7.8"
LOKI_RELEASE="3.7.8"                             # stamped into `loki --version`
# Traefik v3 from Go (optional; BUILD_TRAEFIK=0 skips it): same version as the pinned image;
# its go.mod has replace directives, so it is built from its module tree (~4.5 min).
TRAEFIK_MODULE="github.com/traefik/traefik/v3"
TRAEFIK_VERSION="v3.5.3"
# telemetrygen (the contrib load generator, used by bench/ only): same contrib line as the
# collector. Its own module; go install works (no replace directives in its go.mod). Measured here:
# 9 s with the collector build's Go caches warm, 53 s wall with an empty build cache (module cache
# warm). Opt-in because only the benchmark uses it and CI's fresh machines have a 60 min budget.
TELEMETRYGEN_MODULE="github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen"
TELEMETRYGEN_VERSION="v0.160.0"
# Debian packages (bookworm: victoria-metrics 1.79.5, prometheus 2.42.0); whatever
# version apt installs is recorded in the stamp.
DEB_PACKAGES=(victoria-metrics prometheus)

# --- layout -----------------------------------------------------------------
# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
BIN_DIR="$TOOLS_DIR/bin"
GOBIN_DIR="$TOOLS_DIR/gobin"      # go install target (builder, raw go-installed binaries)
LOG_DIR="$TOOLS_DIR/logs"
WORK_DIR="$TOOLS_DIR/work"        # build trees (ocb output, module copies)
mkdir -p "$BIN_DIR" "$GOBIN_DIR" "$LOG_DIR" "$WORK_DIR" "$TOOLS_DIR/go/tmp"

go_env
export CGO_ENABLED=0
export GOBIN="$GOBIN_DIR"
export DEBIAN_FRONTEND=noninteractive

FAILED=()
START_ALL=$SECONDS

# --- helpers ----------------------------------------------------------------
say() { printf '%-17s %s\n' "$1:" "$2"; }
elapsed() { local s=$(( SECONDS - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
stamp_of() { cat "$BIN_DIR/$1.version" 2>/dev/null || true; }
# cached NAME WANT: binary present and its stamp equals WANT
cached() { [[ -x "$BIN_DIR/$1" && "$(stamp_of "$1")" == "$2" ]]; }
put_bin() { # put_bin SRC NAME STAMP
  install -m 0755 "$1" "$BIN_DIR/$2.tmp" && mv -f "$BIN_DIR/$2.tmp" "$BIN_DIR/$2"
  printf '%s\n' "$3" > "$BIN_DIR/$2.version"
  rm -f "$BIN_DIR/$2.failed"
}
# previous failure of an optional component at the same version: "reason" or empty
failed_before() {
  [[ "${RETRY_FAILED:-0}" == 1 ]] && return 1
  [[ -f "$BIN_DIR/$1.failed" ]] || return 1
  [[ "$(head -n1 "$BIN_DIR/$1.failed")" == "$2" ]] || return 1
  sed -n 2p "$BIN_DIR/$1.failed"
}
record_failure() { printf '%s\n%s\n' "$2" "$3" > "$BIN_DIR/$1.failed"; }
# first line of a go error worth showing
go_error() {
  if grep -q 'replace directives' "$1"; then
    echo "the go.mod of the module contains replace directives, which go install refuses"; return
  fi
  if grep -q '403 Forbidden' "$1"; then  # partial module mirror: list the unavailable zips
    echo "module proxy answers 403 (not available) for: $(grep -oE '[^/ ]+(/[^/ ]+)*/@v/[^ ]+\.zip: 403' "$1" |
      sed -E 's|^(proxy\.golang\.org/)?||; s|/@v/|@|; s|\.zip: 403||' | sort -u | head -n 5 | tr '\n' ' ')"; return
  fi
  { grep -v -E '^go: (downloading|finding|extracting) ' "$1" | grep -m1 -iE 'error|cannot|undefined|not found|killed|: ' ||
    tail -n1 "$1"; } | sed 's/^[[:space:]]*//' | cut -c1-240
}

want() { # want COMPONENT: selected on the command line (or no selection; opt-in components only when named)
  [[ ${#SELECTED[@]} -eq 0 && " $OPT_IN " != *" $1 "* ]] && return 0
  local c; for c in "${SELECTED[@]}"; do [[ "$c" == "$1" ]] && return 0; done; return 1
}

# Build main packages PKG... (paths inside the module) of module MOD@VER as the
# main module, in a writable copy of the module tree, binaries into OUTDIR. Needed
# when the module's go.mod has replace directives (`go install mod@ver` refuses).
# Uses the module's own go.mod/go.sum (the versions upstream builds with); GOWORK=off
# because some module zips ship a go.work naming nested modules that are not in the zip.
# BUILD_TIMEOUT (seconds, optional) bounds the go build. DROP_MISSING_LOCAL_REPLACES=1
# drops `replace X => ./dir` lines whose dir is not in the zip (nested modules), so
# X's required version is fetched from the proxy instead.
build_in_module() { # build_in_module MOD VER OUTDIR LOG LDFLAGS PKG...
  local mod=$1 ver=$2 outdir=$3 log=$4 ldflags=$5 dir src; shift 5
  local -a to=(); [[ -n "${BUILD_TIMEOUT:-}" ]] && to=(timeout "$BUILD_TIMEOUT")
  src="$(cd "$WORK_DIR" && go mod download -json "$mod@$ver" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$src" && -d "$src" ]] || { echo "go mod download $mod@$ver failed" >>"$log"; return 1; }
  dir="$WORK_DIR/$(basename "${mod%/v[0-9]*}")-$ver"   # .../loki/v3 -> loki-v3.7.8
  rm -rf "$dir"; cp -r "$src" "$dir"; chmod -R u+w "$dir"; mkdir -p "$outdir"
  if [[ "${DROP_MISSING_LOCAL_REPLACES:-0}" == 1 ]]; then
    local old new
    while read -r old new; do
      [[ -e "$dir/$new" ]] && continue
      echo "dropping replace $old => $new (not in the module zip)" >>"$log"
      (cd "$dir" && GOWORK=off go mod edit -dropreplace="$old" && GOWORK=off go mod download "$old") >>"$log" 2>&1 || return 1
    done < <(sed -nE 's/^(replace)?[[:space:]]*([^[:space:]]+)[[:space:]]+=>[[:space:]]+(\.\.?\/[^[:space:]]*)[[:space:]]*$/\2 \3/p' "$dir/go.mod")
  fi
  (cd "$dir" && GOWORK=off "${to[@]}" go build -trimpath -ldflags="-s -w $ldflags" -o "$outdir/" "${@/#/./}") >>"$log" 2>&1
}

# --- 1. OpenTelemetry Collector via ocb --------------------------------------
install_otelcol() {
  local manifest="$REPO_ROOT/$OTELCOL_MANIFEST" log="$LOG_DIR/otelcol.log" t0=$SECONDS stamp
  [[ -f "$manifest" ]] || { say otelcol "FAILED: manifest $OTELCOL_MANIFEST missing"; FAILED+=(otelcol); return; }
  stamp="builder@$OTELCOL_BUILDER_VERSION manifest-sha256:$(sha256sum "$manifest" | cut -c1-16)"
  if cached otelcol "$stamp"; then say otelcol "cached ($stamp)"; return; fi
  : >"$log"
  local builder="$GOBIN_DIR/builder"
  if [[ "$("$builder" version 2>/dev/null || true)" != *" $OTELCOL_BUILDER_VERSION" ]]; then
    if ! go install "go.opentelemetry.io/collector/cmd/builder@$OTELCOL_BUILDER_VERSION" >>"$log" 2>&1; then
      say otelcol "FAILED installing builder: $(go_error "$log") (log: $log)"; FAILED+=(otelcol); return
    fi
  fi
  # ocb has no --output-path flag: build from a copy with an absolute output_path.
  local out="$WORK_DIR/otelcol-build" tmp="$WORK_DIR/otelcol-builder.yaml"
  sed "s|^\([[:space:]]*output_path:\).*|\1 $out|" "$manifest" >"$tmp"
  if ! (cd "$WORK_DIR" && "$builder" --config "$tmp") >>"$log" 2>&1; then
    say otelcol "FAILED after $(elapsed $t0): $(go_error "$log") (log: $log)"; FAILED+=(otelcol); return
  fi
  put_bin "$out/otelcol" otelcol "$stamp"
  say otelcol "built in $(elapsed $t0) ($stamp)"
}

# --- 2. Jaeger v2 -------------------------------------------------------------
install_jaeger() {
  local stamp="$JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION" log="$LOG_DIR/jaeger.log" t0=$SECONDS how
  if cached jaeger "$stamp"; then say jaeger "cached ($stamp)"; return; fi
  : >"$log"
  # v1.76.0's go.mod has `replace github.com/Shopify/sarama => ... v1.33.0`, so
  # `go install ...@v1.76.0` refuses; then build inside a copy of the module tree
  # (same go.mod/go.sum, so the same dependency versions as upstream's build).
  local out="$WORK_DIR/jaeger-out"
  if go install "$stamp" >>"$log" 2>&1; then
    how="go install"; mkdir -p "$out"; cp -f "$GOBIN_DIR/jaeger" "$out/jaeger"
  elif grep -q 'replace directives' "$log" &&
       build_in_module "$JAEGER_MODULE" "$JAEGER_VERSION" "$out" "$log" \
         "-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_RELEASE" cmd/jaeger; then
    how="module build (go install refused: replace directives)"
  else
    say jaeger "FAILED after $(elapsed $t0): $(go_error "$log") (log: $log)"; FAILED+=(jaeger); return
  fi
  put_bin "$out/jaeger" jaeger "$stamp"
  say jaeger "built in $(elapsed $t0) via $how ($stamp = Jaeger v2.13.0)"
}

# --- 3. Debian packages: victoria-metrics, prometheus, promtool ----------------
APT_UPDATED=0
install_debs() {
  local pkg missing=()
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    local sudo=() log="$LOG_DIR/apt.log" t0=$SECONDS
    if [[ $EUID -ne 0 ]]; then
      if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
      else say debs "FAILED: ${missing[*]} not installed and not root"; FAILED+=(debs); return; fi
    fi
    if [[ $APT_UPDATED == 0 ]]; then "${sudo[@]}" apt-get update -qq >"$log" 2>&1 || true; APT_UPDATED=1; fi
    if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
      say debs "FAILED: apt-get install ${missing[*]} (log: $log)"; FAILED+=(debs); return
    fi
    say debs "apt-get installed ${missing[*]} in $(elapsed $t0)"
  fi
  link_deb_bin victoria-metrics victoria-metrics
  link_deb_bin prometheus prometheus
  link_deb_bin prometheus promtool
}
link_deb_bin() { # link_deb_bin PACKAGE BINARY
  local pkg=$1 name=$2 path ver stamp
  path="$(dpkg -L "$pkg" 2>/dev/null | grep -E "/s?bin/$name\$" | head -n1 || true)"
  if [[ -z "$path" || ! -x "$path" ]]; then say "$name" "FAILED: not found in dpkg -L $pkg"; FAILED+=("$name"); return; fi
  ver="$(dpkg-query -W -f='${Version}' "$pkg")"
  stamp="deb $pkg $ver $path"
  if [[ -L "$BIN_DIR/$name" && "$(readlink "$BIN_DIR/$name")" == "$path" && "$(stamp_of "$name")" == "$stamp" ]]; then
    say "$name" "cached ($stamp)"; return
  fi
  ln -sfn "$path" "$BIN_DIR/$name"
  printf '%s\n' "$stamp" >"$BIN_DIR/$name.version"
  say "$name" "linked ($stamp)"
}

# --- 4. Prometheus 3 via go install (optional) ---------------------------------
install_prometheus3() {
  local stamp="$PROM3_MODULE@$PROM3_VERSION" log="$LOG_DIR/prometheus3.log" t0=$SECONDS why rc=0
  if cached prometheus3 "$stamp" && cached promtool3 "$stamp"; then say prometheus3 "cached ($stamp, promtool3 too)"; return; fi
  if why="$(failed_before prometheus3 "$stamp")"; then say prometheus3 "skipped (failed before: $why; RETRY_FAILED=1 to retry)"; return; fi
  : >"$log"
  # Built without the `builtinassets` tag: API/OTLP receiver work, the web UI is not embedded.
  local out="$WORK_DIR/prometheus3-out" how="go install" ver="github.com/prometheus/common/version"
  timeout "$PROM3_TIMEOUT" go install "$PROM3_MODULE/cmd/prometheus@$PROM3_VERSION" "$PROM3_MODULE/cmd/promtool@$PROM3_VERSION" >>"$log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    mkdir -p "$out"; cp -f "$GOBIN_DIR/prometheus" "$GOBIN_DIR/promtool" "$out/"
  elif grep -q 'replace directives' "$log"; then
    how="module build (go install refused: replace directives)"; rc=0
    local left=$(( PROM3_TIMEOUT - (SECONDS - t0) )); (( left > 60 )) || left=60
    BUILD_TIMEOUT=$left build_in_module "$PROM3_MODULE" "$PROM3_VERSION" "$out" "$log" \
      "-X $ver.Version=$PROM3_RELEASE -X $ver.Branch=release-${PROM3_RELEASE%.*} -X $ver.Revision=$PROM3_VERSION" \
      cmd/prometheus cmd/promtool || rc=$?
  fi
  if [[ $rc -ne 0 ]]; then
    if [[ $rc -eq 124 ]]; then why="build exceeded ${PROM3_TIMEOUT}s"; else why="$(go_error "$log")"; fi
    record_failure prometheus3 "$stamp" "$why"
    say prometheus3 "skipped after $(elapsed $t0): $why (log: $log)"; return
  fi
  put_bin "$out/prometheus" prometheus3 "$stamp"
  put_bin "$out/promtool" promtool3 "$stamp"
  say prometheus3 "built in $(elapsed $t0) via $how ($stamp = Prometheus v$PROM3_RELEASE, promtool3 too)"
}

# --- 5. Loki via go install (optional; expected to be skipped) -----------------
# Optional components (Loki, Traefik): skip when cached, when they failed before at this version
# (RETRY_FAILED=1 retries), or when their BUILD_<NAME>=0 switch is set. Returns 0 to skip.
optional_skipped() { # optional_skipped NAME STAMP SWITCH_VALUE
  local why
  if cached "$1" "$2"; then say "$1" "cached ($2)"; return 0; fi
  if why="$(failed_before "$1" "$2")"; then say "$1" "skipped (failed before: $why; RETRY_FAILED=1 to retry)"; return 0; fi
  if [[ "$3" == 0 ]]; then say "$1" "skipped (BUILD_${1^^}=0)"; return 0; fi
  return 1
}
# Remember an optional component's failure; never fails the script.
optional_failed() { # optional_failed NAME STAMP T0 LOG
  local why; why="$(go_error "$4")"
  record_failure "$1" "$2" "$why"
  say "$1" "skipped after $(elapsed "$3"): $why (log: $4)"
}

install_loki() {
  local stamp="$LOKI_MODULE/cmd/loki@$LOKI_VERSION" log="$LOG_DIR/loki.log" t0=$SECONDS
  optional_skipped loki "$stamp" "${BUILD_LOKI:-1}" && return
  : >"$log"
  local out="$WORK_DIR/loki-out" how="go install" ver="$LOKI_MODULE/pkg/util/build"
  if go install "$stamp" >>"$log" 2>&1; then
    mkdir -p "$out"; cp -f "$GOBIN_DIR/loki" "$out/loki"
  elif grep -q 'replace directives' "$log" &&
       DROP_MISSING_LOCAL_REPLACES=1 build_in_module "$LOKI_MODULE" "$LOKI_VERSION" "$out" "$log" \
         "-X $ver.Version=$LOKI_RELEASE -X $ver.Branch=release-${LOKI_RELEASE%.*}.x -X $ver.Revision=$LOKI_VERSION" cmd/loki; then
    how="module build (go install refused: replace directives)"
  else
    optional_failed loki "$stamp" "$t0" "$log"; return
  fi
  put_bin "$out/loki" loki "$stamp"
  say loki "built in $(elapsed $t0) via $how ($stamp)"
}

install_traefik() {
  local stamp="$TRAEFIK_MODULE/cmd/traefik@$TRAEFIK_VERSION" log="$LOG_DIR/traefik.log" t0=$SECONDS
  optional_skipped traefik "$stamp" "${BUILD_TRAEFIK:-1}" && return
  : >"$log"
  local out="$WORK_DIR/traefik-out"
  if ! build_in_module "$TRAEFIK_MODULE" "$TRAEFIK_VERSION" "$out" "$log" \
       "-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}" cmd/traefik; then
    optional_failed traefik "$stamp" "$t0" "$log"; return
  fi
  put_bin "$out/traefik" traefik "$stamp"
  say traefik "built in $(elapsed $t0) via module build ($stamp)"
}

# --- 7. telemetrygen (opt-in: the benchmark's load generator) -----------------
install_telemetrygen() {
  local stamp="$TELEMETRYGEN_MODULE@$TELEMETRYGEN_VERSION" log="$LOG_DIR/telemetrygen.log" t0=$SECONDS
  if cached telemetrygen "$stamp"; then say telemetrygen "cached ($stamp)"; return; fi
  : >"$log"
  if ! go install -trimpath -ldflags="-s -w" "$stamp" >>"$log" 2>&1; then
    say telemetrygen "FAILED after $(elapsed $t0): $(go_error "$log") (log: $log)"; FAILED+=(telemetrygen); return
  fi
  put_bin "$GOBIN_DIR/telemetrygen" telemetrygen "$stamp"
  say telemetrygen "built in $(elapsed $t0) ($stamp)"
}

# --- main -----------------------------------------------------------------
# Built only when named on the command line: CI's fresh machines never run the benchmark.
OPT_IN="telemetrygen"
SELECTED=("$@")
for c in "${SELECTED[@]}"; do
  case "$c" in otelcol|jaeger|debs|prometheus3|loki|traefik|telemetrygen) ;; *) echo "unknown component: $c (otelcol jaeger debs prometheus3 loki traefik telemetrygen)" >&2; exit 2;; esac
done
if ! command -v go >/dev/null; then echo "go not found in PATH" >&2; exit 1; fi
echo "install-components: TOOLS_DIR=$TOOLS_DIR ($(go version | cut -d' ' -f3))"

want otelcol && install_otelcol
want jaeger && install_jaeger
want debs && install_debs
want prometheus3 && install_prometheus3
want loki && install_loki
want traefik && install_traefik
want telemetrygen && install_telemetrygen

if [[ "${TOOLS_PRUNE:-0}" == 1 && ${#FAILED[@]} -eq 0 ]]; then
  [[ "$GOMODCACHE" == "$TOOLS_DIR"/* ]] && go clean -modcache >/dev/null 2>&1 || true
  [[ "$GOCACHE" == "$TOOLS_DIR"/* ]] && rm -rf "$GOCACHE"
  rm -rf "$WORK_DIR" "$GOBIN_DIR" "$TOOLS_DIR/go/tmp"
  echo "install-components: pruned Go caches and build trees under $TOOLS_DIR"
fi
echo "install-components: done in $(elapsed $START_ALL)${FAILED[*]:+; FAILED: ${FAILED[*]}}"
[[ ${#FAILED[@]} -eq 0 ]]
