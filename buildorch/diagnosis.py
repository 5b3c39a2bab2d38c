"""``buildorch doctor``: is this machine ready to build?

One check per line: the engine, buildx, the builder, the containerd image store,
QEMU and the registry. What docker prints is parsed in
:mod:`buildorch.engine.buildx_text` (tested against recorded output); here the
answers become checks with a fix each. Named ``diagnosis`` rather than ``doctor``:
:func:`buildorch.doctor` is the public function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from buildorch.builds.reproducible import can_rewrite
from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx
from buildorch.engine.buildx_text import containerd_store, parse_buildx_inspect, version_tuple
from buildorch.engine.registry import reachable as registry_reachable


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


def hub_check(info: dict[str, Any]) -> Check:
    """Whether images can be pulled: Docker Hub answers, or the engine has a registry mirror.

    Asked from this machine, as the engine would (its proxy settings aside): a `# syntax=` line and
    any FROM image missing from the local store need it.
    """
    mirrors = list((info.get("RegistryConfig") or {}).get("Mirrors") or [])
    ok, detail = registry_reachable("registry-1.docker.io", timeout=3.0)
    for mirror in mirrors:
        m_ok, m_detail = registry_reachable(mirror.split("://", 1)[-1].rstrip("/"), timeout=3.0)
        ok, detail = ok or m_ok, f"{detail}; mirror {m_detail}"
    return Check(
        name="pulls",
        ok=ok,
        required=False,
        detail=("Docker Hub or a mirror answers: " if ok else "no registry to pull from: ") + detail,
        fix="" if ok else "base images and '# syntax=' frontends must be in the local image store (docker load), "
        "or configure a registry mirror in /etc/docker/daemon.json",
    )


# The image buildx's docker-container driver runs (its default; buildx 0.13 to 0.38).
BUILDKIT_IMAGE = "moby/buildkit:buildx-stable-1"


def buildkit_image_check(driver: str, running: bool) -> Check:
    """Whether a docker-container builder can start here: its BuildKit image is local, or pullable.

    Required when the builder in use is a docker-container one that is not running (it will
    need the image to start); otherwise a note for ``docker buildx create`` (#24).
    """
    local = buildx.image_inspect(BUILDKIT_IMAGE) is not None
    return Check(
        name="buildkit-image",
        ok=local,
        required=driver == "docker-container" and not running,
        detail=f"{BUILDKIT_IMAGE} is in the local image store (docker-container builders start offline)" if local
        else f"{BUILDKIT_IMAGE} is not in the local image store: docker-container builders must pull it",
        fix="" if local
        else "scripts/stack up --all builds it from the stack's buildkitd (or docker pull it where a registry answers)",
    )


def reproducible_check(driver: str) -> Check:
    """Whether pushed images can be bit-for-bit reproducible on this builder (rewrite-timestamp)."""
    ok = can_rewrite(driver)
    return Check(
        name="reproducible",
        ok=ok,
        required=False,
        detail=f"the {driver} driver rewrites layer timestamps (rewrite-timestamp=true)" if ok
        else f"the {driver or 'unknown'} driver cannot rewrite layer timestamps: pushed images are not reproducible",
        fix="" if ok
        else "build with a docker-container or remote builder: buildorch builder create NAME --driver docker-container",
    )


def doctor(registry: str = "localhost:5000", builder: str | None = None) -> DoctorReport:
    """Run every check against the engine, buildx, the builder, QEMU and the registry."""
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

    add(hub_check(info))
    add(buildkit_image_check(b.driver, running))
    add(reproducible_check(b.driver))

    ok, detail = registry_reachable(registry)
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
