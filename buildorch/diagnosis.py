"""``buildorch doctor``: is this machine ready to build?

One check per line: the engine, buildx, the builder, the containerd image store,
QEMU, pulls, the registry, Docker's config file and the stack's tools. What docker
prints is parsed in :mod:`buildorch.engine.buildx_text` (tested against recorded
output); here the answers become checks with a fix each. Named ``diagnosis`` rather
than ``doctor``: :func:`buildorch.doctor` is the public function.

With the engine down, every check that does not need it still runs (a machine whose
engine will not start is the one that most needs the rest of the report), and each
one that needs it is one ``skip`` line that says so.
"""

from __future__ import annotations

import platform
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from buildorch.builds.reproducible import can_rewrite
from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx, credentials, tools
from buildorch.engine.buildx_text import BuilderInfo, containerd_store, parse_buildx_inspect, version_tuple
from buildorch.engine.registry import reachable as registry_reachable

BINFMT = Path("/proc/sys/fs/binfmt_misc")
# Drivers whose builders answer without the local Docker engine (buildx dials them itself).
ENGINE_FREE_DRIVERS = ("remote", "kubernetes")
# The tools `scripts/stack up --all` builds for the supply-chain commands (engine/tools.py finds them).
SUPPLY_TOOLS = {"syft": "buildorch sbom", "cosign": "buildorch sign/verify", "govulncheck": "buildorch scan"}


class Check(BaseModel):
    """One line of doctor's report."""

    name: str
    ok: bool
    required: bool = True
    # Not run: what it looks at cannot be asked (the engine is down); ``detail`` says why.
    skipped: bool = False
    detail: str = ""
    fix: str = ""


def skipped(name: str, why: str) -> Check:
    """A check that could not run: not a failure of its own (the check it depends on failed and says so)."""
    return Check(name=name, ok=False, required=False, skipped=True, detail=why)


class DoctorReport(BaseModel):
    """All checks; ``ok`` is false when a required check failed."""

    checks: list[Check] = []
    platforms: list[str] = []

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "platforms": self.platforms, "checks": [c.model_dump() for c in self.checks]}


def hub_check(info: dict[str, Any] | None) -> Check:
    """Whether images can be pulled: Docker Hub answers, or the engine has a registry mirror.

    Asked from this machine, as the engine would (its proxy settings aside): a `# syntax=` line and
    any FROM image missing from the local store need it. ``info`` None: the engine is down, so its
    mirrors are unknown and only Docker Hub is asked.
    """
    mirrors = list(((info or {}).get("RegistryConfig") or {}).get("Mirrors") or [])
    ok, detail = registry_reachable("registry-1.docker.io", timeout=3.0)
    if info is None:
        detail += " (the engine's mirrors are unknown: it is down)"
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




def qemu_check() -> Check:
    """Whether the kernel runs the other architecture's binaries (binfmt_misc + QEMU): read from /proc, no engine."""
    other = "x86_64" if platform.machine() in ("aarch64", "arm64") else "aarch64"
    entry = BINFMT / f"qemu-{other}"
    fix = (f"install qemu-user-static + binfmt-support and enable qemu-{other} (scripts/stack up does), "
           "or build that platform on a native node")  # fmt: skip
    if not (BINFMT / "register").exists():
        return Check(name="qemu", ok=False, required=False, detail=f"binfmt_misc is not mounted at {BINFMT}", fix=fix)
    try:
        lines = entry.read_text().splitlines()
    except OSError:
        return Check(name="qemu", ok=False, required=False, detail=f"qemu-{other} is not registered in binfmt_misc", fix=fix)
    enabled = bool(lines) and lines[0].strip() == "enabled"
    flags = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("flags:")), "")
    return Check(
        name="qemu",
        ok=enabled,
        required=False,
        detail=f"qemu-{other} {'enabled' if enabled else 'registered but disabled'}" + (f" (flags {flags})" if flags else ""),
        fix="" if enabled else f"update-binfmts --enable qemu-{other}",
    )


def docker_config_check() -> Check:
    """Docker's config file (credentials, helpers) parses, and the credential helpers it names are installed."""
    path = credentials.config_dir() / "config.json"
    try:
        cfg = credentials.load_config()
    except BuildorchError as exc:
        return Check(name="docker-config", ok=False, required=False, detail=exc.message, fix=exc.hint or "")
    if not cfg:
        return Check(name="docker-config", ok=True, required=False, detail=f"{path}: none (no logins; pushes are anonymous)")
    helpers = {str(h) for h in [cfg.get("credsStore"), *(cfg.get("credHelpers") or {}).values()] if h}
    missing = sorted(h for h in helpers if shutil.which(f"docker-credential-{h}") is None)
    logins = len(cfg.get("auths") or {}) + len(cfg.get("credHelpers") or {})
    return Check(
        name="docker-config",
        ok=not missing,
        required=False,
        detail=f"{path}: {logins} registr{'y' if logins == 1 else 'ies'} configured"
        + (f"; credential helper not found: {', '.join('docker-credential-' + h for h in missing)}" if missing else ""),
        fix="" if not missing else "install the helper, or remove it from config.json and run buildorch login REGISTRY",
    )


