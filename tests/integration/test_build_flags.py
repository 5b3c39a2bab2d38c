"""buildx's flags on ``buildorch build``, against the real stack: --ssh, --call, --progress plain, platforms.

Run by ``make test`` on the current buildx and by ``make test-compat`` on Debian's 0.13.1,
where ``--call check`` must say in one line that this buildx cannot.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildorch.core.platforms import host_platform
from buildorch.engine.buildx import CALL_SINCE, parse_buildx_version
from tests.integration.helpers import APP, buildorch, buildorch_json, docker, unique

pytestmark = pytest.mark.integration

TLS = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack")) / "buildkit" / "tls"
BUILDX = parse_buildx_version(docker("buildx", "version"))

# Asks the ssh-agent that BuildKit forwards for its identities (SSH agent protocol:
# SSH2_AGENTC_REQUEST_IDENTITIES = 11, answered by 12 with blobs and comments) and prints
# the comments. perl-base is in the local golang stand-in; no ssh client is.
AGENT_PL = r"""
use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Peer => $ENV{SSH_AUTH_SOCK}) or die "no agent at $ENV{SSH_AUTH_SOCK}: $!";
print $s pack("NC", 1, 11);
read($s, my $len, 4) == 4 or die "short read";
read($s, my $body, unpack("N", $len));
my ($type, $n) = unpack("CN", $body);
$type == 12 or die "agent answered $type";
my $rest = substr($body, 5);
for (1 .. $n) {
  my $bl = unpack("N", $rest); $rest = substr($rest, 4 + $bl);
  my $cl = unpack("N", $rest); print substr($rest, 4, $cl), "\n"; $rest = substr($rest, 4 + $cl);
}
"""

SSH_DOCKERFILE = """\
FROM golang:1.26-bookworm AS probe
COPY agent.pl /agent.pl
RUN --mount=type=ssh perl /agent.pl > /identities.txt
FROM scratch
COPY --from=probe /identities.txt /
"""


@contextlib.contextmanager
def ssh_agent(tmp: Path) -> Iterator[dict[str, str]]:
    """A private ssh-agent holding one new key (comment ``buildorch-ssh-test-<id>``); stopped on the way out."""
    sock = tmp / "agent.sock"
    out = subprocess.run(["ssh-agent", "-s", "-a", str(sock)], capture_output=True, text=True, check=True).stdout
    pid = re.search(r"SSH_AGENT_PID=(\d+)", out)
    assert pid, out
    env = {"SSH_AUTH_SOCK": str(sock)}
    try:
        comment = unique("buildorch-ssh-test")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(tmp / "key")], check=True)
        subprocess.run(["ssh-add", "-q", str(tmp / "key")], env={**os.environ, **env}, check=True, capture_output=True)
        yield {**env, "COMMENT": comment}
    finally:
        os.kill(int(pid.group(1)), 15)


def test_ssh_default_forwards_the_agent_to_run_mount_ssh(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(SSH_DOCKERFILE)
    (ctx / "agent.pl").write_text(AGENT_PL)
    with ssh_agent(tmp_path) as agent:
        comment = agent.pop("COMMENT")
        # --no-cache: BuildKit's cache key of a RUN --mount=type=ssh leaves the agent's keys out, so an earlier
        # run's step (another agent, another comment) would be reused: make test-compat runs this test again.
        r = buildorch("build", str(ctx), "--ssh", "default", "-o", f"type=local,dest={tmp_path / 'out'}",
                      "--cache", "none", "--no-cache", "--progress", "plain", env=agent)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "out" / "identities.txt").read_text().split() == [comment]
    assert re.search(r"^#\d+ \[probe 3/3\] RUN --mount=type=ssh perl /agent.pl", r.stderr, re.M), r.stderr[-3000:]


def test_ssh_without_an_agent_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    r = subprocess.run(
        [sys.executable, "-m", "buildorch", "build", str(APP), "--ssh", "default", "--dry-run"],
        capture_output=True, text=True, env=env, check=False, cwd=APP.parent,
    )  # fmt: skip
    assert r.returncode == 2 and "SSH_AUTH_SOCK is not set" in r.stderr and r.stderr.count("\n") <= 2, r.stderr


def test_progress_plain_is_buildkits_own_lines() -> None:
    r = buildorch("build", str(APP), "--progress", "plain", "--version", "1.2.3",
                  "--build-arg", "BUILD_TIME=2026-01-01T00:00:00Z")  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"^#1 \[internal\] load build definition from Dockerfile$", r.stderr, re.M), r.stderr[:2000]
    assert re.search(r"^#\d+ (DONE \d+\.\ds|CACHED)$", r.stderr, re.M)


def test_platform_aliases_and_local_are_planned_as_buildx_does() -> None:
    plan = buildorch_json("build", str(APP), "--platform", "linux/aarch64,local", "--dry-run")
    assert plan["spec"]["platforms"] == ["linux/arm64", host_platform()]
    assert f"--platform linux/arm64,{host_platform()}" in plan["commands"][0]


@pytest.fixture(scope="module")
def lint_builder() -> Iterator[str]:
    """A builder on the stack's amd64 buildkitd (BuildKit 0.34): the engine's own BuildKit predates checks."""
    if not (TLS / "ca.pem").is_file():
        pytest.skip("the stack's buildkitd nodes are not up (scripts/stack up --all)")
    name = unique("buildorch-it-lint")
    opts = f"cacert={TLS / 'ca.pem'},cert={TLS / 'client.pem'},key={TLS / 'client-key.pem'},servername=127.0.0.1"
    docker("buildx", "create", "--name", name, "--driver", "remote", "--driver-opt", opts, "tcp://127.0.0.1:1234")
    try:
        yield name
    finally:
        docker("buildx", "rm", name, check=False)


def test_call_check_reports_the_dockerfiles_checks(tmp_path: Path, lint_builder: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch as base\nENV A 1\n")
    r = buildorch("build", str(tmp_path), "--call", "check", "--builder", lint_builder)
    if BUILDX < CALL_SINCE:
        assert r.returncode == 1 and "cannot run --call check (buildx 0.15 added it)" in r.stderr, r.stderr
        return
    assert r.returncode == 0, r.stderr[-2000:]
    assert "warning: Dockerfile:1: FromAsCasing:" in r.stdout and "warning: Dockerfile:2: LegacyKeyValueFormat:" in r.stdout
    strict = buildorch("build", str(tmp_path), "--call", "check", "--check-strict", "--builder", lint_builder)
    assert strict.returncode == 1 and "2 Dockerfile check warnings (--check-strict)" in strict.stderr
    clean = buildorch("build", str(APP), "--call", "check", "--builder", lint_builder)
    assert clean.returncode == 0 and clean.stdout == "", clean.stdout + clean.stderr[-2000:]


def test_call_outline_and_targets_on_every_buildx(lint_builder: str) -> None:
    outline = buildorch("build", str(APP), "--call", "outline", "--builder", lint_builder)
    assert outline.returncode == 0 and "TARGET: runtime" in outline.stdout, outline.stdout + outline.stderr[-2000:]
    targets = buildorch_json("build", str(APP), "--call", "targets", "--builder", lint_builder)
    assert [t["name"] for t in targets["targets"]][-1] == "runtime"
