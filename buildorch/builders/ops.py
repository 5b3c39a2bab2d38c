"""``buildorch builder``: list, inspect, create, remove, select and check buildx builders.

``remove`` only removes what ``create`` made (see :mod:`buildorch.builders.state`); ``explain_failure``
and ``nodes_for_build`` tell a build's result which node did what.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from buildorch.builders.config import BuilderSpec, create_argvs, endpoint_kind, tls_policy
from buildorch.builders.live import assign_platforms, differences, tls_state
from buildorch.builders.state import created_by_buildorch, remember
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx
from buildorch.engine.buildx_text import BuilderInfo, parse_buildx_inspect, parse_buildx_ls
from buildorch.engine.probes import probe_reachable, probe_tls

# -- reading -------------------------------------------------------------------------


class BuilderRow(BaseModel):
    """One line of ``buildorch builder ls``."""

    name: str
    driver: str
    current: bool = False
    created_by_buildorch: bool = False
    nodes: list[dict[str, Any]] = []


def list_builders() -> list[BuilderRow]:
    """Every builder of this Docker config (``buildx ls``), the current one and ours marked."""
    infos = parse_buildx_ls(buildx.buildx_ls())
    current = current_builder()
    ours = created_by_buildorch()
    return [
        BuilderRow(
            name=b.name,
            driver=b.driver,
            current=b.name == current,
            created_by_buildorch=b.name in ours,
            nodes=[n.model_dump() for n in b.nodes],
        )
        for b in infos
    ]


def current_builder() -> str:
    """The name of the builder ``docker buildx build`` uses without ``--builder``."""
    return parse_buildx_inspect(buildx.buildx_inspect()).name


def inspect_builder(name: str | None) -> BuilderInfo:
    """``docker buildx inspect NAME`` parsed; a missing builder is an InputError."""
    try:
        return parse_buildx_inspect(buildx.buildx_inspect(name))
    except EngineError:
        raise
    except BuildorchError as exc:
        if "no builder" in exc.message and "found" in exc.message:
            raise InputError(f"builder {name} does not exist", "list them: buildorch builder ls") from exc
        raise


def exists(name: str) -> BuilderInfo | None:
    try:
        return inspect_builder(name)
    except InputError:
        return None


# -- changing ------------------------------------------------------------------------


class CreateOutcome(BaseModel):
    """What ``create`` did: ``created``, ``exists`` (matching, kept) or ``differs`` (kept, reported)."""

    name: str
    action: Literal["created", "exists", "differs", "planned"]
    commands: list[list[str]] = []
    differences: list[str] = []
    warnings: list[str] = []


def create_builder(spec: BuilderSpec, *, insecure: bool = False, dry_run: bool = False) -> CreateOutcome:
    """Create ``spec`` with ``buildx create`` (``--append`` per further node), idempotently.

    The TLS rule is applied first, before anything connects anywhere. An existing
    builder of that name is compared with ``spec``: kept when it matches, reported
    (and left alone) when it differs. A half-made builder is removed again.
    """
    warnings = tls_policy(spec, insecure=insecure)
    argvs = create_argvs(spec)
    if dry_run:
        return CreateOutcome(name=spec.name, action="planned", commands=argvs, warnings=warnings)
    live = exists(spec.name)
    if live is not None:
        diffs = differences(spec, live)
        return CreateOutcome(
            name=spec.name, action="differs" if diffs else "exists", commands=[], differences=diffs, warnings=warnings
        )
    for i, argv in enumerate(argvs):
        try:
            buildx.run(argv, what=f"docker buildx create ({spec.nodes[i].name if spec.nodes else spec.name})")
        except BuildorchError:
            if i > 0:  # the builder exists with only some nodes: take it away again
                _rm(spec.name)
            raise
        if i == 0:
            remember(spec.name, spec)
    return CreateOutcome(name=spec.name, action="created", commands=argvs, warnings=warnings)


def _rm(name: str) -> None:
    buildx.run(["buildx", "rm", name], what=f"docker buildx rm {name}")
    remember(name, None)


def remove_builder(name: str, *, force: bool = False) -> str:
    """Remove a builder buildorch created; refuse any other (``force`` overrides). Returns what happened."""
    if name == "default":
        raise InputError("the default builder belongs to the Docker engine and cannot be removed")
    if name not in created_by_buildorch() and not force:
        raise InputError(
            f"builder {name} was not created by buildorch: not removing it",
            f"remove it yourself (docker buildx rm {name}), or pass --force",
        )
    if exists(name) is None:
        remember(name, None)
        return f"builder {name} no longer exists (forgotten)"
    _rm(name)
    return f"removed builder {name}"


def use_builder(name: str, *, default: bool = False, global_: bool = False) -> str:
    """Make ``name`` the current builder (``docker buildx use``); return the previous one."""
    previous = current_builder()
    if exists(name) is None:
        raise InputError(f"builder {name} does not exist", "list them: buildorch builder ls")
    argv = ["buildx", "use", *(["--default"] if default else []), *(["--global"] if global_ else []), name]
    buildx.run(argv, what=f"docker buildx use {name}")
    return previous


# -- checking --------------------------------------------------------------------------


class NodeReport(BaseModel):
    """``builder doctor`` for one node."""

    name: str
    endpoint: str
    ok: bool
    reachable: bool
    status: str
    buildkit: str = ""
    platforms: list[str] = []
    pinned_platforms: list[str] = []
    tls: Literal["mutual", "server-only", "none"] = "none"
    tls_detail: str = ""
    problems: list[str] = []


class BuilderReport(BaseModel):
    name: str
    driver: str
    ok: bool
    nodes: list[NodeReport] = []


def check_builder(name: str | None = None) -> BuilderReport:
    """Check every node: reachable, running, BuildKit version, platforms, TLS in use and working."""
    live = inspect_builder(name)
    if live.driver not in ("remote", "docker"):
        # Other drivers start their nodes on demand: bootstrap them, as a build would.
        text = buildx.run(["buildx", "inspect", "--bootstrap", live.name], what="docker buildx inspect --bootstrap")
        live = parse_buildx_inspect(text)
    reports = []
    for n in live.nodes:
        problems: list[str] = []
        reachable, why = probe_reachable(n.endpoint) if n.endpoint else (True, "")
        if not reachable:
            problems.append(f"{n.endpoint}: {why}")
        if n.status not in ("running", ""):
            problems.append(f"status {n.status}" + (f": {n.error}" if n.error else ""))
        state, kind = tls_state(n), endpoint_kind(n.endpoint)
        if state != "none" and reachable:
            ok_tls, detail = probe_tls(n.endpoint, n.tls_files)
            if not ok_tls:
                problems.append(detail)
        elif state != "none":
            detail = f"{', '.join(sorted(n.tls_files))} configured; not checked: the node does not answer"
        elif kind == "network":
            detail = "none on a network endpoint"
            problems.append("no TLS on a network endpoint: anyone who reaches it can run builds as root there")
        else:
            detail = {"unix": "none (unix socket: this host only)", "loopback": "none (loopback: this host only)"}.get(
                kind, f"through the {live.driver} driver's API"
            )
        reports.append(
            NodeReport(
                name=n.name,
                endpoint=n.endpoint,
                ok=not problems,
                reachable=reachable,
                status=n.status,
                buildkit=n.buildkit,
                platforms=n.platforms,
                pinned_platforms=n.pinned_platforms,
                tls=state,
                tls_detail=detail,
                problems=problems,
            )
        )
    return BuilderReport(name=live.name, driver=live.driver, ok=all(r.ok for r in reports) and bool(reports), nodes=reports)


# -- builds on a builder ------------------------------------------------------------------

_CONNECTION = ("context deadline exceeded", "connection refused", "waiting for connection", "failed to dial",
               "error while dialing", "no such host", "connection reset", "unavailable", "no route to host",
               "network is unreachable", "handshake")


def nodes_for_build(builder: str | None, platforms: list[str]) -> dict[str, str]:
    """Which node built which platform (empty when buildx cannot tell us the builder's nodes)."""
    try:
        live = inspect_builder(builder)
    except BuildorchError:
        return {}
    return assign_platforms(platforms, live.nodes)


def explain_failure(builder: str | None, platforms: list[str], exc: BuildorchError) -> BuildorchError:
    """A build failed: if it looks like a node did not answer, name that node; else return ``exc``."""
    text = " ".join([exc.message, *exc.details]).lower()
    if not any(s in text for s in _CONNECTION):
        return exc
    try:
        live = inspect_builder(builder)
    except BuildorchError:
        return exc
    served = assign_platforms(platforms, live.nodes) if platforms else {}
    for n in live.nodes:
        if n.status == "running" or not n.endpoint:
            continue
        ok, why = probe_reachable(n.endpoint)
        if ok and not n.error:
            continue
        mine = [p for p, node in served.items() if node == n.name] or n.pinned_platforms or n.platforms
        return EngineError(
            f"node {n.name} at {n.endpoint}: {why if not ok else n.error}"
            + (f" (it builds {', '.join(mine)} on builder {live.name})" if mine else f" (builder {live.name})"),
            f"start that BuildKit daemon and build again; check every node with: buildorch builder doctor {live.name}",
            details=exc.details[-5:],
        )
    return exc
