"""``build --call check|outline|targets``: ask BuildKit about the Dockerfile instead of building it.

buildx 0.15 and later run these with ``--call``; buildx 0.13 knows ``outline`` and
``targets`` as the experimental ``--print`` and has no Dockerfile checks, which is said in
one line. ``check`` asks for JSON and turns it into :class:`CheckFinding` s: buildorch
prints them and, unlike buildx, fails on a warning only with ``--check-strict``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from buildorch.builds.plan import BuildPlan, selection_args
from buildorch.builds.spec import BuildSpec
from buildorch.core.errors import BuildorchError, EngineError
from buildorch.engine import buildx

# What BuildKit (or buildx's fallback to a frontend image it cannot pull) says when the
# builder's BuildKit predates Dockerfile checks (BuildKit 0.14, Docker 27).
_NO_LINT = ("unsupported request frontend.lint", "docker/dockerfile:1.8")


class CheckFinding(BaseModel):
    """One warning of ``--call check``: ``Dockerfile:1: FromAsCasing: ...``."""

    rule: str
    detail: str
    file: str = "Dockerfile"
    line: int | None = None
    url: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.rule}: {self.detail}" + (f" ({self.url})" if self.url else "")


class CallResult(BaseModel):
    """What BuildKit answered: ``findings`` for ``check``, ``text`` (or ``data`` as JSON) for the others."""

    method: str
    findings: list[CheckFinding] = []
    text: str = ""
    data: dict[str, Any] | None = None
    command: list[str] = []


class ChecksFailed(BuildorchError):
    """``--check-strict`` and the checks found warnings (exit code 1, like a failed build)."""


def call_argv(spec: BuildSpec, plan: BuildPlan, json_out: bool) -> tuple[list[str], dict[str, str]]:
    """The ``docker buildx build --call ...`` argv of ``spec`` (no outputs, caches or metadata)."""
    assert spec.call is not None
    method, _, options = spec.call.partition(",")
    method = method.strip().lower()
    # check: always JSON, turned into findings here; outline and targets: JSON only for --json.
    if (method == "check" or (json_out and method in ("outline", "targets"))) and "format=" not in options:
        options = ",".join(o for o in (options, "format=json") if o)
    request = buildx.call_request(method, options)
    if request is None:
        version = ".".join(map(str, buildx.buildx_release()))
        raise EngineError(
            f"buildx {version} cannot run --call {method} (buildx 0.15 added it)",
            "use a current buildx (scripts/stack up installs one), or --call outline/targets",
        )
    flags, env = request
    argv = ["buildx", "build", *flags, "--progress", "quiet", *selection_args(spec, spec.platforms)]
    for k, v in plan.build_args.items():
        argv += ["--build-arg", f"{k}={v}"]
    for name, value in spec.build_contexts.items():
        argv += ["--build-context", f"{name}={value}"]
    argv += [*spec.buildx_args, str(spec.context)]
    return argv, env


def run_call(plan: BuildPlan, *, json_out: bool = False) -> CallResult:
    """Run ``plan.spec.call`` and return BuildKit's answer; ``ChecksFailed`` on a warning with ``check_strict``."""
    spec = plan.spec
    argv, env = call_argv(spec, plan, json_out)
    method = (spec.call or "").partition(",")[0].strip().lower()
    code, out, err = buildx.run_capture(argv, env=env)
    result = CallResult(method=method, command=["docker", *argv])
    doc = _json(out)
    if method == "check" and isinstance(doc, dict) and "warnings" in doc:
        # buildx exits 1 when there are warnings; the JSON is the answer either way.
        result.findings = parse_check(doc)
        result.data = {"warnings": [f.model_dump() for f in result.findings]}
        if spec.check_strict and result.findings:
            n = len(result.findings)
            raise ChecksFailed(
                f"{n} Dockerfile check warning{'s' if n > 1 else ''} (--check-strict): first, {result.findings[0]}",
                "fix them, or drop --check-strict to report them without failing",
                details=[str(f) for f in result.findings],
            )
        return result
    if code != 0:
        tail = buildx.last_lines(err, 20)
        if method == "check" and any(s in err for s in _NO_LINT):
            raise EngineError(
                f"builder {spec.builder or 'default'}'s BuildKit cannot run Dockerfile checks (BuildKit 0.14 added them)",
                "use --builder NAME with a newer BuildKit (the stack's buildkitd nodes have one: docs/builders.md)",
            )
        reason = tail[-1] if tail else f"exit code {code}"
        raise BuildorchError(f"docker buildx build --call {method} failed: {reason}", details=tail)
    # buildx 0.13's --print writes the (empty) build's image id first.
    result.text = "\n".join(ln for ln in out.splitlines() if not ln.startswith("sha256:")) + "\n"
    result.data = doc if isinstance(doc, dict) else None
    return result


def _json(text: str) -> Any:
    start = text.find("{")  # buildx 0.13 prints the (empty) image id first
    try:
        return json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        return None


def parse_check(doc: dict[str, Any]) -> list[CheckFinding]:
    """buildx's ``--call check,format=json`` answer as findings (a recording: tests/data/call_check.json)."""
    sources = [s.get("filename") or "Dockerfile" for s in doc.get("sources") or []]
    out = []
    for w in doc.get("warnings") or []:
        loc = w.get("location") or {}
        ranges = loc.get("ranges") or [{}]
        index = loc.get("sourceIndex") or 0
        out.append(
            CheckFinding(
                rule=w.get("ruleName") or "check",
                detail=w.get("detail") or w.get("description") or "",
                file=sources[index] if index < len(sources) else "Dockerfile",
                line=(ranges[0].get("start") or {}).get("line"),
                url=w.get("url"),
            )
        )
    return out
