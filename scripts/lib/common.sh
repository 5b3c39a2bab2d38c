# shellcheck shell=bash disable=SC2034  # the variables are the sourcing scripts'
# Shared by scripts/stack and scripts/buildkitd-nodes: sourced, never run.
#
# The caller sets PROG (the prefix of every line it prints) and then sources this file.
# What it gives them:
#   * one error report: every failure names the step it happened in and that step's
#     log, whether it came from `die` or from any command that failed under `set -e`
#     (an ERR trap, inherited by functions and subshells with `set -E`);
#   * apt installs that record what they added, so `scripts/stack purge` can take the
#     machine back to what the stack found;
#   * the stack's paths and the Go environment its tools are built with.

set -eEuo pipefail

STACK_DIR=${BUILDORCH_STACK_DIR:-/var/lib/buildorch-stack}
LOG_DIR=$STACK_DIR/log
RUN_DIR=$STACK_DIR/run
# What the stack changed on the machine, read by `scripts/stack purge`.
RECORD_DIR=$STACK_DIR/record
REGISTRY_ADDR=${BUILDORCH_REGISTRY_ADDR:-127.0.0.1:5000}
DEBIAN_MIRROR=${BUILDORCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Go downloads (toolchain zip, BuildKit's modules) and build cache stay inside the
# stack's directory: purge removes them with it, and they never mix with the user's.
export GOMODCACHE=$STACK_DIR/go/mod GOCACHE=$STACK_DIR/go/build GOFLAGS=-modcacherw GOTOOLCHAIN=local

STEP=start
STEP_LOG=

say() { printf '[%s] %s\n' "$PROG" "$*" >&2; }

# step NAME [LOG]: what runs now, and where its output goes; named by any failure.
step() { STEP=$1; STEP_LOG=${2:-}; }

tail_log() {
  [ -s "$1" ] || return 0
  printf '[%s] last lines of %s:\n' "$PROG" "$1" >&2
  tail -n 20 "$1" | sed 's/^/    /' >&2
}

# die MESSAGE [HINT...]: the one-line error (step, message, log), the log's tail, hints; exit 1.
die() {
  local msg=$1; shift
  [ -n "$STEP_LOG" ] && tail_log "$STEP_LOG"
  printf '[%s] error: step "%s" failed: %s%s\n' "$PROG" "$STEP" "$msg" "${STEP_LOG:+ (log: $STEP_LOG)}" >&2
  local l; for l in "$@"; do printf '[%s]   %s\n' "$PROG" "$l" >&2; done
  exit 1
}

on_err() {  # the ERR trap: a command failed under set -e
  local rc=$1 line=$2 cmd=$3
  # In a subshell only leave: the parent reports it once. A background job (IN_BG, set
  # by its starter) says what failed in its own log, which the parent then shows.
  if [ "$BASH_SUBSHELL" -gt 0 ]; then
    [ -n "${IN_BG:-}" ] && printf "[%s] '%s' exited %s (line %s)\n" "$PROG" "$cmd" "$rc" "$line" >&2
    exit "$rc"
  fi
  die "'$cmd' exited $rc (${BASH_SOURCE[1]:-$0} line $line)" "run the same command again after fixing the cause; every step is idempotent"
}
trap 'on_err "$?" "$LINENO" "$BASH_COMMAND"' ERR

need_root() { [ "$(id -u)" = 0 ] || die "scripts/$PROG $1 must run as root" "try: sudo scripts/$PROG $1"; }

registry_ok() { curl -fsS -m 3 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

port_taken() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# ---------------------------------------------------------------- packages
installed_pkgs() {  # every package dpkg has fully installed, one "name:arch version" a line
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture} ${Version}\n' | awk '$1 == "ii" {print $2, $3}' | LC_ALL=C sort
}

missing_pkgs() {  # missing_pkgs PKG... — the ones not installed, space separated
  local p out=""
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || out="$out $p"
  done
  echo "$out"
}

# apt_install LOG PKG... — install the named packages (apt-get update first, once per run),
# and append to $RECORD_DIR/packages every package that was not installed before (the
# named ones and their dependencies). A package whose version changed goes to
# $RECORD_DIR/changed-packages with its old version, for purge to report.
APT_UPDATED=0
apt_install() {
  local log=$1; shift
  mkdir -p "$RECORD_DIR"
  local before after
  before=$(installed_pkgs)
  # No init system here: keep package scripts from trying to start services.
  local prc=/usr/sbin/policy-rc.d made_prc=0 rc=0
  if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; made_prc=1; fi
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get update -q >>"$log" 2>&1 || rc=$?
    APT_UPDATED=1
  fi
  if [ "$rc" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" \
      >>"$log" 2>&1 || rc=$?
  fi
  [ "$made_prc" = 1 ] && rm -f "$prc"
  after=$(installed_pkgs)
  # Record even after a failure: what did get installed must still be purged.
  LC_ALL=C comm -13 <(cut -d' ' -f1 <<<"$before") <(cut -d' ' -f1 <<<"$after") >>"$RECORD_DIR/packages"
  LC_ALL=C join <(echo "$before") <(echo "$after") | awk '$2 != $3 {print $1, $2, "->", $3}' >>"$RECORD_DIR/changed-packages"
  [ "$rc" = 0 ] || die "apt-get install $* failed (exit $rc)" "check the network to Debian's mirror, then run this again"
}
