#!/usr/bin/env bash
# The dependency rule, proved from the Go module cache: after the project's builds, no module that
# the approved list (the env entry's go-partial.tsv) marks not-to-use is in it — github.com/grafana/
# grafana, grafana/loki and grafana/tempo (AGPL), any sub-module or version — nor a Jaeger module
# version other than the approved v1.75.0. Prints every offending path and exits 1; exit 0 says
# what was checked.
#
#   scripts/check-modules.sh            # the cache scripts/lib/tools-dir.sh sets up (or $GOMODCACHE)
set -euo pipefail
# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
go_env
CACHE="$GOMODCACHE"
if [[ ! -d "$CACHE" ]]; then echo "check-modules: no module cache at $CACHE (nothing built yet)"; exit 0; fi
bad=()
# Extracted module trees (github.com/grafana/grafana@v…, …/loki/v3@v…) and the download cache
# (cache/download/github.com/grafana/loki/v3/@v/…). grafana-foundation-sdk and other grafana/*
# modules under permissive licences are allowed: only these three names are not.
for base in "$CACHE/github.com/grafana" "$CACHE/cache/download/github.com/grafana"; do
  [[ -d "$base" ]] || continue
  while IFS= read -r -d '' p; do bad+=("$p"); done < <(
    find "$base" -maxdepth 1 -mindepth 1 \( -name 'grafana' -o -name 'grafana@*' -o -name 'loki' -o -name 'loki@*' \
      -o -name 'tempo' -o -name 'tempo@*' \) -print0)
done
# Jaeger: only the approved module version (v1.76.0 and newer are served but not approved).
for p in "$CACHE"/github.com/jaegertracing/jaeger@* "$CACHE"/cache/download/github.com/jaegertracing/jaeger/@v/v*; do
  [[ -e "$p" ]] || continue
  case "$p" in *@v1.75.0 | */v1.75.0.* | */list | */list.lock) ;; *) bad+=("$p") ;; esac
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "check-modules: FAILED, the module cache holds modules the dependency rule forbids:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-modules: ok, no github.com/grafana/{grafana,loki,tempo} and no unapproved Jaeger version in $CACHE"
