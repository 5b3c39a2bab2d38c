"""Results written where CI reads them: ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY`` and a GitLab dotenv file.

The results arrive as the JSON the commands print (``model_dump``), so this package needs
none of the capability packages. Step outputs use GitHub's multi-line form, ``name<<DELIM``,
value lines, ``DELIM``, with a delimiter that is not in the value (as ``@actions/core`` does):
a JSON value or a tag list cannot end an output early. The names are build-push-action's
(``digest``, ``imageid``, ``metadata``) plus ``tags`` and ``version``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from buildorch.core.units import human_size

Kind = Literal["build", "bake", "release", "merge"]


def delimiter(value: str) -> str:
    """A heredoc delimiter that occurs in no line of ``value``."""
    while True:
        delim = f"ghadelimiter_{uuid.uuid4()}"
        if delim not in value:
            return delim


def github_output_text(values: Mapping[str, str]) -> str:
    """``name<<DELIM\\nvalue\\nDELIM`` for each output, in order."""
    out = []
    for name, value in values.items():
        delim = delimiter(value)
        out.append(f"{name}<<{delim}\n{value}\n{delim}\n")
    return "".join(out)


def append(path: Path, text: str) -> None:
    """Append to a file CI gave us (it may be shared with other steps: never truncate it)."""
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def dotenv_text(values: Mapping[str, str]) -> str:
    """GitLab's ``artifacts:reports:dotenv``: ``KEY=VALUE`` lines, one line per value (newlines become commas)."""
    lines = []
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"{key!r} is not a dotenv variable name")
        lines.append(f"{key}={','.join(v for v in value.splitlines() if v)}")
    return "\n".join(lines) + "\n"


def _build_values(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        "digest": data.get("digest") or "",
        "imageid": data.get("image_id") or "",
        "tags": "\n".join(data.get("tags") or []),
        "version": data.get("version") or "",
        # build-push-action's metadata is buildx's metadata file; the whole result when buildx wrote none
        "metadata": json.dumps(data.get("metadata") or data, sort_keys=True),
    }


def step_values(kind: Kind, data: Mapping[str, Any]) -> dict[str, str]:
    """The step outputs of one run: digest, imageid, tags, version, metadata."""
    if kind == "build":
        return _build_values(data)
    if kind == "bake":
        one = next(iter(data.values())) if len(data) == 1 else None
        values = _build_values(one) if one is not None else {"digest": "", "imageid": "", "version": ""}
        values["tags"] = "\n".join(t for r in data.values() for t in (r.get("tags") or []))
        values["version"] = values.get("version") or next((r.get("version") for r in data.values() if r.get("version")), "")
        values["metadata"] = json.dumps({name: r.get("metadata") or {} for name, r in data.items()}, sort_keys=True)
        return {k: values[k] for k in ("digest", "imageid", "tags", "version", "metadata")}
    return {
        "digest": data.get("index_digest") or "",
        "imageid": data.get("index_digest") or "",
        "tags": "\n".join(data.get("references") or data.get("tags") or []),
        "version": data.get("version") or "",
        "metadata": json.dumps(data, sort_keys=True),
    }


def dotenv_values(kind: Kind, data: Mapping[str, Any]) -> dict[str, str]:
    """The dotenv variables: ``BUILDORCH_DIGEST``, ``_IMAGEID``, ``_TAGS`` (comma-separated), ``_VERSION``."""
    values = step_values(kind, data)
    return {f"BUILDORCH_{k.upper()}": values[k] for k in ("digest", "imageid", "tags", "version")}


def _platform_rows(digests: Mapping[str, str], sizes: Mapping[str, int | None]) -> list[str]:
    rows = ["| Platform | Digest | Size |", "|---|---|---|"]
    for p, d in digests.items():
        size = sizes.get(p)
        rows.append(f"| {p} | `{d}` | {human_size(size) if size is not None else ''} |")
    return rows if digests else []


def _build_summary(title: str, r: Mapping[str, Any]) -> list[str]:
    lines = [f"### {title}", ""]
    plats = ", ".join(r.get("platforms") or []) or "host platform"
    lines.append(
        f"**{plats}**, version `{r.get('version') or '-'}`: {r.get('steps_cached', 0)}/{r.get('steps_total', 0)} steps cached, "
        f"{float(r.get('duration_seconds') or 0):.1f}s"
    )
    if r.get("tags"):
        lines += ["", "Tags: " + ", ".join(f"`{t}`" for t in r["tags"])]
    if r.get("digest"):
        lines += ["", f"Digest: `{r['digest']}`"]
    if r.get("size_bytes") is not None:
        lines += ["", f"Image size: {human_size(r['size_bytes'])}"]
    rows = _platform_rows(r.get("platform_digests") or {}, {})
    return [*lines, *([""] if rows else []), *rows, ""]


