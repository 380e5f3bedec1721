#!/usr/bin/env bash
# Builds the Pulumi CLI and the two provider plugins the program needs from the Go
# module proxy (the npm `pulumi` package and `pulumi plugin install` download them
# from the internet, which our machines and CI cannot reach), and installs the
# plugins into a private PULUMI_HOME.
#
#   scripts/install-pulumi.sh                 # cli, docker, random
#   scripts/install-pulumi.sh cli docker      # only some (cli docker random)
#
# Results:
#   $TOOLS_DIR/bin/pulumi                     Pulumi CLI v3.259.0
#   $TOOLS_DIR/pulumi-plugins/pulumi-resource-docker   provider plugin docker 5.2.0
#   $TOOLS_DIR/pulumi-plugins/pulumi-resource-random   provider plugin random 4.21.2
#   $TOOLS_DIR/pulumi-home                    PULUMI_HOME with both plugins installed
# (The built plugins are kept out of bin/ on purpose: the engine prefers a pulumi-resource-*
# found on $PATH over PULUMI_HOME, with a warning per plugin and run.)
# Use them with:  export PATH="$TOOLS_DIR/bin:$PATH" PULUMI_HOME="$TOOLS_DIR/pulumi-home"
# (the Automation API: PulumiCommand.get({ root: TOOLS_DIR }) and envVars { PULUMI_HOME }).
#
# Idempotent: every binary has a stamp file <bin>.version holding what it was built
# from (for the plugins: upstream module versions + a hash of the wrapper sources in
# tools/pulumi-providers/<name>); it is rebuilt only when the stamp differs. A second
# run is a no-op.
#
# The plugins are small wrappers of our own (tools/pulumi-providers/{docker,random}) around
# pulumi-terraform-bridge and the upstream Terraform providers: github.com/pulumi/pulumi-docker
# and pulumi-random's provider modules are refused (403) by the module proxy. The upstream
# sources are not committed: they are fetched with `go mod download` and the wrapper's
# `replace` points at a copy of them (their go.mod declares the old
# github.com/terraform-providers/... path, and their provider lives in internal/, so a tiny
# shim package from the wrapper is dropped into that copy).
#
# Environment:
#   TOOLS_DIR            where everything goes (default <repo>/.tools)
#   GOMODCACHE, GOCACHE  honoured if set, else $TOOLS_DIR/go/{mod,cache}
#   PULUMI_HOME          NOT read: plugins always go to $TOOLS_DIR/pulumi-home
#
# Network: only the Go module proxy (and sum database).
#
# Cold build times measured on 2 cores shared with other builds (load 8-20): CLI 18 min
# (with downloads), docker plugin ~9 min, random ~4 min after docker (they share the bridge);
# a rebuild with a warm Go cache takes 10-25 s per plugin; a run with nothing to do < 0.1 s.
# The plugin builds are reproducible (byte-identical binaries from a cold and a warm cache).
set -euo pipefail

# --- versions ---------------------------------------------------------------
# Pulumi CLI: built from the pkg/v3 module tree (its go.mod replaces sdk/v3 => ../sdk,
# which is not in the zip). v3.248.0 (= the npm @pulumi/pulumi we use) cannot be used:
# its go.mod is missing from the checksum database. CLI 3.259 runs 3.248 programs.
PULUMI_MODULE="github.com/pulumi/pulumi/pkg/v3"
PULUMI_SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
PULUMI_VERSION="v3.259.0"
# Provider plugins: versions must equal the npm SDKs (@pulumi/docker, @pulumi/random).
DOCKER_PLUGIN_VERSION="5.2.0"
RANDOM_PLUGIN_VERSION="4.21.2"
# Upstream Terraform providers (module path served by the proxy, version, path their go.mod declares).
DOCKER_TF_MODULE="github.com/kreuzwerker/terraform-provider-docker"
DOCKER_TF_VERSION="v0.0.0-20260916201441-96d331c98ff4"     # v4.6 era, like pulumi-docker 5.2.0
DOCKER_TF_DECLARED="github.com/terraform-providers/terraform-provider-docker"
RANDOM_TF_MODULE="github.com/hashicorp/terraform-provider-random"
RANDOM_TF_VERSION="v1.3.2-0.20260824155315-e1092b0cfc07"   # has uuid4/uuid7, like pulumi-random 4.21.2
RANDOM_TF_DECLARED="github.com/terraform-providers/terraform-provider-random"

# --- layout -----------------------------------------------------------------
# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
BIN_DIR="$TOOLS_DIR/bin"
PLUGIN_DIR="$TOOLS_DIR/pulumi-plugins"
LOG_DIR="$TOOLS_DIR/logs"
WORK_DIR="$TOOLS_DIR/work"
PULUMI_HOME_DIR="$TOOLS_DIR/pulumi-home"
WRAPPERS_DIR="$REPO_ROOT/tools/pulumi-providers"
mkdir -p "$BIN_DIR" "$PLUGIN_DIR" "$LOG_DIR" "$WORK_DIR" "$PULUMI_HOME_DIR" "$TOOLS_DIR/go/tmp"

