"""Headless Chromium (Debian's ``chromium``, installed by scripts/stack) for the report tests and ``make report-screenshot``.

Every run maps every host name to nothing (``--host-resolver-rules``) and sends
every request, loopback included, through a proxy that only counts connections:
a page that asks for anything on a network shows up in ``Watch.connections``.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # the counting proxy stays reachable
]


# Chromium's own services (time, component updater, accounts), asked whatever the page holds.
_BROWSER_HOSTS = re.compile(r"^\S+ (?:https?://)?[a-z0-9.-]*\b(?:google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[:/ ]")


class Watch:
    """A TCP listener standing in for a proxy: it accepts, notes and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []  # the first line of each: "CONNECT host:443 HTTP/1.1", "GET http://..."
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1.0)
            try:
                first = conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
            except OSError:
                first = "(nothing sent)"
            self.requests.append(first)
            conn.close()

    @property
    def page_requests(self) -> list[str]:
        """The requests not made by Chromium's own background services: those of the page."""
        return [r for r in self.requests if not _BROWSER_HOSTS.match(r)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def chromium(url: str, *args: str, watch: Watch | None = None, timeout: int = 90) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``url`` with ``args`` (``--dump-dom``, ``--screenshot=FILE``...)."""
    assert CHROMIUM, "chromium is not installed: run scripts/stack up"
    proxy = [f"--proxy-server=http://127.0.0.1:{watch.port}", "--proxy-bypass-list=<-loopback>"] if watch else []
    with tempfile.TemporaryDirectory(prefix="buildorch-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, *QUIET, *proxy, f"--user-data-dir={profile}", *args, url],
            capture_output=True, text=True, timeout=timeout, check=False,
        )


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 1500) -> None:
    """A PNG of ``html`` as a 1280-px-wide window shows it."""
    r = chromium(html.resolve().as_uri(), f"--window-size={width},{height}", f"--screenshot={png.resolve()}")
    if r.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium failed ({r.returncode}): {r.stderr[-2000:]}")


if __name__ == "__main__":  # make report-screenshot: python -m tests.integration.chromium REPORT.html OUT.png
    import sys

    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
