"""Cross-compilation vs emulation: app/Dockerfile vs the same file with its builder stage under QEMU."""

from __future__ import annotations

from bench.harness import BUILD_TIME, ROOT, VERSION, Bench, Ratio, Side, emulated, shown

NOTES = [
    "linux/arm64 on an amd64 host, cold (builder cache pruned before every run).",
    "B is app/Dockerfile with `FROM --platform=$BUILDPLATFORM` replaced by a plain `FROM`, written at run time:",
    "its whole builder stage (go mod download, go build) runs under QEMU, as in the original workshop.",
    "Both built with `buildorch build --cache none`.",
    "The emulated build takes minutes: this comparison dominates the run time of `make bench`.",
]


def run(b: Bench) -> list[Ratio]:
    variant = b.workdir / "Dockerfile.emulated"
    variant.write_text(emulated((ROOT / "app" / "Dockerfile").read_text()))
    common = ["build", "app", "--platform", "linux/arm64", "--cache", "none", "--version", VERSION, "--build-time", BUILD_TIME]
    cross = [b.buildorch, *common, "-t", b.tag("cross")]
    emu = [b.buildorch, *common, "-f", str(variant), "-t", b.tag("emulated")]
    a = Side("cross-compiled builder", shown(cross), b.timed(cross, before=b.prune))
    e = Side("emulated builder", shown(emu), b.timed(emu, before=b.prune))
    return [Ratio("cross", "cross-compiling / emulated builder stage, linux/arm64, cold", a, e, b.alternate(a, e), goal=0.15)]
