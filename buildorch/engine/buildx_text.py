"""What docker and buildx print, parsed: one parser per output format, tested against recorded output.

buildx 0.13 has no JSON for ``buildx inspect``, ``buildx du`` or ``buildx prune``, so
their text is read here and nowhere else: ``buildx inspect`` (builders and their nodes,
with driver options and the platforms a node was created with), ``buildx ls --format json``,
``buildx version``, ``docker info`` (the containerd image store), ``buildx du --verbose``
and the summary of ``buildx prune``. Pure functions: no process runs here.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from pydantic import BaseModel

from buildorch.core.units import parse_size

# The driver options that name a node's TLS files (buildx's remote driver).
TLS_OPTS = ("cacert", "cert", "key")


class BuilderNode(BaseModel):
    """One node of a builder (a BuildKit daemon), as buildx describes it."""

    name: str = ""
    endpoint: str = ""
    status: str = ""
    buildkit: str = ""
    platforms: list[str] = []
    pinned_platforms: list[str] = []  # given at creation (--platform), marked * by buildx
    driver_opts: dict[str, str] = {}
    error: str = ""

    @property
    def tls_files(self) -> dict[str, str]:
        return {k: v for k, v in self.driver_opts.items() if k in TLS_OPTS}


class BuilderInfo(BaseModel):
    """A builder: ``docker buildx inspect`` or one entry of ``docker buildx ls``."""

    name: str = ""
    driver: str = ""
    nodes: list[BuilderNode] = []

    @property
    def platforms(self) -> list[str]:
        seen: dict[str, None] = {}
        for node in self.nodes:
            seen.update(dict.fromkeys(node.platforms))
        return list(seen)


def parse_buildx_inspect(text: str) -> BuilderInfo:
    """Parse the text of ``docker buildx inspect [NAME]`` (0.13 has no JSON format for it).

    Platforms the node was created with are marked ``*`` by buildx: they are listed
    without the mark in ``platforms`` and again in ``pinned_platforms``.
    """
    info = BuilderInfo()
    node: BuilderNode | None = None
    in_nodes = False
    for raw in text.splitlines():
        if raw.startswith(" ") or ":" not in raw:
            continue  # label and GC policy lines, blanks
        key, _, value = raw.partition(":")
        key, value = key.strip(), value.strip()
        if key == "Nodes":
            in_nodes = True
        elif not in_nodes:
            if key == "Name" and not info.name:
                info.name = value
            elif key == "Driver":
                info.driver = value
        elif key == "Name":  # a "Name:" after "Nodes:" starts a node
            node = BuilderNode(name=value)
            info.nodes.append(node)
        elif node is not None:
            if key == "Endpoint":
                node.endpoint = value
            elif key == "Status":
                node.status = value
            elif key in ("BuildKit version", "Buildkit"):
                node.buildkit = value
            elif key == "Platforms":
                marked = [p.strip() for p in value.split(",") if p.strip()]
                node.platforms = [p.rstrip("*") for p in marked]
                node.pinned_platforms = [p.rstrip("*") for p in marked if p.endswith("*")]
            elif key == "Driver Options":
                node.driver_opts = dict(f.partition("=")[::2] for f in shlex.split(value) if "=" in f)
            elif key == "Error":
                node.error = value
    info.nodes = [n for n in info.nodes if n.name or n.endpoint]
    return info


def parse_buildx_ls(docs: list[dict[str, Any]]) -> list[BuilderInfo]:
    """Parse ``docker buildx ls --format json`` (one document per line, as a list).

    buildx 0.13.1 prints the ``default`` builder twice: keep the first of each name.
    """
    builders: dict[str, BuilderInfo] = {}
    for doc in docs:
        name = doc.get("Name", "")
        if name in builders:
            continue
        nodes = [
            BuilderNode(
                name=n.get("Name", ""),
                endpoint=n.get("Endpoint", ""),
                status=n.get("Status", ""),
                buildkit=n.get("Version", ""),
                platforms=list(n.get("Platforms") or []),
            )
            for n in doc.get("Nodes") or []
        ]
        builders[name] = BuilderInfo(name=name, driver=doc.get("Driver", ""), nodes=nodes)
    return list(builders.values())


def containerd_store(info: dict[str, Any]) -> bool:
    """Whether ``docker info`` shows the containerd image store (snapshotter) in use."""
    for pair in info.get("DriverStatus") or []:
        if len(pair) == 2 and pair[0] == "driver-type" and "containerd.snapshotter" in pair[1]:
            return True
    return False


def version_tuple(text: str) -> tuple[int, ...]:
    """``github.com/docker/buildx 0.13.1+ds1 ...`` -> (0, 13, 1)."""
    for word in text.split():
        head = word.lstrip("v").split("+")[0].split("-")[0]
        parts = head.split(".")
        if len(parts) >= 2 and all(p.isdigit() for p in parts):
            return tuple(int(p) for p in parts)
    return ()


# -- the builder's cache: buildx du and prune ------------------------------------------


class CacheRecord(BaseModel):
    """One record of the builder's cache (``docker buildx du --verbose``)."""

    id: str
    size_bytes: int = 0
    reclaimable: bool = False
    shared: bool = False
    in_use: bool = False
    type: str = ""
    description: str = ""
    last_used_seconds_ago: int | None = None


class BuilderUsage(BaseModel):
    records: list[CacheRecord] = []
    total_bytes: int = 0
    reclaimable_bytes: int = 0


def ago(text: str) -> int | None:
    """``6 minutes ago`` -> 360 (docker's go-units HumanDuration, read back roughly)."""
    t = text.strip().lower()
    if t in ("", "<nil>"):
        return None
    if t.startswith(("less than a second", "now")):
        return 0
    m = re.match(r"(about an?|an?|\d+)\s+(second|minute|hour|day|week|month|year)s?", t)
    if not m:
        return None
    n = 1 if not m.group(1)[0].isdigit() else int(m.group(1))
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000}
    return n * unit[m.group(2)]


def parse_du_verbose(text: str) -> BuilderUsage:
    """Parse ``docker buildx du --verbose`` (buildx 0.13 has no JSON format for it)."""
    usage = BuilderUsage()
    rec: dict[str, str] = {}

    def flush() -> None:
        if rec.get("ID"):
            usage.records.append(
                CacheRecord(
                    id=rec["ID"].rstrip("*"),
                    size_bytes=parse_size(rec.get("Size", "0B")),
                    reclaimable=rec.get("Reclaimable") == "true",
                    shared=rec.get("Shared") == "true",
                    in_use=rec["ID"].endswith("*") or rec.get("In use") == "true",
                    type=rec.get("Type", ""),
                    description=rec.get("Description", ""),
                    last_used_seconds_ago=ago(rec.get("Last used", "")),
                )
            )
        rec.clear()

    for line in text.splitlines():
        if not line.strip():
            flush()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key in ("Total", "Reclaimable") and "ID" not in rec:
            if key == "Total":
                usage.total_bytes = parse_size(value)
            else:
                usage.reclaimable_bytes = parse_size(value)
            continue
        if key in ("Shared", "Private") and "ID" not in rec:
            continue
        rec[key] = value
    flush()
    return usage


def parse_prune(text: str) -> tuple[int, int]:
    """``(records removed, bytes freed)`` from what ``docker buildx prune --force`` prints."""
    m = re.search(r"Total:\s*(\S+)", text)
    records = sum(1 for line in text.splitlines() if re.match(r"^[a-z0-9]{20,}", line))
    return records, parse_size(m.group(1)) if m else 0
