"""A release as text: the ``--dry-run`` plan, ``release.md``, and the files written beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildorch.core.units import human_size

if TYPE_CHECKING:  # plan.py imports this module
    from buildorch.releases.plan import ReleasePlan
from buildorch.releases.models import ReleaseResult


def plan_lines(plan: ReleasePlan, commands: list[str]) -> list[str]:
    """What ``buildorch release --dry-run`` prints: everything the release would do, in order."""
    spec = plan.spec
    lines = [f"release {spec.version} of {', '.join(spec.destinations)} (dry run: nothing is built, pushed or tagged)"]
    lines.append(f"  platforms: {', '.join(spec.platforms)}")
    lines.append(f"  build time: {plan.version.build_time} (SOURCE_DATE_EPOCH={plan.version.source_date_epoch}, "
                 f"from {plan.version.time_source})")
    lines.append(f"  revision: {plan.git.revision or 'none (not a git repository)'}"
                 + (f" with {len(plan.git.dirty_files)} uncommitted changes" if plan.git.dirty_files else ""))
    seen = "unknown (registry not readable)" if plan.existing_tags is None else (", ".join(plan.existing_tags) or "none")
    lines.append(f"  tags in the registry now: {seen}")
    lines.append("  labels:")
    lines += [f"    {k}={v}" for k, v in plan.labels.items()]
    prov = plan.spec.provenance
    what = "no provenance attestation" if prov == "false" else f"a provenance attestation (mode={prov})"
    lines.append(f"1. build and push by digest (no tag), with {what} and the registry cache:")
    lines += [f"     {c}" for c in commands]
    if plan.push_method == "upload":
        lines.append("     then upload the OCI layout to the registry by digest (the docker driver cannot push-by-digest)")
    for extra in spec.images:
        lines.append(f"     then push the same index to {extra} by digest")
    lines.append("2. verify the pushed index before any tag exists:")
    lines += [f"     {s}" for s in plan.verification_steps()]
    lines.append(f"3. refuse if {spec.image}:{plan.semver.tag} already holds different content"
                 + (" (--force: move it anyway)" if spec.force else " (--force moves it)"))
    sup = spec.supply
    if sup.sbom or sup.sign:
        what_else = [w for w, on in (("an SPDX SBOM per platform (syft)", sup.sbom),
                                     (f"cosign signatures of the index and its platforms (key {sup.key or '$COSIGN_KEY'})",
                                      sup.sign),
                                     ("a signed SBOM attestation per platform", sup.sbom and sup.sign)) if on]
        lines.append(f"3b. supply chain, offline, before any tag: {'; '.join(what_else)}")
    lines.append("4. tag the verified index through the registry API (PUT /manifests/TAG), all or none, in a process that")
    lines.append("   finishes even if the release is killed; a registry failure puts every moved tag back:")
    for image in spec.destinations:
        tags = " ".join(f"-t {r}" for r in plan.references_of(image))
        lines.append(f"     {tags} <- {image}@<index digest>")
    lines += [f"     note: {n}" for n in plan.tag_notes]
    lines.append(f"5. write release.json and release.md to {spec.reports_dir}/")
    lines += [f"warning: {w}" for w in plan.warnings]
    return lines


def render_markdown(result: ReleaseResult) -> str:
    """``release.md``: the release for people (release notes, a CI summary)."""
    ok = result.status == "released"
    out = [f"# {result.image} {result.version}", ""]
    if not ok:
        out += [f"**Release failed:** {result.error}", "", "No tag was changed.", ""]
    out += [
        "| | |",
        "|---|---|",
        f"| Index digest | `{result.index_digest or '-'}` |",
        f"| Build time | {result.build_time or '-'} |",
        f"| Revision | `{result.revision or '-'}`{' (dirty tree)' if result.dirty else ''} |",
        f"| Pushed | by digest ({result.push_method}), then tagged after verification |",
        f"| Build | {result.steps_cached}/{result.steps_total} steps cached, {result.duration_seconds:.1f}s in all |",
        "",
    ]
    if result.tags and ok:
        out += ["## Tags", ""]
        for ref, tag in zip(result.references, result.tags, strict=False):
            before = result.previous_tags.get(tag)
            moved = "new" if before is None else ("unchanged" if before == result.index_digest else f"moved from `{before[:19]}`")
            out.append(f"- `{ref}` ({moved})")
        out.append("")
    if result.platforms:
        out += ["## Platforms", "", "| Platform | Manifest digest | Size (compressed) | Verified |", "|---|---|---|---|"]
        checks = {p.platform: p for p in result.verification.platforms}
        for p, img in result.platforms.items():
            c = checks.get(p)
            verdict = "-" if c is None else ("yes" if c.ok else f"**no**: {c.error}")
            out.append(f"| {p} | `{img.digest}` | {human_size(img.size_bytes)} | {verdict} |")
        out.append("")
    if result.verification.platforms:
        out += ["## Verification", ""]
        for c in result.verification.platforms:
            health = "ok" if c.health_ok else "failed"
            secs = c.health.get("ready_seconds")
            ready = f", ready after {secs}s" if secs is not None else ""
            version = "" if c.version_ok is None else f"; `-version` printed `{c.version_output}`"
            out.append(f"- {c.platform}: health {health}{ready}{version}")
        out.append("")
    if result.labels:
        out += ["## Labels", ""] + [f"- `{k}` = `{v}`" for k, v in result.labels.items()] + [""]
    if result.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def write_reports(result: ReleaseResult, directory: Path) -> Path:
    """Write ``release.json`` and ``release.md`` into ``directory`` (created); return it."""
    directory.mkdir(parents=True, exist_ok=True)
    result.output_dir = str(directory)
    data: dict[str, Any] = result.model_dump(mode="json")
    (directory / "release.json").write_text(json.dumps(data, indent=2) + "\n")
    (directory / "release.md").write_text(render_markdown(result))
    return directory


def summary_lines(result: ReleaseResult) -> list[str]:
    """The closing lines of ``buildorch release``."""
    lines = [f"released {result.image}:{result.tags[0] if result.tags else result.version} in {result.duration_seconds:.1f}s"]
    lines.append(f"  index: {result.index_digest}")
    for p, img in result.platforms.items():
        lines.append(f"  {p}: {img.digest} ({human_size(img.size_bytes)}) verified")
    lines.append(f"  tags: {', '.join(result.tags)}")
    for other in result.images[1:]:
        lines.append(f"  also in: {other} (same index, same tags)")
    lines += [f"  warning: {w}" for w in result.warnings if w.startswith("--verify none")]
    if result.output_dir:
        lines.append(f"  report: {result.output_dir}/release.md")
    return lines
