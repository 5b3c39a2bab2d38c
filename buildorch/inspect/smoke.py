"""``buildorch smoke``: run an image, wait for its port, GET paths, clean up. One platform at a time.

The container publishes its port on 127.0.0.1 at a random host port
(``-p 127.0.0.1::PORT``). Ready means: the port answers HTTP (any status), or
the HEALTHCHECK says ``healthy``. A container that exits while starting fails
at once, with its last log lines; the container is removed in every case.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx, containers
from buildorch.engine.http import GET_ERRORS, http_get

DEFAULT_PORT = 8080
DEFAULT_PATHS = ("/health",)
DEFAULT_TIMEOUT = 60.0  # s: an emulated (QEMU) server starts several times slower
_POLL = 0.25  # s between readiness probes
LOG_LINES = 20


class PathCheck(BaseModel):
    path: str
    status: int | None = None
    latency_ms: float | None = None
    ok: bool = False
    error: str | None = None


class PlatformSmoke(BaseModel):
    """One platform's run: when it became ready, what each path answered."""

    platform: str
    ok: bool = False
    host_port: int | None = None
    ready_seconds: float | None = None
    ready_by: Literal["http", "healthcheck"] | None = None
    waited_seconds: float = 0.0
    checks: list[PathCheck] = []
    error: str | None = None
    logs: list[str] = []


class SmokeReport(BaseModel):
    image: str
    port: int
    paths: list[str]
    timeout_seconds: float
    ok: bool = False
    platforms: list[PlatformSmoke] = []

    def failure(self) -> PlatformSmoke | None:
        return next((p for p in self.platforms if not p.ok), None)


def parse_host_port(text: str) -> int | None:
    """``docker port CID 8080/tcp`` -> the port of its 127.0.0.1 (or first) binding."""
    ports = []
    for line in text.splitlines():
        host, _, port = line.strip().rpartition(":")
        if port.isdigit():
            ports.append((host != "127.0.0.1", int(port)))
    return min(ports)[1] if ports else None


def start_failure(stderr: str) -> str | None:
    """The useful part of `docker run`'s error: ``exec: "/app": stat /app: no such file or directory``."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith("Run 'docker run --help'")]
    if not lines:
        return None
    last = lines[-1].removeprefix("docker: ").removeprefix("Error response from daemon: ")
    m = re.search(r"(exec: .*?)(?:: unknown)?$", last)
    return m.group(1) if m else last


def container_state(cid: str) -> dict[str, object]:
    code, out, _ = buildx.run_capture(["container", "inspect", "--format", "{{json .State}}", cid])
    if code != 0:
        return {}
    try:
        state = json.loads(out)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def health_status(state: dict[str, object]) -> str | None:
    health = state.get("Health")
    return str(health.get("Status")) if isinstance(health, dict) else None


def last_logs(cid: str, n: int = LOG_LINES) -> list[str]:
    _, out, err = buildx.run_capture(["logs", "--tail", str(n), cid])
    # the server's stdout and stderr interleave in time; docker hands them back separately
    return [ln for ln in (out + err).splitlines() if ln.strip()][-n:]


def wait_ready(
    cid: str, base_url: str, first_path: str, timeout: float, *, what: str = "the port",
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Literal["http", "healthcheck"] | None, float, str | None]:
    """Poll until the port answers HTTP or the healthcheck says healthy.

    Returns ``(how, seconds waited, why not)``; ``how`` is None when it never became ready.
    """
    t0 = clock()
    while True:
        waited = clock() - t0
        state = container_state(cid)
        if state and not state.get("Running", False):
            return None, waited, f"the container exited with code {state.get('ExitCode')} after {waited:.1f}s"
        if health_status(state) == "healthy":
            return "healthcheck", waited, None
        try:
            http_get(base_url + first_path, timeout=min(2.0, max(0.5, timeout - waited)))
            return "http", clock() - t0, None
        except GET_ERRORS:
            pass  # refused, reset or cut short while the server starts
        if clock() - t0 >= timeout:
            return None, clock() - t0, f"{what} did not answer HTTP within {timeout:g}s"
        time.sleep(_POLL)


def smoke_platform(image: str, platform: str, port: int, paths: list[str], timeout: float) -> PlatformSmoke:
    """Run ``image`` for ``platform``, probe it, and always remove the container."""
    result = PlatformSmoke(platform=platform)
    # Named, so that it can be removed even when `docker run -d` fails after creating it.
    name = f"buildorch-smoke-{uuid.uuid4().hex[:10]}"
    try:
        code, _, err = buildx.run_capture(
            ["run", "-d", "--pull", "never", "--name", name, "--platform", platform, "-p", f"127.0.0.1::{port}", image]
        )
        if code != 0:
            if "No such image" in err:
                raise containers.missing_platform(image, platform)
            result.error = f"the container did not start: {start_failure(err) or f'docker run exit code {code}'}"
            result.logs = last_logs(name)
            return result
        _, pout, _ = buildx.run_capture(["port", name, f"{port}/tcp"])
        result.host_port = parse_host_port(pout)
        if result.host_port is None:
            state = container_state(name)
            result.error = (
                f"the container exited with code {state.get('ExitCode')} at once"
                if state and not state.get("Running", False)
                else f"port {port}/tcp is not published"
            )
            result.logs = last_logs(name)
            return result
        base = f"http://127.0.0.1:{result.host_port}"
        how, waited, why = wait_ready(name, base, paths[0], timeout, what=f"port {port} (127.0.0.1:{result.host_port})")
        result.waited_seconds = round(waited, 2)
        if how is None:
            result.error = why
            result.logs = last_logs(name)
            return result
        result.ready_by, result.ready_seconds = how, round(waited, 2)
        for path in paths:
            result.checks.append(check_path(base, path))
        result.ok = all(c.ok for c in result.checks)
        if not result.ok:
            result.logs = last_logs(name)
        return result
    finally:
        containers.remove(name)


def check_path(base: str, path: str) -> PathCheck:
    """GET ``base + path``, expecting 2xx."""
    check = PathCheck(path=path)
    try:
        check.status, check.latency_ms = http_get(base + path, timeout=10.0)
    except GET_ERRORS as exc:
        check.error = str(getattr(exc, "reason", exc))
        return check
    check.ok = 200 <= check.status < 300
    if not check.ok:
        check.error = f"HTTP {check.status}, want 2xx"
    return check


def smoke(
    image: str,
    platforms: list[str] | None = None,
    *,
    port: int | None = None,
    paths: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> SmokeReport:
    """Smoke-test ``image`` on each platform in turn (default: every platform it has).

    ``port`` defaults to the image's only EXPOSEd TCP port, else 8080.
    """
    meta = containers.require_image(image)
    plats = list(platforms or [])
    if not plats:
        try:
            plats = sorted({p.platform for p in containers.image_platforms(image)})
        except BuildorchError:
            plats = []
        plats = plats or [containers.default_platform(meta)]
    if port is None:
        exposed = [p for p in ((meta.get("Config") or {}).get("ExposedPorts") or {}) if p.endswith("/tcp")]
        port = int(exposed[0].split("/")[0]) if len(exposed) == 1 else DEFAULT_PORT
    report = SmokeReport(image=image, port=port, paths=list(paths or DEFAULT_PATHS), timeout_seconds=timeout)
    for p in plats:
        report.platforms.append(smoke_platform(image, p, port, report.paths, timeout))
    report.ok = all(p.ok for p in report.platforms)
    return report
