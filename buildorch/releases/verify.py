"""Verifying a pushed, untagged index before any tag points at it.

The checks read what the registry holds, not what the builder produced: the
index is fetched by digest, each platform is pulled by digest and run (arm64
under QEMU), its health path is probed through :func:`buildorch.inspect.smoke.smoke`
and its ``-version`` output is compared with the release version.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from typing import IO

from buildorch.core.errors import BuildorchError
from buildorch.core.oci import platform_digests
from buildorch.core.retry import Backoff, is_transient, with_retries
from buildorch.engine import buildx, containers, registry
from buildorch.inspect.smoke import container_state, smoke
from buildorch.releases.models import PlatformVerification, ReleaseSpec, Verification

_POLL = 0.2  # s between state checks of the -version container


def verify(
    spec: ReleaseSpec, index_digest: str, *, log: IO[str] | None = None, client: registry.Client | None = None
) -> Verification:
    """Check ``IMAGE@index_digest`` on every platform of ``spec`` as ``spec.verify`` says; never raises for a failed check.

    Registry failures do raise (RegistryError, exit 4). ``--verify none`` checks only that every platform is in the index.
    """
    out = log or sys.stderr
    ref = f"{spec.image}@{index_digest}"
    result = Verification(mode=spec.verify)
    index = (client or registry.Client(spec.image)).manifest_json(index_digest)
    digests = platform_digests(index)
    result.index_platforms = sorted(digests)
    result.missing_platforms = [p for p in spec.platforms if p not in digests]
    if result.missing_platforms:
        return result
    if spec.verify == "none":
        result.ok = True
        return result
    backoff = Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds)
    had_image = buildx.image_inspect(ref) is not None
    try:
        for p in spec.platforms:
            out.write(f"verify: pulling {p} of {ref}\n")
            with_retries(
                functools.partial(buildx.run, ["pull", "--quiet", "--platform", p, ref], what=f"docker pull {p}"),
                what=f"pull {p}",
                backoff=backoff,
                transient=lambda exc: is_transient(str(exc)),
                log=out,
            )
        for p in spec.platforms:
            result.platforms.append(verify_platform(spec, ref, p, digests[p], out))
    finally:
        if not had_image:  # ours: pulled for the checks only
            containers.remove_image(ref)
    result.ok = all(p.ok for p in result.platforms)
    return result


def verify_platform(spec: ReleaseSpec, ref: str, platform: str, digest: str, out: IO[str]) -> PlatformVerification:
    check = PlatformVerification(platform=platform, digest=digest)
    if spec.verify == "run":
        if not _run_check(spec, ref, platform, check, out):
            return check
    elif not _http_check(spec, ref, platform, check, out):
        return check
    if spec.version_command:
        out.write(f"verify: {platform}: {' '.join(spec.version_command)} must print {spec.version}\n")
        code, stdout, stderr = run_once(ref, platform, spec.version_command, spec.verify_timeout)
        first = next((ln.strip() for ln in stdout.splitlines() if ln.strip()), "")
        check.version_output = first
        check.version_ok = code == 0 and first == spec.version
        if not check.version_ok:
            said = f"printed {first!r}" if first else "printed nothing on stdout"
            why = f"exit code {code}" if code is not None else f"no exit within {spec.verify_timeout:.0f}s"
            extra = f"; stderr: {stderr.strip().splitlines()[-1][:200]}" if stderr.strip() else ""
            check.error = f"{' '.join(spec.version_command)} {said} ({why}), want {spec.version!r} as its first line{extra}"
            return check
    check.ok = True
    return check


def _run_check(spec: ReleaseSpec, ref: str, platform: str, check: PlatformVerification, out: IO[str]) -> bool:
    """``--verify run``: the command exits 0 (and its output matches ``expect_output``)."""
    cmd = " ".join(spec.run_command)
    out.write(f"verify: {platform}: running `{cmd}`\n")
    # the command replaces the entrypoint: `--verify run -- /tool --help` runs /tool, whatever ENTRYPOINT says
    code, stdout, stderr = run_once(ref, platform, spec.run_command[1:], spec.verify_timeout, entrypoint=spec.run_command[0])
    check.run_output = (stdout + stderr)[-2000:]
    check.run_exit_code = code
    if code != 0:
        why = f"exit code {code}" if code is not None else f"no exit within {spec.verify_timeout:.0f}s"
        last = next((ln for ln in reversed((stdout + stderr).splitlines()) if ln.strip()), "")
        check.error = f"`{cmd}` failed ({why})" + (f"; last line: {last[:200]}" if last else "")
        return False
    if spec.expect_output and not re.search(spec.expect_output, stdout + stderr, re.M):
        check.error = f"the output of `{cmd}` does not match /{spec.expect_output}/"
        return False
    return True


def _http_check(spec: ReleaseSpec, ref: str, platform: str, check: PlatformVerification, out: IO[str]) -> bool:
    """``--verify http``: run the image, wait for its port, GET every health path."""
    out.write(f"verify: {platform}: running it, GET {', '.join(spec.health_paths)}\n")
    try:
        report = smoke(ref, [platform], port=spec.port, paths=spec.health_paths, timeout=spec.verify_timeout)
    except BuildorchError as exc:
        check.error = f"could not run the image: {exc.message}"
        return False
    ran = report.platforms[0]
    check.health = ran.model_dump(mode="json")
    check.health_ok = ran.ok
    if not ran.ok:
        failed = [c for c in ran.checks if not c.ok]
        check.error = ran.error or (f"GET {failed[0].path}: {failed[0].error}" if failed else "health check failed")
        if ran.logs:
            check.error += f" (last log line: {ran.logs[-1][:200]})"
        return False
    return True


def run_once(
    ref: str, platform: str, args: list[str], timeout: float, *, entrypoint: str | None = None
) -> tuple[int | None, str, str]:
    """Run ``ref ARGS...`` to completion (detached, so a hang is cut off); ``(exit code, stdout, stderr)``.

    The exit code is None when it did not end within ``timeout``. The container is always removed.
    """
    override = ["--entrypoint", entrypoint] if entrypoint is not None else []
    code, out, err = buildx.run_capture(["run", "-d", "--pull", "never", "--platform", platform, *override, ref, *args])
    cid = out.strip().splitlines()[-1] if code == 0 and out.strip() else None
    if cid is None:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return code, "", lines[-1] if lines else ""
    try:
        deadline = time.monotonic() + timeout
        exit_code: int | None = None
        while time.monotonic() < deadline:
            state = container_state(cid)
            if state and not state.get("Running", False):
                raw = state.get("ExitCode")
                exit_code = raw if isinstance(raw, int) else None
                break
            time.sleep(_POLL)
        _, stdout, stderr = buildx.run_capture(["logs", cid])
        return exit_code, stdout, stderr
    finally:
        containers.remove(cid)
