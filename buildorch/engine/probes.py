"""Probing a BuildKit node before buildx does: does its endpoint answer, does its TLS hold?

buildx only says ``context deadline exceeded`` after about 20 s; a socket opened
here says at once which node does not answer, and why.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit


def _host_port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname or "", parts.port or 1234


def probe_reachable(endpoint: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Open (and close) a connection to a ``tcp://`` or ``unix://`` endpoint: ``(ok, reason)``.

    The reason is what the system said (``connection refused``, ``timed out``...).
    Other endpoint kinds are reached through an API buildx talks to: not probed.
    """
    scheme = urlsplit(endpoint).scheme.lower()
    try:
        if scheme == "tcp":
            with socket.create_connection(_host_port(endpoint), timeout=timeout):
                return True, "reachable"
        if scheme == "unix":
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(timeout)
                s.connect(urlsplit(endpoint).path)
                return True, "reachable"
    except TimeoutError:
        return False, f"no answer within {timeout:g}s"
    except OSError as exc:
        return False, (exc.strerror or str(exc)).lower()
    return True, "not probed (reached through the driver's API)"


def probe_tls(endpoint: str, opts: dict[str, str], timeout: float = 3.0) -> tuple[bool, str]:
    """A TLS handshake with the node's client certificate, verified against its CA: ``(ok, detail)``."""
    host, port = _host_port(endpoint)
    try:
        ctx = ssl.create_default_context(cafile=opts.get("cacert"))
        if opts.get("cert") and opts.get("key"):
            ctx.load_cert_chain(opts["cert"], opts["key"])
        ctx.set_alpn_protocols(["h2"])  # BuildKit speaks gRPC
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=opts.get("servername") or host) as tls,
        ):
            # TLS 1.3 sends the server's verdict on our certificate after the handshake.
            tls.settimeout(0.5)
            with contextlib.suppress(TimeoutError, ssl.SSLWantReadError):
                tls.recv(1)
            mutual = "mutual TLS" if opts.get("cert") else "TLS (server certificate only)"
            ca = Path(opts.get("cacert", "")).name or "the system CAs"
            return True, f"{mutual} {tls.version()}, server certificate verified against {ca}"
    except ssl.SSLError as exc:
        return False, f"TLS handshake failed: {exc.reason or exc}"
    except OSError as exc:
        return False, f"TLS handshake failed: {(exc.strerror or str(exc)).lower()}"
