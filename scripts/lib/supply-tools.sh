# shellcheck shell=bash
# Sourced by scripts/stack (after common.sh): the supply-chain tools of #17.
#
# syft (SBOMs), cosign (signatures, attestations) and govulncheck (the scan) are
# built from their Go modules at pinned versions into the stack's GOPATH/bin, so
# buildorch's supply chain works on a machine that reaches no public service. Each
# binary gets a version stamp file beside it; a build is skipped while the stamp
# matches the pin, and `purge` removes them with the stack's directory.
# syft and cosign pull hundreds of modules: several minutes each on 2 cores the first
# time, so `up --all` starts them as background jobs before anything else.

SUPPLY_BIN_DIR=$STACK_DIR/go/bin
# name|module path of the main package|version|-ldflags -X for the version (may be empty)
SUPPLY_TOOLS=(
  "syft|github.com/anchore/syft/cmd/syft|v1.57.1|main.version=1.57.1"
  "cosign|github.com/sigstore/cosign/v2/cmd/cosign|v2.6.5|sigs.k8s.io/release-utils/version.gitVersion=v2.6.5"
  "govulncheck|golang.org/x/vuln/cmd/govulncheck|v1.9.0|"
)

supply_field() {  # supply_field NAME FIELD(1-4)
  local t; for t in "${SUPPLY_TOOLS[@]}"; do
    [ "${t%%|*}" = "$1" ] && { cut -d'|' -f"$2" <<<"$t"; return 0; }
  done
  return 1
}
supply_tool_ok() {  # supply_tool_ok NAME — built, and its stamp matches the pinned version
  local bin=$SUPPLY_BIN_DIR/$1
  [ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$(supply_field "$1" 2)@$(supply_field "$1" 3)" ]
}
build_supply_tool() {  # build_supply_tool NAME — go install at the pin (a background job)
  local name=$1 pkg ver x
  pkg=$(supply_field "$name" 2); ver=$(supply_field "$name" 3); x=$(supply_field "$name" 4)
  supply_tool_ok "$name" && return 0
  command -v go >/dev/null || die "no Go toolchain on the host" "install Go ($name is built from its Go module)"
  mkdir -p "$SUPPLY_BIN_DIR"
  local ldflags="-s -w"; [ -n "$x" ] && ldflags="$ldflags -X $x"
  GOBIN=$SUPPLY_BIN_DIR CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "$pkg@$ver"
  echo "$pkg@$ver" >"$SUPPLY_BIN_DIR/$name.version"
}
start_supply_tools() {  # start the builds that are missing, side by side with the rest of `up`
  local t name
  for t in "${SUPPLY_TOOLS[@]}"; do
    name=${t%%|*}
    supply_tool_ok "$name" && continue
    say "building $name $(supply_field "$name" 3) in the background (log: $LOG_DIR/$name-build.log)"
    bg_start "$name" "$LOG_DIR/$name-build.log" build_supply_tool "$name"
  done
}
wait_supply_tools() {
  local t; for t in "${SUPPLY_TOOLS[@]}"; do bg_wait "${t%%|*}"; done
}
ensure_supply_tools() {  # `scripts/stack supply-tools`: build what is missing, in the foreground
  start_supply_tools
  wait_supply_tools
}
supply_tools_status() {  # supply_tools_status ALL(0|1) — one status line per tool (the caller's `line`)
  local t name
  for t in "${SUPPLY_TOOLS[@]}"; do
    name=${t%%|*}
    if supply_tool_ok "$name"; then line "$name" ok "$(supply_field "$name" 3) ($SUPPLY_BIN_DIR/$name)"
    elif [ "$1" = 1 ]; then line "$name" FAIL "missing: scripts/stack up --all (or scripts/stack supply-tools)"
    else line "$name" off "not built (the supply-chain commands need it: scripts/stack up --all)"; fi
  done
}
