#!/usr/bin/env bash
# Builds one LOCAL Docker image per stack role from the real binaries the integration tier runs
# (scripts/install-components.sh -> $TOOLS_DIR/bin, at the versions of settings/components.json),
# for machines that cannot reach an image registry. Grafana's slot gets the project's stand-in
# (scripts/install-grafana-standin.sh -> $TOOLS_DIR/grafana-standin): it is NOT Grafana, and its
# tag says so (obs-local/grafana-standin:for-<pinned grafana version>). Offline: legacy builder (DOCKER_BUILDKIT=0),
# `FROM scratch` + one `ADD rootfs.tar /` (a tar keeps the ownership and modes we set: data dirs
# owned by the image's user, /tmp 1777), no RUN step.
#
#   scripts/build-images.sh                 # every role that has a binary
#   scripts/build-images.sh grafana init    # only these roles
#
# Tags are obs-local/<role>:<version of the binary> (never the official names). Each image carries
# labels obs-local.role, obs-local.binary-sha256 and obs-local.recipe-sha256 (this script); a role
# whose tag exists with the same two hashes is skipped. $TOOLS_DIR/images.json maps role -> tag for
# every obs-local image present (the deploy tests set `images.<role>` from it).
#
# What each image reproduces from its upstream image, and what differs: docs/IMAGES.md.
# Tempo and Loki are never built: AGPL (the project does not fetch, build or run them).
# Every image's version must equal its role's version in settings/components.json, or the role FAILS.
#
# Environment:
#   TOOLS_DIR   where the binaries are and images.json / build contexts go (default <repo>/.tools)
#   BUSYBOX     static busybox giving sh/wget where the upstream base is alpine/busybox (default /bin/busybox)
#   CA_BUNDLE   CA certificates copied where upstream has them (default /etc/ssl/certs/ca-certificates.crt)
#   FORCE=1     rebuild even when the tag is up to date
set -euo pipefail
export DOCKER_BUILDKIT=0
trap 'echo "build-images: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
BIN_DIR="$TOOLS_DIR/bin"
STANDIN_DIR="$TOOLS_DIR/grafana-standin"
NODE_BIN="${NODE_BIN:-$(command -v node)}"
CTX_ROOT="$TOOLS_DIR/images"
LOG_DIR="$TOOLS_DIR/logs"
IMAGES_JSON="$TOOLS_DIR/images.json"
GOMODCACHE="${GOMODCACHE:-$TOOLS_DIR/go/mod}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
CA_BUNDLE="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
PREFIX="obs-local"
ROLES=(collector victoriametrics prometheus jaeger victorialogs traefik grafana init)
RECIPE_SHA="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-64)"
ALPINE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
mkdir -p "$CTX_ROOT" "$LOG_DIR"

