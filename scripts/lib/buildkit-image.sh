# shellcheck shell=bash
# Sourced by scripts/stack (#24): the BuildKit image the docker-container driver runs.
#
# `docker buildx create` (driver docker-container) starts moby/buildkit:buildx-stable-1,
# and `docker buildx create --driver-opt image=moby/buildkit:v0.34.2` the pinned one;
# neither can be pulled here. buildx falls back to a local image of that name
# ("pulling failed, using local image"), so the stack builds one, for the host's
# platform, from:
#   * the buildkitd/buildctl that scripts/buildkitd-nodes compiled (never twice);
#   * the host's runc (dynamically linked: the Debian base has its libseccomp2);
#   * the golang stand-in's amd64 Debian rootfs as the base (no other base exists);
#   * /etc/buildkit/buildkitd.toml with docker.io mirrored to the stack's registry.
# Other platforms: QEMU comes from the host's binfmt_misc (registered with the F flag,
# so the interpreter is opened by the kernel and works inside the container).
#
# The network: a docker-container builder runs in its own container on the docker0
# bridge, where 127.0.0.1:5000 is not the registry. The registry stays on loopback;
# a small forwarder (python3, no package) listens on the bridge's gateway address
# (172.17.0.1:5000 here) and relays to it, and the image's buildkitd.toml points the
# mirror there. A builder made with --driver-opt network=host reaches that address too.
# A builder created with its own --config (or a buildkitd.default.toml in buildx's
# config folder) replaces the baked-in file: it must then carry the same mirror.

BK_IMAGE_LAYOUT=1   # bump when what goes into the image changes
BK_IMAGE_VERSION=${BUILDORCH_BUILDKIT_VERSION:-v0.34.2}
BK_IMAGE_TAGS=(moby/buildkit:buildx-stable-1 "moby/buildkit:$BK_IMAGE_VERSION")
BK_IMAGE_DIR=$STACK_DIR/buildkit-image
BK_BRIDGE_JOB=registry-bridge

bridge_gateway() {  # the docker0 bridge's gateway address, e.g. 172.17.0.1
  docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null | head -1
}

bridge_registry_ok() {  # bridge_registry_ok ADDR
  curl -fsS -m 5 "http://$1/v2/" >/dev/null 2>&1
}

ensure_registry_bridge() {  # the registry, relayed on the bridge's gateway for builder containers
  local gw port=${REGISTRY_ADDR##*:}
  gw=$(bridge_gateway)
  [ -n "$gw" ] || die "docker's bridge network has no gateway address" "is dockerd running with its default bridge?"
  step "$BK_BRIDGE_JOB" "$LOG_DIR/$BK_BRIDGE_JOB.log"
  bridge_registry_ok "$gw:$port" && return 0
  pid_alive "$BK_BRIDGE_JOB" && stop_daemon "$BK_BRIDGE_JOB"
  say "relaying the registry on $gw:$port for docker-container builders (log: $LOG_DIR/$BK_BRIDGE_JOB.log)"
  start_bg "$BK_BRIDGE_JOB" python3 "$HERE/lib/tcp-relay.py" "$gw:$port" "$REGISTRY_ADDR"
  wait_for 10 "$BK_BRIDGE_JOB" bridge_registry_ok "$gw:$port"
}

bk_image_stamp() {  # what the image is made of: the binaries' version, the layout, the mirror
  echo "$BK_IMAGE_VERSION/$BK_IMAGE_LAYOUT/$(bridge_gateway)"
}

bk_image_ok() {
  local t
  for t in "${BK_IMAGE_TAGS[@]}"; do
    [ "$(label_of "$t" org.buildorch.buildkit-image)" = "$(bk_image_stamp)" ] || return 1
  done
}

ensure_buildkit_image() {
  local log=$LOG_DIR/buildkit-image.log bin=$STACK_DIR/buildkit/bin gw port=${REGISTRY_ADDR##*:}
  step buildkit-image "$log"
  bk_image_ok && return 0
  "$NODES" built >/dev/null 2>&1 || die "buildkitd $BK_IMAGE_VERSION is not built yet" "run scripts/stack up --all"
  local runc; runc=$(command -v runc) || die "runc is missing" "run scripts/buildkitd-nodes up (it installs Debian's runc)"
  gw=$(bridge_gateway)
  rm -rf "$BK_IMAGE_DIR"; mkdir -p "$BK_IMAGE_DIR"
  cp "$bin/buildkitd" "$bin/buildctl" "$runc" "$BK_IMAGE_DIR/"
  cat >"$BK_IMAGE_DIR/buildkitd.toml" <<EOF
# Baked into the stack's local moby/buildkit image (scripts/lib/buildkit-image.sh).
# docker.io is the stack's registry, relayed on the docker0 gateway ($gw:$port).
[registry."docker.io"]
  mirrors = ["$gw:$port"]

[registry."$gw:$port"]
  http = true
  insecure = true
EOF
  cat >"$BK_IMAGE_DIR/Dockerfile" <<EOF
FROM golang:$(go_minor)-bookworm
COPY buildkitd buildctl runc /usr/bin/
COPY buildkitd.toml /etc/buildkit/buildkitd.toml
ENV GOLANG_VERSION= GOPATH= PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /
VOLUME /var/lib/buildkit
LABEL org.buildorch.stand-in=buildkit org.buildorch.buildkit-image="$(bk_image_stamp)" \\
      org.opencontainers.image.description="Local stand-in for moby/buildkit:$BK_IMAGE_VERSION (the stack's buildkitd, Debian's runc), built by buildorch's scripts/stack"
ENTRYPOINT ["buildkitd"]
EOF
  local tags=() t; for t in "${BK_IMAGE_TAGS[@]}"; do tags+=(-t "$t"); done
  say "building the local ${BK_IMAGE_TAGS[*]} (log: $log)"
  docker buildx build --builder default --platform "linux/$(go env GOARCH)" --provenance=false \
    "${tags[@]}" --load "$BK_IMAGE_DIR" >"$log" 2>&1 || die "building the BuildKit image failed"
  bk_image_ok || die "the built BuildKit image does not carry its stamp"
}

purge_buildkit_image() {  # purge_buildkit_image LOG — the images (when the engine runs) and the relay
  if docker_ok; then
    docker image ls -q --filter label=org.buildorch.stand-in=buildkit | sort -u | xargs -r docker rmi -f >>"$1" 2>&1 || true
  fi
  stop_daemon "$BK_BRIDGE_JOB"
}

buildkit_image_state() {  # what status shows; fails when the image or the relay is missing
  local gw port=${REGISTRY_ADDR##*:}; gw=$(bridge_gateway)
  if bk_image_ok && bridge_registry_ok "$gw:$port"; then
    echo "${BK_IMAGE_TAGS[*]} (LOCAL; registry relayed on $gw:$port)"
  else
    echo "${BK_IMAGE_TAGS[*]} or the registry relay on ${gw:-?}:$port missing: scripts/stack up --all"
    return 1
  fi
}
