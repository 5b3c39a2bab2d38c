"""A builder as buildx sees it, node by node, compared with its declaration.

``docker buildx inspect NAME`` is the source, parsed by
:func:`buildorch.engine.buildx_text.parse_buildx_inspect`: each node's endpoint, status,
driver options, and the platforms it was created with (``--platform``, marked ``*`` by
buildx). buildx sends a platform to the first node that was created with it, which is
what :func:`assign_platforms` reproduces to say which node built which platform.
"""

from __future__ import annotations

from typing import Literal

from buildorch.builders.config import BuilderSpec
from buildorch.engine.buildx_text import BuilderInfo, BuilderNode


def differences(spec: BuilderSpec, live: BuilderInfo) -> list[str]:
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


def assign_platforms(platforms: list[str], nodes: list[BuilderNode]) -> dict[str, str]:
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


TLSState = Literal["mutual", "server-only", "none"]


def tls_state(node: BuilderNode) -> TLSState:
    """``mutual``, ``server-only``, or ``none`` from the node's driver options."""
    files = node.tls_files
    if "cert" in files and "key" in files:
        return "mutual"
    return "server-only" if "cacert" in files else "none"
