# shellcheck shell=bash
# The current buildx, built from its Go module beside Debian's 0.13.1: sourced by scripts/stack.
#
# Users run today's buildx; Debian trixie ships 0.13.1. The stack builds
# github.com/docker/buildx at a pinned version into $STACK_DIR/buildx/VERSION/ and
# makes it the docker CLI's default plugin by a symlink in /usr/local/lib/docker/cli-plugins:
# the docker CLI looks in $DOCKER_CONFIG/cli-plugins first, then its config's cliPluginsExtraDirs,
# then /usr/local/lib, /usr/local/libexec, /usr/lib and last /usr/libexec/docker/cli-plugins, where
# Debian's package puts its own; the first found wins (docker/cli cli-plugins/manager).
# Debian's stays installed. `make test-compat` reaches it through a DOCKER_CONFIG whose
# cli-plugins/ holds only a link to it ($BUILDX_COMPAT_CONFIG); buildx keeps its builders
# in $DOCKER_CONFIG/buildx, so the old version never reads what the new one wrote (the
# tests create the builders they use).
#
# BUILDORCH_BUILDX_DEFAULT=0 builds the binary and the compat directory but leaves the
# machine's default plugin as it is (for working on a shared machine).

BUILDX_VERSION=${BUILDORCH_BUILDX_VERSION:-v0.38.2}
BUILDX_MODULE=github.com/docker/buildx
BUILDX_DIR=$STACK_DIR/buildx
BUILDX_BIN=$BUILDX_DIR/$BUILDX_VERSION/docker-buildx
BUILDX_DEFAULT_LINK=/usr/local/lib/docker/cli-plugins/docker-buildx
DEBIAN_BUILDX=/usr/libexec/docker/cli-plugins/docker-buildx
BUILDX_COMPAT_CONFIG=$BUILDX_DIR/compat-config

current_buildx_ok() { [ -x "$BUILDX_BIN" ] && "$BUILDX_BIN" version 2>/dev/null | grep -qF " $BUILDX_VERSION "; }

build_current_buildx() {  # the binary, cached by the version it reports (a background job)
  local log=$BUILDX_DIR/go-build.log
  step buildx-build "$log"
  current_buildx_ok && return 0
  command -v go >/dev/null || die "no Go toolchain on the host" "install Go (buildx is built from its Go module)"
  mkdir -p "$BUILDX_DIR/$BUILDX_VERSION"
  say "building buildx $BUILDX_VERSION from the Go module (log: $log; minutes the first time)"
  # Built inside the downloaded module, with its go.sum, as BuildKit is (scripts/buildkitd-nodes);
  # the version is stamped as buildx's own Dockerfile does, so `docker buildx version` shows it.
  local src
  src=$(cd /tmp && go mod download -json "$BUILDX_MODULE@$BUILDX_VERSION" 2>>"$log" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') \
    || die "could not download $BUILDX_MODULE@$BUILDX_VERSION" "check access to the Go module proxy"
  local ldf="-X $BUILDX_MODULE/version.Version=$BUILDX_VERSION -X $BUILDX_MODULE/version.Revision=$BUILDX_VERSION"
  ldf="$ldf -X $BUILDX_MODULE/version.Package=$BUILDX_MODULE"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldf" -o "$BUILDX_BIN.tmp" ./cmd/buildx) >>"$log" 2>&1 \
    || die "building buildx $BUILDX_VERSION failed" "does this Go ($(go env GOVERSION)) satisfy its go.mod?"
  mv "$BUILDX_BIN.tmp" "$BUILDX_BIN"
  current_buildx_ok || die "the built binary does not report $BUILDX_VERSION"
}

install_current_buildx() {  # the compat directory always; the default plugin unless told not to
  step buildx-install "$BUILDX_DIR/go-build.log"
  mkdir -p "$BUILDX_COMPAT_CONFIG/cli-plugins"
  [ -x "$DEBIAN_BUILDX" ] && ln -sfn "$DEBIAN_BUILDX" "$BUILDX_COMPAT_CONFIG/cli-plugins/docker-buildx"
  if [ "${BUILDORCH_BUILDX_DEFAULT:-1}" = 0 ]; then
    say "buildx $BUILDX_VERSION is at $BUILDX_BIN; BUILDORCH_BUILDX_DEFAULT=0: the default plugin is left as it is"
    return 0
  fi
  [ "$(readlink "$BUILDX_DEFAULT_LINK" 2>/dev/null || true)" = "$BUILDX_BIN" ] && return 0
  if [ -e "$BUILDX_DEFAULT_LINK" ] && [ ! -L "$BUILDX_DEFAULT_LINK" ]; then
    say "$BUILDX_DEFAULT_LINK exists and is not the stack's: leaving it (buildx $BUILDX_VERSION is at $BUILDX_BIN)"
    return 0
  fi
  mkdir -p "$(dirname "$BUILDX_DEFAULT_LINK")"
  ln -sfn "$BUILDX_BIN" "$BUILDX_DEFAULT_LINK"
  say "docker buildx is now $BUILDX_VERSION ($BUILDX_DEFAULT_LINK); Debian's stays at $DEBIAN_BUILDX"
}

purge_current_buildx() {  # only the stack's own link; the binary goes with $STACK_DIR
  case "$(readlink "$BUILDX_DEFAULT_LINK" 2>/dev/null || true)" in
    "$BUILDX_DIR"/*) rm -f "$BUILDX_DEFAULT_LINK"
      local dir; dir=$(dirname "$BUILDX_DEFAULT_LINK")
      rmdir "$dir" "$(dirname "$dir")" 2>/dev/null || true ;;
  esac
}