say() { printf '%-16s %s\n' "$1:" "$2"; }
elapsed() { local s=$(( SECONDS - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
die() { echo "build-images: $*" >&2; exit 1; }

# sha256 of a file, cached by (path, size, mtime) so a warm run does not re-read 200 MB binaries
sha_of() {
  local f; f="$(readlink -f "$1")"
  local key; key="$f $(stat -c '%s %Y' "$f")"
  local cache="$CTX_ROOT/.sha256-cache"
  local hit; hit="$(grep -F -m1 "$key " "$cache" 2>/dev/null | awk '{print $NF}' || true)"
  if [[ -n "$hit" ]]; then echo "$hit"; return; fi
  hit="$(sha256sum "$f" | cut -c1-64)"
  { grep -v -F "$f " "$cache" 2>/dev/null || true; echo "$key $hit"; } >"$cache.tmp" && mv "$cache.tmp" "$cache"
  echo "$hit"
}

# --- rootfs helpers (ROOT is the staging rootfs of the role being built) ------------
put() { # put SRC DEST [MODE]: copy a file (symlinks resolved) into the rootfs
  mkdir -p "$ROOT$(dirname "$2")"; cp -L "$1" "$ROOT$2"; chmod "${3:-0644}" "$ROOT$2"
}
write() { # write DEST MODE <<< content
  mkdir -p "$ROOT$(dirname "$1")"; cat >"$ROOT$1"; chmod "$2" "$ROOT$1"
}
dirs() { # dirs MODE DIR...
  local mode=$1 d; shift; for d in "$@"; do mkdir -p "$ROOT$d"; chmod "$mode" "$ROOT$d"; done
}
tmp_dir() { dirs 1777 /tmp; }
certs() { put "$CA_BUNDLE" /etc/ssl/certs/ca-certificates.crt; }
zoneinfo() { [[ -d /usr/share/zoneinfo ]] && { mkdir -p "$ROOT/usr/share"; cp -rL /usr/share/zoneinfo "$ROOT/usr/share/"; } || true; }
# busybox applets laid out like alpine/busybox images (/bin/sh, /usr/bin/wget, ...), or all in one dir
busybox_full() {
  put "$BUSYBOX" /bin/busybox 0755
  local a
  (cd "$ROOT" && mkdir -p bin sbin usr/bin usr/sbin)
  while read -r a; do
    [[ "$a" == bin/busybox || -e "$ROOT/$a" ]] || ln -s /bin/busybox "$ROOT/$a"
  done < <("$BUSYBOX" --list-full)
}
busybox_in() { # busybox_in DIR: distroless :debug layout (/busybox/<applet>)
  put "$BUSYBOX" "$1/busybox" 0755
  local a; while read -r a; do [[ "$a" == busybox ]] || ln -sf "$1/busybox" "$ROOT$1/$a"; done < <("$BUSYBOX" --list)
}
passwd() { # passwd "name:uid:gid:home" ...  (root always present)
  local e n u g h
  { echo "root:x:0:0:root:/root:/bin/sh"
    for e in "$@"; do IFS=: read -r n u g h <<<"$e"; echo "$n:x:$u:$g:$n:$h:/sbin/nologin"; done; } | write /etc/passwd 0644
}
group() { # group "name:gid" ...
  local e n g
  { echo "root:x:0:root"; for e in "$@"; do IFS=: read -r n g <<<"$e"; echo "$n:x:$g:"; done; } | write /etc/group 0644
}
# shared libraries and loader of a dynamically linked binary (nothing for a static one)
libs() {
  local line p
  while read -r line; do
    p="$(sed -nE 's/.*=> (\/[^ ]+) \(0x.*/\1/p; s/^[[:space:]]*(\/[^ ]+) \(0x.*/\1/p' <<<"$line")"
    if [[ -n "$p" && -e "$p" ]]; then put "$p" "$p" 0755; fi
  done < <(ldd "$1" 2>/dev/null || true)
}
module_file() { # module_file MOD@VER PATH: a file from a Go module tree in the module cache, or empty
  local f="$GOMODCACHE/$1/$2"; [[ -f "$f" ]] && echo "$f" || true
}

# --- per-role recipes: each sets VERSION, BIN (the binary the label hashes) and fills $ROOT,
# writing the Dockerfile instructions that follow `ADD rootfs.tar /` into $INSTR. -------------
recipe_collector() {
  BIN="$BIN_DIR/otelcol"; need "$BIN" otelcol || return 0
  VERSION="$("$BIN" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)"
  [[ $STAGE == 1 ]] || return 0
  # upstream: distributions/otelcol-contrib/Dockerfile (FROM scratch, certs, uid 10001, no shell)
  put "$BIN" /otelcol-contrib 0755
  certs; tmp_dir
  write /etc/otelcol-contrib/config.yaml 0644 <<'EOF'
# Default config of the local image (the stack uploads its own over it).
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
processors:
  batch: {}
exporters:
  debug: {}
service:
  extensions: [health_check]
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
    metrics: {receivers: [otlp], processors: [batch], exporters: [debug]}
    logs: {receivers: [otlp], processors: [batch], exporters: [debug]}
EOF
  cat >"$INSTR" <<'EOF'
USER 10001:10001
ENTRYPOINT ["/otelcol-contrib"]
CMD ["--config", "/etc/otelcol-contrib/config.yaml"]
EXPOSE 4317 4318 55679
EOF
}

# VictoriaMetrics and VictoriaLogs share one upstream image shape: their deployment/Dockerfile is
# FROM alpine (certs, root), ENTRYPOINT /<binary>-prod, one EXPOSEd port. Our Go builds are static
# (CGO_ENABLED=0) like upstream's; the version is the vX.Y.Z of the -version stamp.
victoria_recipe() { # victoria_recipe BINARY COMPONENT PORT
  BIN="$BIN_DIR/$1"; need "$BIN" "$2" || return 0
  VERSION="$("$BIN" -version 2>/dev/null | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n1 | tr -d v || true)"
  [[ $STAGE == 1 ]] || return 0
  put "$BIN" "/$1-prod" 0755
  busybox_full; certs; tmp_dir
  passwd "nobody:65534:65534:/"; group "nobody:65534"
  cat >"$INSTR" <<EOF
ENV PATH=$ALPINE_PATH
ENTRYPOINT ["/$1-prod"]
EXPOSE $3
EOF
}
# upstream: VictoriaMetrics app/victoria-metrics/deployment/Dockerfile
recipe_victoriametrics() { victoria_recipe victoria-metrics victoriametrics 8428; }
# upstream: VictoriaLogs app/victoria-logs/deployment/Dockerfile
recipe_victorialogs() { victoria_recipe victoria-logs victorialogs 9428; }

recipe_prometheus() {
  BIN="$BIN_DIR/prometheus3"; need "$BIN" prometheus3 || return 0
  VERSION="$("$BIN" --version 2>/dev/null | grep -oE 'version [0-9]+\.[0-9]+\.[0-9]+' | head -n1 | cut -d' ' -f2 || true)"
  [[ $STAGE == 1 ]] || return 0
  # upstream: prometheus Dockerfile (busybox base, /bin/prometheus + promtool, /etc/prometheus and
  # WORKDIR /prometheus owned by nobody, g+w, USER nobody)
  put "$BIN" /bin/prometheus 0755
  if [[ -x "$BIN_DIR/promtool3" ]]; then put "$BIN_DIR/promtool3" /bin/promtool 0755; fi
  # Go module tag of Prometheus vX.Y.Z is v0.X(YY).Z (3.15.0 -> v0.315.0)
  local maj min pat example; IFS=. read -r maj min pat <<<"$VERSION"
  example="$(module_file "github.com/prometheus/prometheus@v0.$maj$(printf %02d "$min").$pat" documentation/examples/prometheus.yml)"
  if [[ -n "$example" ]]; then put "$example" /etc/prometheus/prometheus.yml
  else printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' | write /etc/prometheus/prometheus.yml 0644; fi
  busybox_full; certs; tmp_dir
  dirs 0775 /prometheus
  passwd "nobody:65534:65534:/home"; group "nobody:65534"
  OWNED=("/etc/prometheus:65534:65534" "/prometheus:65534:65534")
  cat >"$INSTR" <<EOF
ENV PATH=$ALPINE_PATH
WORKDIR /prometheus
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
}

recipe_jaeger() {
  BIN="$BIN_DIR/jaeger"; need "$BIN" jaeger || return 0
  # stamped at build time (-X …/internal/version.latestVersion, as upstream's release build does)
  VERSION="$("$BIN" version 2>/dev/null | grep -oE '"gitVersion": *"v[0-9]+\.[0-9]+\.[0-9]+"' | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)"
  [[ $STAGE == 1 ]] || return 0
  # upstream: cmd/jaeger/Dockerfile (alpine base, /cmd/jaeger/jaeger-linux, USER 10001, VOLUME /tmp,
  # JAEGER_LISTEN_HOST=0.0.0.0)
  put "$BIN" /cmd/jaeger/jaeger-linux 0755
  local s; s="$(module_file "github.com/jaegertracing/jaeger@$(tbl jaeger build.moduleVersion)" cmd/jaeger/sampling-strategies.json)"
  if [[ -n "$s" ]]; then put "$s" /cmd/jaeger/sampling-strategies.json; fi
  busybox_full; certs; tmp_dir
  passwd "nobody:65534:65534:/"; group "nobody:65534"
  cat >"$INSTR" <<EOF
ENV PATH=$ALPINE_PATH JAEGER_LISTEN_HOST=0.0.0.0
EXPOSE 5778 5779 4317 4318 14268 14250 9411 16686 13132 13133
VOLUME ["/tmp"]
ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]
USER 10001
EOF
}

recipe_traefik() {
  BIN="$BIN_DIR/traefik"; need "$BIN" traefik || return 0
  VERSION="$("$BIN" version 2>/dev/null | awk '/^Version:/ {print $2; exit}' || true)"
  [[ $STAGE == 1 ]] || return 0
  # upstream: traefik-library-image v3.5/alpine/Dockerfile + entrypoint.sh (alpine, ca-certificates,
  # tzdata, /usr/local/bin/traefik, ENTRYPOINT /entrypoint.sh, CMD traefik, root)
  put "$BIN" /usr/local/bin/traefik 0755
  # Same behaviour as the official entrypoint.sh: flags (or a traefik subcommand) run traefik.
  write /entrypoint.sh 0755 <<'EOF'
#!/bin/sh
set -e
# first arg is `-f` or `--some-option`
if [ "${1#-}" != "$1" ]; then
    set -- traefik "$@"
fi
# a traefik subcommand ("docker run <image> version") is run by traefik
if traefik "$1" --help >/dev/null 2>&1; then
    set -- traefik "$@"
else
    echo "= '$1' is not a Traefik command: assuming shell execution." 1>&2
fi
exec "$@"
EOF
  busybox_full; certs; zoneinfo; tmp_dir
  passwd "nobody:65534:65534:/"; group "nobody:65534"
  cat >"$INSTR" <<EOF
ENV PATH=$ALPINE_PATH
EXPOSE 80
ENTRYPOINT ["/entrypoint.sh"]
CMD ["traefik"]
EOF
}

recipe_grafana() {
  # NOT Grafana: the project's stand-in (tools/grafana-standin); the real server cannot be built or
  # run here (AGPL, and no registry). Same paths, user, entrypoint and env contract as
  # grafana/grafana, so the program's plan runs unchanged in its slot.
  BIN="$STANDIN_DIR/standin.cjs"
  [[ -f "$BIN" ]] || { WHY="no $BIN (run scripts/install-grafana-standin.sh)"; return 0; }
  [[ -x "$NODE_BIN" ]] || { WHY="no node runtime to copy into the stand-in image"; return 0; }
  VERSION="for-$(tbl grafana version)"; IMAGE_NAME="grafana-standin"
  [[ $STAGE == 1 ]] || return 0
  local home=/usr/share/grafana
  put "$BIN" "$home/standin.cjs" 0644
  put "$NODE_BIN" /usr/local/bin/node 0755
  libs "$NODE_BIN"
  # `grafana server …` / `grafana cli …`, as run.sh and the program's entrypoint
  # (admin reset-admin-password) call the real image's binary.
  write "$home/bin/grafana" 0755 <<EOF
#!/bin/sh
exec /usr/local/bin/node $home/standin.cjs "\$@"
EOF
  local p=/etc/grafana/provisioning
  dirs 0777 $p $p/datasources $p/dashboards $p/alerting /var/log/grafana /var/lib/grafana /var/lib/grafana/plugins
  printf '; stand-in: settings come from GF_* environment variables\n' | write /etc/grafana/grafana.ini 0644
  write /run.sh 0755 <<'EOF'
#!/bin/sh -e
# The stand-in image's entrypoint: what grafana/grafana's packaging/docker/run.sh does that the
# program relies on (GF_X__FILE secrets, the server's paths). It starts the stand-in, not Grafana.
for VAR_NAME in $(env | grep -E '^GF_[^=]+__FILE=.+' | sed -E 's/^([^=]*)__FILE=.*/\1/'); do
  eval "VAR_FILE=\${${VAR_NAME}__FILE}"
  eval "VAR_VALUE=\${${VAR_NAME}:-}"
  if [ -n "$VAR_VALUE" ]; then
    echo >&2 "ERROR: Both $VAR_NAME and ${VAR_NAME}__FILE are set (but are exclusive)"
    exit 1
  fi
  VAR_VALUE="$(cat "$VAR_FILE")"
  export "$VAR_NAME=$VAR_VALUE"
  unset "${VAR_NAME}__FILE"
done
unset VAR_NAME VAR_FILE VAR_VALUE
export HOME="$GF_PATHS_HOME"
exec grafana server                                         \
  --homepath="$GF_PATHS_HOME"                               \
  --config="$GF_PATHS_CONFIG"                               \
  --packaging=docker                                        \
  "$@"                                                      \
  cfg:default.log.mode="console"                            \
  cfg:default.paths.data="$GF_PATHS_DATA"                   \
  cfg:default.paths.logs="$GF_PATHS_LOGS"                   \
  cfg:default.paths.plugins="$GF_PATHS_PLUGINS"             \
  cfg:default.paths.provisioning="$GF_PATHS_PROVISIONING"
EOF
  busybox_full; certs; tmp_dir
  passwd "nobody:65534:65534:/" "grafana:472:0:/home/grafana"; group "nobody:65534"
  OWNED=("/var/lib/grafana:472:0" "/var/log/grafana:472:0" "$p:472:0")
  cat >"$INSTR" <<EOF
ENV PATH=$home/bin:$ALPINE_PATH \\
    GF_PATHS_CONFIG=/etc/grafana/grafana.ini \\
    GF_PATHS_DATA=/var/lib/grafana \\
    GF_PATHS_HOME=$home \\
    GF_PATHS_LOGS=/var/log/grafana \\
    GF_PATHS_PLUGINS=/var/lib/grafana/plugins \\
    GF_PATHS_PROVISIONING=/etc/grafana/provisioning
WORKDIR $home
EXPOSE 3000
USER 472
ENTRYPOINT ["/run.sh"]
LABEL obs-local.stand-in="not Grafana: tools/grafana-standin"
EOF
}

recipe_init() {
  BIN="$BUSYBOX"; [[ -x "$BIN" ]] || { WHY="no $BIN (apt-get install busybox-static)"; return 0; }
  VERSION="$("$BIN" 2>/dev/null | head -n1 | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | tr -d v || true)"
  [[ $STAGE == 1 ]] || return 0
  # upstream: docker-library busybox image (applets in /bin, /tmp 1777, CMD sh)
  busybox_full; tmp_dir
  passwd "nobody:65534:65534:/home"; group "nobody:65534"
  cat >"$INSTR" <<EOF
ENV PATH=$ALPINE_PATH
CMD ["sh"]
EOF
}

need() { # need BINARY COMPONENT: the binary from install-components.sh exists, else WHY is set
  [[ -x "$1" ]] && return 0
  WHY="no $1 (run scripts/install-components.sh $2)"; return 1
}

# --- build one role ---------------------------------------------------------------
declare -A TAGS=()
FAILED=()
build_role() {
  local role=$1 t0=$SECONDS
  local ctx="$CTX_ROOT/$role"
  ROOT="$ctx/rootfs"; INSTR="$ctx/instructions"; OWNED=(); VERSION=""; BIN=""; WHY=""; IMAGE_NAME="$role"
  rm -rf "$ctx"; mkdir -p "$ROOT"
  STAGE=0 "recipe_$role"   # probe: BIN and VERSION, or WHY when its input is missing
  if [[ -n "$WHY" ]]; then rm -rf "$ctx"; say "$role" "skipped: $WHY"; return; fi
  [[ -n "$VERSION" ]] || { rm -rf "$ctx"; say "$role" "FAILED: could not read the version of $BIN"; FAILED+=("$role"); return; }
  # The tested version is the deployed one: an image whose binary reports another version than its
  # role's row of settings/components.json is refused (the stand-in is versioned by what it stands in for).
  local pinned; pinned="$(tbl "$role" version)"
  if [[ "$VERSION" != "$pinned" && "$VERSION" != "for-$pinned" ]]; then
    rm -rf "$ctx"; say "$role" "FAILED: $BIN reports $VERSION, settings/components.json pins $pinned"; FAILED+=("$role"); return
  fi
  local sha tag; sha="$(sha_of "$BIN")"; tag="$PREFIX/$IMAGE_NAME:$VERSION"
  if [[ "${FORCE:-0}" != 1 ]] &&
     [[ "$(docker image inspect -f '{{index .Config.Labels "obs-local.binary-sha256"}} {{index .Config.Labels "obs-local.recipe-sha256"}}' "$tag" 2>/dev/null || true)" == "$sha $RECIPE_SHA" ]]; then
    rm -rf "$ctx"; TAGS[$role]="$tag"; say "$role" "up to date ($tag)"; return
  fi
  STAGE=1 "recipe_$role"   # stage the rootfs
  # rootfs.tar: everything root-owned except the OWNED paths (path:uid:gid), modes as staged
  local tarf="$ctx/rootfs.tar" spec path owner
  local -a excl=()
  for spec in "${OWNED[@]}"; do excl+=("--exclude=.${spec%%:*}"); done
  local -a topts=(--numeric-owner --sort=name --mtime=@0 -C "$ROOT")
  tar -cf "$tarf" --anchored "${excl[@]}" --owner=0 --group=0 "${topts[@]}" .
  for spec in "${OWNED[@]}"; do
    path="${spec%%:*}"; owner="${spec#*:}"
    tar -rf "$tarf" --owner="${owner%%:*}" --group="${owner#*:}" "${topts[@]}" ".$path"
  done
  {
    echo "FROM scratch"
    echo "ADD rootfs.tar /"
    cat "$INSTR"
    echo "LABEL obs-local.role=\"$role\" obs-local.binary-sha256=\"$sha\" obs-local.recipe-sha256=\"$RECIPE_SHA\" \\"
    echo "      org.opencontainers.image.version=\"$VERSION\" org.opencontainers.image.description=\"local $role image built by scripts/build-images.sh\""
  } >"$ctx/Dockerfile"
  rm -rf "$ROOT" "$INSTR"
  local log="$LOG_DIR/image-$role.log"
  if ! docker build -t "$tag" "$ctx" >"$log" 2>&1; then
    say "$role" "FAILED after $(elapsed "$t0"): $(grep -m1 -iE 'error|failed' "$log" || tail -n1 "$log") (log: $log)"
    FAILED+=("$role"); return
  fi
  rm -f "$tarf"   # keep the Dockerfile for reference
  TAGS[$role]="$tag"
  say "$role" "built $tag in $(elapsed "$t0") ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

write_images_json() {
  # roles built/up to date now, plus earlier entries whose image still exists
  local role tag
  if [[ -f "$IMAGES_JSON" ]]; then
    while IFS=$'\t' read -r role tag; do
      [[ -z "${TAGS[$role]:-}" ]] && docker image inspect "$tag" >/dev/null 2>&1 && TAGS[$role]="$tag"
    done < <(jq -r 'to_entries[] | "\(.key)\t\(.value)"' "$IMAGES_JSON" 2>/dev/null || true)
  fi
  { echo "{"
    local first=1
    for role in "${ROLES[@]}"; do
      [[ -n "${TAGS[$role]:-}" ]] || continue
      [[ $first == 1 ]] || echo ","
      printf '  "%s": "%s"' "$role" "${TAGS[$role]}"; first=0
    done
    echo; echo "}"; } >"$IMAGES_JSON.tmp" && mv "$IMAGES_JSON.tmp" "$IMAGES_JSON"
}

# --- main ----------------------------------------------------------------------------
SELECTED=("$@")
[[ ${#SELECTED[@]} -gt 0 ]] || SELECTED=("${ROLES[@]}")
for r in "${SELECTED[@]}"; do
  case " ${ROLES[*]} " in *" $r "*) ;; *)
    case "$r" in tempo|loki) die "$r is not built: AGPL (the project never fetches, builds or runs it)";; esac
    die "unknown role: $r (${ROLES[*]})";; esac
done
command -v docker >/dev/null || die "docker CLI not found (scripts/docker-engine.sh start)"
timeout 10 docker info >/dev/null 2>&1 || die "Docker engine not answering (scripts/docker-engine.sh start)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
[[ -x "$BUSYBOX" ]] || die "no static busybox at $BUSYBOX (apt-get install busybox-static)"
[[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE (apt-get install ca-certificates)"
START=$SECONDS
echo "build-images: TOOLS_DIR=$TOOLS_DIR (legacy builder, FROM scratch)"
for r in "${SELECTED[@]}"; do build_role "$r"; done
[[ ${#SELECTED[@]} -eq ${#ROLES[@]} ]] && {
  say tempo "not built: AGPL (users pull grafana/tempo themselves)"
  say loki "not built: AGPL (users pull grafana/loki themselves)"
}
write_images_json
echo "build-images: done in $(elapsed "$START"); $IMAGES_JSON lists ${#TAGS[@]} image(s)${FAILED[*]:+; FAILED: ${FAILED[*]}}"
[[ ${#FAILED[@]} -eq 0 ]]