def summary_markdown(kind: Kind, data: Mapping[str, Any]) -> str:
    """The job summary of one run: platforms, digests, sizes, steps cached/total, verification."""
    if kind == "build":
        lines = _build_summary("buildorch build", data)
    elif kind == "bake":
        lines = [f"## buildorch bake: {len(data)} target{'s' if len(data) != 1 else ''}", ""]
        for name, r in data.items():
            lines += _build_summary(name, r)
    else:
        lines = _release_summary(kind, data)
    return "\n".join(lines) + "\n"


def _release_summary(kind: Kind, r: Mapping[str, Any]) -> list[str]:
    ok = (r.get("verification") or {}).get("ok")
    lines = [
        f"### buildorch {kind}: `{r.get('image')}` {r.get('version') or ''}".rstrip(),
        "",
        f"Status: **{r.get('status', 'released')}**, {r.get('steps_cached', 0)}/{r.get('steps_total', 0)} steps cached, "
        f"{float(r.get('duration_seconds') or 0):.1f}s",
        "",
        f"Index: `{r.get('index_digest') or '-'}`",
        "",
    ]
    if r.get("references") or r.get("tags"):
        lines += ["Tags: " + ", ".join(f"`{t}`" for t in (r.get("references") or r.get("tags") or [])), ""]
    platforms = r.get("platforms") or {}
    digests = {p: img.get("digest", "") for p, img in platforms.items()}
    sizes = {p: img.get("size_bytes") for p, img in platforms.items()}
    lines += _platform_rows(digests, sizes)
    checks = (r.get("verification") or {}).get("platforms") or []
    if checks or ok is not None:
        lines += ["", f"Verification: **{'passed' if ok else 'failed'}**", ""]
        if checks:
            lines += ["| Platform | Health | Version | Result |", "|---|---|---|---|"]
            for c in checks:
                version = {True: "ok", False: "wrong", None: "-"}[c.get("version_ok")]
                lines.append(
                    f"| {c.get('platform')} | {'ok' if c.get('health_ok') else 'failed'} | {version} | "
                    f"{'ok' if c.get('ok') else (c.get('error') or 'failed')} |"
                )
    return [*lines, ""]


def meta_values(data: Mapping[str, Any], bake_file: Path | None = None) -> dict[str, str]:
    """``buildorch meta``'s outputs under metadata-action's names, from its ``--json`` dict."""
    values = {
        "version": data.get("version") or "",
        "tags": "\n".join(data.get("tags") or []),
        "tag-names": "\n".join(data.get("tag-names") or []),
        "labels": "\n".join(f"{k}={v}" for k, v in (data.get("labels") or {}).items()),
        "annotations": "\n".join(data.get("annotations") or []),
        "json": json.dumps(data, indent=2),
    }
    if bake_file is not None:
        values["bake-file"] = str(bake_file.resolve())
    return values


def write_meta(data: Mapping[str, Any], env: Mapping[str, str], bake_file: Path | None, dotenv: Path | None) -> None:
    """metadata-action's outputs on ``GITHUB_OUTPUT``; its ``DOCKER_METADATA_OUTPUT_*`` variables in ``dotenv``."""
    values = meta_values(data, bake_file)
    if env.get("GITHUB_OUTPUT"):
        append(Path(env["GITHUB_OUTPUT"]), github_output_text(values))
    if dotenv is not None:
        dotenv.parent.mkdir(parents=True, exist_ok=True)
        names = {f"DOCKER_METADATA_OUTPUT_{k.upper().replace('-', '_')}": v for k, v in values.items() if k != "json"}
        dotenv.write_text(dotenv_text(names))


def write_all(kind: Kind, data: Mapping[str, Any], env: Mapping[str, str], dotenv: Path | None = None) -> list[Path]:
    """Write every output CI asked for (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``--dotenv``); the files written."""
    written = []
    if env.get("GITHUB_OUTPUT"):
        path = Path(env["GITHUB_OUTPUT"])
        append(path, github_output_text(step_values(kind, data)))
        written.append(path)
    if env.get("GITHUB_STEP_SUMMARY"):
        path = Path(env["GITHUB_STEP_SUMMARY"])
        append(path, summary_markdown(kind, data))
        written.append(path)
    if dotenv is not None:
        dotenv.parent.mkdir(parents=True, exist_ok=True)
        dotenv.write_text(dotenv_text(dotenv_values(kind, data)))
        written.append(dotenv)
    return written