def supply_tools_check() -> Check:
    """syft, cosign and govulncheck (only the supply-chain commands need them)."""
    found, missing = [], []
    for name, used_by in SUPPLY_TOOLS.items():
        try:
            tools.find(name)
            found.append(name)
        except BuildorchError:
            missing.append(f"{name} ({used_by})")
    return Check(
        name="supply-tools",
        ok=not missing,
        required=False,
        detail=f"found: {', '.join(found) or 'none'}" + (f"; missing: {', '.join(missing)}" if missing else ""),
        fix="" if not missing else "scripts/stack up --all builds them from their Go modules",
    )


def registry_check(registry: str) -> Check:
    ok, detail = registry_reachable(registry)
    return Check(
        name="registry",
        ok=ok,
        required=False,
        detail=detail,
        fix="" if ok else "start the local registry: scripts/stack up (needed for --push tests and registry caches)",
    )


def buildx_check() -> tuple[Check, bool]:
    """The buildx plugin and its version (a client-side call: no engine needed); second: whether it runs."""
    try:
        bx = buildx.buildx_version()
    except BuildorchError as exc:
        return Check(name="buildx", ok=False, detail=exc.message, fix=exc.hint or ""), False
    ver = version_tuple(bx)
    fix = "" if ver >= (0, 13) else "buildx >= 0.13 is needed (buildx ls --format json): upgrade it"
    return Check(name="buildx", ok=ver >= (0, 13), detail=bx, fix=fix), True


def builder_check(builder: str | None, engine_up: bool) -> tuple[Check, BuilderInfo | None]:
    """The builder (``docker buildx inspect``); with the engine down, only one whose driver does not need it."""
    try:
        b = parse_buildx_inspect(buildx.buildx_inspect(builder))
    except BuildorchError as exc:
        if not engine_up:
            return skipped("builder", "needs the Docker engine"), None
        fix = "check 'docker buildx ls'; create one with 'docker buildx create'"
        return Check(name="builder", ok=False, detail=exc.message, fix=fix), None
    if not engine_up and b.driver not in ENGINE_FREE_DRIVERS:
        return skipped("builder", f"{b.name or 'the builder'} ({b.driver or 'docker'} driver) needs the Docker engine"), None
    running = all(n.status in ("running", "") for n in b.nodes) and bool(b.nodes)
    return Check(
        name="builder",
        ok=running,
        detail=f"{b.name} (driver {b.driver}, BuildKit {', '.join(n.buildkit for n in b.nodes) or '?'})",
        fix="" if running else f"start it: docker buildx inspect --bootstrap {b.name}",
    ), b


def containerd_store_check(info: dict[str, Any], driver: str) -> Check:
    store = containerd_store(info)
    return Check(
        name="containerd-store",
        ok=store,
        # Only the docker driver depends on the engine's image store.
        required=driver == "docker",
        detail="on" if store else "off: no multi-platform --load and no cache export with the docker driver",
        fix="" if store else 'set {"features": {"containerd-snapshotter": true}} in /etc/docker/daemon.json '
        "and restart dockerd (scripts/stack up does)",
    )


def platforms_check(b: BuilderInfo) -> Check:
    arm = "linux/arm64" in b.platforms
    return Check(
        name="platforms",
        ok=arm,
        required=False,
        detail=", ".join(b.platforms),
        fix="" if arm else "for linux/arm64 install qemu-user-static + binfmt-support and enable qemu-aarch64 "
        "(scripts/stack up does), or add an arm64 node",
    )


def doctor(registry: str = "localhost:5000", builder: str | None = None) -> DoctorReport:
    """Run every check; with the engine or buildx missing, the ones that need them are skipped, one line each."""
    report = DoctorReport()
    add = report.checks.append
    info: dict[str, Any] | None
    try:
        info = buildx.engine_info()
        add(Check(name="engine", ok=True, detail=f"Docker {info.get('ServerVersion')} ({info.get('OperatingSystem', '')})"))
    except BuildorchError as exc:
        info = None
        add(Check(name="engine", ok=False, detail=exc.message, fix=exc.hint or ""))
    engine_up = info is not None
    no_engine = "needs the Docker engine"

    bx_check, bx_runs = buildx_check()
    add(bx_check)
    b: BuilderInfo | None = None
    if bx_runs:
        check, b = builder_check(builder, engine_up)
        add(check)
    else:
        add(skipped("builder", "needs docker buildx"))
    if b is not None:
        report.platforms = b.platforms
    driver = b.driver if b is not None else ""
    if info is not None and b is not None:
        add(containerd_store_check(info, driver))
    else:
        add(skipped("containerd-store", no_engine if info is None else "needs the builder's driver"))
    add(platforms_check(b) if b is not None else skipped("platforms", "needs the builder (see its line)"))
    add(qemu_check())
    add(hub_check(info))
    if engine_up and b is not None:
        running = all(n.status in ("running", "") for n in b.nodes) and bool(b.nodes)
        add(buildkit_image_check(driver, running))
    else:
        add(skipped("buildkit-image", no_engine if not engine_up else "needs the builder (see its line)"))
    add(reproducible_check(driver) if b is not None else skipped("reproducible", "needs the builder (see its line)"))
    add(registry_check(registry))
    add(docker_config_check())
    add(supply_tools_check())
    return report
