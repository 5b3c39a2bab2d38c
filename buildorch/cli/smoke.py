"""``buildorch smoke``."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from buildorch.cli.options import JsonOpt, PortOpt, validated
from buildorch.cli.render import emit_json
from buildorch.core import platforms
from buildorch.core.errors import InputError, VerificationFailed


def smoke(
    image: Annotated[str, typer.Argument(help="A local image that serves HTTP.")],
    platform: Annotated[
        list[str] | None, typer.Option(help="Platform to run; repeatable or comma-separated. Default: every one it has.")
    ] = None,
    port: PortOpt = None,
    path: Annotated[list[str] | None, typer.Option(help="Path to GET, expecting 2xx; repeatable. Default: /health.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the port to answer, per platform.")] = 60.0,
    json_out: JsonOpt = False,
) -> None:
    """Run the image on each platform in turn, wait for its port, GET each path, then remove the container.

    arm64 runs under QEMU on an amd64 host. Exits 5 when a platform fails. Example:

      buildorch smoke app:1.2.3 --platform linux/amd64 --platform linux/arm64 --path /health --path /api
    """
    from buildorch.inspect.smoke import smoke as run_smoke  # pydantic models and python-on-whales: not for --help

    plats = validated(platforms.parse_list, platform or [])
    paths = [p if p.startswith("/") else "/" + p for p in (path or [])]
    unfit = next((p for p in paths if not p.isprintable() or " " in p), None)
    if unfit is not None:
        raise InputError(f"--path {unfit!r} holds a space or a control character: give a URL path, e.g. /health")
    if not math.isfinite(timeout) or timeout <= 0:
        raise InputError(f"--timeout must be a positive number of seconds (got {timeout})")
    if port is not None and not 0 < port < 65536:
        raise InputError(f"--port {port} is not a port number")
    report = run_smoke(image, plats, port=port, paths=paths or None, timeout=timeout)
    if json_out:
        emit_json(report.model_dump(mode="json"))
    else:
        from buildorch.cli.tables import print_smoke

        print_smoke(report)
    bad = report.failure()
    if bad is not None:
        failed = [c for c in bad.checks if not c.ok]
        why = bad.error or (f"GET {failed[0].path}: {failed[0].error}" if failed else "failed")
        raise VerificationFailed(
            f"smoke test of {image} failed on {bad.platform}: {why}",
            "the container was removed; see its last log lines above" if bad.logs else None,
            details=bad.logs,
        )
