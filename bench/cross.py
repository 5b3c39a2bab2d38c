"""Cross-compilation vs emulation: app/Dockerfile vs the same file with its builder stage under QEMU."""

from __future__ import annotations

from collections.abc import Callable

from bench.harness import BUILD_TIME, ROOT, VERSION, Bench, Ratio, Sample, Side, emulated, shown

NOTES = [
    "linux/arm64 on an amd64 host, cold: each run builds a fresh copy of app/ whose cache mounts have their own id,",
    "with `--no-cache`. B is app/Dockerfile with `FROM --platform=$BUILDPLATFORM` replaced by a plain `FROM`,",
    "written at run time: its whole builder stage (go mod download, go build) runs under QEMU, as in the original workshop.",
    "Both built with `buildorch build --cache none`.",
    "The emulated build takes minutes: this comparison dominates the run time of `make bench`.",
]


def run(b: Bench) -> list[Ratio]:
    dockerfile = (ROOT / "app" / "Dockerfile").read_text()
    common = ["--platform", "linux/arm64", "--cache", "none", "--no-cache", "--version", VERSION, "--build-time", BUILD_TIME]

    def cold(text: str, tag: str) -> Callable[[], Sample]:
        def measure() -> Sample:
            s = b.run([b.buildorch, "build", str(b.app_copy(text)), *common, "-t", tag])
            s.extra.pop("stdout", None)
            return s

        return measure

    cross_tag, emu_tag = b.tag("cross"), b.tag("emulated")
    a = Side(
        "cross-compiled builder",
        shown([b.buildorch, "build", "$WORKDIR/app-N", *common, "-t", cross_tag]),
        cold(dockerfile, cross_tag),
    )
    e = Side(
        "emulated builder",
        shown([b.buildorch, "build", "$WORKDIR/app-N", *common, "-t", emu_tag]) + " (emulated Dockerfile)",
        cold(emulated(dockerfile), emu_tag),
    )
    return [Ratio("cross", "cross-compiling / emulated builder stage, linux/arm64, cold", a, e, b.alternate(a, e), goal=0.15)]
