"""Image size: the FROM scratch runtime image vs the single-stage image, and vs its own binary."""

from __future__ import annotations

import subprocess
import tarfile
from typing import IO

from bench.harness import BUILD_TIME, VERSION, Bench, BenchError, Ratio, Side, shown

NOTES = [
    "Uncompressed size of the linux/amd64 image: `docker create` + `docker export`, bytes counted",
    "(the containerd store's `docker image inspect` Size is compressed content). The binary is /app in the runtime image.",
    "Sizes are deterministic: measured once, no alternation.",
]


class _Counting:
    """A read-only stream that counts the bytes read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.n = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.n += len(data)
        return data


def exported(b: Bench, ref: str) -> tuple[int, int | None]:
    """(bytes of ``docker export`` of ``ref``, size of its /app file or None)."""
    cid = b.run(["docker", "create", "--platform", "linux/amd64", ref]).extra["stdout"].strip()
    try:
        proc = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        stream, app = _Counting(proc.stdout), None
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                if member.name.lstrip("./") == "app":
                    app = member.size
        while stream.read(1 << 20):  # the end-of-archive blocks tarfile leaves unread
            pass
        if proc.wait() != 0:
            raise BenchError(f"docker export {ref} failed")
        return stream.n, app
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=False)


def run(b: Bench) -> list[Ratio]:
    common = ["--platform", "linux/amd64", "--cache", "none", "--version", VERSION, "--build-time", BUILD_TIME]
    runtime = [b.buildorch, "build", "app", *common, "-t", b.tag("runtime")]
    single = [b.buildorch, "build", "app", "-f", "app/Dockerfile.single", *common, "-t", b.tag("single")]
    b.run(runtime)
    b.run(single)
    r_size, binary = exported(b, runtime[-1])
    s_size, _ = exported(b, single[-1])
    if binary is None:
        raise BenchError("no /app in the runtime image")
    r = Side("runtime image (FROM scratch)", shown(runtime))
    s = Side("single-stage image", shown(single))
    return [
        Ratio("size.single", "runtime image / single-stage image", r, s, [_pair(r_size, s_size)], unit="bytes", goal=0.02),
        Ratio(
            "size.binary",
            "runtime image / its binary",
            r,
            Side("its binary (/app)", "/app"),
            [_pair(r_size, binary)],
            unit="bytes",
            goal=1.2,
        ),
    ]


def _pair(a: int, b: int) -> dict[str, float]:
    return {"a": a, "b": b, "ratio": round(a / b, 5)}
