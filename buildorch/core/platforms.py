"""Platform strings: validation and normalisation the way BuildKit reads them."""

from __future__ import annotations

import difflib

# What BuildKit's platform parser accepts for builds (containerd/platforms),
# normalised. darwin/* only for local outputs, kept for completeness.
KNOWN = (
    "linux/amd64",
    "linux/amd64/v2",
    "linux/amd64/v3",
    "linux/amd64/v4",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/arm/v5",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
    "linux/riscv64",
    "linux/mips64le",
    "linux/mips64",
    "linux/loong64",
    "windows/amd64",
    "windows/arm64",
    "darwin/amd64",
    "darwin/arm64",
)

# Spellings people type that name a known platform: suggested, never silently accepted,
# except the ones BuildKit itself treats as the same platform (arm64/v8, bare arch).
_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "x64": "amd64",
    "aarch64": "arm64",
    "armv8": "arm64",
    "armhf": "arm/v7",
    "armv7": "arm/v7",
    "armv7l": "arm/v7",
    "i386": "386",
    "i686": "386",
    "x86": "386",
}


def normalize(platform: str) -> str:
    """Return the canonical form of ``platform`` or raise ``ValueError`` with a suggestion.

    >>> normalize("linux/arm64/v8")
    'linux/arm64'
    >>> normalize("arm64")
    'linux/arm64'
    """
    raw = platform.strip()
    p = raw.lower()
    if not p:
        raise ValueError("empty platform: use os/arch[/variant], e.g. linux/amd64")
    parts = p.split("/")
    if len(parts) == 1:  # BuildKit reads a bare architecture as linux/<arch>
        parts = ["linux", *parts]
    if parts[1:] == ["arm64", "v8"]:
        parts = parts[:2]
    if parts[1:] == ["arm"]:  # containerd defaults arm to v7
        parts = [*parts, "v7"]
    if parts[1:] == ["amd64", "v1"]:
        parts = parts[:2]
    cand = "/".join(parts)
    if cand in KNOWN:
        return cand
    raise ValueError(f"unknown platform {raw!r}{_suggest(parts)}")


def _suggest(parts: list[str]) -> str:
    arch = "/".join(parts[1:])
    if arch in _ALIASES:
        return f": did you mean {parts[0]}/{_ALIASES[arch]}?"
    close = difflib.get_close_matches("/".join(parts), KNOWN, n=1, cutoff=0.6)
    if close:
        return f": did you mean {close[0]}?"
    return ": use os/arch[/variant], e.g. linux/amd64 or linux/arm64"


def parse_list(values: list[str] | str) -> list[str]:
    """Split ``--platform a,b --platform c`` into normalised, de-duplicated platforms."""
    items = [values] if isinstance(values, str) else values
    out: list[str] = []
    for item in items:
        for p in item.split(","):
            if p.strip():
                n = normalize(p)
                if n not in out:
                    out.append(n)
    return out


def arch_of(platform: str) -> str:
    """``linux/arm/v7`` -> ``arm-v7``; ``linux/arm64`` -> ``arm64`` (for per-platform tags)."""
    return "-".join(platform.split("/")[1:])
