"""A builder as buildx sees it, node by node: parsed, compared with its declaration, probed.

``docker buildx inspect NAME`` is the source (0.13 has no JSON for it): besides what
``doctor.parse_buildx_inspect`` reads, it shows each node's driver options and marks
the platforms the node was created with (``--platform``) with ``*``: buildx sends a
platform to the first node that was created with it, which is what
:func:`assign_platforms` reproduces to say which node built which platform.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import ssl
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from buildorch.builders.config import TLS_OPTS, BuilderSpec
from buildorch.diagnosis import parse_buildx_inspect


class LiveNode(BaseModel):
    """One node of an existing builder."""

    name: str
    endpoint: str = ""
    status: str = ""
    buildkit: str = ""
    platforms: list[str] = Field(default_factory=list)
    pinned_platforms: list[str] = Field(default_factory=list)  # given at creation (--platform)
    driver_opts: dict[str, str] = Field(default_factory=dict)
    error: str = ""

    @property
    def tls_files(self) -> dict[str, str]:
        return {k: v for k, v in self.driver_opts.items() if k in TLS_OPTS}


class LiveBuilder(BaseModel):
    """An existing builder: ``docker buildx inspect`` parsed."""

    name: str
    driver: str = ""
    nodes: list[LiveNode] = Field(default_factory=list)


def parse_inspect(text: str) -> LiveBuilder:
    """Parse ``docker buildx inspect [NAME]`` text, with driver options, errors and pinned platforms."""
    base = parse_buildx_inspect(text)
    extras: list[dict[str, str]] = []
    in_nodes = False
    for raw in text.splitlines():
        if raw.startswith(" ") or ":" not in raw:
            continue
        key, _, value = raw.partition(":")
        key, value = key.strip(), value.strip()
        if key == "Nodes":
            in_nodes = True
        elif in_nodes and key == "Name":
            extras.append({})
        elif in_nodes and extras and key in ("Driver Options", "Error"):
            extras[-1][key] = value
    nodes = []
    for i, n in enumerate(base.nodes):
        extra = extras[i] if i < len(extras) else {}
        opts = dict(f.partition("=")[::2] for f in shlex.split(extra.get("Driver Options", "")) if "=" in f)
        nodes.append(
            LiveNode(
                name=n.name,
                endpoint=n.endpoint,
                status=n.status,
                buildkit=n.buildkit,
                platforms=[p.rstrip("*") for p in n.platforms],
                pinned_platforms=[p.rstrip("*") for p in n.platforms if p.endswith("*")],
                driver_opts=opts,
                error=extra.get("Error", ""),
            )
        )
    return LiveBuilder(name=base.name, driver=base.driver, nodes=nodes)


def differences(spec: BuilderSpec, live: LiveBuilder) -> list[str]:
    """How an existing builder differs from its declaration; empty when it matches.

    Compared: driver, node names and order, endpoints, creation platforms, driver options.
    """
    diffs: list[str] = []
    if live.driver != spec.driver:
        diffs.append(f"driver is {live.driver or '?'}, declared {spec.driver}")
    want = [n.name for n in spec.nodes]
    have = [n.name for n in live.nodes]
    if spec.nodes and want != have:
        diffs.append(f"nodes are {', '.join(have) or 'none'}, declared {', '.join(want)}")
    by_name = {n.name: n for n in live.nodes}
    for node in spec.nodes:
        got = by_name.get(node.name)
        if got is None:
            continue
        if (node.endpoint or "") != got.endpoint and node.endpoint:
            diffs.append(f"node {node.name}: endpoint is {got.endpoint}, declared {node.endpoint}")
        if node.platforms and sorted(node.platforms) != sorted(got.pinned_platforms):
            have_p = ", ".join(got.pinned_platforms) or "detected"
            diffs.append(f"node {node.name}: platforms are {have_p}, declared {', '.join(node.platforms)}")
        if node.all_driver_opts != got.driver_opts:
            want_o, have_o = node.all_driver_opts, got.driver_opts
            keys = sorted(k for k in set(want_o) | set(have_o) if want_o.get(k) != have_o.get(k))
            diffs.append(f"node {node.name}: driver options differ ({', '.join(keys)})")
    return diffs


def assign_platforms(platforms: list[str], nodes: list[LiveNode]) -> dict[str, str]:
    """Which node buildx gives each platform to: ``{"linux/arm64": "arm64-1"}``.

    As buildx 0.13 does (``build/driver.go``): the first node created with that
    platform; failing that, the first node whose daemon reports it; else the first node.
    """
    if not nodes:
        return {}
    out: dict[str, str] = {}
    for p in platforms:
        pinned = next((n.name for n in nodes if p in n.pinned_platforms), None)
        detected = next((n.name for n in nodes if p in n.platforms), None)
        out[p] = pinned or detected or nodes[0].name
    return out


# -- probes -----------------------------------------------------------------------


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


TLSState = Literal["mutual", "server-only", "none"]


def tls_state(node: LiveNode) -> TLSState:
    """``mutual``, ``server-only``, or ``none`` from the node's driver options."""
    files = node.tls_files
    if "cert" in files and "key" in files:
        return "mutual"
    return "server-only" if "cacert" in files else "none"