go_env
export GOWORK=off
export CGO_ENABLED=0

FAILED=()
START_ALL=$SECONDS

# --- helpers ----------------------------------------------------------------
say() { printf '%-17s %s\n' "$1:" "$2"; }
elapsed() { local s=$(( SECONDS - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
# binaries are given by path; each has a stamp <path>.version
stamp_of() { cat "$1.version" 2>/dev/null || true; }
cached() { [[ -x "$1" && "$(stamp_of "$1")" == "$2" ]]; }
put_bin() { # put_bin SRC DEST STAMP
  install -m 0755 "$1" "$2.tmp" && mv -f "$2.tmp" "$2"
  printf '%s\n' "$3" > "$2.version"
}
# first line of a go error worth showing
go_error() {
  if grep -q '403 Forbidden' "$1"; then
    echo "module proxy answers 403 (not available) for: $(grep -oE '[^/ ]+(/[^/ ]+)*/@v/[^ ]+\.(zip|mod|info): 403' "$1" |
      sed -E 's|^(proxy\.golang\.org/)?||; s|/@v/|@|; s|\.(zip\|mod\|info): 403||' | sort -u | head -n 5 | tr '\n' ' ')"; return
  fi
  { grep -v -E '^go: (downloading|finding|extracting) ' "$1" | grep -m1 -iE 'error|cannot|undefined|not found|killed|: ' ||
    tail -n1 "$1"; } | sed 's/^[[:space:]]*//' | cut -c1-240
}
# mod_dir MOD@VER LOG: download a module into the module cache, print its directory
mod_dir() {
  local dir
  dir="$(cd "$WORK_DIR" && go mod download -json "$1" 2>>"$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "go mod download $1 failed" >>"$2"; return 1; }
  printf '%s\n' "$dir"
}
want() {
  [[ ${#SELECTED[@]} -eq 0 ]] && return 0
  local c; for c in "${SELECTED[@]}"; do [[ "$c" == "$1" ]] && return 0; done; return 1
}

# --- 1. Pulumi CLI --------------------------------------------------------------
install_cli() {
  local stamp="$PULUMI_MODULE/cmd/pulumi@$PULUMI_VERSION" log="$LOG_DIR/pulumi-cli.log" t0=$SECONDS src dir
  if cached "$BIN_DIR/pulumi" "$stamp"; then say pulumi "cached ($stamp)"; return; fi
  : >"$log"
  dir="$WORK_DIR/pulumi-pkg-$PULUMI_VERSION"
  if ! { src="$(mod_dir "$PULUMI_MODULE@$PULUMI_VERSION" "$log")" &&
         rm -rf "$dir" && cp -r "$src" "$dir" && chmod -R u+w "$dir" &&
         (cd "$dir" &&
          go mod edit -dropreplace="$PULUMI_SDK_MODULE" &&
          go get "$PULUMI_SDK_MODULE@$PULUMI_VERSION" &&
          nice -n 10 go build -trimpath \
            -ldflags="-s -w -X $PULUMI_SDK_MODULE/go/common/version.Version=$PULUMI_VERSION" \
            -o "$WORK_DIR/pulumi-out/pulumi" ./cmd/pulumi) >>"$log" 2>&1; }; then
    say pulumi "FAILED after $(elapsed $t0): $(go_error "$log") (log: $log)"; FAILED+=(pulumi); return
  fi
  put_bin "$WORK_DIR/pulumi-out/pulumi" "$BIN_DIR/pulumi" "$stamp"
  say pulumi "built in $(elapsed $t0) ($stamp)"
}

# --- 2. provider plugins --------------------------------------------------------
# build_plugin NAME PLUGIN_VERSION TF_MODULE TF_VERSION TF_DECLARED
# Copies tools/pulumi-providers/NAME to $WORK_DIR/provider-NAME, copies the upstream module
# tree into it as upstream/ (the wrapper's go.mod replaces TF_DECLARED => ./upstream), adds
# the wrapper's _shim/ to that copy as package pulumishim, then builds twice: once to
# generate the Pulumi schema (schema.json, plus bridge-metadata.json), once embedding them
# (the second build only recompiles the main package and relinks).
build_plugin() {
  local name=$1 pver=$2 tfmod=$3 tfver=$4 tfdecl=$5
  local bin="pulumi-resource-$name" log="$LOG_DIR/pulumi-resource-$name.log" t0=$SECONDS
  local wrapper="$WRAPPERS_DIR/$name" dir="$WORK_DIR/provider-$name" src hash stamp
  [[ -f "$wrapper/go.mod" ]] || { say "resource-$name" "FAILED: wrapper $wrapper missing"; FAILED+=("$bin"); return; }
  hash="$(cd "$wrapper" && find . -type f ! -name schema.json -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  stamp="$name $pver $tfmod@$tfver bridge-wrapper-sha256:$hash"
  if cached "$PLUGIN_DIR/$bin" "$stamp"; then say "resource-$name" "cached ($stamp)"; return; fi
  : >"$log"
  local ldflags="-s -w -X main.version=$pver"
  if ! { src="$(mod_dir "$tfmod@$tfver" "$log")" &&
         rm -rf "$dir" && mkdir -p "$dir" && cp -r "$wrapper/." "$dir/" &&
         cp -r "$src" "$dir/upstream" && chmod -R u+w "$dir/upstream" &&
         cp -r "$dir/_shim" "$dir/upstream/pulumishim" &&
         (cd "$dir" &&
          grep -q "^replace $tfdecl => ./upstream\$" go.mod &&
          echo "{}" >schema.json && echo "{}" >bridge-metadata.json &&
          nice -n 10 go build -trimpath -ldflags="$ldflags" -o "$dir/out/gen/$bin" . &&
          "$dir/out/gen/$bin" -gen-schema schema.json &&
          nice -n 10 go build -trimpath -ldflags="$ldflags" -o "$dir/out/$bin" .) >>"$log" 2>&1; }; then
    say "resource-$name" "FAILED after $(elapsed $t0): $(go_error "$log") (log: $log)"; FAILED+=("$bin"); return
  fi
  put_bin "$dir/out/$bin" "$PLUGIN_DIR/$bin" "$stamp"
  say "resource-$name" "built in $(elapsed $t0) ($stamp)"
}

# install_plugin NAME VERSION: `pulumi plugin install` the built binary into PULUMI_HOME
install_plugin() {
  local name=$1 ver=$2 bin="pulumi-resource-$1" t0=$SECONDS log="$LOG_DIR/plugin-install-$1.log"
  local mark="$PULUMI_HOME_DIR/plugins/resource-$name-v$ver/.obs-stack-installed" want
  [[ -x "$PLUGIN_DIR/$bin" && -x "$BIN_DIR/pulumi" ]] || { say "plugin $name" "FAILED: $bin or pulumi not built"; FAILED+=("plugin-$name"); return; }
  want="$(stamp_of "$PLUGIN_DIR/$bin")"
  if [[ -x "$PULUMI_HOME_DIR/plugins/resource-$name-v$ver/$bin" && "$(cat "$mark" 2>/dev/null)" == "$want" ]]; then
    say "plugin $name" "cached (resource-$name-v$ver in $PULUMI_HOME_DIR)"; return
  fi
  if ! PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=1 \
       "$BIN_DIR/pulumi" plugin install resource "$name" "$ver" --file "$PLUGIN_DIR/$bin" --reinstall >"$log" 2>&1; then
    say "plugin $name" "FAILED: pulumi plugin install: $(tail -n1 "$log") (log: $log)"; FAILED+=("plugin-$name"); return
  fi
  printf '%s\n' "$want" >"$mark"
  say "plugin $name" "installed in $(elapsed $t0) (resource-$name-v$ver in $PULUMI_HOME_DIR)"
}

# --- main -----------------------------------------------------------------
SELECTED=("$@")
for c in "${SELECTED[@]}"; do
  case "$c" in cli|docker|random) ;; *) echo "unknown component: $c (cli docker random)" >&2; exit 2;; esac
done
if ! command -v go >/dev/null; then
  if [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:$PATH"; else echo "install-pulumi: FAILED: go not found in PATH" >&2; exit 1; fi
fi
echo "install-pulumi: TOOLS_DIR=$TOOLS_DIR ($(go version | cut -d' ' -f3))"

# The plugins are installed with the CLI, so selecting a plugin needs the CLI too.
install_cli
if want docker; then
  build_plugin docker "$DOCKER_PLUGIN_VERSION" "$DOCKER_TF_MODULE" "$DOCKER_TF_VERSION" "$DOCKER_TF_DECLARED"
  install_plugin docker "$DOCKER_PLUGIN_VERSION"
fi
if want random; then
  build_plugin random "$RANDOM_PLUGIN_VERSION" "$RANDOM_TF_MODULE" "$RANDOM_TF_VERSION" "$RANDOM_TF_DECLARED"
  install_plugin random "$RANDOM_PLUGIN_VERSION"
fi

echo "install-pulumi: done in $(elapsed $START_ALL)${FAILED[*]:+; FAILED: ${FAILED[*]}}"
[[ ${#FAILED[@]} -eq 0 ]]
