"""``buildorch doctor``: is this machine ready to build?

The parsers are pure functions over what docker prints, so they are unit
tested against recorded output in ``tests/data/``; ``doctor()`` runs the checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from buildorch.core.errors import BuildorchError


class Check(BaseModel):
    """One line of doctor's report."""

    name: str
    ok: bool
    required: bool = True
    detail: str = ""
    fix: str = ""


class DoctorReport(BaseModel):
    """All checks; ``ok`` is false when a required check failed."""

    checks: list[Check] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "platforms": self.platforms, "checks": [c.model_dump() for c in self.checks]}


class BuilderNode(BaseModel):
    name: str = ""
    endpoint: str = ""
    status: str = ""
    buildkit: str = ""
    platforms: list[str] = Field(default_factory=list)


class BuilderInfo(BaseModel):
    """What ``docker buildx inspect`` says of a builder."""

    name: str = ""
    driver: str = ""
    nodes: list[BuilderNode] = Field(default_factory=list)

    @property
    def platforms(self) -> list[str]:
        seen: dict[str, None] = {}
        for node in self.nodes:
            seen.update(dict.fromkeys(node.platforms))
        return list(seen)


def parse_buildx_inspect(text: str) -> BuilderInfo:
    """Parse the text of ``docker buildx inspect`` (0.13 has no JSON format for it)."""
    info = BuilderInfo()
    node: BuilderNode | None = None
    for raw in text.splitlines():
        if raw.startswith(" ") or ":" not in raw:
            continue  # label lines and blanks
        key, _, value = raw.partition(":")
        key, value = key.strip(), value.strip()
        if node is None and key == "Name" and not info.name:
            info.name = value
        elif node is None and key == "Driver":
            info.driver = value
        elif key == "Name":  # a "Name:" after "Nodes:" starts a node
            node = BuilderNode(name=value)
            info.nodes.append(node)
        elif key == "Nodes":
            node = BuilderNode()
            info.nodes.append(node)
        elif node is not None:
            if key == "Endpoint":
                node.endpoint = value
            elif key == "Status":
                node.status = value
            elif key in ("BuildKit version", "Buildkit"):
                node.buildkit = value
            elif key == "Platforms":
                node.platforms = [p.strip() for p in value.split(",") if p.strip()]
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


def doctor(registry: str = "localhost:5000", builder: str | None = None) -> DoctorReport:
    """Run every check against the engine, buildx, the builder, QEMU and the registry."""
    from buildorch.engine import buildx

    report = DoctorReport()
    add = report.checks.append
    try:
        info = buildx.engine_info()
    except BuildorchError as exc:
        add(Check(name="engine", ok=False, detail=exc.message, fix=exc.hint or ""))
        return report
    add(Check(name="engine", ok=True, detail=f"Docker {info.get('ServerVersion')} ({info.get('OperatingSystem', '')})"))

    try:
        bx = buildx.buildx_version()
    except BuildorchError as exc:
        add(Check(name="buildx", ok=False, detail=exc.message, fix=exc.hint or ""))
        return report
    ver = version_tuple(bx)
    add(
        Check(
            name="buildx",
            ok=ver >= (0, 13),
            detail=bx,
            fix="" if ver >= (0, 13) else "buildx >= 0.13 is needed (buildx ls --format json): upgrade it",
        )
    )

    try:
        b = parse_buildx_inspect(buildx.buildx_inspect(builder))
    except BuildorchError as exc:
        fix = "check 'docker buildx ls'; create one with 'docker buildx create'"
        add(Check(name="builder", ok=False, detail=exc.message, fix=fix))
        return report
    report.platforms = b.platforms
    running = all(n.status in ("running", "") for n in b.nodes) and bool(b.nodes)
    add(
        Check(
            name="builder",
            ok=running,
            detail=f"{b.name} (driver {b.driver}, BuildKit {', '.join(n.buildkit for n in b.nodes) or '?'})",
            fix="" if running else f"start it: docker buildx inspect --bootstrap {b.name}",
        )
    )

    store = containerd_store(info)
    add(
        Check(
            name="containerd-store",
            ok=store,
            # Only the docker driver depends on the engine's image store.
            required=b.driver == "docker",
            detail="on" if store else "off: no multi-platform --load and no cache export with the docker driver",
            fix="" if store else 'set {"features": {"containerd-snapshotter": true}} in /etc/docker/daemon.json '
            "and restart dockerd (scripts/stack up does)",
        )
    )

    arm = "linux/arm64" in b.platforms
    qemu = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists()
    add(
        Check(
            name="platforms",
            ok=arm,
            required=False,
            detail=", ".join(b.platforms) + ("; qemu-aarch64 registered" if qemu else ""),
            fix="" if arm else "for linux/arm64 install qemu-user-static + binfmt-support and enable qemu-aarch64 "
            "(scripts/stack up does), or add an arm64 node",
        )
    )

    ok, detail = buildx.registry_reachable(registry)
    add(
        Check(
            name="registry",
            ok=ok,
            required=False,
            detail=detail,
            fix="" if ok else "start the local registry: scripts/stack up (needed for --push tests and registry caches)",
        )
    )
    return report
