#!/usr/bin/env bash
# Installs / builds real binaries of the stack's components into $TOOLS_DIR/bin
# (default: <repo>/.tools/bin, gitignored) for the integration, deploy and bench tiers.
#
#   scripts/install-components.sh                        # all components
#   scripts/install-components.sh otelcol jaeger         # only some (otelcol jaeger victoriametrics
#                                                        #   victorialogs prometheus traefik)
#   scripts/install-components.sh telemetrygen           # only the load generator (bench, swarm tier)
#
# Idempotent: every binary gets a stamp file <bin>.version holding what it was built from; a
# component is rebuilt only when the stamp differs. Every component is required: a failed build
# fails the script (the real tiers must run the versions the program pins).
#
# Environment:
#   TOOLS_DIR        where everything goes (default <repo>/.tools)
#   GOMODCACHE, GOCACHE  honoured if set, else $TOOLS_DIR/go/{mod,cache}
#   PROM3_TIMEOUT    seconds allowed for the Prometheus build (default 1500)
#   TOOLS_PRUNE=1    after a successful run delete the Go caches and build trees under
#                    $TOOLS_DIR, keeping bin/ and its stamps
#
# Network: only the Go module proxy.
set -euo pipefail

# --- versions ---------------------------------------------------------------
# Every version comes from settings/components.json, the same table the program's image tags come
# from (settings/images.ts): the binary the real tiers run is the version users deploy, and
# test/integration/versions.test.ts runs each binary and compares. `tbl ROLE KEY` reads it.
#
# Dependency rule (DEVELOPERS.md, the env package list go-partial.tsv): nothing under the AGPL
# (github.com/grafana/grafana, grafana/loki, grafana/tempo) is fetched, built or run, and no module
# version that list says to skip: Jaeger module v1.75.0 (= v2.12.0; v1.76.0 is not approved),
# VictoriaMetrics v1.151.0, VictoriaLogs v1.52.2. scripts/check-modules.sh proves the first part
# from the module cache after a build.
#
# OpenTelemetry Collector Builder (ocb), same version as the core collector modules. The manifest
# tools/otelcol-builder.yaml pins the component modules: core v0.160.0, stable confmap providers
# v1.66.0 (= v1.(160-94)), contrib v0.160.0, basicauth v0.158.0 (the newest the list approves).
OTELCOL_MANIFEST="tools/otelcol-builder.yaml"   # relative to the repo root
PROM3_TIMEOUT="${PROM3_TIMEOUT:-1500}"           # seconds; a slower Prometheus build fails the run
# telemetrygen (the contrib load generator: the bench's load, and the apps on the swarm tier's nodes):
# same contrib line as the collector; go install works (no replace directives in its go.mod).
TELEMETRYGEN_MODULE="github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen"
TELEMETRYGEN_VERSION="v0.160.0"

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

