"""Platform strings read exactly as buildx reads them: containerd's ``platforms.Parse``, then ``Normalize``.

Ported from github.com/containerd/platforms v1.0.0-rc.5 (``platforms.go``, ``database.go``),
which buildx uses for ``--platform``: ``aarch64`` is ``arm64``, ``x86_64`` is ``amd64``,
``armhf`` is ``arm/v7``, ``armel`` is ``arm/v6``, ``arm64/v8`` is ``arm64``, a bare
architecture gets the client's OS, a bare OS the client's architecture. buildx reads
``local`` as the client's own platform (``platforms.DefaultSpec``), which is the native
platform of the docker driver's builder.

containerd accepts any ``os/arch`` pair made of valid characters; a name outside its lists
of known systems and architectures then fails later, in BuildKit, with "no match for
platform". buildorch refuses such a name before BuildKit runs, suggesting the closest known
name; a string containerd normalises (``linux/aarch64``) is never refused or "corrected".
"""

from __future__ import annotations

import difflib
import os
import re

from buildorch.core.errors import InputError

# database.go: isKnownOS / isKnownArch (from Go's syslist.go).
KNOWN_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd",
    "openbsd", "plan9", "solaris", "windows", "zos",
})  # fmt: skip
KNOWN_ARCH = frozenset({
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle",
    "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
    "wasm",
})  # fmt: skip
# What people usually mean, for suggestions only (containerd's own spellings are all accepted above).
COMMON = (
    "linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/arm64", "linux/arm/v7", "linux/arm/v6",
    "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/loong64", "linux/mips64le",
    "windows/amd64", "windows/arm64", "darwin/amd64", "darwin/arm64",
)  # fmt: skip

_SPECIFIER = re.compile(r"^[A-Za-z0-9_.-]+$")  # platforms.go specifierRe
_OS = re.compile(r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$")  # platforms.go osRe
LOCAL = "local"


class PlatformError(InputError, ValueError):
    """A platform buildx would refuse (a ValueError too, so that pydantic's validators report it)."""


def normalize_os(name: str) -> str:
    """database.go ``normalizeOS``: lower case, ``macos`` is ``darwin``."""
    name = name.lower()
    return "darwin" if name == "macos" else name


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    """database.go ``normalizeArch``, line for line."""
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        return "arm64", "" if variant in ("8", "v8") else variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        if variant in ("5", "6", "8"):
            return "arm", "v" + variant
    return arch, variant


def host_platform() -> str:
    """This machine's platform as containerd names it (``linux/amd64``), what buildx calls ``local``."""
    arch, variant = normalize_arch(os.uname().machine, "")
    if arch == "armv7l":
        arch, variant = "arm", "v7"
    return "/".join(p for p in ("linux", arch, variant) if p)


def normalize(platform: str, *, local: str | None = None) -> str:
    """The platform as buildx passes it to BuildKit, or a :class:`PlatformError` saying what to do.

    ``local`` is what ``local`` stands for (default: this machine's platform).

    >>> normalize("linux/arm64/v8"), normalize("Linux/AARCH64"), normalize("x86_64"), normalize("linux/armhf")
    ('linux/arm64', 'linux/arm64', 'linux/amd64', 'linux/arm/v7')
    """
    raw = platform.strip()
    if not raw:
        raise PlatformError("empty platform: use os/arch[/variant], e.g. linux/amd64")
    if raw.lower() == LOCAL:
        return local or host_platform()
    if "*" in raw:
        raise PlatformError(f"platform {raw!r}: wildcards are not supported; name each platform, e.g. linux/amd64")
    parts = raw.split("/", 3)
    host_os, host_arch = host_platform().split("/")[:2]
    m = _OS.match(parts[0])
    if not m:
        raise PlatformError(f"platform {raw!r}: {parts[0]!r} is not an operating system: use os/arch[/variant], e.g. linux/amd64")
    for part in parts[1:]:
        if not _SPECIFIER.match(part):
            raise PlatformError(f"platform {raw!r}: {part!r} may hold only letters, digits, '_', '.' and '-'")
    os_name = normalize_os(m.group(1))
    options = parts[0][len(m.group(1)) :]  # "(10.0.17763)" for windows: kept as written
    if len(parts) == 1:
        if os_name in KNOWN_OS:
            return f"{os_name}{options}/{host_arch}"
        arch, variant = normalize_arch(parts[0], "")
        if arch not in KNOWN_ARCH:
            raise PlatformError(f"unknown platform {raw!r}: not an operating system or architecture{_suggest(raw)}")
        os_name, options = host_os, ""
    elif len(parts) in (2, 3):
        arch, variant = normalize_arch(parts[1], parts[2] if len(parts) == 3 else "")
    else:
        raise PlatformError(f"platform {raw!r} has too many parts: use os/arch[/variant], e.g. linux/arm/v7")
    arch, variant = normalize_arch(arch, variant)  # Parse, then Normalize, as buildx does
    if os_name not in KNOWN_OS:
        raise PlatformError(f"unknown platform {raw!r}: unknown operating system {os_name!r}{_suggest(raw)}")
    if arch not in KNOWN_ARCH:
        raise PlatformError(f"unknown platform {raw!r}: unknown architecture {arch!r}{_suggest(raw)}")
    return "/".join(p for p in (os_name + options, arch, variant) if p)


def _suggest(raw: str) -> str:
    low = raw.lower()
    candidates = COMMON if "/" in low else tuple(p.split("/", 1)[1] for p in COMMON if p.startswith("linux/"))
    close = difflib.get_close_matches(low, candidates, n=1, cutoff=0.6)
    if close:
        return f": did you mean {close[0]}?"
    return ": use os/arch[/variant], e.g. linux/amd64 or linux/arm64"


def parse_list(values: list[str] | str, *, local: str | None = None) -> list[str]:
    """Split ``--platform a,b --platform c`` into normalised, de-duplicated platforms."""
    items = [values] if isinstance(values, str) else values
    out: list[str] = []
    for item in items:
        for p in item.split(","):
            if not p.strip():  # `--platform ''` or `a,,b`: never "the default" in disguise
                raise ValueError(f"empty platform in {item!r}: name each one (linux/amd64,linux/arm64), or leave --platform out")
            n = normalize(p, local=local)
            if n not in out:
                out.append(n)
    return out


def arch_of(platform: str) -> str:
    """``linux/arm/v7`` -> ``arm-v7``; ``linux/arm64`` -> ``arm64`` (for per-platform tags)."""
    return "-".join(platform.split("/")[1:])
