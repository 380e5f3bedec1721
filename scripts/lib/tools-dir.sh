# Sourced by the install/build scripts: where the repository and the tools cache are, and the Go
# environment every from-source build shares (module and build caches under the tools dir, so
# `rm -rf $TOOLS_DIR` removes everything and a later run on the same machine reuses it).
#   TOOLS_DIR            default <repo>/.tools (CI: ~/.cache/obs-stack/tools); made absolute here
#   GOMODCACHE, GOCACHE  honoured if set, else $TOOLS_DIR/go/{mod,cache}
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$REPO_ROOT/.tools}"
mkdir -p "$TOOLS_DIR"
TOOLS_DIR="$(cd "$TOOLS_DIR" && pwd)"

# go_env: the shared Go settings (each script adds CGO_ENABLED/GOBIN as its build needs).
go_env() {
  mkdir -p "$TOOLS_DIR/go/tmp"
  export GOMODCACHE="${GOMODCACHE:-$TOOLS_DIR/go/mod}"
  export GOCACHE="${GOCACHE:-$TOOLS_DIR/go/cache}"
  export GOPATH="${GOPATH:-$TOOLS_DIR/go}"
  export GOTMPDIR="$TOOLS_DIR/go/tmp" # go build's temporary work dirs (default /tmp)
  # -modcacherw: the module cache stays deletable with a plain rm -rf.
  export GOFLAGS="-buildvcs=false -modcacherw"
}

# tbl ROLE KEY.PATH: a value of the version table settings/components.json (empty when absent; a
# list is joined with spaces). The install and image scripts read every version from it.
tbl() {
  node -e 'const t = require(process.argv[1]); let v = t[process.argv[2]];
    for (const k of process.argv[3].split(".")) v = v == null ? undefined : v[k];
    process.stdout.write(v == null ? "" : Array.isArray(v) ? v.join(" ") : String(v));' \
    "$REPO_ROOT/settings/components.json" "$1" "$2"
}
