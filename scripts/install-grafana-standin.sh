#!/usr/bin/env bash
# Bundles the Grafana STAND-IN (tools/grafana-standin, TypeScript; not Grafana) with esbuild into
# one CommonJS file for Node 20:
#
#   $TOOLS_DIR/grafana-standin/standin.cjs     node standin.cjs server | cli admin reset-admin-password …
#   $TOOLS_DIR/grafana-standin/.stamp          sha256 of every bundled input + esbuild version + flags
#   $TOOLS_DIR/grafana-standin/inputs.txt      the inputs esbuild read last time (from its metafile)
#
# A re-run whose inputs hash to the same stamp is a no-op. The real test tiers run this in
# Grafana's slot (the integration tier as a local process, the deploy tier inside a local image);
# users of the program get the real grafana/grafana image.
#
# Environment:
#   TOOLS_DIR   where everything goes (default <repo>/.tools; CI: ~/.cache/obs-stack/tools)
#
# Network: none (esbuild from node_modules: run `npm ci` first).
set -euo pipefail

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
OUT_DIR="$TOOLS_DIR/grafana-standin"
OUT="$OUT_DIR/standin.cjs"
ENTRY="tools/grafana-standin/standin.ts"
ESBUILD="$REPO_ROOT/node_modules/.bin/esbuild"
FLAGS=(--bundle --platform=node --target=node20 --format=cjs --log-level=warning)

[[ -x "$ESBUILD" ]] || { echo "install-grafana-standin: FAILED: $ESBUILD not found (run npm ci)" >&2; exit 1; }
ESBUILD_VERSION="$("$ESBUILD" --version)"

# stamp: esbuild version, flags, and the content of every input the last bundle read.
stamp() {
  local inputs="$1"
  {
    echo "esbuild $ESBUILD_VERSION ${FLAGS[*]} $ENTRY"
    while IFS= read -r f; do
      [[ -f "$REPO_ROOT/$f" ]] || { echo "missing $f"; continue; }
      echo "$f $(sha256sum "$REPO_ROOT/$f" | cut -d' ' -f1)"
    done <"$inputs"
  } | sha256sum | cut -d' ' -f1
}

if [[ -f "$OUT" && -f "$OUT_DIR/.stamp" && -f "$OUT_DIR/inputs.txt" ]] &&
  [[ "$(stamp "$OUT_DIR/inputs.txt")" == "$(cat "$OUT_DIR/.stamp")" ]]; then
  echo "install-grafana-standin: cached ($OUT)"
  exit 0
fi

mkdir -p "$OUT_DIR"
TMP="$(mktemp -d "$OUT_DIR/.build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
(cd "$REPO_ROOT" && "$ESBUILD" "$ENTRY" "${FLAGS[@]}" --outfile="$TMP/standin.cjs" --metafile="$TMP/meta.json") ||
  { echo "install-grafana-standin: FAILED: esbuild could not bundle $ENTRY" >&2; exit 1; }
# Every input esbuild read, repository-relative (node_modules included: a changed js-yaml rebuilds too).
node -e 'const m = require(process.argv[1]); console.log(Object.keys(m.inputs).sort().join("\n"))' "$TMP/meta.json" >"$TMP/inputs.txt"
mv "$TMP/standin.cjs" "$OUT"
mv "$TMP/inputs.txt" "$OUT_DIR/inputs.txt"
stamp "$OUT_DIR/inputs.txt" >"$OUT_DIR/.stamp"
node "$OUT" --version >/dev/null || { echo "install-grafana-standin: FAILED: the bundle does not run" >&2; exit 1; }
echo "install-grafana-standin: built $OUT ($(wc -c <"$OUT") bytes, $(wc -l <"$OUT_DIR/inputs.txt") inputs; Grafana stand-in, not Grafana)"
