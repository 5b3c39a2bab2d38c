"""Small helpers the integration tests share: run the real CLI, poke real containers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def unique(prefix: str = "buildorch-it") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def buildorch(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run the real ``buildorch`` CLI (as a user would) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "buildorch", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def buildorch_json(*args: str, **kw: Any) -> Any:
    r = buildorch(*args, "--json", **kw)
    assert r.returncode == 0, f"buildorch {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def docker(*args: str, check: bool = True, timeout: int = 300) -> str:
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and r.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {r.stderr[-2000:]}")
    return r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_http(url: str, within: float = 30.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + within
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return http_get(url)
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {within}s: {last}")


def file_from_image(image: str, path: str, platform: str, dest: Path) -> Path:
    """Copy one file out of an image (works for FROM scratch images: no shell needed)."""
    cid = docker("create", "--platform", platform, image).strip()
    try:
        docker("cp", f"{cid}:{path}", str(dest))
    finally:
        docker("rm", "-f", cid, check=False)
    return dest