want() { # want COMPONENT: selected on the command line, or every component when none is
  [[ ${#SELECTED[@]} -eq 0 ]] && return 0
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
  local OTELCOL_BUILDER_VERSION; OTELCOL_BUILDER_VERSION="$(tbl collector build.moduleVersion)"
  grep -q "^  version: $(tbl collector version)\$" "$manifest" ||
    { say otelcol "FAILED: $OTELCOL_MANIFEST dist.version is not $(tbl collector version) (settings/components.json)"; FAILED+=(otelcol); return; }
  [[ -f "$manifest" ]] || { say otelcol "FAILED: manifest $OTELCOL_MANIFEST missing"; FAILED+=(otelcol); return; }
  # comments do not change what is built: the stamp hashes the manifest without them
  stamp="builder@$OTELCOL_BUILDER_VERSION manifest-sha256:$(grep -v "^[[:space:]]*#" "$manifest" | sha256sum | cut -c1-16)"
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

# --- 1b. A role Debian provides (init: busybox-static, the static busybox the init image is made of) ---
# Installed with apt at the table's exact package version (Debian keeps one version per release);
# the integration tier runs it, the images stage copies it.
install_debian() { # install_debian ROLE PACKAGE VERSION
  local role=$1 pkg=$2 want=$3 have sudo=() log="$LOG_DIR/apt-$2.log"
  have="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)"
  if [[ "$have" == "$want" ]]; then say "$pkg" "installed ($pkg $have)"; return; fi
  if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
    else say "$pkg" "FAILED: $pkg=$want not installed and not root"; FAILED+=("$pkg"); return; fi
  fi
  { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg=$want"; } >"$log" 2>&1 ||
    { say "$pkg" "FAILED: apt-get install $pkg=$want (log: $log)"; FAILED+=("$pkg"); return; }
  say "$pkg" "apt-get installed $pkg $want (role $role)"
}

# --- 2. Go programs built at the table's module version ----------------------
# build_role ROLE: the binary of settings/components.json's ROLE entry, at its moduleVersion, with
# its ldflags (the version stamp upstream's release build sets; without it the binaries report
# nothing). how = go-install: `go install MOD/PKG@VER`; module-tree: the module's go.mod has replace
# directives (go install refuses them), so build inside a copy of the module tree with its own
# go.mod/go.sum (the dependency versions upstream builds with).
build_role() {
  local role=$1 bin how mod pkg ver ldflags stamp log t0=$SECONDS out rc=0
  bin="$(tbl "$role" build.binary)"; how="$(tbl "$role" build.how)"; mod="$(tbl "$role" build.module)"
  pkg="$(tbl "$role" build.package)"; ver="$(tbl "$role" build.moduleVersion)"; ldflags="$(tbl "$role" build.ldflags)"
  stamp="$mod/$pkg@$ver ldflags-sha256:$(printf %s "$ldflags" | sha256sum | cut -c1-12)"
  log="$LOG_DIR/$bin.log"; out="$WORK_DIR/$bin-out"
  if cached "$bin" "$stamp"; then say "$bin" "cached ($stamp)"; return; fi
  : >"$log"
  local -a pkgs; read -r -a pkgs <<<"$pkg"
  local -a to=(); [[ "$role" == prometheus ]] && to=(timeout "$PROM3_TIMEOUT")
  case "$how" in
    go-install)
      GOBIN="$out" "${to[@]}" go install -trimpath -ldflags="-s -w $ldflags" "${pkgs[@]/#/$mod/}"@"$ver" >>"$log" 2>&1 || rc=$?
      # go install names the binary after the package directory
      [[ $rc -eq 0 && ! -x "$out/$bin" ]] && mv "$out/$(basename "${pkgs[0]}")" "$out/$bin" ;;
    module-tree)
      BUILD_TIMEOUT="${to[1]:-}" build_in_module "$mod" "$ver" "$out" "$log" "$ldflags" "${pkgs[@]}" || rc=$? ;;
    debian) install_debian "$role" "$mod" "$ver"; return ;;
    *) say "$bin" "FAILED: unknown build.how '$how' in settings/components.json"; FAILED+=("$bin"); return ;;
  esac
  if [[ $rc -ne 0 ]]; then
    local why; if [[ $rc -eq 124 ]]; then why="build exceeded ${PROM3_TIMEOUT}s"; else why="$(go_error "$log")"; fi
    say "$bin" "FAILED after $(elapsed $t0): $why (log: $log)"; FAILED+=("$bin"); return
  fi
  # module-tree builds name binaries after the package directory too (cmd/prometheus -> prometheus)
  [[ -x "$out/$bin" ]] || mv "$out/$(basename "${pkgs[0]}")" "$out/$bin"
  put_bin "$out/$bin" "$bin" "$stamp"
  # extra binaries of the same build (promtool next to Prometheus) get a 3-suffixed name alike
  local p extra
  for p in "${pkgs[@]:1}"; do
    extra="$(basename "$p")"; [[ "$bin" == *3 ]] && extra="${extra}3"
    put_bin "$out/$(basename "$p")" "$extra" "$stamp"
  done
  say "$bin" "built in $(elapsed $t0) ($stamp = $(tbl "$role" image):$(tbl "$role" tag))"
}

# --- 7. telemetrygen (the benchmark's load generator; the swarm tier's apps) ---
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
ROLES_BUILT=(jaeger victoriametrics victorialogs prometheus traefik init)   # roles built by build_role
COMPONENTS="otelcol ${ROLES_BUILT[*]} telemetrygen"
SELECTED=("$@")
for c in "${SELECTED[@]}"; do
  case " $COMPONENTS " in *" $c "*) ;; *) echo "unknown component: $c ($COMPONENTS)" >&2; exit 2;; esac
done
if ! command -v go >/dev/null; then echo "go not found in PATH" >&2; exit 1; fi
echo "install-components: TOOLS_DIR=$TOOLS_DIR ($(go version | cut -d' ' -f3))"

want otelcol && install_otelcol
for r in "${ROLES_BUILT[@]}"; do want "$r" && build_role "$r"; done
want telemetrygen && install_telemetrygen
# Nothing the dependency rule forbids may be in the module cache after a build.
bash "$REPO_ROOT/scripts/check-modules.sh" || FAILED+=(module-check)

if [[ "${TOOLS_PRUNE:-0}" == 1 && ${#FAILED[@]} -eq 0 ]]; then
  [[ "$GOMODCACHE" == "$TOOLS_DIR"/* ]] && go clean -modcache >/dev/null 2>&1 || true
  [[ "$GOCACHE" == "$TOOLS_DIR"/* ]] && rm -rf "$GOCACHE"
  rm -rf "$WORK_DIR" "$GOBIN_DIR" "$TOOLS_DIR/go/tmp"
  echo "install-components: pruned Go caches and build trees under $TOOLS_DIR"
fi
echo "install-components: done in $(elapsed $START_ALL)${FAILED[*]:+; FAILED: ${FAILED[*]}}"
[[ ${#FAILED[@]} -eq 0 ]]
